/**
 * Human rendering: checks table, command sections, verdict line. chalk and cli-table3 live here only.
 * Colour comes from the chalk instance passed in (level 0 under NO_COLOR, --no-color, non-TTY and tests).
 */
import { createRequire } from 'node:module';
import { Chalk, type ChalkInstance } from 'chalk';
import type Table from 'cli-table3';
import type { Check, CheckStatus, Report, Section, VerdictStatus } from './model.js';
import { formatDuration } from '../config/units.js';
import { visible, wrapWords } from './wrap.js';

export { wrapWords };

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

/**
 * A word too long for its column is broken after punctuation (`:` `.` `/` `-` `_` `,` `@` `=`), so an IPv6
 * address, a client id or a path wraps at a group boundary and keeps every character; a run with no such
 * point is split at the width. cli-table3 would cut the word with "…" instead (issue 13).
 */
const BREAK_AFTER = /[^:./\-_,@=]*[:./\-_,@=]?/g;

function pieces(word: string): string[] {
  return (word.match(BREAK_AFTER) ?? []).filter(Boolean);
}

/** `word` (no escape codes) as lines of at most `width` characters, broken after punctuation where it can. */
export function breakWord(word: string, width: number): string[] {
  if (word.length <= width) return [word];
  const lines: string[] = [];
  let line = '';
  for (let piece of pieces(word)) {
    if (line && line.length + piece.length > width) {
      lines.push(line);
      line = '';
    }
    while (piece.length > width) {
      lines.push(line + piece.slice(0, width - line.length));
      piece = piece.slice(width - line.length);
      line = '';
    }
    line += piece;
  }
  if (line) lines.push(line);
  return lines;
}

/** Every word of a cell wider than `width` columns broken into lines (words with escape codes are left alone). */
function breakLongWords(cell: string, width: number): string {
  return cell
    .split('\n')
    .map((l) =>
      l
        .split(' ')
        .map((w) => (w.length > width && !w.includes('\u001b') ? breakWord(w, width).join('\n') : w))
        .join(' '),
    )
    .join('\n');
}

/**
 * Column widths that fit `width`: columns keep their natural width while the table fits; otherwise the widest
 * columns give up space (cell text then wraps) until it does. undefined = no wrapping needed. The steps, each
 * taken only while the table is still too wide, widest column first:
 *   1. every column down to its longest word (at least 10), `whole` columns (addresses) kept at theirs; then
 *      down to its longest word even below 10 (no word breaks yet), then to its longest piece between
 *      punctuation (words break only after `:` `/` `-` …);
 *   2. the other columns down to 10, then to 6 (10 when no column is `whole`): an address stays on one line;
 *   but when that cannot fit even then (an uncompressed IPv6 address at 80 columns), step 2 stops at 10 and
 *   the `whole` columns give way first, down to their longest piece between punctuation (the address wraps
 *   at a `:`), rather than squeezing every other column into a word-breaking sliver.
 * A word wider than its column is then broken by table(), never cut.
 */
export function fitColumns(rows: string[][], width: number, whole: readonly number[] = []): number[] | undefined {
  const n = Math.max(0, ...rows.map((r) => r.length));
  const cellWords = (r: string[], i: number) =>
    (r[i] ?? '').split(/[\s\n]+/).map((w) => w.replace(/\u001b\[[0-9;]*m/g, ''));
  const natural = Array.from(
    { length: n },
    (_, i) => Math.max(1, ...rows.map((r) => Math.max(0, ...(r[i] ?? '').split('\n').map(visible)))) + 2,
  );
  const borders = n + 1;
  let total = natural.reduce((a, b) => a + b, 0) + borders;
  if (total <= width) return undefined;
  const widths = [...natural];
  const longestWord = Array.from(
    { length: n },
    (_, i) => Math.max(1, ...rows.flatMap((r) => cellWords(r, i).map((w) => w.length))) + 2,
  );
  const longestPiece = Array.from(
    { length: n },
    (_, i) => Math.max(1, ...rows.flatMap((r) => cellWords(r, i).flatMap((w) => pieces(w).map((p) => p.length)))) + 2,
  );
  const isWhole = (i: number) => whole.includes(i);
  const low = whole.length ? 6 : 10;
  const keptWhole = (i: number) => (isWhole(i) ? longestWord[i]! : low);
  const fitsWhole = natural.reduce((sum, w, i) => sum + Math.min(w, keptWhole(i)), borders) <= width;
  const broken = (i: number) => (isWhole(i) ? Math.max(10, longestPiece[i]!) : 10);
  for (const floorOf of [
    (i: number) => (isWhole(i) ? longestWord[i]! : Math.max(10, longestWord[i]!)),
    // narrow columns give up their slack too, then words break at their punctuation ("800/1700/" "10000"),
    // before any column has to break a word between two letters
    (i: number) => longestWord[i]!,
    (i: number) => (isWhole(i) ? longestWord[i]! : longestPiece[i]!),
    ...(fitsWhole ? [keptWhole] : [broken, (i: number) => (isWhole(i) ? broken(i) : low)]),
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
  if (colWidths) {
    // A word wider than its column is broken across lines (after punctuation where it can), never cut with "…".
    const fit = (r: string[]) => r.map((cell, i) => breakLongWords(cell, Math.max(1, colWidths[i]! - 2)));
    head = fit(head);
    rows = rows.map(fit);
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
          // Continuation lines hang under the text after a list marker ("• ", "→ ", "1. ", "12. "), else two
          // columns under the line's own indent (a "fix:" line under its cause).
          const lead = ' '.repeat(2 + (l.length - l.trimStart().length));
          const hang = ' '.repeat(/^(?:\d{1,3}[.)]|[•→*-]) /.exec(l.trimStart())?.[0].length ?? 2);
          return wrapWords(l.trimStart(), width - lead.length - hang.length)
            .map((w, i) => (i === 0 ? `${lead}${w}` : `${lead}${hang}${w}`))
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
