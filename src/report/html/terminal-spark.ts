/**
 * Small pictures for the text report: a sparkline of probe round trips and a one-line strip of connected
 * clients over time. Pure; plain Unicode block elements (U+2581–U+2588), so they survive NO_COLOR and pipes.
 */
import type { SoakEvent } from '../../analyze/soak/events.js';
import { connectedBuckets, lowestAfterAll, type ConnectedBucket } from './connected.js';

const BLOCKS = '▁▂▃▄▅▆▇█';

const block = (v: number, max: number): string =>
  BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, Math.round((v / (max || 1)) * (BLOCKS.length - 1))))]!;

/**
 * One character per probe (or per group of probes when there are more than `width`: the group's highest RTT);
 * `×` marks a lost probe (any loss in a group). Scaled from 0 to the highest RTT, like `spark`.
 */
export function rttSparkline(rtts: ReadonlyArray<number | null>, width = 60): string {
  if (rtts.length === 0) return '';
  const per = Math.ceil(rtts.length / width);
  const groups: Array<number | null> = [];
  for (let i = 0; i < rtts.length; i += per) {
    const g = rtts.slice(i, i + per);
    groups.push(g.some((v) => v === null) ? null : Math.max(...(g as number[])));
  }
  const max = Math.max(0, ...groups.filter((v): v is number => v !== null));
  return groups.map((v) => (v === null ? '×' : block(v, max))).join('');
}

/** Connected clients per column (the lowest count in its span, so a short drop still shows), 0 to `clients`. */
export function connectedStrip(buckets: readonly ConnectedBucket[], clients: number): string {
  return buckets.map((b) => (b.min <= 0 && clients > 0 ? ' ' : block(b.min, clients))).join('');
}

/**
 * Records connect/disconnect changes as they happen (two numbers an event) and draws the strip at the end,
 * with the lowest count after every client had been connected at once (the ramp-up is not an outage).
 */
export function connectedRecorder(): {
  onEvent(ev: SoakEvent): void;
  strip(fromMs: number, toMs: number, clients: number, width?: number): string;
} {
  const changes: Array<[number, number]> = [];
  const up = new Set<number>();
  return {
    onEvent(ev) {
      if (ev.type === 'connect' && !up.has(ev.client)) {
        up.add(ev.client);
        changes.push([ev.t, 1]);
      } else if (ev.type === 'disconnect' && up.delete(ev.client)) changes.push([ev.t, -1]);
    },
    // 48 columns: with its label (23) the strip fits an 80-column terminal; the text after it wraps below.
    strip(fromMs, toMs, clients, width = 48) {
      if (toMs <= fromMs || changes.length === 0) return '';
      const { lowestAfterAll: low, mostConnected: most } = lowestAfterAll(changes, clients);
      const lowestAfterAllCount = low?.count;
      const text =
        lowestAfterAllCount === undefined
          ? `never all ${clients} at once (at most ${most})`
          : lowestAfterAllCount >= clients
            ? `all ${clients} stayed connected once up`
            : `lowest ${lowestAfterAllCount}/${clients} after all had connected`;
      return `${connectedStrip(connectedBuckets(changes, fromMs, toMs, width), clients)} ${text}`;
    },
  };
}

/** The strip from a recorded event stream (`report soak.jsonl`). */
export function connectedStripFromEvents(
  events: readonly SoakEvent[],
  fromMs: number,
  toMs: number,
  clients: number,
): string {
  const rec = connectedRecorder();
  for (const ev of events) rec.onEvent(ev);
  return rec.strip(fromMs, toMs, clients);
}
