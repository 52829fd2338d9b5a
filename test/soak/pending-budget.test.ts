/**
 * Memory over days: a broker that takes every publish and routes none back (a broken bridge, an ACL changed
 * under a running fleet) leaves every message pending. The per-client cap must shrink with the fleet so the
 * whole run stays bounded, while counts stay exact and the cap still covers the loss grace at the rate.
 */
import { describe, expect, test } from 'vitest';
import { MAX_PENDING, PENDING_BUDGET, SeqTracker, pendingCapPerClient } from '../../src/analyze/soak/sequence.js';

describe('pending cap per client', () => {
  test.each([
    // clients, rate/s, loss grace ms → cap
    [1, 1, 10_000, MAX_PENDING],
    [10, 1, 10_000, MAX_PENDING],
    [100, 1, 10_000, PENDING_BUDGET / 100],
    [10_000, 1, 10_000, PENDING_BUDGET / 10_000],
    [200_000, 1, 10_000, 64],
    // a fast rate keeps at least 4 × the messages sent within the grace
    [10_000, 100, 10_000, 4000],
  ])('%i clients at %i/s, grace %i ms → %i', (clients, rate, grace, want) => {
    expect(pendingCapPerClient(clients, rate, grace)).toBe(want);
  });

  test.each([1, 10, 10_000, 200_000])('the whole run stays within the budget (or 64 a client): %i clients at 1/s', (clients) => {
    expect(clients * pendingCapPerClient(clients, 1, 10_000)).toBeLessThanOrEqual(Math.max(PENDING_BUDGET, clients * 64));
  });
});

test('a tracker with a small cap keeps at most the cap pending, with exact sent and lost counts', () => {
  const tr = new SeqTracker(10_000, 5);
  for (let i = 0; i < 50; i += 1) tr.send(i * 1000);
  tr.receive(49, 49_500);
  expect(tr.pendingCount).toBeLessThanOrEqual(5);
  expect(tr.counts(60_000, 0)).toMatchObject({ sent: 50, received: 1, lost: 49 });
});
