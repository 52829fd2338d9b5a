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
import type { SoakData } from '../build-soak.js';
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
  const d = report.data;
  const s = d.summary;
  const fromMs = s.startedMs;
  const toMs = Math.max(s.atMs, fromMs + 1);
  const lanes = new Map<number, LaneState_>();
  const changes: Array<[number, number]> = [];
  const reconnectTimes: number[] = [];
  const reconnectMs: number[] = [];
  const connectedMs: number[] = [];
  const summaries: Array<Extract<SoakEvent, { type: 'checkpoint' | 'end' }>> = [];
  let disconnects = 0;
  let failures = 0;
  const laneOf = (client: number, t: number): LaneState_ => {
    let l = lanes.get(client);
    if (!l) {
      l = {
        lane: { client, segments: [], marks: [], downtimeMs: 0, disconnects: 0 },
        state: 'initial',
        since: t,
        connected: false,
        everConnected: false,
        failedBeforeFirst: false,
      };
      lanes.set(client, l);
    }
    return l;
  };
  const close = (l: LaneState_, t: number) => {
    if (t > l.since || l.lane.segments.length === 0) l.lane.segments.push({ from: l.since, to: t, state: l.state });
    // Time before the first connect is downtime only when attempts failed (as the text report counts it).
    if (l.state !== 'up' && (l.state !== 'initial' || l.failedBeforeFirst))
      l.lane.downtimeMs += Math.max(0, t - l.since);
    l.since = t;
  };
  for (const ev of events) {
    switch (ev.type) {
      case 'client':
        laneOf(ev.client, ev.t);
        break;
      case 'connect': {
        const l = laneOf(ev.client, ev.t);
        if (l.connected) break;
        if (l.everConnected) {
          reconnectTimes.push(ev.t);
          reconnectMs.push(Math.max(0, ev.t - l.since));
        }
        close(l, ev.t);
        l.state = 'up';
        l.connected = true;
        l.everConnected = true;
        changes.push([ev.t, 1]);
        break;
      }
      case 'connect-failed': {
        const l = laneOf(ev.client, ev.t);
        failures += 1;
        l.lane.marks.push({ t: ev.t, kind: 'failed', cause: ev.cause, detail: ev.detail });
        if (!l.everConnected && l.state === 'initial') {
          close(l, ev.t);
          l.failedBeforeFirst = true;
          l.state = ev.cause;
        }
        break;
      }
      case 'disconnect': {
        const l = laneOf(ev.client, ev.t);
        if (!l.connected) break;
        disconnects += 1;
        l.lane.disconnects += 1;
        l.lane.marks.push({ t: ev.t, kind: 'disconnect', cause: ev.cause, detail: ev.detail });
        connectedMs.push(Math.max(0, ev.t - l.since));
        close(l, ev.t);
        l.state = ev.cause;
        l.connected = false;
        changes.push([ev.t, -1]);
        break;
      }
      case 'checkpoint':
      case 'end':
        summaries.push(ev);
        break;
      case 'start':
        break;
    }
  }
  for (const l of lanes.values()) close(l, toMs);
  const all = [...lanes.values()].map((l) => l.lane);
  const shown =
    all.length <= maxLanes
      ? all.sort((a, b) => a.client - b.client)
      : all
          .sort((a, b) => b.downtimeMs - a.downtimeMs || b.disconnects - a.disconnects || a.client - b.client)
          .slice(0, maxLanes);
  return {
    header: soakHeader(report),
    generator: `${report.tool.name} ${report.tool.version} (${report.command})`,
    fromMs,
    toMs,
    clients: s.clients,
    lanes: shown,
    laneCount: all.length,
    connected: connectedBuckets(changes, fromMs, toMs, buckets),
    ...lowestAfterAll(changes, s.clients),
    reconnects: countBuckets(reconnectTimes, fromMs, toMs, buckets),
    disconnects,
    connectFailures: failures,
    latency: latencyWindows(summaries, fromMs, buckets, opts.windowLatency ?? checkpointWindowLatency),
    messages: d.info.ratePerS > 0 ? messageWindows(summaries, fromMs, buckets) : null,
    byCause: (Object.entries(s.connections.byCause) as Array<[DisconnectCause, number]>)
      .map(([cause, count]) => ({ cause, title: CAUSE_INFO[cause].title, count }))
      .sort((a, b) => b.count - a.count),
    reconnectMs,
    connectedMs,
    findings: report.checks
      .filter(
        (c) =>
          c.id.startsWith('finding.') || c.id.startsWith('threshold.') || c.status === 'warn' || c.status === 'fail',
      )
      .map((c) => ({ status: c.status, title: c.title, summary: c.summary, explanation: c.explanation, hint: c.hint })),
  };
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
      [
        'traffic',
        info.ratePerS > 0
          ? `${info.ratePerS}/s per client, QoS ${info.qos}, ${info.payloadBytes} B`
          : 'idle (connections only)',
      ],
      [
        'session',
        `MQTT ${info.mqttVersion === 5 ? '5' : '3.1.1'}, ${info.clean ? 'clean' : 'kept (--no-clean)'}, keepalive ${info.keepaliveS} s`,
      ],
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
