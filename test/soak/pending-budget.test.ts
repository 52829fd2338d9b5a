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

  test.each([1, 10, 10_000, 200_000])(
    'the whole run stays within the budget (or 64 a client): %i clients at 1/s',
    (clients) => {
      expect(clients * pendingCapPerClient(clients, 1, 10_000)).toBeLessThanOrEqual(
        Math.max(PENDING_BUDGET, clients * 64),
      );
    },
  );
});

test('a tracker with a small cap keeps at most the cap pending, with exact sent and lost counts', () => {
  const tr = new SeqTracker(10_000, 5);
  for (let i = 0; i < 50; i += 1) tr.send(i * 1000);
  tr.receive(49, 49_500);
  expect(tr.pendingCount).toBeLessThanOrEqual(5);
  expect(tr.counts(60_000, 0)).toMatchObject({ sent: 50, received: 1, lost: 49 });
});

describe('a message written off at the cap that arrives after all', () => {
  // Ground truth by construction: cap 5, 20 messages sent; which ones were sent offline / in flight at the
  // disconnect is known, and every one of them then arrives once. A written-off message that arrives is
  // received (late), not lost and not a duplicate; a second copy of it is a duplicate.
  test.each([
    [
      'sent online, all arrive after the write-off (60 s after sending: all late)',
      false,
      false,
      { received: 20, lost: 0, duplicates: 0, late: 20 },
    ],
    [
      'queued offline (--publish-offline), all arrive after the reconnect',
      true,
      false,
      { received: 20, lost: 0, duplicates: 0, sentOffline: 20, deliveredOffline: 20 },
    ],
    [
      'in flight at a disconnect, all recovered',
      false,
      true,
      { received: 20, lost: 0, duplicates: 0, inflightAtDisconnect: 20, recoveredAfterReconnect: 20 },
    ],
  ] as const)('%s', (_n, offline, disconnectAfter, want) => {
    const tr = new SeqTracker(10_000, 5);
    for (let i = 0; i < 20; i += 1) {
      tr.send(i, offline);
      // the disconnect sees what is still tracked one by one and what was written off
      if (disconnectAfter && i === 19) tr.disconnected();
    }
    const kinds = Array.from({ length: 20 }, (_, seq) => tr.receive(seq, 60_000));
    expect(kinds.filter((k) => k === 'duplicate')).toEqual([]);
    expect(tr.counts(60_000, 0)).toMatchObject(want);
    expect(tr.receive(3, 60_001)).toBe('duplicate');
    expect(tr.counts(60_001, 0)).toMatchObject({ received: 20, duplicates: 1, lost: 0 });
  });

  test('arrivals from the middle of a written-off run split it and are each counted once', () => {
    const tr = new SeqTracker(10_000, 5);
    for (let i = 0; i < 20; i += 1) tr.send(i);
    const order = [7, 3, 14, 0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19];
    expect(order.map((seq) => tr.receive(seq, 60_000)).filter((k) => k === 'duplicate')).toEqual([]);
    expect(tr.counts(60_000, 0)).toMatchObject({ received: 20, lost: 0, duplicates: 0 });
    expect(tr.writtenOffRanges).toBe(0);
  });

  test('a long total loss is one range, whatever its length', () => {
    const tr = new SeqTracker(10_000, 5);
    for (let i = 0; i < 100_000; i += 1) tr.send(i);
    expect(tr.writtenOffRanges).toBe(1);
    expect(tr.counts(200_000, 0)).toMatchObject({ sent: 100_000, lost: 100_000 });
  });
});
