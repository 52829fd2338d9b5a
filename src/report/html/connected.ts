/**
 * Connected clients over time from connect (+1) / disconnect (−1) changes: the buckets the page's band and the
 * terminal strip draw, and the lowest count after every client had been up. Pure; imports nothing from the
 * report builders, so build-soak can use it without a cycle.
 */

export interface ConnectedBucket {
  from: number;
  to: number;
  min: number;
  max: number;
  /** Connected at the end of the bucket. */
  last: number;
}

/** Sweep the connect (+1) / disconnect (−1) changes: the most connected at once, and the fewest after all were up. */
export function lowestAfterAll(
  changes: Array<[number, number]>,
  clients: number,
): { lowestAfterAll: { count: number; at: number } | undefined; mostConnected: number } {
  let now = 0;
  let most = 0;
  let low: { count: number; at: number } | undefined;
  for (const [t, d] of [...changes].sort((a, b) => a[0] - b[0])) {
    now += d;
    most = Math.max(most, now);
    if ((low !== undefined || now >= clients) && (low === undefined || now < low.count)) low = { count: now, at: t };
  }
  return { lowestAfterAll: low, mostConnected: most };
}

/** Step series of connected clients, reduced to min / max / last per bucket so a short dip survives downsampling. */
export function connectedBuckets(
  changes: Array<[number, number]>,
  fromMs: number,
  toMs: number,
  buckets: number,
): ConnectedBucket[] {
  const sorted = [...changes].sort((a, b) => a[0] - b[0]);
  const width = (toMs - fromMs) / buckets;
  const out: ConnectedBucket[] = [];
  let now = 0;
  let i = 0;
  for (let b = 0; b < buckets; b += 1) {
    const from = fromMs + b * width;
    const to = b === buckets - 1 ? toMs : from + width;
    let min = now;
    let max = now;
    while (i < sorted.length && (sorted[i]![0] < to || (b === buckets - 1 && sorted[i]![0] <= to))) {
      now += sorted[i]![1];
      min = Math.min(min, now);
      max = Math.max(max, now);
      i += 1;
    }
    out.push({ from, to, min, max, last: now });
  }
  return out;
}
