/**
 * Runs a soak: starts N clients at the ramp rate, keeps per-client accounting, writes checkpoints, and ends
 * on the duration or the abort signal, after a short drain so messages already in flight are not miscounted
 * as lost. The only async, networked part of soak; decisions live in analyze/soak and config/reconnect.
 */
import type { IClientOptions, MqttClient } from 'mqtt';
import { LatencyHistogram } from '../../analyze/stats.js';
import { isPermanentRefusal } from '../../analyze/soak/causes.js';
import { SaturationTracker } from '../../analyze/soak/saturation.js';
import { MergeableHistogram } from '../../analyze/soak/histogram.js';
import { sniff } from '../../transport/mqtt-wire.js';
import { sleep } from '../sleep.js';
import { ConnectionTimeline } from '../../analyze/soak/connection.js';
import { SeqTracker, pendingCapPerClient } from '../../analyze/soak/sequence.js';
import {
  SOAK_FILE_VERSION,
  type EndReason,
  type PortCheck,
  type SoakEvent,
  type SoakRunInfo,
} from '../../analyze/soak/events.js';
import {
  clientRows,
  latencySummary,
  summarizeConnections,
  summarizeMessages,
  type SoakSummary,
} from '../../analyze/soak/summary.js';
import type { ReconnectPolicy } from '../../config/reconnect.js';
import type { PayloadFormat } from './payload.js';
import { speaksTls } from '../cross-check.js';
import { SourceTally } from './source-tally.js';
import type { ConnectionBound } from '../../config/source-address.js';
import { SoakClient, type ConnectFn, type SoakClientOptions } from './client.js';
import { connectByOptions } from './mqtt-options.js';
import { watchLoopGaps } from './loop-gaps.js';

export interface SoakRunOptions {
  url: string;
  mqttOptions: IClientOptions;
  runId: string;
  clients: number;
  /** Client ids: `${prefix}-${index}` (or exactly prefix when clients = 1 and sameId). */
  clientIds: string[];
  /**
   * Global index of this process's first client (a shard runs the slice [firstClient, firstClient + clients)
   * of the fleet): events, topics and message payloads use the global index, so shards never collide.
   */
  firstClient?: number;
  /** Wall-clock ms to wait for before the first connect (shards started together); Ctrl-C ends the wait. */
  startAtMs?: number;
  rampPerS: number;
  qos: 0 | 1 | 2;
  ratePerS: number;
  payloadBytes: number;
  payloadFormat: PayloadFormat;
  clean: boolean;
  publishOffline?: boolean;
  policy: ReconnectPolicy;
  durationMs: number | undefined;
  checkpointMs: number;
  lossGraceMs: number;
  flapThresholdMs: number;
  /** Longest wait at the end for messages still in flight. */
  drainMs: number;
  info: SoakRunInfo;
  signal: AbortSignal;
  onEvent: (ev: SoakEvent) => void;
  onArrival?: (latencyMs: number | undefined, kind: string) => void;
  random?: () => number;
  now?: () => number;
  connect?: ConnectFn;
  /** The bound on this run's connections (ports, open files, broker) said before the ramp, for the report. */
  bound?: ConnectionBound;
  /** --local-address: client i connects from localAddresses[i mod length] (round robin). */
  localAddresses?: string[];
  /** --workers: this process is worker `index` of `count` and takes that slice of the local port range. */
  portSlice?: { index: number; count: number };
  /** Longest wait for a SUBACK after CONNACK (default: the connect timeout). */
  readyTimeoutMs?: number;
  /**
   * Stop after this many attempts when no client ever connected and every attempt was refused permanently
   * (bad credentials, not authorised, banned): retrying cannot cure it. Undefined: retry for ever.
   */
  stopAfterRefusals?: number;
  /**
   * Sample our own event-loop delay and CPU to tell when this process is the bottleneck. Default: on with
   * the wall clock, off when a clock is injected (a fake clock has no machine to measure).
   */
  watchSelf?: boolean;
}

/** A live summary without its connection figures (see SoakRun.liveFigures). */
export type LiveFigures = Omit<SoakSummary, 'connections'>;

export interface SoakRun {
  runId: string;
  startedMs: number;
  /** Live summary (lost = pending for longer than the loss grace). */
  snapshot(): SoakSummary;
  /**
   * The live summary less its connection figures, for a parent that replays this run's lines (soak --workers:
   * analyze/soak/merge.ts mergedSummary takes the connections from the lines, never from a live summary).
   * A worker built them every status period for nothing (5,000 idle clients, JIT warm: 0.6-0.8 MB of 3.7 MB
   * allocated per summary); what a worker allocates every period kept V8's young generation at its largest.
   */
  liveFigures(): LiveFigures;
  connectedNow(): number;
  done: Promise<SoakDone>;
}

export interface SoakDone {
  summary: SoakSummary;
  reason: EndReason;
  /** The port asked for TLS when no client connected and plaintext CONNECTs were closed unanswered. */
  crossCheck?: PortCheck;
}

/** Longest wait for the end-of-run TLS handshake on the port (probe's cross-check takes the same). */
const CROSS_CHECK_MS = 1500;

export const wallClockMs = (): number => performance.timeOrigin + performance.now();

/**
 * The longest delay a Node timer holds (2^31 − 1 ms, about 24.8 days); a longer one fires after 1 ms with a
 * TimeoutOverflowWarning (Node docs, setTimeout). `--duration 30d` must not end the run at once.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** setTimeout for any delay: re-arms in steps of at most MAX_TIMER_MS. `cancel()` stops it. */
export function longTimeout(fn: () => void, delayMs: number, now: () => number): { cancel(): void } {
  const deadline = now() + delayMs;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    timer = setTimeout(() => {
      const left = deadline - now();
      if (left > 0) arm(Math.min(left, MAX_TIMER_MS));
      else fn();
    }, ms);
  };
  arm(Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
  return { cancel: () => clearTimeout(timer) };
}

export async function startSoak(o: SoakRunOptions): Promise<SoakRun> {
  const now = o.now ?? wallClockMs;
  const connect: ConnectFn =
    o.connect ?? connectByOptions((await import('mqtt')).connect as (opts: IClientOptions) => MqttClient);
  // --start-at: wait with everything loaded, so the shards' first connects leave at the agreed time.
  if (o.startAtMs !== undefined) await sleep(o.startAtMs - now(), o.signal);
  const startedMs = now();
  const sources =
    o.localAddresses && o.localAddresses.length > 0 ? new SourceTally(o.localAddresses, o.portSlice) : undefined;
  const connectFrom = sources ? (await import('../../transport/source-address.js')).connectFrom : undefined;
  const fleet: Fleet = { timelines: [], trackers: [], clients: [] };
  const saturation = new SaturationTracker();
  const tally = new ConnectTally(o, saturation, sources);
  const recorders = new Recorders(startedMs);
  tally.emit({ type: 'start', v: SOAK_FILE_VERSION, t: startedMs, runId: o.runId, info: o.info });
  const parts = { startedMs, fleet, tally, recorders, sources, saturation };
  const summary = (t: number, graceMs: number): SoakSummary => runSummary(o, parts, t, graceMs);
  const startClient = clientStarter(o, now, fleet, {
    emit: tally.emit,
    recorders,
    connect: sources && connectFrom ? (i) => connectFrom(sources.assign(i), connect, sources.ports) : () => connect,
  });
  const self = (o.watchSelf ?? o.now === undefined) ? watchSelf(saturation, now) : undefined;
  const done = runUntilEnd(o, now, startedMs, { fleet, tally, recorders, summary, startClient, self });
  return {
    runId: o.runId,
    startedMs,
    snapshot: () => summary(now(), o.lossGraceMs),
    liveFigures: () => runFigures(o, parts, now(), o.lossGraceMs),
    connectedNow: () => fleet.clients.reduce((n, c) => n + (c.connected ? 1 : 0), 0),
    done,
  };
}

/** The run's clients and their accounting, in start order. */
interface Fleet {
  timelines: ConnectionTimeline[];
  trackers: SeqTracker[];
  clients: SoakClient[];
}

/**
 * What the run learns from its own events before passing them on: first connects (the fleet's connect rate),
 * failures while saturated, refusals (a run every attempt of which is refused for good stops), and plaintext
 * attempts closed unanswered (worth asking the port whether it speaks TLS).
 */
class ConnectTally {
  everConnected = false;
  firstConnects = 0;
  lastFirstConnectMs: number | undefined;
  /** A plaintext attempt closed before any byte came back (a TLS listener does that): worth asking the port. */
  closedUnanswered = false;
  stopForRefusals: (() => void) | undefined;
  private refusals = 0;
  private failures = 0;
  private readonly seenUp = new Set<number>();
  private readonly mqttVersion: 4 | 5;

  constructor(
    private readonly o: SoakRunOptions,
    private readonly saturation: SaturationTracker,
    private readonly sources: SourceTally | undefined,
  ) {
    this.mqttVersion = o.mqttOptions.protocolVersion === 5 ? 5 : 4;
  }

  readonly emit = (ev: SoakEvent): void => {
    this.sources?.onEvent(ev);
    if (ev.type === 'connect') {
      this.everConnected = true;
      if (ev.attempt === 0 || !this.seenUp.has(ev.client)) {
        this.seenUp.add(ev.client);
        this.firstConnects += 1;
        this.lastFirstConnectMs = ev.t;
      }
    } else if (ev.type === 'disconnect' || ev.type === 'connect-failed') {
      this.saturation.failure(ev.t);
    }
    if (ev.type === 'connect-failed') this.failed(ev);
    this.o.onEvent(ev);
  };

  private failed(ev: Extract<SoakEvent, { type: 'connect-failed' }>): void {
    const o = this.o;
    this.failures += 1;
    if ((ev.cause === 'broker-closed' || ev.cause === 'reset') && ev.firstBytes === undefined)
      this.closedUnanswered = true;
    if (ev.cause === 'connack-refused' && isPermanentRefusal(ev.reasonCode, this.mqttVersion)) this.refusals += 1;
    if (
      !this.everConnected &&
      o.stopAfterRefusals !== undefined &&
      this.refusals === this.failures &&
      this.refusals >= o.stopAfterRefusals
    )
      this.stopForRefusals?.();
  }

  /** The fleet's first connects and their rate since the start. */
  fleet(startedMs: number): Pick<NonNullable<SoakSummary['fleet']>, 'firstConnects' | 'achievedPerS'> {
    const n = this.firstConnects;
    const last = this.lastFirstConnectMs;
    return {
      firstConnects: n,
      achievedPerS: n > 1 && last !== undefined && last > startedMs ? (1000 * n) / (last - startedMs) : null,
    };
  }
}

/**
 * The run's latency and CONNACK time: for the whole run, and per checkpoint window (serialisable and
 * mergeable, analyze/soak/histogram.ts).
 */
class Recorders {
  readonly latency = new LatencyHistogram();
  readonly connack = new LatencyHistogram();
  private readonly windowLatency = new MergeableHistogram();
  private readonly windowConnack = new MergeableHistogram();

  constructor(private windowFromMs: number) {}

  arrival(ms: number): void {
    this.latency.record(Math.max(0, ms));
    this.windowLatency.record(ms);
  }

  readonly connackTime = (ms: number): void => {
    this.connack.record(ms);
    this.windowConnack.record(ms);
  };

  /** The window since the last call, then start a new one. */
  takeWindow(t: number): NonNullable<SoakSummary['window']> {
    const w = {
      fromMs: this.windowFromMs,
      toMs: t,
      latency: this.windowLatency.toJSON(),
      connack: this.windowConnack.toJSON(),
    };
    this.windowLatency.reset();
    this.windowConnack.reset();
    this.windowFromMs = t;
    return w;
  }
}

interface SummaryParts {
  startedMs: number;
  fleet: Fleet;
  tally: ConnectTally;
  recorders: Recorders;
  sources: SourceTally | undefined;
  saturation: SaturationTracker;
}

/** The live summary (lost = pending for longer than graceMs; 0 at the end of the run). */
function runSummary(o: SoakRunOptions, r: SummaryParts, t: number, graceMs: number): SoakSummary {
  const { atMs, startedMs, elapsedMs, clients, ...rest } = runFigures(o, r, t, graceMs);
  return {
    atMs,
    startedMs,
    elapsedMs,
    clients,
    connections: summarizeConnections(r.fleet.timelines, t, o.flapThresholdMs),
    ...rest,
  };
}

/** Everything in the live summary but the connection figures. */
function runFigures(o: SoakRunOptions, r: SummaryParts, t: number, graceMs: number): LiveFigures {
  const { timelines, trackers } = r.fleet;
  return {
    atMs: t,
    startedMs: r.startedMs,
    elapsedMs: t - r.startedMs,
    clients: o.clients,
    messages: summarizeMessages(trackers, t, graceMs, r.recorders.latency),
    perClient: clientRows(timelines, trackers, t, graceMs),
    fleet: {
      connackMs: latencySummary(r.recorders.connack),
      askedPerS: o.rampPerS,
      ...r.tally.fleet(r.startedMs),
      ...(r.sources ? { sources: r.sources.rows() } : {}),
      ...(o.bound ? { bound: o.bound } : {}),
    },
    ...((o.watchSelf ?? o.now === undefined) ? { saturation: r.saturation.summary() } : {}),
  };
}

/** Starts client `local` of this process (global index firstClient + local) with its own accounting. */
function clientStarter(
  o: SoakRunOptions,
  now: () => number,
  fleet: Fleet,
  r: { emit: (ev: SoakEvent) => void; recorders: Recorders; connect: (i: number) => ConnectFn },
): (local: number) => void {
  const intervalMs = o.ratePerS > 0 ? 1000 / o.ratePerS : 0;
  const maxPending = pendingCapPerClient(o.clients, o.ratePerS, o.lossGraceMs);
  // Only ids used by more than one client need the takeover lookup (an idle fleet of unique ids pays nothing).
  const idCount = new Map<string, number>();
  for (const id of o.clientIds) idCount.set(id, (idCount.get(id) ?? 0) + 1);
  const byId = new Map<string, SoakClient[]>();
  idCount.forEach((n, id) => {
    if (n < 2) idCount.delete(id);
  });
  const shared = sharedClientOptions(o, now, r);
  return (local) => {
    const t = now();
    const i = (o.firstClient ?? 0) + local;
    const clientId = o.clientIds[local] ?? `${o.runId}-${i}`;
    const timeline = new ConnectionTimeline(i, t, o.flapThresholdMs);
    const seq = new SeqTracker(o.lossGraceMs, maxPending);
    fleet.timelines.push(timeline);
    fleet.trackers.push(seq);
    const own: SoakClientOptions = Object.assign(Object.create(shared) as SoakClientOptions, {
      index: i,
      clientId,
      // An idle client (no --rate) never subscribes or publishes: no topic to hold.
      topic: intervalMs > 0 ? `mqtt-doctor/soak/${o.runId}/${i}` : '',
      seq,
      timeline,
      connect: r.connect(i),
      ...((idCount.get(clientId) ?? 0) > 1
        ? { sameIdActive: (): boolean => (byId.get(clientId) ?? []).some((x) => x !== c && x.active) }
        : {}),
    });
    const c: SoakClient = new SoakClient(own);
    fleet.clients.push(c);
    if ((idCount.get(clientId) ?? 0) > 1) byId.set(clientId, [...(byId.get(clientId) ?? []), c]);
    c.start();
  };
}

type SharedClientOptions = Omit<SoakClientOptions, 'index' | 'clientId' | 'topic' | 'seq' | 'timeline' | 'connect'>;

/**
 * What every client shares, once for the run; each client's own options inherit from it, so a fleet of idle
 * connections does not hold N copies of two dozen fields (SoakClient reads them through `this.o`).
 */
function sharedClientOptions(
  o: SoakRunOptions,
  now: () => number,
  r: { emit: (ev: SoakEvent) => void; recorders: Recorders },
): SharedClientOptions {
  const onArrival = (ms: number | undefined, kind: string) => {
    if (ms !== undefined) r.recorders.arrival(ms);
    o.onArrival?.(ms, kind);
  };
  return {
    runId: o.runId,
    url: o.url,
    mqttOptions: o.mqttOptions,
    qos: o.qos,
    intervalMs: o.ratePerS > 0 ? 1000 / o.ratePerS : 0,
    payloadBytes: o.payloadBytes,
    payloadFormat: o.payloadFormat,
    clean: o.clean,
    publishOffline: o.publishOffline ?? false,
    policy: o.policy,
    random: o.random ?? Math.random,
    now,
    onEvent: r.emit,
    onArrival,
    sniff,
    onConnackTime: r.recorders.connackTime,
    ...(o.readyTimeoutMs !== undefined ? { readyTimeoutMs: o.readyTimeoutMs } : {}),
  };
}

/** How often soak samples its own event-loop delay and CPU. */
const SELF_SAMPLE_MS = 1000;
/** How often the loop-delay tick runs (what monitorEventLoopDelay's `resolution` was). */
const LOOP_TICK_MS = 20;

/**
 * Our own event-loop delay and CPU, sampled every second into `saturation`; `stop()` samples the last partial
 * window too, so a stall in the run's final second is not dropped with it. A window's loop delay is the longest
 * time the loop went without turning in it (loop-gaps.ts: the 20 ms tick period is taken off).
 */
function watchSelf(saturation: SaturationTracker, now: () => number): { stop(): void } {
  const gaps = watchLoopGaps(LOOP_TICK_MS, () => performance.now());
  let cpu = process.cpuUsage();
  let at = performance.now();
  const sample = (onTimer: boolean) => {
    const wall = performance.now() - at;
    const used = process.cpuUsage(cpu);
    saturation.sample({
      atMs: now(),
      windowMs: wall,
      loopDelayMaxMs: gaps.take(),
      cpuPct: onTimer && wall > 0 ? (100 * (used.user + used.system)) / 1000 / wall : 0,
    });
    cpu = process.cpuUsage();
    at = performance.now();
  };
  const timer = setInterval(() => sample(true), SELF_SAMPLE_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      // The last partial window counts by its loop delay only: its CPU share is the end's own work (the summary
      // is built right after) over a fraction of a second, noise rather than saturation.
      sample(false);
      gaps.stop();
    },
  };
}

interface RunParts {
  fleet: Fleet;
  tally: ConnectTally;
  recorders: Recorders;
  summary: (t: number, graceMs: number) => SoakSummary;
  startClient: (local: number) => void;
  self: { stop(): void } | undefined;
}

/**
 * The run's life: the ramp, checkpoints every checkpointMs, and the end (duration, abort signal, or refusals
 * that retrying cannot cure), after the end-of-run checks and the drain.
 */
function runUntilEnd(o: SoakRunOptions, now: () => number, startedMs: number, r: RunParts): Promise<SoakDone> {
  return new Promise<SoakDone>((resolve) => {
    let finished = false;
    /** What the end stops: the ramp, the checkpoint timer, the duration timer. */
    const stops: Array<() => void> = [];
    const finish = async (reason: EndReason) => {
      if (finished) return;
      finished = true;
      for (const stop of stops) stop();
      o.signal.removeEventListener('abort', onAbort);
      resolve(await endRun(o, now, reason, r));
    };
    const onAbort = () => void finish('signal');
    r.tally.stopForRefusals = () => void finish('refused');
    if (o.signal.aborted) {
      void finish('signal');
      return;
    }
    o.signal.addEventListener('abort', onAbort, { once: true });
    if (o.durationMs !== undefined) {
      const duration = longTimeout(() => void finish('duration'), o.durationMs, now);
      stops.push(() => duration.cancel());
    }
    const checkpoints = setInterval(() => {
      const t = now();
      r.tally.emit({
        type: 'checkpoint',
        t,
        summary: { ...r.summary(t, o.lossGraceMs), window: r.recorders.takeWindow(t) },
      });
    }, o.checkpointMs);
    stops.push(() => clearInterval(checkpoints));
    stops.push(startRamp(o, now, startedMs, r.startClient));
  });
}

/** Start clients in batches every 10 ms (or all at once when the ramp allows); returns what stops the ramp. */
function startRamp(
  o: SoakRunOptions,
  now: () => number,
  startedMs: number,
  startClient: (local: number) => void,
): () => void {
  let next = 0;
  let stopped = false;
  let rampTimer: NodeJS.Timeout | undefined;
  const rampStep = () => {
    const due =
      o.rampPerS <= 0 ? o.clients : Math.min(o.clients, Math.floor(((now() - startedMs) / 1000) * o.rampPerS) + 1);
    while (next < due && !stopped) startClient(next++);
    if (next >= o.clients && rampTimer) {
      clearInterval(rampTimer);
      rampTimer = undefined;
    }
  };
  rampStep();
  if (next < o.clients) rampTimer = setInterval(rampStep, 10);
  return () => {
    stopped = true;
    if (rampTimer) clearInterval(rampTimer);
  };
}

/** The end: stop publishing, check the links and the port, drain, close, and write the end line. */
async function endRun(o: SoakRunOptions, now: () => number, reason: EndReason, r: RunParts): Promise<SoakDone> {
  const { clients, trackers } = r.fleet;
  for (const c of clients) c.quiesce();
  // A run that ends on its own (not Ctrl-C) counts attempts still waiting for CONNACK or SUBACK as failed.
  if (reason === 'duration') for (const c of clients) c.endAttempt(now());
  // A link that died in the last keepalive window has not been noticed yet: ask every connected client
  // for a PINGRESP (while the drain waits anyway); no byte back means the link is silent, counted from
  // its last byte.
  // Wait as MQTT.js itself would for a PINGRESP (half a keepalive: KeepaliveManager.ts gives up at 1.5 × K
  // after pinging at K), at least the drain and at most 10 s; a live link answers in a round trip.
  const keepaliveMs = 1000 * Number(o.mqttOptions.keepalive ?? 0);
  const aliveWaitMs = Math.max(o.drainMs, Math.min(0.5 * keepaliveMs, 10_000));
  const alive = Promise.all(clients.map((c) => c.checkAlive(aliveWaitMs)));
  const crossCheck = reason !== 'signal' ? askPortForTls(o, r.tally) : undefined;
  // Drain: wait (at most drainMs) for messages sent within the loss grace that are still on their way;
  // older ones are lost already and not worth waiting for.
  const drainEnd = now() + o.drainMs;
  const inFlight = () => {
    const t = now();
    return trackers.some((tr) => tr.missing(t, 0) > tr.missing(t, o.lossGraceMs));
  };
  while (now() < drainEnd && clients.some((c) => c.connected) && inFlight()) {
    await new Promise((res) => setTimeout(res, 20));
  }
  await alive;
  const checked = await crossCheck;
  r.self?.stop();
  const t = now();
  const final = r.summary(t, 0);
  await Promise.all(clients.map((c) => c.stop()));
  const port = checked ? { crossCheck: checked } : {};
  r.tally.emit({ type: 'end', t, reason, summary: { ...final, window: r.recorders.takeWindow(t) }, ...port });
  return { summary: final, reason, ...port };
}

/**
 * No client ever connected and the server closed plaintext CONNECTs without a byte: ask the port, as probe
 * does (measure/cross-check.ts), whether it speaks TLS, so the report can say "use mqtts://".
 */
function askPortForTls(o: SoakRunOptions, tally: ConnectTally): Promise<PortCheck> | undefined {
  const target = new URL(o.url);
  if (tally.everConnected || !tally.closedUnanswered) return undefined;
  if (target.protocol !== 'mqtt:' && target.protocol !== 'ws:') return undefined;
  return speaksTls(target.hostname.replace(/^\[|\]$/g, ''), Number(target.port || 1883), CROSS_CHECK_MS).then(
    (answered): PortCheck => ({ tried: 'tls', answered }),
  );
}
