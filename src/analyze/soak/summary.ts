/**
 * Roll per-client soak state up into one plain, JSON-serialisable summary (what checkpoints store and what
 * build-soak renders), and check it against the user's thresholds. Pure.
 */
import { summarize } from '../stats.js';
import type { LatencyHistogram } from '../stats.js';
import type { DisconnectCause } from './causes.js';
import type { ConnectionTimeline } from './connection.js';
import type { MessageCounts, SeqTracker } from './sequence.js';
import type { SaturationSummary } from './saturation.js';
import type { SerializedHistogram } from './histogram.js';
import type { ConnectionBound } from '../../config/source-address.js';

export interface LatencySummary {
  count: number;
  avg: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface OutageSummary {
  client: number;
  fromMs: number;
  /** null while still down. */
  toMs: number | null;
  ms: number;
  cause: DisconnectCause | 'initial';
  /** A silent outage: the latest it can have begun (its first unanswered send); `fromMs` is the earliest. */
  latestFromMs?: number;
}

export interface ConnectionSummary {
  connects: number;
  reconnects: number;
  /** The worst single client's reconnects (what --max-reconnects checks). */
  maxReconnectsPerClient: number;
  disconnects: number;
  connectFailures: number;
  /** Disconnects and failed attempts by cause. */
  byCause: Partial<Record<DisconnectCause, number>>;
  sessionsLost: number;
  downtimeTotalMs: number;
  /** The worst single client's total downtime (what --max-downtime checks). */
  worstClientDowntimeMs: number;
  /** Mean over clients of connected share of their lifetime, in percent. */
  uptimePct: number;
  /**
   * A silent outage began somewhere between the last byte received and the first send that went unanswered:
   * the figures above count from the former (the most downtime it can have been), these from the latter (the
   * least). Equal to them when every outage's start is exact.
   */
  downtimeTotalMinMs: number;
  worstClientDowntimeMinMs: number;
  uptimeMaxPct: number;
  longestOutage: OutageSummary | null;
  timeToReconnectMs: { count: number; p50: number; max: number } | null;
  /** Connect attempts per outage (1 = the first retry worked): how the reconnect policy behaved. */
  attemptsPerOutage: { p50: number; max: number } | null;
  connectedMs: { count: number; min: number; p50: number; max: number } | null;
  /** The same connected periods up to the latest moment the link can have died (see downtimeTotalMinMs). */
  connectedUpToMs: { p50: number; max: number } | null;
  /** Outages shorter than flapThresholdMs: what a dashboard shows as a "false offline". */
  flaps: number;
  flapThresholdMs: number;
  neverConnected: number;
  connectedNow: number;
  /**
   * Outages of a silent link (keepalive timeout) counted from the last byte received, not from their
   * detection: how many, and how much later MQTT.js noticed (mean and max). Absent in old files.
   */
  silent?: { outages: number; detectionDelayAvgMs: number; detectionDelayMaxMs: number };
}

export interface MessageSummary extends MessageCounts {
  lossPct: number;
  latencyMs: LatencySummary | null;
}

export interface ClientRow {
  client: number;
  connects: number;
  reconnects: number;
  downtimeMs: number;
  sent: number;
  received: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  p99Ms: number | null;
  connected: boolean;
}

export interface SoakSummary {
  atMs: number;
  startedMs: number;
  elapsedMs: number;
  clients: number;
  connections: ConnectionSummary;
  messages: MessageSummary;
  /** Per-client rows: all when few, else the worst (most lost, then most reconnects). */
  perClient: ClientRow[];
  /** The fleet's connects (absent in old files). */
  fleet?: FleetSummary;
  /** Our own event-loop delay and CPU: when this process was the bottleneck (absent in old files). */
  saturation?: SaturationSummary;
  /**
   * What happened since the previous checkpoint (or the start): end-to-end latency and CONNACK time as
   * mergeable histograms, so a report can draw them over time and shards can be added up. Absent in old files.
   */
  window?: SummaryWindow;
}

export interface SummaryWindow {
  fromMs: number;
  toMs: number;
  /** New messages' end-to-end latency in this window. */
  latency: SerializedHistogram;
  /** CONNACK time of the connects and reconnects in this window. */
  connack: SerializedHistogram;
}

export interface FleetSummary {
  /**
   * CONNACK time of every connect and reconnect: from the socket's connect (TLS: after the handshake) to the
   * arrival of the chunk holding the CONNACK. MQTT.js has encoded CONNECT before the socket is up, so no
   * work of ours is inside.
   */
  connackMs: LatencySummary | null;
  /** The ramp asked for (clients started per second; 0 = all at once). */
  askedPerS: number;
  /** Clients that connected at least once, and the rate of those first connects since the start. */
  firstConnects: number;
  achievedPerS: number | null;
  /** --local-address: the connections each source address held (absent without the option). */
  sources?: SourceRow[];
  /** The smallest known bound on connections (ephemeral ports, open files, broker limit), said before the ramp. */
  bound?: ConnectionBound;
}

export interface SourceRow {
  address: string;
  /** Clients assigned to this address (round robin). */
  clients: number;
  connectedNow: number;
  /** Most connections up at once from this address. */
  peakConnected: number;
}

export const MAX_CLIENT_ROWS = 50;

export function summarizeConnections(
  timelines: readonly ConnectionTimeline[],
  now: number,
  flapThresholdMs: number,
): ConnectionSummary {
  const byCause: Partial<Record<DisconnectCause, number>> = {};
  const outages: number[] = [];
  const attempts: number[] = [];
  const connected: number[] = [];
  const connectedUpTo: number[] = [];
  let outageCount = 0;
  let outageMax = 0;
  let connectedCount = 0;
  let flaps = 0;
  let connects = 0;
  let reconnects = 0;
  let maxRe = 0;
  let disconnects = 0;
  let failures = 0;
  let sessionsLost = 0;
  let downTotal = 0;
  let worstDown = 0;
  let downMinTotal = 0;
  let worstDownMin = 0;
  let uptimeSum = 0;
  let uptimeMaxSum = 0;
  let longest: OutageSummary | null = null;
  let never = 0;
  let up = 0;
  let silentN = 0;
  let silentSum = 0;
  let silentMax = 0;
  for (const tl of timelines) {
    connects += tl.connects;
    reconnects += tl.reconnects;
    maxRe = Math.max(maxRe, tl.reconnects);
    disconnects += tl.disconnects;
    failures += tl.connectFailures;
    sessionsLost += tl.sessionsLost;
    for (const [k, v] of Object.entries(tl.byCause))
      byCause[k as DisconnectCause] = (byCause[k as DisconnectCause] ?? 0) + (v ?? 0);
    for (const v of tl.outagesMs) outages.push(v);
    for (const v of tl.attemptsPerOutage) attempts.push(v);
    for (const v of tl.connectedMs) connected.push(v);
    for (const v of tl.connectedUpToMs) connectedUpTo.push(v);
    outageCount += tl.outageCount;
    outageMax = Math.max(outageMax, tl.outageMaxMs);
    connectedCount += tl.connectedCount;
    flaps += tl.flaps;
    const down = tl.downtimeMs(now);
    downTotal += down;
    worstDown = Math.max(worstDown, down);
    silentN += tl.silentOutages;
    silentSum += tl.detectionDelaySumMs;
    silentMax = Math.max(silentMax, tl.detectionDelayMaxMs);
    const downMin = tl.downtimeMinMs(now);
    downMinTotal += downMin;
    worstDownMin = Math.max(worstDownMin, downMin);
    const life = Math.max(0, now - tl.startedMs);
    // A client that never connected had no uptime at all, whether or not an attempt failed yet.
    const share = (d: number) => (tl.connects === 0 ? 0 : life > 0 ? Math.max(0, 1 - d / life) : 1);
    uptimeSum += share(down);
    uptimeMaxSum += share(downMin);
    if (tl.connects === 0) never += 1;
    if (tl.connected) up += 1;
    const lo = tl.longestOutage(now);
    if (lo) {
      const ms = (lo.toMs ?? now) - lo.fromMs;
      if (!longest || ms > longest.ms)
        longest = {
          client: lo.client,
          fromMs: lo.fromMs,
          toMs: lo.toMs ?? null,
          ms,
          cause: lo.cause,
          ...(lo.latestFromMs !== undefined ? { latestFromMs: lo.latestFromMs } : {}),
        };
    }
  }
  const ttr = summarize(outages);
  const att = summarize(attempts);
  const con = summarize(connected);
  const conUpTo = summarize(connectedUpTo);
  return {
    connects,
    reconnects,
    maxReconnectsPerClient: maxRe,
    disconnects,
    connectFailures: failures,
    byCause,
    sessionsLost,
    downtimeTotalMs: downTotal,
    worstClientDowntimeMs: worstDown,
    uptimePct: timelines.length === 0 ? 0 : (100 * uptimeSum) / timelines.length,
    downtimeTotalMinMs: downMinTotal,
    worstClientDowntimeMinMs: worstDownMin,
    uptimeMaxPct: timelines.length === 0 ? 0 : (100 * uptimeMaxSum) / timelines.length,
    longestOutage: longest,
    timeToReconnectMs: ttr ? { count: outageCount, p50: ttr.p50, max: Math.max(ttr.max, outageMax) } : null,
    attemptsPerOutage: att ? { p50: att.p50, max: att.max } : null,
    connectedMs: con ? { count: connectedCount, min: con.min, p50: con.p50, max: con.max } : null,
    connectedUpToMs: conUpTo ? { p50: conUpTo.p50, max: conUpTo.max } : null,
    flaps,
    flapThresholdMs,
    neverConnected: never,
    connectedNow: up,
    ...(silentN > 0
      ? { silent: { outages: silentN, detectionDelayAvgMs: silentSum / silentN, detectionDelayMaxMs: silentMax } }
      : {}),
  };
}

export function summarizeMessages(
  trackers: readonly SeqTracker[],
  now: number,
  graceMs: number,
  latency: LatencyHistogram,
): MessageSummary {
  const total: MessageCounts = {
    sent: 0,
    received: 0,
    lost: 0,
    duplicates: 0,
    outOfOrder: 0,
    late: 0,
    skippedOffline: 0,
    sentOffline: 0,
    deliveredOffline: 0,
    inflightAtDisconnect: 0,
    recoveredAfterReconnect: 0,
    foreign: 0,
  };
  for (const t of trackers) {
    const c = t.counts(now, graceMs);
    for (const k of Object.keys(total) as Array<keyof MessageCounts>) total[k] += c[k];
  }
  return {
    ...total,
    lossPct: total.sent === 0 ? 0 : (100 * total.lost) / total.sent,
    latencyMs: latencySummary(latency),
  };
}

export function latencySummary(h: LatencyHistogram | undefined): LatencySummary | null {
  if (!h || h.count === 0) return null;
  return {
    count: h.count,
    avg: h.mean,
    p50: h.percentile(50),
    p90: h.percentile(90),
    p99: h.percentile(99),
    max: h.max,
  };
}

export function clientRows(
  timelines: readonly ConnectionTimeline[],
  trackers: readonly SeqTracker[],
  now: number,
  graceMs: number,
  limit = MAX_CLIENT_ROWS,
): ClientRow[] {
  const rows: ClientRow[] = timelines.map((tl, i) => {
    const tr = trackers[i];
    const c = tr?.counts(now, graceMs);
    const h = tr?.latency;
    return {
      client: tl.client,
      connects: tl.connects,
      reconnects: tl.reconnects,
      downtimeMs: tl.downtimeMs(now),
      sent: c?.sent ?? 0,
      received: c?.received ?? 0,
      lost: c?.lost ?? 0,
      duplicates: c?.duplicates ?? 0,
      outOfOrder: c?.outOfOrder ?? 0,
      p99Ms: h && h.count > 0 ? h.percentile(99) : null,
      connected: tl.connected,
    };
  });
  return worstClientRows(rows, limit);
}

/** All rows when few, else the worst: most lost, then most reconnects, then longest down. */
export function worstClientRows(rows: ClientRow[], limit = MAX_CLIENT_ROWS): ClientRow[] {
  if (rows.length <= limit) return rows;
  return [...rows]
    .sort(
      (a, b) => b.lost - a.lost || b.reconnects - a.reconnects || b.downtimeMs - a.downtimeMs || a.client - b.client,
    )
    .slice(0, limit);
}
