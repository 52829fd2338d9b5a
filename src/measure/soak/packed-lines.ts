/**
 * A worker's lines as the parent keeps them for the end-of-run merge (workers.ts): packed, one buffer per batch
 * the worker sent, and read back once when every worker has closed.
 *
 * Kept as the objects IPC hands over, each line of an idle fleet's ramp ('client', 'connect') cost the parent
 * some 370 bytes of V8 heap: the object, its property array, boxed times, and a hidden class of its own with its
 * descriptor array (2 workers × 5,000 idle clients, heap snapshot of the parent with every session up: 20,754 line
 * objects with a map each, 5.6 MB of shapes; live heap after a full GC 24.7 MB, 14.4 MB with the lines packed and
 * the runner not loaded). Packed, a batch is one small Buffer object in the JavaScript heap and its bytes outside
 * it: the lines serialized as 'advanced' IPC serializes them (Node docs, v8.serialize), about 77 bytes a line of
 * a ramp, then deflated at zlib's fastest level, about 9 bytes a line (the keys and the run's client id prefix
 * repeat in every line), so a long run's lines grow the parent by an eighth as much.
 */
import { deserialize, serialize } from 'node:v8';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { SoakEvent } from '../../analyze/soak/events.js';

export class PackedLines {
  private readonly batches: Buffer[] = [];
  private lines = 0;

  /** One batch of lines, in the order written. */
  push(evs: readonly SoakEvent[]): void {
    if (evs.length === 0) return;
    this.batches.push(deflateRawSync(serialize(evs), { level: constants.Z_BEST_SPEED }));
    this.lines += evs.length;
  }

  /** Lines kept. */
  get length(): number {
    return this.lines;
  }

  /** Bytes they take, packed. */
  get bytes(): number {
    return this.batches.reduce((n, b) => n + b.length, 0);
  }

  /** Every line kept, in order, each passed through `map` (the merge's copy; the packed form stays). */
  unpack(map: (ev: SoakEvent) => SoakEvent = (ev) => ev): SoakEvent[] {
    const out: SoakEvent[] = [];
    for (const b of this.batches) for (const ev of deserialize(inflateRawSync(b)) as SoakEvent[]) out.push(map(ev));
    return out;
  }
}
