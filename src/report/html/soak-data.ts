/**
 * Adapter: a soak's event stream (the live run's events, or the `--out` JSONL that `report` reads) plus its
 * report → the plain, serialisable input of the soak HTML renderer. Pure. Long runs are reduced here: the
 * time axis is cut into at most `buckets` columns, and only the `maxLanes` worst clients keep a lane (in full,
 * every connect and disconnect); every count (disconnects, causes, histograms) stays exact over all clients.
 */
import { CAUSE_INFO, type DisconnectCause } from '../../analyze/soak/causes.js';
import type { SoakEvent } from '../../analyze/soak/events.js';
import type { LatencySummary, SoakSummary } from '../../analyze/soak/summary.js';
import { MergeableHistogram } from '../../analyze/soak/histogram.js';
import { settingPairs, type SoakData } from '../build-soak.js';
import type { Report } from '../model.js';
import type { FindingItem, PageHeader } from './page.js';
import { fmtMs } from './svg.js';
import { connectedBuckets, lowestAfterAll, type ConnectedBucket } from './connected.js';

export type LaneState = 'up' | 'initial' | DisconnectCause;

export interface LaneSegment {
  from: number;
  to: number;
  state: LaneState;
}

export interface LaneMark {
  t: number;
  kind: 'disconnect' | 'failed';
  cause: DisconnectCause;
  detail: string;
}

export interface Lane {
  client: number;
  segments: LaneSegment[];
  marks: LaneMark[];
  downtimeMs: number;
  disconnects: number;
}

/** Latency of one time window; `cumulative` windows hold the percentiles of everything since the start. */
export interface LatencyWindow {
  from: number;
  to: number;
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface MessageWindow {
  from: number;
  to: number;
  sent: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
}

export interface SoakHtmlInput {
  header: PageHeader;
  generator: string;
  fromMs: number;
  toMs: number;
  clients: number;
  /** Lanes shown: every client when there are at most maxLanes, else the worst (most downtime, then disconnects). */
  lanes: Lane[];
  /** Clients that had a lane at all (all clients the run started). */
  laneCount: number;
  connected: ConnectedBucket[];
  /** Fewest connected after every client had been connected at once (undefined: never all at once). */
  lowestAfterAll: { count: number; at: number } | undefined;
  /** Most connected at once. */
  mostConnected: number;
  /** Reconnects (connects after the first) per time bucket. */
  reconnects: Array<{ t: number; count: number }>;
  disconnects: number;
  connectFailures: number;
  latency: { windows: LatencyWindow[]; cumulative: boolean };
  /** null for an idle run (--rate 0). */
  messages: MessageWindow[] | null;
  byCause: Array<{ cause: DisconnectCause; title: string; count: number }>;
  /** Every completed outage (disconnect → connect) and connected period (connect → disconnect), ms. */
  reconnectMs: number[];
  connectedMs: number[];
  findings: FindingItem[];
}

export interface SoakHtmlOptions {
  maxLanes?: number;
  buckets?: number;
  /**
   * Per-window latency of a checkpoint line, when the file carries one. Without it the chart draws the
   * cumulative percentiles each checkpoint holds (and says so).
   */
  windowLatency?: (ev: Extract<SoakEvent, { type: 'checkpoint' | 'end' }>) => LatencySummary | null | undefined;
}

interface LaneState_ {
  lane: Lane;
  state: LaneState;
  since: number;
  connected: boolean;
  everConnected: boolean;
  failedBeforeFirst: boolean;
}

/**
 * The latency of one checkpoint window from the mergeable histogram soak writes into every checkpoint line
 * (`summary.window.latency`); undefined for files written before it existed, null for a window without messages.
 */
export function checkpointWindowLatency(
  ev: Extract<SoakEvent, { type: 'checkpoint' | 'end' }>,
): LatencySummary | null | undefined {
  const w = ev.summary.window;
  if (!w) return undefined;
  const h = MergeableHistogram.from(w.latency);
  if (h.count === 0) return null;
  return {
    count: h.count,
    avg: w.latency.sumMs / h.count,
    p50: h.percentile(50),
    p90: h.percentile(90),
    p99: h.percentile(99),
    max: w.latency.maxMs ?? h.percentile(100),
  };
}

export function soakHtmlInput(
  report: Report<SoakData>,
  events: readonly SoakEvent[],
  opts: SoakHtmlOptions = {},
): SoakHtmlInput {
  const maxLanes = opts.maxLanes ?? 50;
  const buckets = Math.max(10, opts.buckets ?? 600);
  const data = report.data;
  const summary = data.summary;
  const fromMs = summary.startedMs;
  const toMs = Math.max(summary.atMs, fromMs + 1);
  const replay = replayTimelines(events, toMs);
  const all = [...replay.lanes.values()].map((state) => state.lane);
  return {
    header: soakHeader(report),
    generator: `${report.tool.name} ${report.tool.version} (${report.command})`,
    fromMs,
    toMs,
    clients: summary.clients,
    lanes: shownLanes(all, maxLanes),
    laneCount: all.length,
    connected: connectedBuckets(replay.changes, fromMs, toMs, buckets),
    ...lowestAfterAll(replay.changes, summary.clients),
    reconnects: countBuckets(replay.reconnectTimes, fromMs, toMs, buckets),
    disconnects: replay.disconnects,
    connectFailures: replay.failures,
    latency: latencyWindows(replay.summaries, fromMs, buckets, opts.windowLatency ?? checkpointWindowLatency),
    messages: data.info.ratePerS > 0 ? messageWindows(replay.summaries, fromMs, buckets) : null,
    byCause: (Object.entries(summary.connections.byCause) as Array<[DisconnectCause, number]>)
      .map(([cause, count]) => ({ cause, title: CAUSE_INFO[cause].title, count }))
      .sort((a, b) => b.count - a.count),
    reconnectMs: replay.reconnectMs,
    connectedMs: replay.connectedMs,
    findings: pageFindings(report.checks),
  };
}

/** The run replayed event by event: one lane per client, the connected count's changes, the figures they give. */
interface TimelineReplay {
  lanes: Map<number, LaneState_>;
  /** [time, +1 | −1] for every connect and disconnect. */
  changes: Array<[number, number]>;
  reconnectTimes: number[];
  reconnectMs: number[];
  connectedMs: number[];
  summaries: Array<Extract<SoakEvent, { type: 'checkpoint' | 'end' }>>;
  disconnects: number;
  failures: number;
}

function replayTimelines(events: readonly SoakEvent[], toMs: number): TimelineReplay {
  const replay: TimelineReplay = {
    lanes: new Map(),
    changes: [],
    reconnectTimes: [],
    reconnectMs: [],
    connectedMs: [],
    summaries: [],
    disconnects: 0,
    failures: 0,
  };
  for (const ev of events) {
    switch (ev.type) {
      case 'client':
        laneOf(replay, ev.client, ev.t);
        break;
      case 'connect':
        onConnect(replay, ev);
        break;
      case 'connect-failed':
        onConnectFailed(replay, ev);
        break;
      case 'disconnect':
        onDisconnect(replay, ev);
        break;
      case 'checkpoint':
      case 'end':
        replay.summaries.push(ev);
        break;
      case 'start':
        break;
    }
  }
  for (const state of replay.lanes.values()) closeSegment(state, toMs);
  return replay;
}

/** The client's lane, opened at its first event. */
function laneOf(replay: TimelineReplay, client: number, atMs: number): LaneState_ {
  let state = replay.lanes.get(client);
  if (!state) {
    state = {
      lane: { client, segments: [], marks: [], downtimeMs: 0, disconnects: 0 },
      state: 'initial',
      since: atMs,
      connected: false,
      everConnected: false,
      failedBeforeFirst: false,
    };
    replay.lanes.set(client, state);
  }
  return state;
}

/** Ends the lane's current segment at `atMs`, adding its length to the downtime when the client was down. */
function closeSegment(state: LaneState_, atMs: number): void {
  if (atMs > state.since || state.lane.segments.length === 0)
    state.lane.segments.push({ from: state.since, to: atMs, state: state.state });
  // Time before the first connect is downtime only when attempts failed (as the text report counts it).
  if (state.state !== 'up' && (state.state !== 'initial' || state.failedBeforeFirst))
    state.lane.downtimeMs += Math.max(0, atMs - state.since);
  state.since = atMs;
}

function onConnect(replay: TimelineReplay, ev: Extract<SoakEvent, { type: 'connect' }>): void {
  const state = laneOf(replay, ev.client, ev.t);
  if (state.connected) return;
  if (state.everConnected) {
    replay.reconnectTimes.push(ev.t);
    replay.reconnectMs.push(Math.max(0, ev.t - state.since));
  }
  closeSegment(state, ev.t);
  state.state = 'up';
  state.connected = true;
  state.everConnected = true;
  replay.changes.push([ev.t, 1]);
}

function onConnectFailed(replay: TimelineReplay, ev: Extract<SoakEvent, { type: 'connect-failed' }>): void {
  const state = laneOf(replay, ev.client, ev.t);
  replay.failures += 1;
  state.lane.marks.push({ t: ev.t, kind: 'failed', cause: ev.cause, detail: ev.detail });
  if (!state.everConnected && state.state === 'initial') {
    closeSegment(state, ev.t);
    state.failedBeforeFirst = true;
    state.state = ev.cause;
  }
}

function onDisconnect(replay: TimelineReplay, ev: Extract<SoakEvent, { type: 'disconnect' }>): void {
  const state = laneOf(replay, ev.client, ev.t);
  if (!state.connected) return;
  replay.disconnects += 1;
  state.lane.disconnects += 1;
  state.lane.marks.push({ t: ev.t, kind: 'disconnect', cause: ev.cause, detail: ev.detail });
  replay.connectedMs.push(Math.max(0, ev.t - state.since));
  closeSegment(state, ev.t);
  state.state = ev.cause;
  state.connected = false;
  replay.changes.push([ev.t, -1]);
}

/** Every lane when they fit; otherwise the ones with the most downtime, then the most disconnects. */
function shownLanes(all: Lane[], maxLanes: number): Lane[] {
  return all.length <= maxLanes
    ? all.sort((a, b) => a.client - b.client)
    : all
        .sort((a, b) => b.downtimeMs - a.downtimeMs || b.disconnects - a.disconnects || a.client - b.client)
        .slice(0, maxLanes);
}

/** The checks worth a place on the page: findings, thresholds, and anything that warned or failed. */
function pageFindings(checks: Report<SoakData>['checks']): FindingItem[] {
  return checks
    .filter(
      (check) =>
        check.id.startsWith('finding.') ||
        check.id.startsWith('threshold.') ||
        check.status === 'warn' ||
        check.status === 'fail',
    )
    .map((check) => ({
      status: check.status,
      title: check.title,
      summary: check.summary,
      explanation: check.explanation,
      hint: check.hint,
    }));
}

function soakHeader(report: Report<SoakData>): PageHeader {
  const info = report.data.info;
  const s = report.data.summary;
  return {
    title: `mqtt-doctor soak: ${info.target}`,
    subtitle: `run ${report.data.runId}, ${new Date(s.startedMs).toISOString()} → ${new Date(s.atMs).toISOString()} (${fmtMs(s.elapsedMs)})`,
    verdict: { status: report.verdict.status, summary: report.verdict.summary },
    failed: report.data.thresholds.filter((t) => !t.pass).map((t) => `--${t.id}: ${t.text}`),
    pairs: [
      // info.target is already masked (formatTarget) and names an impair proxy when one was in the path.
      [
        'target',
        report.target?.url && info.target.includes(' via ')
          ? `${report.target.url}${info.target.slice(info.target.indexOf(' via '))}`
          : (report.target?.url ?? info.target),
      ],
      ['clients', String(s.clients)],
      ...settingPairs(info),
      ['reconnect policy', info.reconnect],
      ['checkpoint every', fmtMs(info.checkpointMs)],
      ['ended', report.data.end],
      ...(report.data.source
        ? [
            [
              'source',
              `${report.data.source.file}${report.data.source.complete ? '' : ' (no end line: killed run)'}`,
            ] as [string, string],
          ]
        : []),
      ...(report.insecure ? [['TLS', 'NOT verified (--insecure)'] as [string, string]] : []),
    ],
  };
}

function countBuckets(
  times: number[],
  fromMs: number,
  toMs: number,
  buckets: number,
): Array<{ t: number; count: number }> {
  const width = (toMs - fromMs) / buckets;
  const counts = new Map<number, number>();
  for (const t of times) {
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((t - fromMs) / width)));
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([b, count]) => ({ t: fromMs + (b + 0.5) * width, count }));
}

type SummaryEvent = Extract<SoakEvent, { type: 'checkpoint' | 'end' }>;

/** Merge consecutive windows into at most `max` groups (worst percentiles of each group, counts summed). */
function groupWindows<T extends { from: number; to: number }>(items: T[], max: number, merge: (a: T, b: T) => T): T[] {
  if (items.length <= max) return items;
  const per = Math.ceil(items.length / max);
  const out: T[] = [];
  for (let i = 0; i < items.length; i += per) out.push(items.slice(i, i + per).reduce(merge));
  return out;
}

function latencyWindows(
  summaries: SummaryEvent[],
  fromMs: number,
  buckets: number,
  windowLatency: SoakHtmlOptions['windowLatency'],
): SoakHtmlInput['latency'] {
  // Per-window figures only when every summary line carries them; otherwise the cumulative ones all lines have.
  const perWindow =
    windowLatency !== undefined && summaries.length > 0 && summaries.every((ev) => windowLatency(ev) !== undefined);
  const windows: LatencyWindow[] = [];
  let prev = fromMs;
  for (const ev of summaries) {
    const lat = perWindow ? windowLatency(ev) : ev.summary.messages.latencyMs;
    if (lat && lat.count > 0 && ev.t > prev)
      windows.push({ from: prev, to: ev.t, count: lat.count, p50: lat.p50, p90: lat.p90, p99: lat.p99, max: lat.max });
    prev = Math.max(prev, ev.t);
  }
  const merged = groupWindows(windows, buckets, (a, b) =>
    perWindow
      ? {
          from: a.from,
          to: b.to,
          count: a.count + b.count,
          p50: (a.p50 * a.count + b.p50 * b.count) / Math.max(1, a.count + b.count),
          p90: Math.max(a.p90, b.p90),
          p99: Math.max(a.p99, b.p99),
          max: Math.max(a.max, b.max),
        }
      : { ...b, from: a.from },
  );
  return { windows: merged, cumulative: !perWindow };
}

function messageWindows(summaries: SummaryEvent[], fromMs: number, buckets: number): MessageWindow[] {
  const out: MessageWindow[] = [];
  let prevT = fromMs;
  let prev: SoakSummary['messages'] | undefined;
  // Live counts are revised (a late message stops being lost): a window never shows a negative count.
  const delta = (a: number, b: number | undefined) => Math.max(0, a - (b ?? 0));
  for (const ev of summaries) {
    const m = ev.summary.messages;
    if (ev.t > prevT) {
      out.push({
        from: prevT,
        to: ev.t,
        sent: delta(m.sent, prev?.sent),
        lost: delta(m.lost, prev?.lost),
        duplicates: delta(m.duplicates, prev?.duplicates),
        outOfOrder: delta(m.outOfOrder, prev?.outOfOrder),
      });
    }
    prev = m;
    prevT = Math.max(prevT, ev.t);
  }
  return groupWindows(out, buckets, (a, b) => ({
    from: a.from,
    to: b.to,
    sent: a.sent + b.sent,
    lost: a.lost + b.lost,
    duplicates: a.duplicates + b.duplicates,
    outOfOrder: a.outOfOrder + b.outOfOrder,
  }));
}
