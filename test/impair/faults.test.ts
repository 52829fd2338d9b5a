import { describe, expect, test } from 'vitest';
import {
  connectionFates,
  natDecision,
  newLinkState,
  outageAt,
  outageTransitions,
  pieceBytes,
  planChunk,
  type LinkFaults,
} from '../../src/lab/impair/faults.js';
import { noFaults } from '../../src/config/impair.js';

/** random() that replays the given values in turn. */
function scripted(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

const plan = (link: LinkFaults, chunks: Array<[atMs: number, bytes: number]>, random = scripted(0.5)) => {
  let state = newLinkState();
  const out: number[] = [];
  for (const [at, bytes] of chunks) {
    const r = planChunk(state, link, at, bytes, random);
    state = r.state;
    out.push(...r.pieces.map((p) => p.releaseMs));
  }
  return out;
};

describe('planChunk', () => {
  test.each([
    ['no faults: released on arrival', { latencyMs: 0, jitterMs: 0 }, [[5, 10]], [5]],
    [
      'latency shifts each chunk',
      { latencyMs: 50, jitterMs: 0 },
      [
        [0, 10],
        [10, 10],
      ],
      [50, 60],
    ],
    ['jitter 0.5 → midpoint, no change', { latencyMs: 50, jitterMs: 10 }, [[0, 1]], [50]],
  ] as Array<[string, LinkFaults, Array<[number, number]>, number[]]>)('%s', (_name, link, chunks, want) => {
    expect(plan(link, chunks)).toEqual(want);
  });

  test.each([
    // random 0 → −jitter, 1 → +jitter (just under 1)
    ['minimum jitter', 0, 40],
    ['maximum jitter', 0.999999, 59.99998],
  ])('%s', (_n, r, want) => {
    const [release] = plan({ latencyMs: 50, jitterMs: 10 }, [[0, 1]], scripted(r));
    expect(release).toBeCloseTo(want, 3);
  });

  test('jitter never reorders: a later chunk waits for an earlier, slower one', () => {
    // First chunk gets +10 ms, second −10 ms: the second would overtake, so it is held to the first's time.
    const releases = plan(
      { latencyMs: 50, jitterMs: 10 },
      [
        [0, 1],
        [1, 1],
      ],
      scripted(0.999999, 0),
    );
    expect(releases[1]).toBeGreaterThanOrEqual(releases[0] ?? Infinity);
  });

  test('delays are clamped at zero when jitter exceeds latency', () => {
    expect(plan({ latencyMs: 1, jitterMs: 10 }, [[100, 1]], scripted(0))).toEqual([100]);
  });

  test('stall adds its delay on the chosen share of chunks and keeps order', () => {
    // pct 50: random 0.2 → 20 < 50 stalls, 0.8 → 80 does not.
    const link: LinkFaults = { latencyMs: 10, jitterMs: 0, stall: { pct: 50, ms: 300 } };
    const releases = plan(
      link,
      [
        [0, 1],
        [1, 1],
        [2, 1],
      ],
      scripted(0.2, 0.8, 0.8),
    );
    expect(releases).toEqual([310, 310, 310]);
  });

  test('bandwidth: serialization time adds up and pieces queue behind each other', () => {
    // 8 kbit/s = 1 byte per ms; piece size is the 1460-byte floor.
    const link: LinkFaults = { latencyMs: 0, jitterMs: 0, bandwidthBps: 8000 };
    const releases = plan(link, [[0, 3000]]);
    expect(releases).toEqual([1460, 2920, 3000]);
  });

  test('bandwidth: 1 MiB at 8 Mbit/s ends after 1048.576 ms plus latency', () => {
    const link: LinkFaults = { latencyMs: 20, jitterMs: 0, bandwidthBps: 8e6 };
    const releases = plan(
      link,
      Array.from({ length: 16 }, () => [0, 65536] as [number, number]),
    );
    expect(releases.at(-1)).toBeCloseTo(1048.576 + 20, 6);
  });

  test.each([
    [undefined, Infinity],
    [8000, 1460],
    [8e6, 10_000],
    [1e9, 65_536],
  ])('pieceBytes(%s) = %s', (bps, want) => {
    expect(pieceBytes(bps)).toBe(want);
  });
});

describe('outages', () => {
  const windows = [
    { atMs: 1000, durationMs: 500 },
    { atMs: 5000, durationMs: 1000 },
  ];
  test.each([
    [999, false],
    [1000, true],
    [1499, true],
    [1500, false],
    [5500, true],
    [6000, false],
  ])('at %s ms down=%s', (t, down) => {
    expect(outageAt(windows, t) !== undefined).toBe(down);
  });

  test('overlapping windows merge into one transition pair', () => {
    const tr = outageTransitions([
      { atMs: 100, durationMs: 100 },
      { atMs: 150, durationMs: 100 },
      { atMs: 400, durationMs: 10 },
    ]);
    expect(tr.map((t) => [t.atMs, t.down])).toEqual([
      [100, true],
      [250, false],
      [400, true],
      [410, false],
    ]);
  });
});

describe('natDecision', () => {
  test.each([
    ['idle less than T', 0, false, 1000, 999, 'alive'],
    ['idle exactly T', 0, false, 1000, 1000, 'expired'],
    ['in flight counts as activity', 0, true, 1000, 5000, 'alive'],
  ] as const)('%s', (_n, last, inFlight, t, now, want) => {
    expect(natDecision(last, inFlight, t, now).kind).toBe(want);
  });

  test('alive flows are checked again when they would expire', () => {
    expect(natDecision(200, false, 1000, 500)).toEqual({ kind: 'alive', checkAgainAtMs: 1200 });
  });
});

test('connectionFates are relative to the open and sorted', () => {
  const f = { ...noFaults(), blackholeAfterMs: 5000, resetAfterMs: 2000 };
  expect(connectionFates(f, 100)).toEqual([
    { atMs: 2100, kind: 'reset' },
    { atMs: 5100, kind: 'blackhole' },
  ]);
});
