/**
 * Is the measuring machine the bottleneck? soak samples its own event-loop delay and CPU once a second
 * (measure side: measure/soak/loop-gaps.ts, process.cpuUsage); this tracker marks the seconds when
 * either was over its bound and counts the failures that happened inside them, so a stall of our own process
 * (timers firing late: CONNACK and keepalive timeouts we caused) is not reported as the broker's or the
 * network's doing. Pure: samples and failure times come in as numbers (ms).
 */

/** Event-loop delay above this in a sample window means our own timers ran late by about as much. */
export const LOOP_DELAY_BOUND_MS = 200;
/** CPU of this process above this share of one core: JavaScript is single-threaded, so it is saturated. */
export const CPU_BOUND_PCT = 95;

export interface SaturationSample {
  /** End of the sample window (wall clock ms). */
  atMs: number;
  /** Length of the window, ms. */
  windowMs: number;
  /** Largest event-loop delay seen in the window, ms. */
  loopDelayMaxMs: number;
  /** CPU time of this process (user + system) over the window's wall time, percent of one core. */
  cpuPct: number;
}

export interface SaturationSummary {
  /** Sample windows over a bound, and their total length. */
  windows: number;
  totalMs: number;
  loopDelayMaxMs: number;
  cpuMaxPct: number;
  /** Disconnects and failed attempts that happened inside a saturated window. */
  failuresDuring: number;
  /** Start of the first and end of the last saturated window. */
  firstMs: number | null;
  lastMs: number | null;
}

export class SaturationTracker {
  private windows = 0;
  private totalMs = 0;
  private loopMax = 0;
  private cpuMax = 0;
  private failuresDuring = 0;
  private firstMs: number | null = null;
  private lastMs: number | null = null;
  /** Failure times not yet covered by a sample (at most a window's worth). */
  private pending: number[] = [];
  /** The last saturated window, for failures that arrive just after its sample. */
  private lastWindow: { from: number; to: number } | undefined;

  constructor(
    private readonly loopBoundMs = LOOP_DELAY_BOUND_MS,
    private readonly cpuBoundPct = CPU_BOUND_PCT,
  ) {}

  sample(s: SaturationSample): boolean {
    this.loopMax = Math.max(this.loopMax, s.loopDelayMaxMs);
    this.cpuMax = Math.max(this.cpuMax, s.cpuPct);
    const from = s.atMs - s.windowMs;
    const saturated = s.loopDelayMaxMs > this.loopBoundMs || s.cpuPct > this.cpuBoundPct;
    const keep: number[] = [];
    for (const t of this.pending) {
      if (t > s.atMs) keep.push(t);
      else if (saturated && t >= from) this.failuresDuring += 1;
    }
    this.pending = keep;
    if (saturated) {
      this.windows += 1;
      this.totalMs += s.windowMs;
      this.firstMs ??= from;
      this.lastMs = s.atMs;
      this.lastWindow = { from, to: s.atMs };
    }
    return saturated;
  }

  /**
   * A disconnect or failed attempt at `t`. A timeout fires late when the loop is stalled, so a failure
   * detected within one window after a saturated one belongs to it too.
   */
  failure(t: number): void {
    const w = this.lastWindow;
    if (w && t >= w.from && t <= w.to + (w.to - w.from)) {
      this.failuresDuring += 1;
      return;
    }
    if (this.pending.length < 100_000) this.pending.push(t);
  }

  summary(): SaturationSummary {
    return {
      windows: this.windows,
      totalMs: this.totalMs,
      loopDelayMaxMs: this.loopMax,
      cpuMaxPct: this.cpuMax,
      failuresDuring: this.failuresDuring,
      firstMs: this.firstMs,
      lastMs: this.lastMs,
    };
  }
}
