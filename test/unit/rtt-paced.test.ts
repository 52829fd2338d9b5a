/**
 * The rtt-paced finding ("replies wait for the next request") is claimed only on its signature: replies that land
 * just after the next request, which itself left on time. A CI machine running three test workers and two type
 * checks made pings read ~30 ms at a 50 ms interval and a healthy embedded broker was called degraded: replies read
 * late because our own process was held up also land just after the next request, but that request left late.
 */
import { describe, expect, test } from 'vitest';
import type { ProbeResult } from '../../src/analyze/probe-events.js';
import { findings, summarizeRtt } from '../../src/analyze/probe.js';

const INTERVAL = 50;

interface Run {
  rttMs: number[];
  /** Per answered probe after the first: the reply's gap after the next request, and that request's lateness. */
  after: Array<{ gapMs: number; sendLateMs: number }>;
  b2bMs?: number[];
}

function result(run: Run): ProbeResult {
  return {
    method: 'ping',
    qos: 0,
    clientId: 'c',
    mqttVersion: 4,
    fellBackTo311: false,
    dial: {} as ProbeResult['dial'],
    samples: run.rttMs.map((rttMs, i) => ({ seq: i + 1, rttMs })),
    interrupted: false,
    backToBack: { samplesMs: run.b2bMs ?? [0.2, 0.2, 0.25, 0.2, 0.2], lost: 0 },
    trailing: { after: run.after },
  };
}

function paced(run: Run): boolean {
  const r = result(run);
  const rtt = summarizeRtt(r.samples, { backToBackMs: r.backToBack?.samplesMs });
  return findings(r, rtt, 60).some((f) => f.id === 'rtt-paced');
}

describe('rtt-paced', () => {
  const locked = Array.from({ length: 10 }, () => INTERVAL + 0.3);
  const each = (gapMs: number, sendLateMs: number) => locked.slice(1).map(() => ({ gapMs, sendLateMs }));

  test('every reply lands one link RTT after the next request, which left on time: the finding', () => {
    expect(paced({ rttMs: locked, after: each(0.3, 0.4) })).toBe(true);
  });

  test('the same figures, but each next request left late (our own process held up): no claim', () => {
    expect(paced({ rttMs: locked, after: each(0.05, 20) })).toBe(false);
  });

  test('replies slow but not lined up with the next request (a slow broker): no claim', () => {
    expect(paced({ rttMs: [30, 32, 35, 31, 33, 30, 34, 36, 31, 30], after: [] })).toBe(false);
  });

  test('replies after the next request but far behind it (late, not released by it): no claim', () => {
    const late = Array.from({ length: 10 }, () => INTERVAL + 12);
    expect(paced({ rttMs: late, after: each(12, 0.3) })).toBe(false);
  });

  test('fewer than half the replies show the signature: no claim', () => {
    const some = [...each(0.3, 0.3).slice(0, 4), ...each(0.05, 25).slice(4)];
    expect(paced({ rttMs: locked, after: some })).toBe(false);
  });
});
