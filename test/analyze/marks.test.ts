/**
 * The bounded packet-mark log: the first and last packets exactly, every other one counted in a bucket, and the
 * counts adding up to the packets seen, whatever the connection's length.
 */
import { expect, test } from 'vitest';
import { MARK_BUCKETS, MARK_HEAD, MARK_TAIL, MarkLog, markSide, markType } from '../../src/analyze/capture/marks.js';

/** n packets, `stepMs` apart, alternating client publish / server puback. */
function run(n: number, stepMs: number): { log: MarkLog; times: number[] } {
  const log = new MarkLog();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = 1_000_000 + i * stepMs;
    times.push(t);
    log.add(t, i % 2 ? 'puback' : 'publish', i % 2 ? 'server' : 'client');
  }
  return { log, times };
}

test.each([
  [0, 1],
  [1, 1],
  [MARK_HEAD, 5],
  [MARK_HEAD + MARK_TAIL, 5],
  [MARK_HEAD + MARK_TAIL + 1, 5],
  [1000, 0.5],
  [100_000, 1000],
])('%i packets %f ms apart: head and tail exact, the middle counted', (n, step) => {
  const { log, times } = run(n, step);
  const m = log.finish();
  expect(m.total).toBe(n);
  const listed = Math.min(n, MARK_HEAD + MARK_TAIL);
  expect(m.atMs.length).toBe(listed);
  const expected = n <= MARK_HEAD + MARK_TAIL ? times : [...times.slice(0, MARK_HEAD), ...times.slice(n - MARK_TAIL)];
  expect(Array.from(m.atMs)).toEqual(expected);
  for (let i = 0; i < listed; i++) {
    const k = n <= MARK_HEAD + MARK_TAIL || i < MARK_HEAD ? i : n - MARK_TAIL + (i - MARK_HEAD);
    expect(markType(m.code[i]!)).toBe(k % 2 ? 'puback' : 'publish');
    expect(markSide(m.code[i]!)).toBe(k % 2 ? 'server' : 'client');
  }
  if (n <= MARK_HEAD + MARK_TAIL) {
    expect(m.middle).toBeUndefined();
    return;
  }
  const mid = m.middle!;
  const sum = (a: Uint32Array): number => a.reduce((x, y) => x + y, 0);
  expect(sum(mid.client) + sum(mid.server)).toBe(n - listed);
  expect(mid.client.length).toBeLessThanOrEqual(MARK_BUCKETS);
  // Every middle packet sits in the bucket its time says.
  expect(mid.fromMs).toBe(times[MARK_HEAD]);
  const perBucket = new Array<number>(mid.client.length).fill(0);
  for (const t of times.slice(MARK_HEAD, n - MARK_TAIL)) perBucket[Math.floor((t - mid.fromMs) / mid.bucketMs)]!++;
  expect(Array.from(mid.client, (c, k) => c + mid.server[k]!)).toEqual(perBucket);
});
