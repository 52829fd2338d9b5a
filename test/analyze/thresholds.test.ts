/**
 * analyze's `--max-…` gates: what each counts, and a failed one making a healthy capture exit 1 with JUnit. The
 * CLI cases run in-process through main(argv, io): the exit code is main's (test/analyze/cli.test.ts checks
 * analyze's exit statuses as a process).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { checkCaptureThresholds, type GatedConnection } from '../../src/analyze/capture/thresholds.js';
import { runMain } from '../helpers/cli.js';
import { tempDir } from './record.js';
import { healthySession, LINKTYPE, pcapFile, records } from './synth.js';

const conn = (id: number, cause: GatedConnection['cause'], clientId?: string, unanswered = 0): GatedConnection => ({
  id,
  cause,
  severity: cause === 'clean-disconnect' ? 'ok' : cause === 'open' ? 'info' : 'warn',
  ...(clientId ? { clientId } : {}),
  ping: { unanswered },
});
const fleet = [
  conn(1, 'clean-disconnect', 'a'),
  conn(2, 'keepalive-cut', 'a'),
  conn(3, 'idle-reset', 'a', 2),
  conn(4, 'open', 'b', 1),
  conn(5, 'keepalive-cut', 'c'),
];

test.each([
  [{ maxAbnormalCloses: 3 }, 'max-abnormal-closes', 3, true],
  [{ maxAbnormalCloses: 2 }, 'max-abnormal-closes', 3, false],
  [{ maxKeepaliveCuts: 1 }, 'max-keepalive-cuts', 2, false],
  [{ maxUnansweredPings: 3 }, 'max-unanswered-pings', 3, true],
  [{ maxUnansweredPings: 0 }, 'max-unanswered-pings', 3, false],
  [{ maxReconnects: 2 }, 'max-reconnects', 2, true],
  [{ maxReconnects: 1 }, 'max-reconnects', 2, false],
])('%o → %s actual %i, pass %s', (limits, id, actual, pass) => {
  const [r, ...rest] = checkCaptureThresholds(fleet, limits);
  expect(rest).toEqual([]);
  expect(r).toMatchObject({ id, actual, pass });
});

test('no gate given, no result; an empty capture passes every gate with 0', () => {
  expect(checkCaptureThresholds(fleet, {})).toEqual([]);
  const all = checkCaptureThresholds([], { maxAbnormalCloses: 0, maxReconnects: 0, maxUnansweredPings: 0 });
  expect(all.map((r) => [r.actual, r.pass])).toEqual([
    [0, true],
    [0, true],
    [0, true],
  ]);
});

test('a healthy capture with a reconnect: exit 0 without a gate, 1 with --max-reconnects 0, JUnit says why', async () => {
  const dir = tempDir();
  const file = join(dir, 'reconnect.pcap');
  const a = healthySession({ ip: '10.0.0.2', port: 40001 }, { ip: '10.0.0.1', port: 1883 }, 1_764_000_000_000, 'dev');
  const b = healthySession({ ip: '10.0.0.2', port: 40002 }, { ip: '10.0.0.1', port: 1883 }, 1_764_000_005_000, 'dev');
  writeFileSync(file, pcapFile(LINKTYPE.ethernet, records('ethernet', [...a.segs, ...b.segs])));
  expect((await runMain(['analyze', file])).code).toBe(0);
  const junit = join(dir, 'analyze.xml');
  const r = await runMain([
    'analyze',
    file,
    '--json',
    '--max-reconnects',
    '0',
    '--max-keepalive-cuts',
    '0',
    '--junit',
    junit,
  ]);
  expect(r.code).toBe(1);
  const doc = JSON.parse(r.stdout) as {
    verdict: { summary: string };
    data: { thresholds: Array<{ id: string; actual: number; pass: boolean }> };
  };
  expect(doc.data.thresholds).toEqual([
    expect.objectContaining({ id: 'max-keepalive-cuts', actual: 0, pass: true }),
    expect.objectContaining({ id: 'max-reconnects', actual: 1, pass: false }),
  ]);
  expect(doc.verdict.summary).toContain('--max-reconnects');
  const xml = readFileSync(junit, 'utf8');
  expect(xml).toMatch(/classname="mqtt-doctor\.analyze\.threshold\.max-reconnects"[^>]*>\s*<failure/);
  expect(xml).not.toMatch(/threshold\.max-keepalive-cuts"[^>]*>\s*<failure/);
  const bad = await runMain(['analyze', file, '--max-reconnects', '1.5']);
  expect(bad.code).toBe(2);
});
