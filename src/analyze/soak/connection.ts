/**
 * Per-client connection timeline for soak: connects, disconnects with their causes, outages (from the moment
 * a connection was lost to the next CONNACK) and connected periods. Pure: each call carries its time in ms
 * (wall clock, epoch), so the same code replays a JSONL file in `report` and runs live in `soak`.
 */
import type { DisconnectCause } from './causes.js';

export interface Outage {
  client: number;
  fromMs: number;
  /** Undefined while the client is still down. */
  toMs: number | undefined;
  cause: DisconnectCause | 'initial';
  /**
   * A silent outage's start is known only as a range: `fromMs` is the last byte received (the earliest it can
   * have begun), this the first send that went unanswered (the latest). Absent when the start is exact.
   */
  latestFromMs?: number;
}

/**
 * Samples kept per client and series (most recent first out): a client stuck in a reconnect loop for days must
 * not grow without bound. Counts, maxima, totals and flaps stay exact; percentiles use the kept samples.
 */
export const MAX_SAMPLES_PER_CLIENT = 500;

function keep(arr: number[], v: number): void {
  if (arr.length >= MAX_SAMPLES_PER_CLIENT) arr.shift();
  arr.push(v);
}

export class ConnectionTimeline {
  connects = 0;
  connectFailures = 0;
  disconnects = 0;
  /** Expected a kept session (clean = false, not the first connect) but CONNACK said session present = 0. */
  sessionsLost = 0;
  readonly byCause: Partial<Record<DisconnectCause, number>> = {};
  /** Completed outages, ms (time from losing the connection to the next CONNACK); the last 500. */
  readonly outagesMs: number[] = [];
  /** Connect attempts each outage took, including the one that succeeded; the last 500. */
  readonly attemptsPerOutage: number[] = [];
  /** Completed connected periods, ms, up to the earliest moment the link can have died; the last 500. */
  readonly connectedMs: number[] = [];
  /** The same periods up to the latest moment (the first send that went unanswered); the last 500. */
  readonly connectedUpToMs: number[] = [];
  outageCount = 0;
  outageMaxMs = 0;
  connectedCount = 0;
  /** Outages shorter than flapThresholdMs (exact). */
  flaps = 0;
  private failedSinceDown = 0;
  /** Outages dated from the last byte received rather than from their detection, and how late detection was. */
  silentOutages = 0;
  detectionDelayMaxMs = 0;
  detectionDelaySumMs = 0;
  longest: Outage | undefined;
  connected = false;
  firstConnectMs: number | undefined;
  private since: number;
  private downCause: DisconnectCause | 'initial' = 'initial';
  private downtimeClosedMs = 0;
  /** How much later than `since` the current outage may have begun, and the same summed over closed outages. */
  private downUncertainMs = 0;
  private uncertainClosedMs = 0;

  constructor(
    readonly client: number,
    readonly startedMs: number,
    readonly flapThresholdMs = 10_000,
  ) {
    this.since = startedMs;
  }

  connect(t: number, sessionPresent: boolean, sessionExpected: boolean): void {
    if (this.connected) return;
    if (sessionExpected && !sessionPresent) this.sessionsLost += 1;
    // The first connect only counts as an outage if attempts failed before it (the broker was down at start).
    if (this.firstConnectMs === undefined) this.firstConnectMs = t - this.startedMs;
    if (this.downCause !== 'initial' || this.connectFailures > 0) this.closeOutage(t);
    this.connects += 1;
    this.connected = true;
    this.since = t;
    this.failedSinceDown = 0;
  }

  connectFailed(_t: number, cause: DisconnectCause): void {
    this.connectFailures += 1;
    this.failedSinceDown += 1;
    this.byCause[cause] = (this.byCause[cause] ?? 0) + 1;
  }

  /**
   * The connection was found lost at `t`. `silentSinceMs`, when known (a keepalive timeout), is when the last
   * byte arrived: the outage is counted from there, since the link was already dead while MQTT.js waited.
   * `unansweredSendMs` is the first send after that byte which got no answer: the link was dead by then. An
   * idle link's last byte may be its CONNACK, long before it died; the start is then reported as the range.
   */
  disconnect(t: number, cause: DisconnectCause, silentSinceMs?: number, unansweredSendMs?: number): void {
    if (!this.connected) return;
    const from = silentSinceMs !== undefined && silentSinceMs >= this.since && silentSinceMs < t ? silentSinceMs : t;
    const latest = from < t && unansweredSendMs !== undefined ? Math.min(t, Math.max(from, unansweredSendMs)) : from;
    this.disconnects += 1;
    this.byCause[cause] = (this.byCause[cause] ?? 0) + 1;
    if (from < t) {
      this.silentOutages += 1;
      this.detectionDelayMaxMs = Math.max(this.detectionDelayMaxMs, t - from);
      this.detectionDelaySumMs += t - from;
    }
    keep(this.connectedMs, Math.max(0, from - this.since));
    keep(this.connectedUpToMs, Math.max(0, latest - this.since));
    this.connectedCount += 1;
    this.connected = false;
    this.since = from;
    this.downUncertainMs = latest - from;
    this.downCause = cause;
    this.failedSinceDown = 0;
  }

  private closeOutage(t: number): void {
    const ms = Math.max(0, t - this.since);
    keep(this.outagesMs, ms);
    keep(this.attemptsPerOutage, this.failedSinceDown + 1);
    this.outageCount += 1;
    this.outageMaxMs = Math.max(this.outageMaxMs, ms);
    if (ms < this.flapThresholdMs) this.flaps += 1;
    this.downtimeClosedMs += ms;
    if (!this.longest || ms > (this.longest.toMs ?? t) - this.longest.fromMs) {
      this.longest = { client: this.client, fromMs: this.since, toMs: t, cause: this.downCause, ...this.latestFrom() };
    }
    this.uncertainClosedMs += this.downUncertainMs;
    this.downUncertainMs = 0;
  }

  private latestFrom(): { latestFromMs?: number } {
    return this.downUncertainMs > 0 ? { latestFromMs: this.since + this.downUncertainMs } : {};
  }

  get reconnects(): number {
    return Math.max(0, this.connects - 1);
  }

  /** The outage in progress, if the client is down (and was ever up, or failed to come up). */
  openOutage(): Outage | undefined {
    if (this.connected) return undefined;
    if (this.downCause === 'initial' && this.connectFailures === 0) return undefined;
    return { client: this.client, fromMs: this.since, toMs: undefined, cause: this.downCause, ...this.latestFrom() };
  }

  /** Downtime with every silent outage counted from its last byte received (the most it can have been). */
  downtimeMs(now: number): number {
    const open = this.openOutage();
    return this.downtimeClosedMs + (open ? Math.max(0, now - open.fromMs) : 0);
  }

  /** Downtime with every silent outage counted from its first unanswered send (the least it can have been). */
  downtimeMinMs(now: number): number {
    const open = this.openOutage();
    const openMs = open ? Math.max(0, now - (open.latestFromMs ?? open.fromMs)) : 0;
    return this.downtimeClosedMs - this.uncertainClosedMs + openMs;
  }

  /** Longest outage including one still open at `now`. */
  longestOutage(now: number): Outage | undefined {
    const open = this.openOutage();
    if (open && (!this.longest || now - open.fromMs > (this.longest.toMs ?? now) - this.longest.fromMs)) return open;
    return this.longest;
  }
}
