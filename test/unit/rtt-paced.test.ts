/**
 * The rtt-paced finding ("replies wait for the next request") is claimed only on its signature: replies that
 * land just after the next request, while our own process was never held up long enough to explain the figure.
 * A CI machine running three test workers and two type checks made pings read ~30 ms at a 50 ms interval and a
 * healthy embedded broker was called degraded: that is our stall, not the broker's Nagle.
 */
import { describe, expect, test } from 'vitest';
import type { ProbeResult } from '../../src/analyze/probe-events.js';
import { findings, summarizeRtt } from '../../src/analyze/probe.js';

const INTERVAL = 50;

function run(opts: { rttMs: number[]; gapsMs: number[]; selfStallMs: number; b2bMs?: number[] }): ProbeResult {
  return {
    method: 'ping',
    qos: 0,
    clientId: 'c',
    mqttVersion: 4,
    fellBackTo311: false,
    dial: {} as ProbeResult['dial'],
    samples: opts.rttMs.map((rttMs, i) => ({ seq: i + 1, rttMs })),
    interrupted: false,
    backToBack: { samplesMs: opts.b2bMs ?? [0.2, 0.2, 0.25, 0.2, 0.2], lost: 0 },
    trailing: { answered: opts.rttMs.length, gapsMs: opts.gapsMs },
    selfStallMs: opts.selfStallMs,
  };
}

function paced(r: ProbeResult): boolean {
  const rtt = summarizeRtt(r.samples, { backToBackMs: r.backToBack?.samplesMs });
  return findings(r, rtt, 60).some((f) => f.id === 'rtt-paced');
}

describe('rtt-paced', () => {
  const locked = Array.from({ length: 10 }, () => INTERVAL + 0.3);

  test('every reply lands one link RTT after the next request, no stall of ours: the finding', () => {
    expect(paced(run({ rttMs: locked, gapsMs: locked.slice(1).map(() => 0.3), selfStallMs: 1.2 }))).toBe(true);
  });

  test('the same figures with our own process held up for most of an interval: no claim', () => {
    expect(paced(run({ rttMs: locked, gapsMs: locked.slice(1).map(() => 0.3), selfStallMs: 40 }))).toBe(false);
  });

  test('replies slow but not lined up with the next request (a slow broker): no claim', () => {
    const slow = [30, 32, 35, 31, 33, 30, 34, 36, 31, 30];
    expect(paced(run({ rttMs: slow, gapsMs: [], selfStallMs: 1.1 }))).toBe(false);
  });

  test('replies after the next request but far behind it (late, not released by it): no claim', () => {
    const late = Array.from({ length: 10 }, () => INTERVAL + 12);
    expect(paced(run({ rttMs: late, gapsMs: late.slice(1).map(() => 12), selfStallMs: 1 }))).toBe(false);
  });
});
