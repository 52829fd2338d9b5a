/**
 * explain-error reads hostile text: no pattern may backtrack, the work must grow linearly with the input, binary
 * input is refused, and Ctrl-C / SIGTERM ends a long read with the report gathered so far.
 * Growth is measured as a ratio of two sizes in the same run (the best of several runs each), never as an
 * absolute time.
 */
import { spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { explainText, MAX_EXPLAIN_CHARS, NOISE } from '../../src/analyze/explain.js';
import { analyzeLog, CLIENT_ID_RES } from '../../src/analyze/log-timeline.js';
import { CATALOG } from '../../src/kb/catalog.js';
import { EMITTERS } from '../../src/kb/emitters.js';
import { NUMBER_CONTEXT, PACKET_WORDS } from '../../src/kb/numbering.js';
import { ALIASES } from '../../src/kb/field-errors.js';
import { BIN, runCli } from '../helpers/cli.js';

/**
 * What makes a regular expression backtrack badly, found in its source:
 * - a quantified group that itself contains an unbounded quantifier, `(a+)+`, `(\w*\s?)*` (exponential);
 * - an unbounded `.`, `[^…]` or `\S` run followed by more pattern, `a.*b` (quadratic over many starts):
 *   such runs must have an upper bound (`.{0,200}`) unless they end the pattern.
 */
export function backtrackRisks(source: string): string[] {
  const risks: string[] = [];
  // Each open group: does it contain an unbounded quantifier?
  const stack: boolean[] = [];
  let i = 0;
  let lastAtomBroad = false;
  let lastGroupUnbounded = false;
  const quantAt = (j: number): { unbounded: boolean; len: number } | undefined => {
    const c = source[j];
    if (c === '*' || c === '+') return { unbounded: true, len: source[j + 1] === '?' ? 2 : 1 };
    if (c === '?') return { unbounded: false, len: 1 };
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}\??/.exec(source.slice(j));
      if (m) return { unbounded: m[2] !== undefined && m[3] === '', len: m[0].length };
    }
    return undefined;
  };
  const restIsEnd = (j: number) => /^(\)|\$|\\b)*$/.test(source.slice(j));
  while (i < source.length) {
    const c = source[i];
    let atomEnd = i + 1;
    let broad = false;
    let closedGroup = false;
    if (c === '\\') {
      atomEnd = i + 2;
      broad = source[i + 1] === 'S';
    } else if (c === '[') {
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      broad = source[i + 1] === '^';
      atomEnd = j + 1;
    } else if (c === '(') {
      stack.push(false);
      i +=
        source[i + 1] === '?'
          ? source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!'
            ? source.indexOf('>', i) + 1 - i
            : 3
          : 1;
      continue;
    } else if (c === ')') {
      lastGroupUnbounded = stack.pop() ?? false;
      closedGroup = true;
    } else if (c === '.') {
      broad = true;
    }
    const q = quantAt(atomEnd);
    if (q) {
      if (closedGroup && lastGroupUnbounded && (q.unbounded || /^\{\d+,\d{2,}\}/.test(source.slice(atomEnd))))
        risks.push(`nested quantifier before ${atomEnd}`);
      // A run that stops at a character it cannot contain (\S+ before a space, [^)]* before ')') cannot
      // backtrack past it, so it is safe; other unbounded broad runs followed by more pattern are not.
      const after = source.slice(atomEnd + q.len);
      const stopsAt =
        (c === '\\' && /^( |\\s)/.test(after)) ||
        (c === '[' && source[i + 1] === '^' && after.startsWith(source.slice(i + 2, atomEnd - 1).replace(/^\\/, '')));
      if (broad && q.unbounded && !restIsEnd(atomEnd + q.len) && !stopsAt) risks.push(`unbounded broad run at ${i}`);
      if (q.unbounded && stack.length) stack[stack.length - 1] = true;
      if (closedGroup && lastGroupUnbounded && stack.length) stack[stack.length - 1] = true;
      i = atomEnd + q.len;
    } else {
      if (closedGroup && lastGroupUnbounded && stack.length) stack[stack.length - 1] = true;
      i = atomEnd;
    }
    lastAtomBroad = broad;
  }
  void lastAtomBroad;
  return risks;
}

const ALL_PATTERNS: Array<[string, RegExp]> = [
  ...CATALOG.flatMap((e) => (e.patterns ?? []).map((re): [string, RegExp] => [e.id, re])),
  ...EMITTERS.flatMap((e) => e.shapes.map(([re]): [string, RegExp] => [`emitter ${e.id}`, re])),
  ...NUMBER_CONTEXT.map(([re]): [string, RegExp] => ['number context', re]),
  ...PACKET_WORDS.map(([re]): [string, RegExp] => ['packet words', re]),
  ...ALIASES.map(([id, re]): [string, RegExp] => [`alias ${id}`, re]),
  ...NOISE.map((re): [string, RegExp] => ['noise', re]),
  ...CLIENT_ID_RES.map((re): [string, RegExp] => ['client id', re]),
];

describe('no pattern run over user text can backtrack badly', () => {
  test('the checker finds the classic shapes', () => {
    expect(backtrackRisks('(a+)+$')).not.toEqual([]);
    expect(backtrackRisks('(\\w*\\s?)*x')).not.toEqual([]);
    expect(backtrackRisks('mqttjs.*reconnect')).not.toEqual([]);
    expect(backtrackRisks('Client \\S+ disconnected: [A-Za-z][^.]*\\.')).not.toEqual([]);
    expect(backtrackRisks('mqttjs.{0,200}reconnect')).toEqual([]);
    expect(backtrackRisks('Client \\S{1,256} has exceeded')).toEqual([]);
    expect(backtrackRisks('error: (.*)$')).toEqual([]);
  });
  test(`${ALL_PATTERNS.length} catalogue, emitter and context patterns`, () => {
    const bad = ALL_PATTERNS.map(([id, re]) => [id, re.source, backtrackRisks(re.source)] as const).filter(
      ([, , r]) => r.length > 0,
    );
    expect(bad).toEqual([]);
  });
});

/** CPU time of this process so far (user + system), ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Best of `runs` timings of f, in ms of this process's CPU time: the work f did, not the time it waited for a CPU
 * (wall time on a loaded machine once read a ×4 input's time as ×6.5 in every one of five rounds).
 */
function bestMs(f: () => void, runs = 5): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = cpuMs();
    f();
    best = Math.min(best, cpuMs() - t0);
  }
  return best;
}

/**
 * Time of f(big) / time of f(small), robust on a loaded machine. Each timing repeats f enough times to last
 * ~40 ms at the small size; each round times both sizes back to back and gives one ratio; the smallest ratio of
 * five rounds is kept. Noise (a garbage collection, the cache) only ever inflates a round, while superlinear work
 * (×16 for a quadratic step at ×4 input) shows in every round, so the minimum separates the two.
 */
function growth<T>(f: (x: T) => void, small: T, big: T): number {
  const timed = (x: T, reps: number) =>
    bestMs(() => {
      for (let i = 0; i < reps; i++) f(x);
    }, 1);
  f(small);
  f(big);
  let reps = 1;
  while (timed(small, reps) < 40 && reps < 4096) reps *= 2;
  let best = Infinity;
  for (let round = 0; round < 5; round++) best = Math.min(best, timed(big, reps) / timed(small, reps));
  return best;
}

/** Literal text of every catalogue pattern, run together: input shaped to reach deep into many patterns. */
const LITERALS = CATALOG.flatMap((e) =>
  (e.patterns ?? []).map((p) => p.source.replace(/\\[bBdDsSwW]|[\\^$()[\]{}?*+|]/g, '').slice(0, 24)),
).join(' ');

const HOSTILE: Array<[string, (n: number) => string]> = [
  ['repeated name', (n) => 'ECONNRESET '.repeat(Math.ceil(n / 11))],
  ['host:port after a long dotted run', (n) => 'a.'.repeat(n / 2) + ':1883'],
  ['many numbers', (n) => '1 '.repeat(n / 2)],
  ['a pattern prefix repeated', (n) => 'mqttjs '.repeat(Math.ceil(n / 7))],
  ['a broker line prefix repeated', (n) => 'Client x '.repeat(Math.ceil(n / 9))],
  ['catalogue literals', (n) => LITERALS.repeat(Math.ceil(n / LITERALS.length)).slice(0, n)],
  ['colons and digits', (n) => ':1'.repeat(n / 2)],
  ['brackets', (n) => '[0'.repeat(n / 2)],
  ['erlang pids', (n) => '<0.1.0> '.repeat(Math.ceil(n / 8))],
];

describe('work grows linearly with the input (×4 input → ≤ ×5 time, same run)', () => {
  // Sizes below the read limit, so the real algorithm is measured, not the limit.
  const small = MAX_EXPLAIN_CHARS / 4;
  test.each(HOSTILE)('one line: %s', (_name, make) => {
    expect(growth((t: string) => explainText(t), make(small), make(small * 4))).toBeLessThanOrEqual(5);
  });
  test('a line past the read limit costs no more than the limit', () => {
    const long = 'ECONNRESET '.repeat(100_000);
    const ex = explainText(long);
    expect(ex.truncatedFrom).toBe(long.trim().length);
    expect(ex.candidates[0]?.entry.id).toBe('errno.ECONNRESET');
    const atLimit = bestMs(() => explainText(long.slice(0, MAX_EXPLAIN_CHARS)), 3);
    expect(bestMs(() => explainText(long), 3) / Math.max(atLimit, 0.5)).toBeLessThanOrEqual(2);
  });
  test('log mode: 4× the lines → ≤ 5× the time', () => {
    const lines = (n: number) =>
      Array.from({ length: n }, (_, i) => {
        const t = 1_700_000_000 + i;
        const id = `dev-${i % 500}`;
        return i % 10 === 0
          ? `${t}: Client ${id} has exceeded timeout, disconnecting.`
          : i % 3
            ? `${t}: Received PINGREQ from ${id}`
            : `${t}: Sending PINGRESP to ${id}`;
      }).join('\n');
    expect(growth((t: string) => analyzeLog(t), lines(5000), lines(20000))).toBeLessThanOrEqual(5);
  });
});

describe('bounded memory in log mode', () => {
  test('clients past the tracked maximum are counted, not followed', () => {
    const n = 10_050;
    const log = Array.from(
      { length: n },
      (_, i) => `${1_700_000_000 + i}: New client connected from 10.0.0.1:1 as c${i} (p2, c1, k60).`,
    ).join('\n');
    const a = analyzeLog(log);
    expect(a.recognised).toBe(n);
    expect(a.untrackedClients).toBe(50);
  });
});

describe('binary input and signals', () => {
  test('200 random bytes are refused with one line, exit 2', async () => {
    // A fixed pseudo-random sequence (LCG), so the case is the same every run.
    let x = 12345;
    const bytes = Buffer.from(
      Array.from({ length: 200 }, () => ((x = (x * 1103515245 + 12345) % 2 ** 31), x >> 16) & 0xff),
    );
    const r = await runCliBytes(['explain-error'], bytes);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')[0]).toBe('mqtt-doctor: stdin is binary, not text');
  });
  test('a text log with a few binary lines is read; the binary lines are counted and skipped', async () => {
    const log = [
      '1700000000: Client a has exceeded timeout, disconnecting.',
      '\u0000\u0001\u0002garbage\u0003\u0004',
      '1700000001: Client b has exceeded timeout, disconnecting.',
    ].join('\n');
    const r = await runCli(['explain-error', '--json'], { input: log });
    const doc = JSON.parse(r.stdout) as { data: { binaryLines: number; recognised: number } };
    expect(doc.data).toMatchObject({ binaryLines: 1, recognised: 2 });
  });
  test('SIGTERM while reading a log that never ends: exit 130 with the lines read so far', async () => {
    const child = spawn(process.execPath, [BIN, 'explain-error', '--json'], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const line = '1700000000: Client dev-1 has exceeded timeout, disconnecting.\n';
    const block = line.repeat(2000);
    // Write until the pipe is full (the child is reading), then signal; stdin stays open, so only the signal
    // can end the run.
    let written = 0;
    while (child.stdin.write(block)) written++;
    await new Promise<void>((r) => child.stdin.once('drain', () => r()));
    child.stdin.write(block);
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000).unref());
    const code = await Promise.race([exited, timeout]);
    if (code === 'timeout') child.kill('SIGKILL');
    expect(code).toBe(130);
    const doc = JSON.parse(stdout) as { verdict: { status: string }; data: { interrupted: boolean; lines: number } };
    expect(doc.verdict.status).toBe('interrupted');
    expect(doc.data.interrupted).toBe(true);
    expect(doc.data.lines).toBeGreaterThan(0);
    expect(written).toBeGreaterThanOrEqual(0);
  }, 30_000);
});

function runCliBytes(args: string[], input: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('timeout'))), 20_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
    child.stdin.end(input);
  });
}
