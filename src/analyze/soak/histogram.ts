/**
 * A latency histogram that can be written into a JSONL line, read back and merged: what an HTML report
 * draws per checkpoint window, and what merging the files of several soak shards adds up. Log-linear
 * buckets over microseconds with base 1.02 (relative error at most 2 %), the same scheme as
 * analyze/stats.ts `LatencyHistogram`, but kept sparse and serialisable. Pure.
 */

/** Bucket base: bucket k holds values in (1.02^(k−1), 1.02^k] microseconds; bucket 0 holds ≤ 1 µs. */
export const HISTOGRAM_BASE = 1.02;
const LOG_BASE = Math.log(HISTOGRAM_BASE);

/** The JSON form (field names documented in README, "soak --out file format"). */
export interface SerializedHistogram {
  /** Bucket base (1.02) and unit of the bucket scale ("us"): a reader refuses a scheme it does not know. */
  base: number;
  unit: 'us';
  count: number;
  /** Sum, smallest and largest value, in ms (exact). */
  sumMs: number;
  minMs: number | null;
  maxMs: number | null;
  /** [bucket index, count] pairs, ascending by index, only non-empty buckets. */
  buckets: Array<[number, number]>;
}

export function bucketOf(ms: number): number {
  return ms <= 0.001 ? 0 : Math.ceil(Math.log(ms * 1000) / LOG_BASE);
}

/** Upper bound of bucket `k`, in ms. */
export function bucketUpperMs(k: number): number {
  return k === 0 ? 0.001 : HISTOGRAM_BASE ** k / 1000;
}

export class MergeableHistogram {
  private readonly counts = new Map<number, number>();
  private n = 0;
  private sum = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;

  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const v = Math.max(0, ms);
    const k = bucketOf(v);
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    this.n += 1;
    this.sum += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  get count(): number {
    return this.n;
  }

  /** Add another histogram (or its JSON form) into this one. */
  merge(other: MergeableHistogram | SerializedHistogram): this {
    const s = other instanceof MergeableHistogram ? other.toJSON() : other;
    if (s.base !== HISTOGRAM_BASE || s.unit !== 'us')
      throw new Error(`histogram scheme ${s.base}/${s.unit} is not ${HISTOGRAM_BASE}/us`);
    for (const [k, c] of s.buckets) this.counts.set(k, (this.counts.get(k) ?? 0) + c);
    this.n += s.count;
    this.sum += s.sumMs;
    if (s.minMs !== null && s.minMs < this.lo) this.lo = s.minMs;
    if (s.maxMs !== null && s.maxMs > this.hi) this.hi = s.maxMs;
    return this;
  }

  /** The p-th percentile in ms (the bucket's upper bound, clamped to the exact max); NaN when empty. */
  percentile(p: number): number {
    if (this.n === 0) return Number.NaN;
    const target = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (const k of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(k) ?? 0;
      if (seen >= target) return Math.max(this.lo, Math.min(this.hi, bucketUpperMs(k)));
    }
    return this.hi;
  }

  toJSON(): SerializedHistogram {
    return {
      base: HISTOGRAM_BASE,
      unit: 'us',
      count: this.n,
      sumMs: this.sum,
      minMs: this.n === 0 ? null : this.lo,
      maxMs: this.n === 0 ? null : this.hi,
      buckets: [...this.counts.entries()].sort((a, b) => a[0] - b[0]),
    };
  }

  static from(s: SerializedHistogram): MergeableHistogram {
    return new MergeableHistogram().merge(s);
  }

  reset(): void {
    this.counts.clear();
    this.n = 0;
    this.sum = 0;
    this.lo = Number.POSITIVE_INFINITY;
    this.hi = Number.NEGATIVE_INFINITY;
  }
}
