/**
 * `soak --workers K`: the fleet (or this shard's slice of it) runs in K worker processes (worker-main.ts),
 * each one a shard of the run under the shard contract: worker w of a process that is itself shard I/N runs
 * shard I·K + w of N·K, so its client ids, topics and JSONL tags never collide with any other worker or
 * machine, and `mqtt-doctor report` merges its lines like any shard's. The parent streams every worker's
 * lines to the one --out file and merges them live (analyze/soak/merge.ts) for one status line, one /metrics
 * and one report. A worker that dies is named and its clients' figures stop at its last checkpoint.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EndReason, ShardTag, SoakEvent } from '../../analyze/soak/events.js';
import { mergeShards, tagShard, type MergedRun, type ShardStream } from '../../analyze/soak/merge.js';
import { summarizeConnections, summarizeMessages, type SoakSummary } from '../../analyze/soak/summary.js';
import { LatencyHistogram } from '../../analyze/stats.js';
import { shardSlice } from '../../config/soak.js';
import { addArrivals, type ArrivalCounts } from './metrics.js';
import type { FromWorker, ToWorker, WorkerRunOptions } from './worker-main.js';

const ENTRY = fileURLToPath(new URL('./worker-main.js', import.meta.url));

export interface WorkersOptions {
  workers: number;
  /** The whole fleet (-n). */
  fleet: number;
  /** This process's shard of the run (--shard I/N), if any. */
  shard: ShardTag | undefined;
  /** The runner options shared by every worker; clients, ids, first client and ramp are set per worker. */
  base: Omit<WorkerRunOptions, 'clients' | 'clientIds' | 'firstClient'>;
  clientIds: (slice: { from: number; to: number }) => string[];
  signal: AbortSignal;
  /** Every worker's line, tagged with its shard of the whole run (what --out holds). */
  onEvent: (ev: SoakEvent) => void;
  /** A worker started or ended (pid, exit code or signal), for stderr. */
  onWorker?: (line: string) => void;
  /** How often workers send their live summary (the status line's period). */
  statusEveryMs?: number;
  /** After a stop, how long a worker may take to drain and close before it is killed. */
  stopGraceMs?: number;
  /** Workers keep the per-message figures of /metrics and send them with their live summary. */
  tallyArrivals?: boolean;
}

interface Worker {
  w: number;
  tag: ShardTag;
  slice: { from: number; to: number };
  child: ChildProcess;
  stream: ShardStream | undefined;
  live: SoakSummary | undefined;
  arrivals: ArrivalCounts | undefined;
  connectedNow: number;
  done: boolean;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

export interface WorkersRun {
  runId: string;
  startedMs: number;
  pids: number[];
  snapshot(): SoakSummary;
  connectedNow(): number;
  /** The workers' per-message figures summed (with tallyArrivals; each as of its latest live summary). */
  arrivals(): ArrivalCounts;
  done: Promise<{ summary: SoakSummary; reason: EndReason; merged: MergedRun }>;
}

/** Worker w's shard of the whole run, given this process's own shard (composition of --shard and --workers). */
export function workerShard(w: number, workers: number, outer: ShardTag | undefined): ShardTag {
  return { index: (outer?.index ?? 0) * workers + w, count: (outer?.count ?? 1) * workers };
}

export function startWorkers(o: WorkersOptions): WorkersRun {
  const startedMs = Date.now();
  const statusEveryMs = o.statusEveryMs ?? 1000;
  const list: Worker[] = [];
  for (let w = 0; w < o.workers; w++) {
    const tag = workerShard(w, o.workers, o.shard);
    const slice = shardSlice(o.fleet, tag);
    const child = fork(ENTRY, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const worker: Worker = {
      w,
      tag,
      slice,
      child,
      stream: undefined,
      live: undefined,
      arrivals: undefined,
      connectedNow: 0,
      done: false,
      exit: undefined,
    };
    list.push(worker);
    child.on('message', (m: FromWorker) => onMessage(worker, m));
    const options: WorkerRunOptions = {
      ...o.base,
      clients: slice.to - slice.from,
      firstClient: slice.from,
      clientIds: o.clientIds(slice),
      // The ramp asked for is the fleet's: each worker takes its share.
      rampPerS: o.base.rampPerS / o.workers,
      // Workers on one machine share its ephemeral ports: each binds from its own part of the range.
      portSlice: { index: w, count: o.workers },
    };
    child.send({ type: 'start', options, statusEveryMs, tallyArrivals: o.tallyArrivals ?? false } satisfies ToWorker);
    o.onWorker?.(
      `soak: worker ${w} pid ${child.pid} runs clients ${slice.from}–${slice.to - 1} (shard ${tag.index}/${tag.count})`,
    );
  }

  function onMessage(worker: Worker, m: FromWorker): void {
    if (m.type === 'event') {
      const ev = m.ev;
      o.onEvent(tagShard(ev, worker.tag));
      // In memory each worker is shard w of K: this process's report covers its own workers only.
      if (ev.type === 'start') {
        const local: ShardTag = { index: worker.w, count: o.workers };
        const start = { ...ev, shard: local, info: { ...ev.info, clients: mine } };
        worker.stream = { runId: ev.runId, shard: local, start, events: [start], file: `worker ${worker.w}` };
      } else worker.stream?.events.push({ ...ev, shard: worker.w });
    } else if (m.type === 'snapshot') {
      worker.live = m.summary;
      worker.connectedNow = m.connectedNow;
      if (m.arrivals) worker.arrivals = m.arrivals;
    } else if (m.type === 'done') worker.done = true;
  }
  const mine = list.reduce((n, x) => n + x.slice.to - x.slice.from, 0);

  const merge = (live: boolean): MergedRun => {
    const streams = list.flatMap((x) => {
      if (!x.stream) return [];
      if (!live || !x.live || x.exit) return [x.stream];
      // The latest live summary as a checkpoint: counts as of now, not as of the last checkpoint.
      const now: SoakEvent = { type: 'checkpoint', t: x.live.atMs, summary: x.live, shard: x.w };
      return [{ ...x.stream, events: [...x.stream.events, now] }];
    });
    return mergeShards(streams);
  };

  let cached: { at: number; summary: SoakSummary } | undefined;
  const snapshot = (): SoakSummary => {
    const t = Date.now();
    if (cached && t - cached.at < statusEveryMs / 2) return cached.summary;
    const summary = list.some((x) => x.stream)
      ? merge(true).summary
      : emptySummary(startedMs, t, mine, o.base.flapThresholdMs);
    cached = { at: t, summary };
    return summary;
  };

  const done = new Promise<{ summary: SoakSummary; reason: EndReason; merged: MergedRun }>((resolve) => {
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      for (const x of list) if (!x.exit && x.child.connected) x.child.send({ type: 'stop' } satisfies ToWorker);
      // A worker that cannot finish (stuck in a close) must not hold the report hostage.
      killTimer = setTimeout(() => {
        for (const x of list) if (!x.exit) x.child.kill('SIGKILL');
      }, o.stopGraceMs ?? 30_000);
    };
    if (o.signal.aborted) stop();
    else o.signal.addEventListener('abort', stop, { once: true });
    let left = list.length;
    for (const x of list) {
      // 'close', not 'exit': a worker's last IPC messages (its end line) may still be in the pipe at 'exit';
      // 'close' comes once its channel is closed too (child_process docs, event 'close').
      x.child.on('close', (code, signal) => {
        x.exit = { code, signal };
        if (!x.done)
          o.onWorker?.(
            `soak: worker ${x.w} (pid ${x.child.pid}, clients ${x.slice.from}–${x.slice.to - 1}) ended ${signal ? `by ${signal}` : `with exit code ${code}`} before its end line: its clients' figures stop at its last checkpoint`,
          );
        left -= 1;
        if (left > 0) return;
        clearTimeout(killTimer);
        o.signal.removeEventListener('abort', stop);
        const merged = merge(false);
        resolve({ summary: merged.summary, reason: merged.end === 'killed' ? 'error' : merged.end, merged });
      });
    }
  });

  return {
    runId: o.base.runId,
    startedMs,
    pids: list.map((x) => x.child.pid ?? -1),
    snapshot,
    connectedNow: () => list.reduce((n, x) => n + (x.exit ? 0 : x.connectedNow), 0),
    // A worker that died keeps its figures up to its last live summary (counters never go back).
    arrivals: () => addArrivals(list.flatMap((x) => (x.arrivals ? [x.arrivals] : []))),
    done,
  };
}

/** Before any worker's first line: nothing connected, nothing sent. */
function emptySummary(startedMs: number, atMs: number, clients: number, flapMs: number): SoakSummary {
  return {
    atMs,
    startedMs,
    elapsedMs: atMs - startedMs,
    clients,
    connections: summarizeConnections([], atMs, flapMs),
    messages: summarizeMessages([], atMs, 0, new LatencyHistogram()),
    perClient: [],
  };
}
