/**
 * One report from the shards of one soak run: every shard (`soak --shard I/N`, a worker, a pod of a
 * Kubernetes Indexed Job) writes its own JSONL lines, tagged with its index; this adds them up exactly.
 * Counts add, connection histories interleave (client indexes are global, so they never collide), and
 * latency comes from the mergeable histograms every checkpoint carries (histogram.ts: relative error at
 * most 2 %), never from averaging percentiles. A shard that is missing or never wrote its end line is named,
 * and the run is not healthy. Pure.
 */
import { shardSlice } from '../../config/soak.js';
import { SoakReplay, type EndReason, type ShardTag, type SoakEvent, type SoakRunInfo } from './events.js';
import type { ConnectionTimeline } from './connection.js';
import { MergeableHistogram } from './histogram.js';
import type { SaturationSummary } from './saturation.js';
import type { DisconnectCause } from './causes.js';
import {
  MAX_CLIENT_ROWS,
  type ConnectionSummary,
  summarizeConnections,
  worstClientRows,
  type ClientRow,
  type LatencySummary,
  type MessageSummary,
  type SoakSummary,
} from './summary.js';
import type { SoakFinding } from './thresholds.js';

type StartEvent = Extract<SoakEvent, { type: 'start' }>;
type SummaryEvent = Extract<SoakEvent, { type: 'checkpoint' | 'end' }>;

/** The line as a sharded run writes it: the start line names the shard, every other line carries its index. */
export function tagShard(ev: SoakEvent, shard: ShardTag): SoakEvent {
  return ev.type === 'start'
    ? { ...ev, shard: { index: shard.index, count: shard.count } }
    : { ...ev, shard: shard.index };
}

/** The lines of one shard of one run (an unsharded run is its own only shard, `shard` undefined). */
export interface ShardStream {
  runId: string;
  shard: ShardTag | undefined;
  start: StartEvent;
  /** In the order written (start line first). */
  events: SoakEvent[];
  /** The file(s) its lines came from. */
  file: string;
}

export interface ShardGrouping {
  streams: ShardStream[];
  /** Lines of a shard whose start line is not in the same file (a torn or cut file): not counted. */
  orphans: number;
  /** The same (run, shard) in two places: which is right cannot be told, so the caller refuses. */
  duplicates: Array<{ runId: string; index: number | undefined; files: string[] }>;
}

/**
 * Split parsed files into shard streams by (run id, shard index), whichever file a line comes from: one
 * file may hold several shards' lines interleaved (the workers of one process), several files one shard each.
 */
export function groupShardStreams(files: ReadonlyArray<{ file: string; events: readonly SoakEvent[] }>): ShardGrouping {
  const streams: ShardStream[] = [];
  const byKey = new Map<string, ShardStream>();
  const duplicates = new Map<string, { runId: string; index: number | undefined; files: string[] }>();
  let orphans = 0;
  for (const { file, events } of files) {
    const here = new Map<number, ShardStream>();
    for (const ev of events) {
      if (ev.type === 'start') {
        const index = ev.shard?.index;
        const key = `${ev.runId}\u0000${index ?? ''}`;
        const seen = byKey.get(key);
        if (seen) {
          const d = duplicates.get(key) ?? { runId: ev.runId, index, files: [seen.file] };
          d.files.push(file);
          duplicates.set(key, d);
          here.delete(index ?? -1);
          continue;
        }
        const s: ShardStream = { runId: ev.runId, shard: ev.shard, start: ev, events: [ev], file };
        byKey.set(key, s);
        streams.push(s);
        here.set(index ?? -1, s);
        continue;
      }
      const s = here.get(ev.shard ?? -1);
      if (s) s.events.push(ev);
      else orphans += 1;
    }
  }
  return { streams, orphans, duplicates: [...duplicates.values()] };
}

/**
 * Why these streams cannot be one run (several run ids, shards that disagree on the count, the fleet size
 * or the run's settings), or undefined when they can.
 */
export function shardSetProblem(streams: readonly ShardStream[]): string | undefined {
  const ids = [...new Set(streams.map((s) => s.runId))];
  if (ids.length > 1) {
    const files = ids.map(
      (id) => `${id} (${[...new Set(streams.filter((s) => s.runId === id).map((s) => s.file))].join(', ')})`,
    );
    return `the files hold ${ids.length} different runs: ${files.join('; ')}`;
  }
  const first = streams[0];
  if (!first) return 'no start line in any file';
  for (const s of streams) {
    if ((s.shard?.count ?? 1) !== (first.shard?.count ?? 1))
      return `shards of run ${first.runId} disagree on the shard count: ${first.file} says ${first.shard?.count ?? 'unsharded'}, ${s.file} says ${s.shard?.count ?? 'unsharded'}`;
    if (s.start.info.clients !== first.start.info.clients)
      return `shards of run ${first.runId} disagree on the fleet size (-n): ${first.file} says ${first.start.info.clients}, ${s.file} says ${s.start.info.clients}`;
  }
  return undefined;
}

export type ShardState = 'finished' | 'killed' | 'missing';

export interface ShardStatus {
  index: number;
  /** Global client indexes [from, to). */
  clients: { from: number; to: number };
  state: ShardState;
  end?: EndReason;
  file?: string;
  /** Events (lines) read for this shard. */
  events: number;
  lastEventMs?: number;
}

export interface MergedRun {
  runId: string;
  /** The run's settings (the lowest shard's start line); `clients` is the whole fleet. */
  info: SoakRunInfo;
  shardCount: number;
  shards: ShardStatus[];
  startedMs: number;
  atMs: number;
  summary: SoakSummary;
  /** How the run ended: the finished shards' reason (error before refused before signal before duration), or killed. */
  end: EndReason | 'killed';
  /** Missing and unfinished shards, named: each fails the run. */
  findings: SoakFinding[];
  recentDisconnects: Array<Extract<SoakEvent, { type: 'disconnect' | 'connect-failed' }>>;
  /**
   * The run as one file would hold it, by time: one start line, every shard's connection events, and the
   * merged checkpoints (mergeCheckpoints): what a picture of the whole run draws.
   */
  events: SoakEvent[];
}

const END_RANK: Record<EndReason, number> = { error: 3, refused: 2, signal: 1, duration: 0 };

/**
 * Merge the shards of ONE run (check `shardSetProblem` first). Connection accounting is replayed from
 * every shard's events together; message counts add the last checkpoint (or end line) of each shard;
 * latency and CONNACK time merge every checkpoint's window histogram.
 */
export function mergeShards(streams: readonly ShardStream[], keepRecent = 20): MergedRun {
  const problem = shardSetProblem(streams);
  if (problem) throw new Error(problem);
  const sorted = [...streams].sort((a, b) => (a.shard?.index ?? 0) - (b.shard?.index ?? 0));
  const first = sorted[0] as ShardStream;
  const info = first.start.info;
  const count = first.shard?.count ?? 1;
  const read = readShards(sorted, info.clients, count);
  // Stable: lines of one shard keep their written order at equal times.
  const events = sorted.flatMap((s) => s.events).sort((a, b) => a.t - b.t);
  const replay = new SoakReplay(keepRecent);
  for (const ev of events) replay.add(ev);
  const present = read.shards.filter((s) => s.state !== 'missing');
  return {
    runId: first.runId,
    info,
    shardCount: count,
    shards: read.shards,
    startedMs: read.startedMs,
    atMs: read.atMs,
    summary: mergedSummary({
      replay,
      lasts: read.lasts.map((l) => l.summary),
      latency: read.latency,
      connack: read.connack,
      startedMs: read.startedMs,
      atMs: read.atMs,
      clients: present.reduce((n, s) => n + s.clients.to - s.clients.from, 0),
      flapThresholdMs: info.flapThresholdMs,
    }),
    end: mergedEnd(read.shards),
    findings: [...shardFindings(read.shards, info.clients), ...settingFindings(sorted)],
    recentDisconnects: replay.result().recentDisconnects,
    events: [
      first.start,
      ...events.filter((e) => e.type !== 'start' && e.type !== 'checkpoint' && e.type !== 'end'),
      ...mergeCheckpoints(sorted),
    ].sort((a, b) => a.t - b.t),
  };
}

/** What one merged summary is made of: the replayed connection history and each shard's latest figures. */
export interface MergeParts {
  /** Every shard's lines replayed: the connection histories and the fleet's first connects. */
  replay: SoakReplay;
  /**
   * Each present shard's latest summary (its last checkpoint, end line or live snapshot). Its connection
   * figures are not read (they come from the replayed lines), so a live one may leave them out.
   */
  lasts: ReadonlyArray<Omit<SoakSummary, 'connections'>>;
  /** Every window of every shard merged so far. */
  latency: MergeableHistogram;
  connack: MergeableHistogram;
  startedMs: number;
  atMs: number;
  /** Clients of the shards present. */
  clients: number;
  flapThresholdMs: number;
}

/** What the shards' own lines say: each shard's status, its last summary, the window histograms, the span. */
interface ShardReading {
  shards: ShardStatus[];
  /** Each present shard's last checkpoint or end line. */
  lasts: SummaryEvent[];
  latency: MergeableHistogram;
  connack: MergeableHistogram;
  startedMs: number;
  atMs: number;
}

/** Shards 0..count−1 in order, a missing one named as missing. */
function readShards(sorted: readonly ShardStream[], fleet: number, count: number): ShardReading {
  const byIndex = new Map(sorted.map((s) => [s.shard?.index ?? 0, s]));
  const reading: ShardReading = {
    shards: [],
    lasts: [],
    latency: new MergeableHistogram(),
    connack: new MergeableHistogram(),
    startedMs: Number.POSITIVE_INFINITY,
    atMs: Number.NEGATIVE_INFINITY,
  };
  for (let index = 0; index < count; index++) {
    const clients = shardSlice(fleet, count > 1 ? { index, count } : undefined);
    const stream = byIndex.get(index);
    if (!stream) {
      reading.shards.push({ index, clients, state: 'missing', events: 0 });
      continue;
    }
    const { last, end, lastT } = readShard(stream, reading);
    if (last) reading.lasts.push(last);
    reading.startedMs = Math.min(reading.startedMs, stream.start.t);
    reading.atMs = Math.max(reading.atMs, end?.t ?? lastT);
    reading.shards.push({
      index,
      clients,
      state: end ? 'finished' : 'killed',
      ...(end ? { end: end.reason } : {}),
      file: stream.file,
      events: stream.events.length,
      lastEventMs: lastT,
    });
  }
  return reading;
}

/** One shard's last summary line, its end line and its last time; its windows go into the run's histograms. */
function readShard(
  stream: ShardStream,
  into: { latency: MergeableHistogram; connack: MergeableHistogram },
): { last: SummaryEvent | undefined; end: Extract<SoakEvent, { type: 'end' }> | undefined; lastT: number } {
  let last: SummaryEvent | undefined;
  let end: Extract<SoakEvent, { type: 'end' }> | undefined;
  let lastT = stream.start.t;
  for (const ev of stream.events) {
    lastT = Math.max(lastT, ev.t);
    if (ev.type !== 'checkpoint' && ev.type !== 'end') continue;
    last = ev;
    if (ev.type === 'end') end = ev;
    if (ev.summary.window) {
      into.latency.merge(ev.summary.window.latency);
      into.connack.merge(ev.summary.window.connack);
    }
  }
  return { last, end, lastT };
}

/**
 * The merged summary (mergeShards at the end of a run, and the live merge of soak --workers on every status
 * tick): counts add, connection figures come from the replayed history, latency from the merged windows.
 */
export function mergedSummary(p: MergeParts): SoakSummary {
  const { lasts, startedMs, atMs } = p;
  const { timelines } = p.replay.result();
  const rows = withTimelines(
    lasts.flatMap((l) => l.perClient),
    timelines,
    atMs,
  );
  const first = p.replay.firstConnects;
  const lastMs = Math.max(startedMs, first.lastMs ?? startedMs);
  return {
    atMs,
    startedMs,
    elapsedMs: atMs - startedMs,
    clients: p.clients,
    connections: summarizeConnections(timelines, atMs, p.flapThresholdMs),
    messages: addMessages(
      lasts.map((l) => l.messages),
      p.latency,
    ),
    perClient: worstClientRows(rows, MAX_CLIENT_ROWS),
    fleet: {
      connackMs: histogramSummary(p.connack),
      askedPerS: lasts.reduce((n, l) => n + (l.fleet?.askedPerS ?? 0), 0),
      firstConnects: first.count,
      achievedPerS: first.count > 1 && lastMs > startedMs ? (1000 * first.count) / (lastMs - startedMs) : null,
      ...addSources(lasts.map((l) => l.fleet)),
    },
    ...addSaturation(lasts.map((l) => l.saturation)),
  };
}

/** The finished shards' reason (error before refused before signal before duration), or killed when none finished. */
function mergedEnd(shards: readonly ShardStatus[]): MergedRun['end'] {
  const finished = shards.filter((s) => s.state === 'finished');
  if (finished.length === 0) return 'killed';
  return finished.reduce<EndReason>(
    (e, s) => (END_RANK[s.end ?? 'duration'] > END_RANK[e] ? (s.end ?? e) : e),
    'duration',
  );
}

/**
 * Per-client rows of checkpoints with their connection figures replaced by the replayed history, which is
 * complete up to the last line (a checkpoint's are as old as the checkpoint).
 */
export function withTimelines(
  rows: readonly ClientRow[],
  timelines: readonly ConnectionTimeline[],
  atMs: number,
): ClientRow[] {
  const byClient = new Map(timelines.map((t) => [t.client, t]));
  return rows.map((row) => {
    const tl = byClient.get(row.client);
    return tl
      ? {
          ...row,
          connects: tl.connects,
          reconnects: tl.reconnects,
          downtimeMs: tl.downtimeMs(atMs),
          connected: tl.connected,
        }
      : row;
  });
}

/** Shard 2 (clients 500–749). */
const shardName = (s: ShardStatus, count: number): string =>
  `shard ${s.index}/${count} (clients ${s.clients.from}–${s.clients.to - 1})`;

function shardFindings(shards: readonly ShardStatus[], fleet: number): SoakFinding[] {
  const out: SoakFinding[] = [];
  const count = shards.length;
  const missing = shards.filter((s) => s.state === 'missing');
  const killed = shards.filter((s) => s.state === 'killed');
  if (missing.length > 0) {
    const lacking = missing.reduce((n, s) => n + s.clients.to - s.clients.from, 0);
    out.push({
      id: 'shard-missing',
      status: 'fail',
      title: missing.length === 1 ? 'shard missing' : 'shards missing',
      summary: `no lines of ${missing.map((s) => shardName(s, count)).join(', ')}`,
      explanation: `the files given hold no line of ${missing.length === 1 ? 'this shard' : 'these shards'}, so ${lacking} of the ${fleet} clients are not in this report: a run with a shard unaccounted for is never healthy`,
      hint: 'give every shard file (mqtt-doctor report DIR reads every *.jsonl in DIR), or find out why the shard never ran',
    });
  }
  if (killed.length > 0) {
    out.push({
      id: 'shard-unfinished',
      status: 'fail',
      title: killed.length === 1 ? 'shard did not finish' : 'shards did not finish',
      summary: `no end line from ${killed.map((s) => `${shardName(s, count)}, last line ${s.lastEventMs === undefined ? '—' : new Date(s.lastEventMs).toISOString()}`).join('; ')}`,
      explanation:
        'a shard without its end line was killed (out of memory, evicted, the machine lost): its connection history is complete up to its last line, its message counts and latency only up to its last checkpoint',
      hint: 'look at why the shard stopped (kubectl describe pod, dmesg for the OOM killer); its clients were still running when it died',
    });
  }
  return out;
}

/**
 * Shards of one run that ran with different settings (a shard started with another --rate or --qos): the
 * merged figures mix them, so say which; the report's settings are the lowest shard's. The target may differ
 * on purpose (shards aimed at the nodes of a cluster) and is not compared.
 */
function settingFindings(streams: readonly ShardStream[]): SoakFinding[] {
  const first = streams[0];
  if (!first) return [];
  const keys = (Object.keys(first.start.info) as Array<keyof SoakRunInfo>).filter((k) => k !== 'target');
  const differ = keys.flatMap((k) => {
    const values = new Map<string, number[]>();
    for (const s of streams) {
      const v = JSON.stringify(s.start.info[k] ?? null);
      values.set(v, [...(values.get(v) ?? []), s.shard?.index ?? 0]);
    }
    return values.size < 2
      ? []
      : [`${k} ${[...values].map(([v, ix]) => `${v} (shard ${ix.join(', ')})`).join(' vs ')}`];
  });
  if (differ.length === 0) return [];
  return [
    {
      id: 'shard-settings',
      status: 'warn',
      title: 'shards ran with different settings',
      summary: differ.join('; '),
      explanation:
        "the shards of this run were started with different options, so the merged figures mix runs that were not alike; the settings shown are the lowest shard's",
      hint: 'start every shard with the same command line but --shard (or from one Job template)',
    },
  ];
}

/** Counts add; loss is recomputed from the sums; latency from the merged histogram. */
function addMessages(parts: readonly MessageSummary[], latency: MergeableHistogram): MessageSummary {
  const total: Record<string, number> = {};
  for (const m of parts)
    for (const [k, v] of Object.entries(m))
      if (typeof v === 'number' && k !== 'lossPct') total[k] = (total[k] ?? 0) + v;
  const n = (k: string): number => total[k] ?? 0;
  return {
    sent: n('sent'),
    received: n('received'),
    lost: n('lost'),
    duplicates: n('duplicates'),
    outOfOrder: n('outOfOrder'),
    late: n('late'),
    skippedOffline: n('skippedOffline'),
    sentOffline: n('sentOffline'),
    deliveredOffline: n('deliveredOffline'),
    inflightAtDisconnect: n('inflightAtDisconnect'),
    recoveredAfterReconnect: n('recoveredAfterReconnect'),
    foreign: n('foreign'),
    lossPct: n('sent') === 0 ? 0 : (100 * n('lost')) / n('sent'),
    latencyMs: histogramSummary(latency),
  };
}

export function histogramSummary(h: MergeableHistogram): LatencySummary | null {
  if (h.count === 0) return null;
  const s = h.toJSON();
  return {
    count: s.count,
    avg: s.sumMs / s.count,
    p50: h.percentile(50),
    p90: h.percentile(90),
    p99: h.percentile(99),
    max: s.maxMs ?? Number.NaN,
  };
}

/**
 * --local-address rows add up per address (workers and shards spread the fleet by global index); a peak is
 * the sum of each shard's own peak (an upper bound of the run's). The bound is the first shard's.
 */
function addSources(
  parts: ReadonlyArray<SoakSummary['fleet']>,
): Pick<NonNullable<SoakSummary['fleet']>, 'sources' | 'bound'> {
  const rows = new Map<string, NonNullable<NonNullable<SoakSummary['fleet']>['sources']>[number]>();
  for (const r of parts.flatMap((p) => p?.sources ?? [])) {
    const x = rows.get(r.address) ?? { address: r.address, clients: 0, connectedNow: 0, peakConnected: 0 };
    rows.set(r.address, {
      address: r.address,
      clients: x.clients + r.clients,
      connectedNow: x.connectedNow + r.connectedNow,
      peakConnected: x.peakConnected + r.peakConnected,
    });
  }
  const bound = parts.find((p) => p?.bound)?.bound;
  return { ...(rows.size > 0 ? { sources: [...rows.values()] } : {}), ...(bound ? { bound } : {}) };
}

/** Each shard's own machine: windows and time add, the worst delay and CPU are kept. */
function addSaturation(parts: ReadonlyArray<SaturationSummary | undefined>): { saturation?: SaturationSummary } {
  const known = parts.filter((p): p is SaturationSummary => p !== undefined);
  if (known.length === 0) return {};
  const firsts = known.flatMap((p) => (p.firstMs === null ? [] : [p.firstMs]));
  const lastsMs = known.flatMap((p) => (p.lastMs === null ? [] : [p.lastMs]));
  return {
    saturation: {
      windows: known.reduce((n, p) => n + p.windows, 0),
      totalMs: known.reduce((n, p) => n + p.totalMs, 0),
      loopDelayMaxMs: Math.max(...known.map((p) => p.loopDelayMaxMs)),
      cpuMaxPct: Math.max(...known.map((p) => p.cpuMaxPct)),
      failuresDuring: known.reduce((n, p) => n + p.failuresDuring, 0),
      firstMs: firsts.length ? Math.min(...firsts) : null,
      lastMs: lastsMs.length ? Math.max(...lastsMs) : null,
    },
  };
}

/**
 * The run's checkpoints as one fleet would have written them: checkpoint k of the run merges checkpoint k
 * of every shard (shards started together with --start-at and the same --checkpoint, so the k-th lines
 * cover the same span). Messages add (a shard with fewer checkpoints, killed, carries its last counts),
 * latency merges the windows exactly; connection figures add where they are counts and take the worst
 * where they are a maximum, but medians (time to reconnect, attempts, connected periods) cannot be merged
 * from summaries and are left out (null): the final figures come from the replayed history instead. For
 * what draws the run over time (report --html, a live merge).
 */
export function mergeCheckpoints(streams: readonly ShardStream[]): SummaryEvent[] {
  const perShard = streams
    .map((s) => s.events.filter((e): e is SummaryEvent => e.type === 'checkpoint' || e.type === 'end'))
    .filter((l) => l.length > 0);
  const rounds = Math.max(0, ...perShard.map((l) => l.length));
  const cumulative = new MergeableHistogram();
  const out: SummaryEvent[] = [];
  for (let k = 0; k < rounds; k++) {
    const now = perShard.map((l) => l[k]).filter((e): e is SummaryEvent => e !== undefined);
    const parts = perShard.map((l) => (l[Math.min(k, l.length - 1)] as SummaryEvent).summary);
    const latency = new MergeableHistogram();
    const connack = new MergeableHistogram();
    for (const e of now)
      if (e.summary.window) {
        latency.merge(e.summary.window.latency);
        connack.merge(e.summary.window.connack);
      }
    cumulative.merge(latency);
    const t = Math.max(...now.map((e) => e.t));
    const startedMs = Math.min(...parts.map((p) => p.startedMs));
    const summary: SoakSummary = {
      atMs: t,
      startedMs,
      elapsedMs: t - startedMs,
      clients: parts.reduce((n, p) => n + p.clients, 0),
      connections: addConnections(
        parts.map((p) => p.connections),
        parts.map((p) => p.clients),
      ),
      messages: addMessages(
        parts.map((p) => p.messages),
        cumulative,
      ),
      perClient: worstClientRows(parts.flatMap((p) => p.perClient)),
      window: {
        fromMs: Math.min(...now.map((e) => e.summary.window?.fromMs ?? e.t)),
        toMs: t,
        latency: latency.toJSON(),
        connack: connack.toJSON(),
      },
    };
    const last = now.length === perShard.length && now.every((e) => e.type === 'end');
    out.push(
      last
        ? { type: 'end', t, reason: (now[0] as Extract<SoakEvent, { type: 'end' }>).reason, summary }
        : { type: 'checkpoint', t, summary },
    );
  }
  return out;
}

function addConnections(parts: readonly ConnectionSummary[], weights: readonly number[]): ConnectionSummary {
  const clients = weights.reduce((n, w) => n + w, 0);
  const sum = (
    k:
      | 'connects'
      | 'reconnects'
      | 'disconnects'
      | 'connectFailures'
      | 'sessionsLost'
      | 'downtimeTotalMs'
      | 'downtimeTotalMinMs'
      | 'flaps'
      | 'neverConnected'
      | 'connectedNow',
  ) => parts.reduce((n, p) => n + p[k], 0);
  const weightedMean = (values: readonly number[]): number =>
    clients === 0 ? 0 : values.reduce((n, v, i) => n + v * (weights[i] ?? 0), 0) / clients;
  const byCause: ConnectionSummary['byCause'] = {};
  for (const p of parts)
    for (const [k, v] of Object.entries(p.byCause))
      byCause[k as DisconnectCause] = (byCause[k as DisconnectCause] ?? 0) + (v ?? 0);
  const longest = parts.reduce<ConnectionSummary['longestOutage']>(
    (a, p) => (p.longestOutage && (!a || p.longestOutage.ms > a.ms) ? p.longestOutage : a),
    null,
  );
  return {
    connects: sum('connects'),
    reconnects: sum('reconnects'),
    maxReconnectsPerClient: Math.max(0, ...parts.map((p) => p.maxReconnectsPerClient)),
    disconnects: sum('disconnects'),
    connectFailures: sum('connectFailures'),
    byCause,
    sessionsLost: sum('sessionsLost'),
    downtimeTotalMs: sum('downtimeTotalMs'),
    worstClientDowntimeMs: Math.max(0, ...parts.map((p) => p.worstClientDowntimeMs)),
    // A silent outage is known as a range (summary.ts): both bounds add up the same way.
    downtimeTotalMinMs: sum('downtimeTotalMinMs'),
    worstClientDowntimeMinMs: Math.max(0, ...parts.map((p) => p.worstClientDowntimeMinMs)),
    // A mean over clients: each shard's mean weighted by its clients.
    uptimePct: weightedMean(parts.map((p) => p.uptimePct)),
    uptimeMaxPct: weightedMean(parts.map((p) => p.uptimeMaxPct)),
    longestOutage: longest,
    timeToReconnectMs: null,
    attemptsPerOutage: null,
    connectedMs: null,
    connectedUpToMs: null,
    flaps: sum('flaps'),
    flapThresholdMs: parts[0]?.flapThresholdMs ?? 0,
    neverConnected: sum('neverConnected'),
    connectedNow: sum('connectedNow'),
  };
}
