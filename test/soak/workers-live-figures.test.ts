/**
 * What a soak worker sends every status period is cheap to build and means the same: the worst-clients rows
 * chosen by key (summary.ts clientRows) are exactly the rows the full sort picked (worstClientRows over a row per
 * client), ties and all. Seeded random fleets; pure.
 */
import { describe, expect, test } from 'vitest';
import { ConnectionTimeline } from '../../src/analyze/soak/connection.js';
import { SeqTracker } from '../../src/analyze/soak/sequence.js';
import { clientRows, worstClientRows } from '../../src/analyze/soak/summary.js';
import { rng } from './shard-fixtures.js';

/** n clients with a few drops, failures and lost messages each (many ties when `calm`). */
function fleet(seed: number, n: number, calm: boolean) {
  const r = rng(seed);
  const t0 = 1_000_000;
  const timelines: ConnectionTimeline[] = [];
  const trackers: SeqTracker[] = [];
  for (let i = 0; i < n; i++) {
    const tl = new ConnectionTimeline(i, t0, 10_000);
    const tr = new SeqTracker(1000, 100);
    let t = t0 + Math.floor(r() * 1000);
    if (!calm && r() < 0.3) tl.connectFailed(t, 'connect-timeout');
    tl.connect((t += 100), false, false);
    const drops = calm ? 0 : Math.floor(r() * 3);
    for (let d = 0; d < drops; d++) {
      tl.disconnect((t += Math.floor(r() * 5000)), 'broker-closed');
      if (r() < 0.8) tl.connect((t += Math.floor(r() * 2000)), false, false);
    }
    const sends = calm ? 0 : Math.floor(r() * 5);
    for (let s = 0; s < sends; s++) {
      const seq = tr.send(t + s);
      if (r() < 0.6) tr.receive(seq, t + s + 5);
    }
    timelines.push(tl);
    trackers.push(tr);
  }
  return { timelines, trackers, now: t0 + 60_000 };
}

describe('clientRows picks the worst rows by key', () => {
  test.each([
    [1, 500, false],
    [2, 500, false],
    [3, 500, true],
    [4, 51, false],
    [5, 50, false],
    [6, 10, true],
  ])(
    'seed %i, %i clients (calm: %s): the same rows, in the same order, as sorting a row per client',
    (seed, n, calm) => {
      const { timelines, trackers, now } = fleet(seed, n, calm);
      const every = clientRows(timelines, trackers, now, 1000, Number.POSITIVE_INFINITY);
      expect(every).toHaveLength(n);
      expect(clientRows(timelines, trackers, now, 1000)).toEqual(worstClientRows(every));
      expect(clientRows(timelines, trackers, now, 1000, 7)).toEqual(worstClientRows(every, 7));
    },
  );
});
