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
  const counts = connectionCounts(timelines);
  const downtime = downtimeFigures(timelines, now);
  const periods = periodFigures(timelines);
  const silent = silentFigures(timelines);
  return {
    connects: counts.connects,
    reconnects: counts.reconnects,
    maxReconnectsPerClient: counts.maxReconnectsPerClient,
    disconnects: counts.disconnects,
    connectFailures: counts.connectFailures,
    byCause: causeCounts(timelines),
    sessionsLost: counts.sessionsLost,
    ...downtime,
    longestOutage: longestOutageOf(timelines, now),
    ...periods,
    flaps: counts.flaps,
    flapThresholdMs,
    neverConnected: counts.neverConnected,
    connectedNow: counts.connectedNow,
    ...(silent ? { silent } : {}),
  };
}

/** Sums and counts over the clients: connects, drops, failures, lost sessions, flaps, who is up. */
function connectionCounts(timelines: readonly ConnectionTimeline[]) {
  const counts = {
    connects: 0,
    reconnects: 0,
    maxReconnectsPerClient: 0,
    disconnects: 0,
    connectFailures: 0,
    sessionsLost: 0,
    flaps: 0,
    neverConnected: 0,
    connectedNow: 0,
  };
  for (const timeline of timelines) {
    counts.connects += timeline.connects;
    counts.reconnects += timeline.reconnects;
    counts.maxReconnectsPerClient = Math.max(counts.maxReconnectsPerClient, timeline.reconnects);
    counts.disconnects += timeline.disconnects;
    counts.connectFailures += timeline.connectFailures;
    counts.sessionsLost += timeline.sessionsLost;
    counts.flaps += timeline.flaps;
    if (timeline.connects === 0) counts.neverConnected += 1;
    if (timeline.connected) counts.connectedNow += 1;
  }
  return counts;
}

/** Disconnects and failed attempts summed by cause over the clients. */
function causeCounts(timelines: readonly ConnectionTimeline[]): Partial<Record<DisconnectCause, number>> {
  const byCause: Partial<Record<DisconnectCause, number>> = {};
  for (const timeline of timelines)
    for (const [cause, count] of Object.entries(timeline.byCause))
      byCause[cause as DisconnectCause] = (byCause[cause as DisconnectCause] ?? 0) + (count ?? 0);
  return byCause;
}

/**
 * Downtime and uptime, each as the most and the least it can have been (a silent outage counted from its last
 * byte received or from its first unanswered send).
 */
function downtimeFigures(timelines: readonly ConnectionTimeline[], now: number) {
  let downTotal = 0;
  let worstDown = 0;
  let downMinTotal = 0;
  let worstDownMin = 0;
  let uptimeSum = 0;
  let uptimeMaxSum = 0;
  for (const timeline of timelines) {
    const down = timeline.downtimeMs(now);
    downTotal += down;
    worstDown = Math.max(worstDown, down);
    const downMin = timeline.downtimeMinMs(now);
    downMinTotal += downMin;
    worstDownMin = Math.max(worstDownMin, downMin);
    const life = Math.max(0, now - timeline.startedMs);
    // A client that never connected had no uptime at all, whether or not an attempt failed yet.
    const share = (downMs: number) => (timeline.connects === 0 ? 0 : life > 0 ? Math.max(0, 1 - downMs / life) : 1);
    uptimeSum += share(down);
    uptimeMaxSum += share(downMin);
  }
  return {
    downtimeTotalMs: downTotal,
    worstClientDowntimeMs: worstDown,
    uptimePct: timelines.length === 0 ? 0 : (100 * uptimeSum) / timelines.length,
    downtimeTotalMinMs: downMinTotal,
    worstClientDowntimeMinMs: worstDownMin,
    uptimeMaxPct: timelines.length === 0 ? 0 : (100 * uptimeMaxSum) / timelines.length,
  };
}

/** The longest outage of any client, one still open at `now` included. */
function longestOutageOf(timelines: readonly ConnectionTimeline[], now: number): OutageSummary | null {
  let longest: OutageSummary | null = null;
  for (const timeline of timelines) {
    const outage = timeline.longestOutage(now);
    if (!outage) continue;
    const ms = (outage.toMs ?? now) - outage.fromMs;
    if (!longest || ms > longest.ms)
      longest = {
        client: outage.client,
        fromMs: outage.fromMs,
        toMs: outage.toMs ?? null,
        ms,
        cause: outage.cause,
        ...(outage.latestFromMs !== undefined ? { latestFromMs: outage.latestFromMs } : {}),
      };
  }
  return longest;
}

/** Time to reconnect, attempts per outage and connected periods, as percentiles over every client's samples. */
function periodFigures(timelines: readonly ConnectionTimeline[]) {
  const outages: number[] = [];
  const attempts: number[] = [];
  const connected: number[] = [];
  const connectedUpTo: number[] = [];
  let outageCount = 0;
  let outageMax = 0;
  let connectedCount = 0;
  for (const timeline of timelines) {
    for (const value of timeline.outagesMs) outages.push(value);
    for (const value of timeline.attemptsPerOutage) attempts.push(value);
    for (const value of timeline.connectedMs) connected.push(value);
    for (const value of timeline.connectedUpToMs) connectedUpTo.push(value);
    outageCount += timeline.outageCount;
    outageMax = Math.max(outageMax, timeline.outageMaxMs);
    connectedCount += timeline.connectedCount;
  }
  const ttr = summarize(outages);
  const att = summarize(attempts);
  const con = summarize(connected);
  const conUpTo = summarize(connectedUpTo);
  return {
    timeToReconnectMs: ttr ? { count: outageCount, p50: ttr.p50, max: Math.max(ttr.max, outageMax) } : null,
    attemptsPerOutage: att ? { p50: att.p50, max: att.max } : null,
    connectedMs: con ? { count: connectedCount, min: con.min, p50: con.p50, max: con.max } : null,
    connectedUpToMs: conUpTo ? { p50: conUpTo.p50, max: conUpTo.max } : null,
  };
}

/** How late silent outages were noticed (undefined when there was none). */
function silentFigures(timelines: readonly ConnectionTimeline[]): ConnectionSummary['silent'] {
  let outages = 0;
  let delaySum = 0;
  let delayMax = 0;
  for (const timeline of timelines) {
    outages += timeline.silentOutages;
    delaySum += timeline.detectionDelaySumMs;
    delayMax = Math.max(delayMax, timeline.detectionDelayMaxMs);
  }
  return outages > 0 ? { outages, detectionDelayAvgMs: delaySum / outages, detectionDelayMaxMs: delayMax } : undefined;
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
  const keys = Object.keys(total) as Array<keyof MessageCounts>;
  for (const t of trackers) {
    const c = t.counts(now, graceMs);
    for (const k of keys) total[k] += c[k];
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
  const row = (i: number): ClientRow => clientRow(timelines[i]!, trackers[i], now, graceMs);
  if (timelines.length <= limit) return timelines.map((_, i) => row(i));
  // The worst `limit` clients, chosen by their keys alone, and a row built for each of those only: a row per
  // client made a live summary of 5,000 idle clients allocate 1.4 MB for 50 rows (every status period).
  const top: Array<{ i: number; key: RowKey }> = [];
  for (let i = 0; i < timelines.length; i++) {
    const tl = timelines[i]!;
    const key: RowKey = {
      client: tl.client,
      lost: trackers[i]?.missing(now, graceMs) ?? 0,
      reconnects: tl.reconnects,
      downtimeMs: tl.downtimeMs(now),
    };
    if (top.length === limit && worseFirst(key, top[limit - 1]!.key) >= 0) continue;
    let at = top.length;
    while (at > 0 && worseFirst(key, top[at - 1]!.key) < 0) at--;
    top.splice(at, 0, { i, key });
    if (top.length > limit) top.pop();
  }
  return top.map((x) => row(x.i));
}

function clientRow(tl: ConnectionTimeline, tr: SeqTracker | undefined, now: number, graceMs: number): ClientRow {
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
}

type RowKey = Pick<ClientRow, 'client' | 'lost' | 'reconnects' | 'downtimeMs'>;

/** The order of the worst rows: most lost, then most reconnects, then longest down, then by client. */
const worseFirst = (a: RowKey, b: RowKey): number =>
  b.lost - a.lost || b.reconnects - a.reconnects || b.downtimeMs - a.downtimeMs || a.client - b.client;

/** All rows when few, else the worst: most lost, then most reconnects, then longest down. */
export function worstClientRows(rows: ClientRow[], limit = MAX_CLIENT_ROWS): ClientRow[] {
  if (rows.length <= limit) return rows;
  return [...rows].sort(worseFirst).slice(0, limit);
}
