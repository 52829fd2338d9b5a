/**
 * `--local-address` accounting: which source address each client uses (round robin) and how many connections
 * each address holds now and at most.
 */
import type { SoakEvent } from '../../analyze/soak/events.js';
import type { SourceRow } from '../../analyze/soak/summary.js';
import { LocalPorts } from '../../transport/source-address.js';
import { readPortRange } from './host-limits.js';

export class SourceTally {
  /** Client index → index into `addresses`. */
  private readonly of = new Map<number, number>();
  private readonly up: number[];
  private readonly peak: number[];
  private readonly assigned: number[];
  private readonly connected = new Set<number>();

  /**
   * The local ports this process connects from (transport/source-address.ts LocalPorts): its own slice of the
   * ephemeral range when it is one of several workers; undefined where the range is unknown (the kernel picks).
   */
  readonly ports: LocalPorts | undefined;

  constructor(
    private readonly addresses: string[],
    portSlice?: { index: number; count: number },
    range = readPortRange(),
  ) {
    this.ports = range ? new LocalPorts(range, portSlice) : undefined;
    this.up = addresses.map(() => 0);
    this.peak = addresses.map(() => 0);
    this.assigned = addresses.map(() => 0);
  }

  /**
   * The source address of client `index`: by its global index, so the workers and shards of one run spread
   * the fleet over the addresses as one process would.
   */
  assign(index: number): string {
    const slot = index % this.addresses.length;
    this.of.set(index, slot);
    this.assigned[slot]! += 1;
    return this.addresses[slot]!;
  }

  onEvent(ev: SoakEvent): void {
    if (ev.type !== 'connect' && ev.type !== 'disconnect') return;
    const slot = this.of.get(ev.client);
    if (slot === undefined) return;
    if (ev.type === 'connect' && !this.connected.has(ev.client)) {
      this.connected.add(ev.client);
      this.up[slot]! += 1;
      if (this.up[slot]! > this.peak[slot]!) this.peak[slot] = this.up[slot]!;
    } else if (ev.type === 'disconnect' && this.connected.delete(ev.client)) {
      this.up[slot]! -= 1;
    }
  }

  /** Rows for the summary (a run's final summary is taken before its clients close). */
  rows(): SourceRow[] {
    return this.addresses.map((address, k) => ({
      address,
      clients: this.assigned[k]!,
      connectedNow: this.up[k]!,
      peakConnected: this.peak[k]!,
    }));
  }
}
