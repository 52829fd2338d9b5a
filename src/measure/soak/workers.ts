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
import { SoakReplay, type EndReason, type ShardTag, type SoakEvent } from '../../analyze/soak/events.js';
import { mergeShards, mergedSummary, tagShard, type MergedRun, type ShardStream } from '../../analyze/soak/merge.js';
import { MergeableHistogram } from '../../analyze/soak/histogram.js';
import { summarizeConnections, summarizeMessages, type SoakSummary } from '../../analyze/soak/summary.js';
import { LatencyHistogram } from '../../analyze/stats.js';
import { shardSlice } from '../../config/soak.js';
import { addArrivals, type ArrivalCounts } from './metrics.js';
import { PackedLines } from './packed-lines.js';
import type { FromWorker, ToWorker, WorkerRunOptions } from './worker-main.js';
import type { LiveFigures } from './runner.js';

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
  /** Its start line (as this process's report counts it) and the lines after it, packed, for the final merge. */
  start: ShardStream['start'] | undefined;
  lines: PackedLines;
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
  const list = Array.from({ length: o.workers }, (_, w) => forkWorker(o, w, statusEveryMs));
  const mine = list.reduce((n, x) => n + x.slice.to - x.slice.from, 0);
  const live = new LiveMerge(o.workers, mine);
  for (const x of list) {
    x.child.on('message', (m: FromWorker) => onWorkerMessage(o, x, m, live, mine));
    x.child.on('close', () => live.exited(x.w));
  }

  let cached: { at: number; summary: SoakSummary } | undefined;
  const snapshot = (): SoakSummary => {
    const t = Date.now();
    if (cached && t - cached.at < statusEveryMs / 2) return cached.summary;
    const summary = live.started ? live.summary() : emptySummary(startedMs, t, mine, o.base.flapThresholdMs);
    cached = { at: t, summary };
    return summary;
  };

  return {
    runId: o.base.runId,
    startedMs,
    pids: list.map((x) => x.child.pid ?? -1),
    snapshot,
    connectedNow: () => list.reduce((n, x) => n + (x.exit ? 0 : x.connectedNow), 0),
    // A worker that died keeps its figures up to its last live summary (counters never go back).
    arrivals: () => addArrivals(list.flatMap((x) => (x.arrivals ? [x.arrivals] : []))),
    done: whenAllClosed(o, list),
  };
}

/**
 * V8 flags for the worker processes of an idle fleet (`--rate 0`), which we start ourselves (never the user's
 * own process). A ramp of thousands of connections leaves a worker with V8's young generation at its largest
 * (two 16 MB semi-spaces) and an old generation grown by up to 4× past its live size before the next full GC
 * (V8 heap-controller.cc: the growing factor), with the ramp's promoted-then-dead objects still in it. Measured
 * at 5,000 idle sessions per worker (bench/soak-worker-memory.bench.ts, same run): RSS 207 → 153 MB (bare
 * MQTT.js 198 MB), young generation 33.6 → 1-2 MB, old generation committed ~125 → ~106 MB for ~88 MB live; the
 * cost is CPU during the ramp, 5.4 → 6.8 s per worker for its 5,000 connects and a minute idle.
 *  - `--max-semi-space-size=1`: each of the young generation's two semi-spaces is at most 1 MB (`node
 *    --v8-options`: "max size of a semi-space (in MBytes), the new space consists of two semi-spaces"; Node docs,
 *    CLI options, --max-semi-space-size);
 *  - `--heap-growing-percent=20`: the old generation may grow 20% past what the last full GC left before the
 *    next one (`node --v8-options`: "specifies heap growing factor as (1 + heap_growing_percent/100)"), so the
 *    ramp's garbage is collected as it goes instead of piling up.
 * Runs that send messages keep V8's defaults: with these flags a soak of 200 clients at 1,500 msg/s did 0.83×
 * (QoS 0) and 0.85× (QoS 1) the messages per CPU-second (bench/soak-throughput.bench.ts, MQD_TPUT_VARIANT_FLAGS).
 */
export const IDLE_WORKER_V8_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--heap-growing-percent=20'];

/** A worker's Node flags: the parent's own (as fork gives them by default), and for an idle fleet the above. */
export function workerExecArgv(ratePerS: number, parent: readonly string[] = process.execArgv): string[] {
  return ratePerS > 0 ? [...parent] : [...parent, ...IDLE_WORKER_V8_FLAGS];
}

/** Fork worker w and hand it its slice of the fleet. */
function forkWorker(o: WorkersOptions, w: number, statusEveryMs: number): Worker {
  const tag = workerShard(w, o.workers, o.shard);
  const slice = shardSlice(o.fleet, tag);
  const child = fork(ENTRY, [], {
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: workerExecArgv(o.base.ratePerS),
  });
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
  return {
    w,
    tag,
    slice,
    child,
    start: undefined,
    lines: new PackedLines(),
    arrivals: undefined,
    connectedNow: 0,
    done: false,
    exit: undefined,
  };
}

/** A worker's message: its lines, its live summary, or its 'done' (its end line was sent). */
function onWorkerMessage(o: WorkersOptions, worker: Worker, m: FromWorker, live: LiveMerge, mine: number): void {
  if (m.type === 'events') {
    // Lines before a start line are not counted (as in a merge); the start line is kept apart.
    let from = worker.start ? 0 : m.evs.length;
    m.evs.forEach((ev, i) => {
      onWorkerLine(o, worker, ev, live, mine);
      if (ev.type === 'start') from = i + 1;
    });
    worker.lines.push(from === 0 ? m.evs : m.evs.slice(from));
  } else if (m.type === 'snapshot') {
    live.setLive(worker.w, m.summary);
    worker.connectedNow = m.connectedNow;
    if (m.arrivals) worker.arrivals = m.arrivals;
  } else if (m.type === 'done') worker.done = true;
}

/** One line of a worker: to --out (tagged) and into the live merge; a start line begins its stream. */
function onWorkerLine(o: WorkersOptions, worker: Worker, ev: SoakEvent, live: LiveMerge, mine: number): void {
  o.onEvent(tagShard(ev, worker.tag));
  // In memory each worker is shard w of K: this process's report covers its own workers only.
  if (ev.type === 'start') {
    worker.start = { ...ev, shard: { index: worker.w, count: o.workers }, info: { ...ev.info, clients: mine } };
    worker.lines = new PackedLines();
  }
  live.add(worker.w, ev);
}

/** A worker's lines as one shard's stream (unpacked for the final merge), once its start line came. */
function workerStream(worker: Worker): ShardStream | undefined {
  const { start } = worker;
  if (!start) return undefined;
  const events = worker.lines.unpack((ev) => {
    if (ev.type !== 'start') ev.shard = worker.w;
    return ev;
  });
  return { runId: start.runId, shard: start.shard, start, events: [start, ...events], file: `worker ${worker.w}` };
}

/** What the live merge holds of one worker: its latest figures and times. */
interface LiveWorker {
  /** Its last checkpoint's (or end line's) summary, and its latest live summary. */
  checkpoint: SoakSummary | undefined;
  live: LiveFigures | undefined;
  /** The time of its latest line and of its end line. */
  lastT: number;
  endT: number | undefined;
  exited: boolean;
}

/**
 * The workers' lines merged as they arrive, for the status line and /metrics: each line is replayed once, each
 * checkpoint's histograms merged once, so a status tick costs what the fleet's size does (its summary), not
 * what the run's length does (re-merging every line so far made a long run's parent busier every tick).
 * The end of the run is merged from the whole streams (mergeShards), as `mqtt-doctor report` does. Pure.
 */
export class LiveMerge {
  private readonly replay = new SoakReplay();
  private readonly latency = new MergeableHistogram();
  private readonly connack = new MergeableHistogram();
  private readonly workers = new Map<number, LiveWorker>();
  private startedMs = Number.POSITIVE_INFINITY;
  private flapThresholdMs = 0;

  /** `count` workers run `clients` clients in all (worker w has shardSlice(clients, w/count)). */
  constructor(
    private readonly count: number,
    private readonly clients: number,
  ) {}

  /** Worker w's next line (its start line first; lines before it are not counted, as in a merge). */
  add(w: number, ev: SoakEvent): void {
    let x = this.workers.get(w);
    if (ev.type === 'start') {
      x = { checkpoint: undefined, live: undefined, lastT: ev.t, endT: undefined, exited: false };
      this.workers.set(w, x);
      this.startedMs = Math.min(this.startedMs, ev.t);
      this.flapThresholdMs = ev.info.flapThresholdMs;
    }
    if (!x) return;
    this.replay.add(ev);
    x.lastT = Math.max(x.lastT, ev.t);
    if (ev.type !== 'checkpoint' && ev.type !== 'end') return;
    x.checkpoint = ev.summary;
    if (ev.type === 'end') x.endT = ev.t;
    if (ev.summary.window) {
      this.latency.merge(ev.summary.window.latency);
      this.connack.merge(ev.summary.window.connack);
    }
  }

  /** Worker w's live figures (every status period; its connections come from its lines). */
  setLive(w: number, summary: LiveFigures): void {
    const x = this.workers.get(w);
    if (x) x.live = summary;
  }

  /** Worker w's process is gone: its figures stay those of its last checkpoint. */
  exited(w: number): void {
    const x = this.workers.get(w);
    if (x) x.exited = true;
  }

  /** True once some worker's start line came. */
  get started(): boolean {
    return this.workers.size > 0;
  }

  /**
   * Each running worker counts as of its latest live summary (when newer than its last checkpoint); one that
   * ended or died as of its end line or last checkpoint. Latency is that of the checkpoints' windows so far.
   */
  summary(): SoakSummary {
    const lasts: LiveFigures[] = [];
    let atMs = Number.NEGATIVE_INFINITY;
    let clients = 0;
    for (const [w, x] of this.workers) {
      const live =
        x.live && !x.exited && x.endT === undefined && x.live.atMs >= (x.checkpoint?.atMs ?? Number.NEGATIVE_INFINITY)
          ? x.live
          : undefined;
      const last = live ?? x.checkpoint;
      if (last) lasts.push(last);
      atMs = Math.max(atMs, x.endT ?? Math.max(x.lastT, live?.atMs ?? x.lastT));
      const slice = shardSlice(this.clients, this.count > 1 ? { index: w, count: this.count } : undefined);
      clients += slice.to - slice.from;
    }
    return mergedSummary({
      replay: this.replay,
      lasts,
      latency: this.latency,
      connack: this.connack,
      startedMs: this.startedMs,
      atMs,
      clients,
      flapThresholdMs: this.flapThresholdMs,
    });
  }
}

/** Stop the workers on the abort signal; when every one has closed, merge their streams into the run's result. */
function whenAllClosed(
  o: WorkersOptions,
  list: readonly Worker[],
): Promise<{ summary: SoakSummary; reason: EndReason; merged: MergedRun }> {
  return new Promise((resolve) => {
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
        const merged = mergeShards(list.flatMap((w) => workerStream(w) ?? []));
        resolve({ summary: merged.summary, reason: merged.end === 'killed' ? 'error' : merged.end, merged });
      });
    }
  });
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
