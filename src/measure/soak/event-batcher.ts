/**
 * A soak worker's lines on their way to the parent (worker-main.ts), a batch at a time. Pure but for its timer.
 */
import type { SoakEvent } from '../../analyze/soak/events.js';

/** Longest a line waits in the worker before it leaves, and most lines in one message. */
export const BATCH_MS = 50;
export const BATCH_MAX = 1000;

/**
 * The worker's lines leave in batches: one message per BATCH_MS (or BATCH_MAX lines), not one per line.
 * During a ramp every client writes a 'client' and a 'connect' line; sent one message each, a worker of 5,000
 * clients had up to 3,574 messages in flight on the pipe at once (each a serialized copy, a write request and
 * its callback) while the parent read them; in batches, at most 2. A checkpoint or end line goes at once (with
 * the lines before it): a worker killed later still delivered its last checkpoint.
 */
export class EventBatcher {
  private batch: SoakEvent[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sink: (evs: SoakEvent[]) => void) {}

  add(ev: SoakEvent): void {
    this.batch.push(ev);
    if (ev.type === 'checkpoint' || ev.type === 'end' || this.batch.length >= BATCH_MAX) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  /** Send what waits now (before any other message, so the parent sees every line in the order written). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0) return;
    const evs = this.batch;
    this.batch = [];
    this.sink(evs);
  }
}
