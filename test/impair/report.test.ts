import { describe, expect, test } from 'vitest';
import {
  buildImpairReport,
  buildProfilesReport,
  formatImpairEvent,
  impairEventJson,
} from '../../src/report/build-impair.js';
import { parseImpairSpec } from '../../src/config/impair.js';
import { parseTarget } from '../../src/config/target.js';
import type { ImpairEvent } from '../../src/lab/impair/proxy.js';

describe('event lines', () => {
  test.each<[ImpairEvent, string]>([
    [{ type: 'opened', conn: 1, atMs: 12.5, detail: '127.0.0.1:5000' }, '  0.013 s  #1 opened from 127.0.0.1:5000'],
    [
      { type: 'mapping-expired', conn: 2, atMs: 31_000, idleMs: 30_000, mode: 'drop' },
      ' 31.000 s  #2 mapping expired after 30.0 s idle: bytes now vanish silently',
    ],
    [{ type: 'reset', conn: 2, atMs: 1000, reason: 'nat-idle' }, '  1.000 s  #2 reset (nat-idle)'],
    [
      { type: 'reset', conn: 3, atMs: 1000, reason: 'peer', detail: 'target ECONNREFUSED' },
      '  1.000 s  #3 reset (passed on from target ECONNREFUSED)',
    ],
    [{ type: 'blackholed', conn: 4, atMs: 60_000 }, ' 60.000 s  #4 blackholed: bytes now vanish silently'],
    [
      { type: 'hung', conn: 5, atMs: 0, detail: 'h:1' },
      '  0.000 s  #5 hung (outage): accepted from h:1, never forwarded',
    ],
    [{ type: 'refused', conn: 6, atMs: 0, detail: 'h:1' }, '  0.000 s  #6 refused (outage) from h:1'],
    [
      { type: 'closed', conn: 7, atMs: 2000, durationMs: 1500, bytesUp: 10, bytesDown: 20 },
      '  2.000 s  #7 closed after 1.50 s, 10 B up, 20 B down',
    ],
    [
      { type: 'outage-start', atMs: 60_000, untilMs: 80_000, mode: 'refuse' },
      ' 60.000 s  outage until 1m 20s: new connections refused',
    ],
    [{ type: 'outage-end', atMs: 80_000 }, ' 80.000 s  outage over: accepting connections again'],
    [{ type: 'error', atMs: 1, detail: 'listener: boom' }, '  0.001 s  error: listener: boom'],
  ])('%j', (e, line) => {
    expect(formatImpairEvent(e)).toBe(line);
  });

  test('JSON lines keep `type` and round every ms field', () => {
    const e: ImpairEvent = { type: 'closed', conn: 1, atMs: 1.23456, durationMs: 9.87654, bytesUp: 1, bytesDown: 2 };
    expect(impairEventJson(e)).toBe('{"type":"closed","conn":1,"atMs":1.2,"durationMs":9.9,"bytesUp":1,"bytesDown":2}');
  });
});

describe('buildImpairReport', () => {
  const base = {
    listen: { host: '127.0.0.1', port: 1884 },
    target: parseTarget('mqtt://dev:s3cret@broker.local:1883'),
    faults: parseImpairSpec('4g'),
    counters: { opened: 2, closed: 2 },
    startedAt: new Date('2026-01-01T00:00:00Z'),
    finishedAt: new Date('2026-01-01T00:01:00Z'),
    version: '0.0.0',
  };
  test.each([
    ['duration', 'ok', 0],
    ['signal', 'interrupted', 130],
    ['error', 'failed', 70],
  ] as const)('stopped by %s → %s, exit %s', (stoppedBy, status, exitCode) => {
    const r = buildImpairReport({ ...base, stoppedBy });
    expect(r.verdict).toMatchObject({ status, exitCode });
    expect(JSON.stringify(r)).not.toContain('s3cret');
    expect(r.data.description).toBe('4g: latency 30.0 ms ±15.0 ms each way, nat-idle 5m 00s (drop)');
  });

  test.each([
    [0.2, 'pass'],
    [12, 'warn'],
  ] as const)('release lateness p99 %s ms → %s', (p99Ms, status) => {
    const r = buildImpairReport({
      ...base,
      stoppedBy: 'duration',
      lateness: { releases: 10, p50Ms: 0.1, p99Ms, maxMs: p99Ms },
    });
    expect(r.checks.find((c) => c.id === 'impair.timing')?.status).toBe(status);
  });

  test('profiles report lists profiles and middleboxes with sources', () => {
    const r = buildProfilesReport('0.0.0', new Date(0));
    expect(r.view?.map((s) => s.title)).toEqual([
      'Network profiles (--profile NAME; one-way latency = typical RTT / 2)',
      'Middleboxes (combine: --profile 4g+aws-nat, or --impair 4g,aws-nat)',
      'Sources',
    ]);
  });
});
