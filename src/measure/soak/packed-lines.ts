/**
 * A worker's lines as the parent keeps them for the end-of-run merge (workers.ts): packed, one buffer per batch
 * the worker sent, and read back once when every worker has closed.
 *
 * Kept as the objects IPC hands over, each line of an idle fleet's ramp ('client', 'connect') cost the parent
 * some 370 bytes of V8 heap: the object, its property array, boxed times, and a hidden class of its own with its
 * descriptor array (2 workers × 5,000 idle clients, heap snapshot of the parent with every session up: 20,754 line
 * objects with a map each, 5.6 MB of shapes; live heap after a full GC 24.7 MB, 14.4 MB with the lines packed and
 * the runner not loaded). Packed with the V8 serializer (the format 'advanced' IPC uses; Node docs,
 * v8.serialize) a line is its bytes outside the JavaScript heap, and a batch is one small Buffer object in it.
 */
import { deserialize, serialize } from 'node:v8';
import type { SoakEvent } from '../../analyze/soak/events.js';

export class PackedLines {
  private readonly batches: Buffer[] = [];
  private lines = 0;

  /** One batch of lines, in the order written. */
  push(evs: readonly SoakEvent[]): void {
    if (evs.length === 0) return;
    this.batches.push(serialize(evs));
    this.lines += evs.length;
  }

  /** Lines kept. */
  get length(): number {
    return this.lines;
  }

  /** Every line kept, in order, each passed through `map` (the merge's copy; the packed form stays). */
  unpack(map: (ev: SoakEvent) => SoakEvent = (ev) => ev): SoakEvent[] {
    const out: SoakEvent[] = [];
    for (const b of this.batches) for (const ev of deserialize(b) as SoakEvent[]) out.push(map(ev));
    return out;
  }
}
