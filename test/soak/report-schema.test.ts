/**
 * `report` reads files it did not write: torn, hand-edited, from another version. Every well-formed JSON
 * line that does not fit the schema is a bad line, counted and shown, never an internal error (exit 70).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Report } from '../../src/report/model.js';
import type { SoakData } from '../../src/report/build-soak.js';
import { validateSoakEvent } from '../../src/analyze/soak/events.js';
import { runMain as runInProcess } from '../helpers/cli.js';
import { IDLE_RUN_INFO, tempDir } from './helpers.js';

const info = IDLE_RUN_INFO;
const START = { type: 'start', v: 2, t: 1000, runId: 'r', info };
const GOOD = [
  START,
  { type: 'client', t: 1000, client: 0, clientId: 'c0' },
  { type: 'connect', t: 1010, client: 0, attempt: 0, sessionPresent: false, sessionExpected: false },
];

async function report(
  lines: unknown[],
  extra: string[] = [],
): Promise<{ code: number | null; r: Report<SoakData> | undefined; stderr: string }> {
  const file = join(tempDir('mqd-report-schema-'), 'soak.jsonl');
  writeFileSync(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  const out = await runInProcess(['report', file, '--json', ...extra]);
  return {
    code: out.code,
    r: out.stdout ? (JSON.parse(out.stdout) as Report<SoakData>) : undefined,
    stderr: out.stderr,
  };
}

describe('well-formed lines with unexpected content are bad lines, not a crash', () => {
  test.each([
    ['an unknown cause', { type: 'disconnect', t: 2000, client: 0, cause: 'gremlins', detail: 'x' }],
    [
      'a time that is not a number',
      { type: 'connect', t: 'soon', client: 0, attempt: 0, sessionPresent: false, sessionExpected: false },
    ],
    [
      'a negative client',
      { type: 'connect', t: 2000, client: -1, attempt: 0, sessionPresent: false, sessionExpected: false },
    ],
    ['an unknown type', { type: 'party', t: 2000 }],
    ['a checkpoint without a summary', { type: 'checkpoint', t: 2000 }],
    [
      'a checkpoint with a broken summary',
      {
        type: 'checkpoint',
        t: 2000,
        summary: { atMs: 1, startedMs: 1, elapsedMs: 0, clients: 1, perClient: [], connections: {}, messages: {} },
      },
    ],
    ['an end with an unknown reason', { type: 'end', t: 2000, reason: 'boredom', summary: {} }],
    ['JSON that is not an object', '[1,2,3]'],
    ['null', 'null'],
    ['a number', '42'],
  ])('%s', async (_n, line) => {
    const { code, r } = await report([...GOOD, line]);
    expect(code).toBe(0); // exit 0: the rest of the file is a healthy idle run
    expect(r!.data.source!.badLines).toBe(1);
    expect(r!.data.summary.connections.connects).toBe(1);
  });

  test('a start line without settings: not a soak file (exit 2, one line), not exit 70', async () => {
    const { code, stderr } = await report([{ type: 'start', v: 2, t: 1000, runId: 'r' }, GOOD[1], GOOD[2]]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/not a soak file/);
  });

  test('a file from a newer version says so', async () => {
    const { code, stderr } = await report([{ type: 'start', v: 99, t: 1000, runId: 'r', settings: {} }]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/newer mqtt-doctor \(file version 99/);
    const readable = await report([{ ...START, v: 99 }, GOOD[1], GOOD[2]]);
    expect(readable.r!.data.source!.newerVersion).toBe(99);
  });

  test('a bounded fuzz: every field of every good line replaced by odd values never crashes', () => {
    const odd: unknown[] = [null, -1, 1e308, 'x', [], {}, true, Number.NaN];
    let checked = 0;
    for (const line of [
      ...GOOD,
      { type: 'disconnect', t: 2000, client: 0, cause: 'reset', detail: 'x', silentSinceMs: 1500 },
    ]) {
      for (const key of Object.keys(line)) {
        for (const v of odd) {
          const ev = validateSoakEvent({ ...line, [key]: v });
          if (ev !== undefined) expect(typeof ev.t).toBe('number');
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
