/**
 * How long our event loop went without turning, window by window: a timer ticks every `periodMs` and notes the
 * gap since its last tick; `take()` closes the window, counting the gap still open at that moment, and starts the
 * next window from there.
 *
 * Why not `perf_hooks.monitorEventLoopDelay`, which soak used before: its histogram records the time between two of
 * its own ticks, and resetting it (once per window) also forgets the last tick (Node's `Histogram::Reset` sets
 * `prev_ = 0`, src/histogram-inl.h; `RecordDelta` records nothing while it is 0, src/histogram.cc;
 * https://github.com/nodejs/node). A stall that begins before the first tick after a reset, or before the first tick
 * after `enable()`, is recorded by no one: measured, a 700 ms busy loop started just after the monitor was enabled
 * or just after a window's reset read as 20 ms. Here the window's end is itself a tick, so no gap falls between two
 * windows. The cost, measured in an otherwise idle process over 10 s: ~12 ms of CPU a second (1.2 % of a core)
 * against ~6 ms for monitorEventLoopDelay at the same 20 ms resolution; a soak's clients cost far more.
 */
export class LoopGaps {
  private last: number;
  private longest = 0;

  constructor(
    private readonly periodMs: number,
    private readonly now: () => number,
  ) {
    this.last = now();
  }

  /** The loop turned: the gap since the last tick (or the window's start) ends here. */
  readonly tick = (): void => {
    const t = this.now();
    this.longest = Math.max(this.longest, t - this.last);
    this.last = t;
  };

  /** The window's longest gap beyond the tick period (ms, ≥ 0), the open one included; starts the next window. */
  take(): number {
    this.tick();
    const lag = Math.max(0, this.longest - this.periodMs);
    this.longest = 0;
    return lag;
  }
}

/** Starts a LoopGaps ticking on the loop it watches; `stop()` ends the ticks. */
export function watchLoopGaps(periodMs: number, now: () => number): LoopGaps & { stop(): void } {
  const gaps = new LoopGaps(periodMs, now);
  const timer = setInterval(gaps.tick, periodMs);
  timer.unref();
  return Object.assign(gaps, { stop: () => clearInterval(timer) });
}
