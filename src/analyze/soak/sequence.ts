/**
 * Per-client message accounting for soak: every message carries (run, client, seq, send time); the tracker
 * decides for each arrival whether it is new, a duplicate, out of order or foreign, and at any moment how many
 * are still missing. Pure: times are passed in (milliseconds), nothing reads a clock.
 *
 * Memory is O(messages not yet received), not O(messages sent): a healthy run keeps the pending map tiny, so
 * thousands of clients fit in one process.
 */
import { LatencyHistogram } from '../stats.js';

export type Arrival = 'new' | 'out-of-order' | 'duplicate' | 'foreign';

/** Beyond this many unanswered messages per client the oldest are written off as lost (bounded memory). */
export const MAX_PENDING = 100_000;

/**
 * Unanswered messages one run may track in all (a Map entry with a float send time is roughly 50 B in V8:
 * about 100 MB). A broker that swallows everything for days would otherwise grow every client to
 * MAX_PENDING: 10,000 clients × 100,000 entries is tens of GB.
 */
export const PENDING_BUDGET = 2_000_000;

/**
 * The per-client cap for a run: the budget split over the clients, but never below 4 × the messages sent
 * within the loss grace (so a message is live-counted as lost before it can be written off) nor below 64.
 */
/**
 * Written-off runs of sequence numbers kept per client (a long total loss is one run): a written-off message
 * that arrives after all is then received, not lost and not a duplicate. Beyond this many runs the oldest is
 * forgotten (its messages stay lost; a copy arriving later counts as a duplicate).
 */
export const MAX_WRITTEN_OFF_RANGES = 256;

/** Consecutive written-off sequence numbers with the same flags (sent offline, in flight at a disconnect). */
interface OffRange {
  from: number;
  to: number;
  offline: boolean;
  away: boolean;
}

export function pendingCapPerClient(clients: number, ratePerS: number, lossGraceMs: number): number {
  const share = Math.floor(PENDING_BUDGET / Math.max(1, clients));
  const graceWindow = Math.ceil(4 * Math.max(0, ratePerS) * (Math.max(0, lossGraceMs) / 1000));
  return Math.min(MAX_PENDING, Math.max(64, share, graceWindow));
}

export interface MessageCounts {
  sent: number;
  received: number;
  /** Never arrived (at the end of a run: still pending; during a run: pending for longer than the grace). */
  lost: number;
  duplicates: number;
  outOfOrder: number;
  /** Arrived after the loss grace (counted as received, not lost). */
  late: number;
  /** Publish ticks skipped because the client was offline (not sent, not lost). */
  skippedOffline: number;
  /** Published while disconnected (--publish-offline: MQTT.js queues QoS ≥ 1 and sends after the reconnect). */
  sentOffline: number;
  /** …of which arrived. Their latency includes the outage, so it is kept out of the latency figures. */
  deliveredOffline: number;
  /** Messages sent but not yet received when the connection dropped. */
  inflightAtDisconnect: number;
  /** …of which arrived after the client came back (QoS ≥ 1 with a kept session). */
  recoveredAfterReconnect: number;
  foreign: number;
}

export class SeqTracker {
  private nextSeq = 0;
  private receivedCount = 0;
  private dup = 0;
  private ooo = 0;
  private lateCount = 0;
  private foreignCount = 0;
  private skipped = 0;
  private offlineSent = 0;
  private offlineDelivered = 0;
  private offline: Set<number> | undefined;
  private inflight = 0;
  private recovered = 0;
  private writtenOff = 0;
  /**
   * Written-off seqs not (yet) arrived, ascending and disjoint (write-offs always take the smallest pending seq).
   * Created on the first write-off (most clients never have one).
   */
  private offRanges: OffRange[] | undefined;
  private highest = -1;
  /** seq → send time (ms), in seq order (Map keeps insertion order); created on the first send (idle fleets never need it). */
  private pendingMap: Map<number, number> | undefined;
  private away: Set<number> | undefined;
  private hist: LatencyHistogram | undefined;

  constructor(
    private readonly lateAfterMs = 10_000,
    private readonly maxPending = MAX_PENDING,
  ) {}

  /** Messages sent and not (yet) received that are still tracked one by one. */
  get pendingCount(): number {
    return this.pendingMap?.size ?? 0;
  }

  /** Allocate the next sequence number for a message sent at `t` (`offline`: queued while disconnected). */
  send(t: number, offline = false): number {
    const seq = this.nextSeq;
    this.nextSeq += 1;
    if (offline) {
      this.offlineSent += 1;
      (this.offline ??= new Set()).add(seq);
    }
    this.pendingMap ??= new Map();
    const pending = this.pendingMap;
    pending.set(seq, t);
    if (pending.size > this.maxPending) {
      const oldest = pending.keys().next().value as number;
      pending.delete(oldest);
      const away = this.away?.delete(oldest) ?? false;
      const wasOffline = this.offline?.delete(oldest) ?? false;
      this.writtenOff += 1;
      this.recordWriteOff(oldest, wasOffline, away);
    }
    return seq;
  }

  private recordWriteOff(seq: number, offline: boolean, away: boolean): void {
    const ranges = (this.offRanges ??= []);
    const last = ranges.at(-1);
    if (last && last.to === seq - 1 && last.offline === offline && last.away === away) {
      last.to = seq;
      return;
    }
    ranges.push({ from: seq, to: seq, offline, away });
    if (ranges.length > MAX_WRITTEN_OFF_RANGES) ranges.shift();
  }

  /** Index of the written-off range holding `seq`, or -1. */
  private offRangeOf(seq: number): number {
    const ranges = this.offRanges;
    if (!ranges) return -1;
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = ranges[mid]!;
      if (seq < r.from) hi = mid - 1;
      else if (seq > r.to) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** Number of written-off runs kept (memory check). */
  get writtenOffRanges(): number {
    return this.offRanges?.length ?? 0;
  }

  skipOffline(): void {
    this.skipped += 1;
  }

  /** The connection dropped at `t`: remember what was in flight to see whether it comes back. */
  disconnected(): void {
    // Written-off messages were not received either: they were in flight too.
    for (const r of this.offRanges ?? []) {
      if (r.away) continue;
      r.away = true;
      this.inflight += r.to - r.from + 1;
    }
    if (!this.pendingMap || this.pendingMap.size === 0) return;
    this.away ??= new Set();
    for (const seq of this.pendingMap.keys()) {
      if (!this.away.has(seq)) {
        this.away.add(seq);
        this.inflight += 1;
      }
    }
  }

  /** A message with `seq` arrived at `t`. Returns its classification and records latency for new ones. */
  receive(seq: number, t: number): Arrival {
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.nextSeq) {
      this.foreignCount += 1;
      return 'foreign';
    }
    const sentAt = this.pendingMap?.get(seq);
    if (sentAt === undefined) {
      const i = this.offRangeOf(seq);
      if (i < 0) {
        this.dup += 1;
        return 'duplicate';
      }
      return this.receiveWrittenOff(seq, i);
    }
    this.pendingMap?.delete(seq);
    this.receivedCount += 1;
    if (this.away?.delete(seq)) this.recovered += 1;
    if (this.offline?.delete(seq)) {
      this.offlineDelivered += 1;
    } else {
      const latencyMs = Math.max(0, t - sentAt);
      if (latencyMs > this.lateAfterMs) this.lateCount += 1;
      this.hist ??= new LatencyHistogram(64);
      this.hist.record(latencyMs);
    }
    if (seq < this.highest) {
      this.ooo += 1;
      return 'out-of-order';
    }
    this.highest = seq;
    return 'new';
  }

  /**
   * A written-off message arrived after all: received, no longer lost. It was pending for longer than the cap
   * allows, so it is late (or, queued offline, delivered after the reconnect); its send time is not kept, so
   * it adds no latency sample here.
   */
  private receiveWrittenOff(seq: number, i: number): Arrival {
    // offRangeOf found `seq` at i, so the ranges exist.
    const ranges = this.offRanges!;
    const r = ranges[i]!;
    if (r.from === r.to) ranges.splice(i, 1);
    else if (seq === r.from) r.from += 1;
    else if (seq === r.to) r.to -= 1;
    else {
      ranges.splice(i + 1, 0, { ...r, from: seq + 1 });
      r.to = seq - 1;
      if (ranges.length > MAX_WRITTEN_OFF_RANGES) ranges.shift();
    }
    this.writtenOff -= 1;
    this.receivedCount += 1;
    if (r.away) this.recovered += 1;
    if (r.offline) this.offlineDelivered += 1;
    else this.lateCount += 1;
    if (seq < this.highest) {
      this.ooo += 1;
      return 'out-of-order';
    }
    this.highest = seq;
    return 'new';
  }

  /** Messages sent before `now − graceMs` that have not arrived (the live "loss so far"). */
  missing(now: number, graceMs: number): number {
    let n = this.writtenOff;
    if (!this.pendingMap) return n;
    for (const sentAt of this.pendingMap.values()) {
      if (now - sentAt < graceMs) break;
      n += 1;
    }
    return n;
  }

  /** True for a message queued while offline (its end-to-end time includes the outage). */
  isOffline(seq: number): boolean {
    if (this.offline?.has(seq)) return true;
    const i = this.offRangeOf(seq);
    return i >= 0 && this.offRanges![i]!.offline;
  }

  get latency(): LatencyHistogram | undefined {
    return this.hist;
  }

  get sent(): number {
    return this.nextSeq;
  }

  /** Counts, with `lost` = missing(now, graceMs); pass graceMs 0 at the end of a run (everything pending is lost). */
  counts(now: number, graceMs: number): MessageCounts {
    return {
      sent: this.nextSeq,
      received: this.receivedCount,
      lost: this.missing(now, graceMs),
      duplicates: this.dup,
      outOfOrder: this.ooo,
      late: this.lateCount,
      skippedOffline: this.skipped,
      sentOffline: this.offlineSent,
      deliveredOffline: this.offlineDelivered,
      inflightAtDisconnect: this.inflight,
      recoveredAfterReconnect: this.recovered,
      foreign: this.foreignCount,
    };
  }
}
