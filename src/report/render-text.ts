/**
 * Human rendering: checks table, command sections, verdict line. chalk and cli-table3 live here only.
 * Colour comes from the chalk instance passed in (level 0 under NO_COLOR, --no-color, non-TTY and tests).
 */
import { createRequire } from 'node:module';
import { Chalk, type ChalkInstance } from 'chalk';
import type Table from 'cli-table3';
import type { Check, CheckStatus, Report, Section, VerdictStatus } from './model.js';
import { formatDuration } from '../config/units.js';

export interface TextStyle {
  colorLevel: 0 | 1 | 2 | 3;
  /** Wrap tables to this many columns (the terminal width; 120 when not a terminal). */
  width?: number;
}

const DEFAULT_WIDTH = 120;

/** cli-table3 (CommonJS, with its own string-width) is read at the first table: many reports have none. */
let tableClass: typeof Table | undefined;
const loadTable = (): typeof Table => (tableClass ??= createRequire(import.meta.url)('cli-table3') as typeof Table);

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

const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;

/**
 * Column widths that fit `width`: columns keep their natural width while the table fits; otherwise the widest
 * columns give up space (cell text then wraps) until it does. undefined = no wrapping needed.
 */
export function fitColumns(rows: string[][], width: number, whole: readonly number[] = []): number[] | undefined {
  const n = Math.max(0, ...rows.map((r) => r.length));
  const natural = Array.from(
    { length: n },
    (_, i) => Math.max(1, ...rows.map((r) => Math.max(0, ...(r[i] ?? '').split('\n').map(visible)))) + 2,
  );
  const borders = n + 1;
  let total = natural.reduce((a, b) => a + b, 0) + borders;
  if (total <= width) return undefined;
  const widths = [...natural];
  // First down to each column's longest word (cli-table3 cuts a word wider than its column with "…", so an
  // address or client id would lose its end), then, if the table still does not fit, below it to 10.
  const longestWord = Array.from(
    { length: n },
    (_, i) => Math.max(1, ...rows.flatMap((r) => (r[i] ?? '').split(/[\s\n]+/).map(visible))) + 2,
  );
  // Columns kept whole stay at their longest word; the others then give way down to 10 (6 when some are kept
  // whole: their long words are broken across lines by table() rather than cut).
  const low = whole.length ? 6 : 10;
  for (const floorOf of [
    (i: number) => Math.max(10, longestWord[i]!),
    (i: number) => (whole.includes(i) ? longestWord[i]! : low),
  ]) {
    while (total > width) {
      let widest = -1;
      for (let i = 0; i < n; i += 1)
        if (widths[i]! > floorOf(i) && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      if (widest < 0) break;
      widths[widest] = widths[widest]! - 1;
      total -= 1;
    }
  }
  return widths;
}

function table(
  head: string[],
  c: ChalkInstance,
  rows: string[][],
  width: number,
  whole: readonly number[] = [],
): Table.Table {
  const colWidths = fitColumns([head, ...rows], width, whole);
  if (colWidths && whole.length) {
    // Outside the whole columns, a word wider than its column is broken across lines, not cut with "…".
    const cut = (w: number, cell: string): string =>
      cell.replace(new RegExp(`[^\\s]{${w + 1},}`, 'g'), (word) =>
        word.match(new RegExp(`.{1,${w}}`, 'g'))!.join('\n'),
      );
    rows = rows.map((r) => r.map((cell, i) => (whole.includes(i) ? cell : cut(Math.max(1, colWidths[i]! - 2), cell))));
  }
  const t = new (loadTable())({
    head: head.map((h) => c.bold(h)),
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    ...(colWidths ? { colWidths, wordWrap: true } : {}),
  });
  for (const r of rows) t.push(r);
  return t;
}

export function renderChecks(checks: Check[], c: ChalkInstance, width = DEFAULT_WIDTH): string {
  if (checks.length === 0) return '';
  // A time column only when some check was timed (soak's and explain-error's never are).
  const timed = checks.some((ch) => ch.durationMs !== undefined);
  const rows = checks.map((ch) => [
    colorStatus(c, ch.status, STATUS_MARK[ch.status]),
    ch.title,
    ...(timed ? [ch.durationMs === undefined ? '' : formatDuration(ch.durationMs)] : []),
    ch.summary ?? '',
  ]);
  return table(['', 'check', ...(timed ? ['time'] : []), 'result'], c, rows, width).toString();
}

/**
 * A value split at spaces into lines of at most `width` visible columns, so the terminal never cuts a number
 * from its unit; a word longer than the line (a sparkline) keeps a line of its own.
 */
export function wrapWords(value: string, width: number): string[] {
  if (visible(value) <= width || value.includes('\n')) return [value];
  // Empty words (runs of spaces, a sparkline's blank columns) are kept: a line breaks only after a visible word.
  // A number keeps its unit on its line ("2 s", "4.93 ms"): a unit word is glued to the number before it.
  const words: string[] = [];
  for (const w of value.split(' ')) {
    const prev = words.at(-1);
    if (prev && /\d$/.test(prev) && /^(ms|µs|s|min|h|d|%|B|KiB|MiB|GiB|×)[),.;:]*$/.test(w))
      words[words.length - 1] = `${prev} ${w}`;
    else words.push(w);
  }
  const [first = '', ...rest] = words;
  const lines: string[] = [];
  let line = first;
  for (const word of rest) {
    if (visible(line) > 0 && word && visible(line) + 1 + visible(word) > width) {
      lines.push(line);
      line = word;
    } else line = `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}

export function renderSection(s: Section, c: ChalkInstance, width = DEFAULT_WIDTH): string {
  const title = wrapWords(s.title, width)
    .map((l) => c.bold(l))
    .join('\n');
  switch (s.kind) {
    case 'table':
      return `${title}\n${table(s.head, c, s.rows, width, s.whole).toString()}`;
    case 'pairs': {
      const keyWidth = Math.max(0, ...s.pairs.map(([k]) => k.length));
      const indent = ' '.repeat(keyWidth + 4);
      return [
        title,
        ...s.pairs.map(([k, v]) =>
          wrapWords(v, width - indent.length)
            .map((line, i) => (i === 0 ? `  ${c.dim(k.padEnd(keyWidth))}  ${line}` : `${indent}${line}`))
            .join('\n'),
        ),
      ].join('\n');
    }
    case 'lines':
      if (s.code) return [title, ...s.lines.map((l) => `  ${l}`)].join('\n');
      return [
        title,
        ...s.lines.map((l) => {
          // continuation lines hang two columns under the line's own indent (a "→ fix" under its cause)
          const lead = ' '.repeat(2 + (l.length - l.trimStart().length));
          return wrapWords(l.trimStart(), width - lead.length - 2)
            .map((w, i) => (i === 0 ? `${lead}${w}` : `${lead}  ${w}`))
            .join('\n');
        }),
      ].join('\n');
  }
}

export function renderText(report: Report, style: TextStyle): string {
  const c = new Chalk({ level: style.colorLevel });
  const parts: string[] = [];
  const head = report.target ? `${report.command} ${report.target.url}` : report.command;
  parts.push(c.bold(`mqtt-doctor ${head}`));
  if (report.insecure)
    parts.push(c.yellow('! TLS verification is OFF (--insecure): the broker identity was not checked'));
  const width = Math.max(60, style.width ?? DEFAULT_WIDTH);
  const checks = renderChecks(report.checks, c, width);
  if (checks) parts.push(checks);
  for (const s of report.view ?? []) parts.push(renderSection(s, c, width));
  const explained = report.checks.filter(
    (ch) => (ch.status === 'fail' || ch.status === 'warn') && (ch.explanation || ch.hint),
  );
  if (explained.length > 0) {
    // Wrapped between words at the terminal width, continuation lines indented under the text they continue.
    const lines = explained.flatMap((ch) => [
      ...wrapWords(`${ch.title}: ${ch.explanation ?? ''}`.trimEnd(), width - 2).map((l, i) =>
        i === 0 ? `${colorStatus(c, ch.status, STATUS_MARK[ch.status])} ${l}` : `  ${l}`,
      ),
      ...(ch.hint ? wrapWords(ch.hint, width - 4).map((l, i) => (i === 0 ? `  ${c.dim('→')} ${l}` : `    ${l}`)) : []),
    ]);
    parts.push(lines.join('\n'));
  }
  const v = report.verdict;
  const status = v.status.toUpperCase();
  // The verdict is the line scripts grep for: wrapped only on a terminal, whole when piped.
  parts.push(
    (style.width === undefined ? [v.summary] : wrapWords(v.summary, width - status.length - 2))
      .map((l, i) => (i === 0 ? `${colorStatus(c, v.status, status)}  ${l}` : `${' '.repeat(status.length + 2)}${l}`))
      .join('\n'),
  );
  return parts.join('\n\n') + '\n';
}
