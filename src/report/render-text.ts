/**
 * Human rendering: checks table, command sections, verdict line. chalk and cli-table3 live here only.
 * Colour comes from the chalk instance passed in (level 0 under NO_COLOR, --no-color, non-TTY and tests).
 */
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { Check, CheckStatus, Report, Section, VerdictStatus } from './model.js';
import { formatDuration } from '../config/units.js';

export interface TextStyle {
  colorLevel: 0 | 1 | 2 | 3;
}

const STATUS_MARK: Record<CheckStatus, string> = { pass: '✔', warn: '!', fail: '✖', info: '·', skip: '-' };

function colorStatus(c: ChalkInstance, status: CheckStatus | VerdictStatus, text: string): string {
  switch (status) {
    case 'pass':
    case 'healthy':
    case 'ok':
      return c.green(text);
    case 'warn':
    case 'degraded':
    case 'interrupted':
      return c.yellow(text);
    case 'fail':
    case 'failed':
      return c.red(text);
    case 'info':
    case 'skip':
      return c.dim(text);
  }
}

function table(head: string[], c: ChalkInstance): Table.Table {
  return new Table({
    head: head.map((h) => c.bold(h)),
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
}

export function renderChecks(checks: Check[], c: ChalkInstance): string {
  if (checks.length === 0) return '';
  const t = table(['', 'check', 'time', 'result'], c);
  for (const ch of checks) {
    t.push([
      colorStatus(c, ch.status, STATUS_MARK[ch.status]),
      ch.title,
      ch.durationMs === undefined ? '' : formatDuration(ch.durationMs),
      ch.summary ?? '',
    ]);
  }
  return t.toString();
}

export function renderSection(s: Section, c: ChalkInstance): string {
  const title = c.bold(s.title);
  switch (s.kind) {
    case 'table': {
      const t = table(s.head, c);
      for (const row of s.rows) t.push(row);
      return `${title}\n${t.toString()}`;
    }
    case 'pairs': {
      const width = Math.max(0, ...s.pairs.map(([k]) => k.length));
      return [title, ...s.pairs.map(([k, v]) => `  ${c.dim(k.padEnd(width))}  ${v}`)].join('\n');
    }
    case 'lines':
      return [title, ...s.lines.map((l) => `  ${l}`)].join('\n');
  }
}

export function renderText(report: Report, style: TextStyle): string {
  const c = new Chalk({ level: style.colorLevel });
  const parts: string[] = [];
  const head = report.target ? `${report.command} ${report.target.url}` : report.command;
  parts.push(c.bold(`mqtt-doctor ${head}`));
  if (report.insecure) parts.push(c.yellow('! TLS verification is OFF (--insecure): the broker identity was not checked'));
  const checks = renderChecks(report.checks, c);
  if (checks) parts.push(checks);
  for (const s of report.view ?? []) parts.push(renderSection(s, c));
  const explained = report.checks.filter((ch) => (ch.status === 'fail' || ch.status === 'warn') && (ch.explanation || ch.hint));
  if (explained.length > 0) {
    const lines = explained.flatMap((ch) => [
      `${colorStatus(c, ch.status, STATUS_MARK[ch.status])} ${ch.title}: ${ch.explanation ?? ''}`.trimEnd(),
      ...(ch.hint ? [`  ${c.dim('→')} ${ch.hint}`] : []),
    ]);
    parts.push(lines.join('\n'));
  }
  const v = report.verdict;
  parts.push(`${colorStatus(c, v.status, v.status.toUpperCase())}  ${v.summary}`);
  return parts.join('\n\n') + '\n';
}
