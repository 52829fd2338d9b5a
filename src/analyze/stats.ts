/**
 * Pure statistics over samples (milliseconds in, milliseconds out). Shared by probe, soak and keepalive-tune.
 */

export interface Summary {
  count: number;
  min: number;
  avg: number;
  max: number;
  /** Population standard deviation, as ping's "mdev" reports. */
  mdev: number;
  p50: number;
  p90: number;
  p99: number;
  /** Mean absolute difference between consecutive samples (RFC 3550 style jitter, without smoothing). */
  jitter: number;
}

/** Linear-interpolated percentile (the "R-7" method numpy and most spreadsheets use). p in [0, 100]. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

export function summarize(samples: readonly number[]): Summary | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const n = samples.length;
  const avg = samples.reduce((s, x) => s + x, 0) / n;
  const variance = samples.reduce((s, x) => s + (x - avg) ** 2, 0) / n;
  let jitterSum = 0;
  for (let i = 1; i < n; i += 1) jitterSum += Math.abs((samples[i] as number) - (samples[i - 1] as number));
  return {
    count: n,
    min: sorted[0] as number,
    avg,
    max: sorted[n - 1] as number,
    mdev: Math.sqrt(variance),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    jitter: n > 1 ? jitterSum / (n - 1) : 0,
  };
}

/** Loss in percent, as ping prints it: 100 × (sent − received) / sent. */
export function lossPct(sent: number, received: number): number {
  return sent === 0 ? 0 : (100 * (sent - received)) / sent;
}

/** ln 1.02, once: `bump` runs per message in a soak (V8 does not fold Math.log of a constant). */
const LOG_1_02 = Math.log(1.02);

/**
 * A bounded-memory latency recorder for long runs (soak): exact below `exactLimit` samples, then a log-linear
 * histogram with ~1% relative error. Percentiles come out in milliseconds.
 */
export class LatencyHistogram {
  private readonly exact: number[] = [];
  private readonly buckets = new Map<number, number>();
  private n = 0;
  private maxSeen = 0;
  private minSeen = Number.POSITIVE_INFINITY;
  private sum = 0;
  constructor(private readonly exactLimit = 10_000) {}

  record(ms: number): void {
    this.n += 1;
    this.sum += ms;
    if (ms > this.maxSeen) this.maxSeen = ms;
    if (ms < this.minSeen) this.minSeen = ms;
    if (this.exact.length < this.exactLimit) {
      this.exact.push(ms);
      if (this.exact.length === this.exactLimit) for (const x of this.exact) this.bump(x);
      return;
    }
    this.bump(ms);
  }

  private bump(ms: number): void {
    // log base 1.02 buckets over microseconds: relative error ≤ 1%.
    const key = ms <= 0.001 ? 0 : Math.ceil(Math.log(ms * 1000) / LOG_1_02);
    this.buckets.set(key, (this.buckets.get(key) ?? 0) + 1);
  }

  get count(): number {
    return this.n;
  }

  get max(): number {
    return this.n === 0 ? Number.NaN : this.maxSeen;
  }

  get min(): number {
    return this.n === 0 ? Number.NaN : this.minSeen;
  }

  get mean(): number {
    return this.n === 0 ? Number.NaN : this.sum / this.n;
  }

  percentile(p: number): number {
    if (this.n === 0) return Number.NaN;
    if (this.n < this.exactLimit)
      return percentile(
        [...this.exact].sort((a, b) => a - b),
        p,
      );
    const target = Math.ceil((p / 100) * this.n);
    let seen = 0;
    for (const key of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(key) ?? 0;
      if (seen >= target) return key === 0 ? 0 : Math.min(this.maxSeen, 1.02 ** key / 1000);
    }
    return this.maxSeen;
  }
}
