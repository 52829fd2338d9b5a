/**
 * Runs a soak: starts N clients at the ramp rate, keeps per-client accounting, writes checkpoints, and ends
 * on the duration or the abort signal, after a short drain so messages already in flight are not miscounted
 * as lost. The only async, networked part of soak; decisions live in analyze/soak and config/reconnect.
 */
import type { IClientOptions } from 'mqtt';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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

export interface SoakRun {
  runId: string;
  startedMs: number;
  /** Live summary (lost = pending for longer than the loss grace). */
  snapshot(): SoakSummary;
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
  const connect: ConnectFn = o.connect ?? ((await import('mqtt')).connect as ConnectFn);
  // --start-at: wait with everything loaded, so the shards' first connects leave at the agreed time.
  if (o.startAtMs !== undefined) await sleep(o.startAtMs - now(), o.signal);
  const startedMs = now();
  const timelines: ConnectionTimeline[] = [];
  const trackers: SeqTracker[] = [];
  const clients: SoakClient[] = [];
  const latency = new LatencyHistogram();
  const connack = new LatencyHistogram();
  // Per checkpoint window, serialisable and mergeable (analyze/soak/histogram.ts).
  const windowLatency = new MergeableHistogram();
  const windowConnack = new MergeableHistogram();
  let windowFromMs = 0;
  const saturation = new SaturationTracker();
  let firstConnects = 0;
  let lastFirstConnectMs: number | undefined;
  const mqttVersion = o.mqttOptions.protocolVersion === 5 ? 5 : 4;
  let everConnected = false;
  let refusals = 0;
  let failures = 0;
  /** A plaintext attempt closed before any byte came back (a TLS listener does that): worth asking the port. */
  let closedUnanswered = false;
  let stopForRefusals: (() => void) | undefined;
  const intervalMs = o.ratePerS > 0 ? 1000 / o.ratePerS : 0;
  const maxPending = pendingCapPerClient(o.clients, o.ratePerS, o.lossGraceMs);
  const emit = (ev: SoakEvent) => {
    sources?.onEvent(ev);
    if (ev.type === 'connect') {
      everConnected = true;
      if (ev.attempt === 0 || !seenUp.has(ev.client)) {
        seenUp.add(ev.client);
        firstConnects += 1;
        lastFirstConnectMs = ev.t;
      }
    } else if (ev.type === 'disconnect' || ev.type === 'connect-failed') {
      saturation.failure(ev.t);
    }
    if (ev.type === 'connect-failed') {
      failures += 1;
      if ((ev.cause === 'broker-closed' || ev.cause === 'reset') && ev.firstBytes === undefined)
        closedUnanswered = true;
      if (ev.cause === 'connack-refused' && isPermanentRefusal(ev.reasonCode, mqttVersion)) refusals += 1;
      if (
        !everConnected &&
        o.stopAfterRefusals !== undefined &&
        refusals === failures &&
        refusals >= o.stopAfterRefusals
      )
        stopForRefusals?.();
    }
    o.onEvent(ev);
  };
  const seenUp = new Set<number>();
  const sources =
    o.localAddresses && o.localAddresses.length > 0 ? new SourceTally(o.localAddresses, o.portSlice) : undefined;
  const connectFrom = sources ? (await import('../../transport/source-address.js')).connectFrom : undefined;
  const onArrival = (ms: number | undefined, kind: string) => {
    if (ms !== undefined) {
      latency.record(Math.max(0, ms));
      windowLatency.record(ms);
    }
    o.onArrival?.(ms, kind);
  };

  windowFromMs = startedMs;
  /** The window since the last call, then start a new one. */
  const takeWindow = (t: number) => {
    const w = { fromMs: windowFromMs, toMs: t, latency: windowLatency.toJSON(), connack: windowConnack.toJSON() };
    windowLatency.reset();
    windowConnack.reset();
    windowFromMs = t;
    return w;
  };
  emit({ type: 'start', v: SOAK_FILE_VERSION, t: startedMs, runId: o.runId, info: o.info });

  const summary = (t: number, graceMs: number): SoakSummary => ({
    atMs: t,
    startedMs,
    elapsedMs: t - startedMs,
    clients: o.clients,
    connections: summarizeConnections(timelines, t, o.flapThresholdMs),
    messages: summarizeMessages(trackers, t, graceMs, latency),
    perClient: clientRows(timelines, trackers, t, graceMs),
    fleet: {
      connackMs: latencySummary(connack),
      askedPerS: o.rampPerS,
      firstConnects,
      achievedPerS:
        firstConnects > 1 && lastFirstConnectMs !== undefined && lastFirstConnectMs > startedMs
          ? (1000 * firstConnects) / (lastFirstConnectMs - startedMs)
          : null,
      ...(sources ? { sources: sources.rows() } : {}),
      ...(o.bound ? { bound: o.bound } : {}),
    },
    ...((o.watchSelf ?? o.now === undefined) ? { saturation: saturation.summary() } : {}),
  });

  // Only ids used by more than one client need the takeover lookup (an idle fleet of unique ids pays nothing).
  const idCount = new Map<string, number>();
  for (const id of o.clientIds) idCount.set(id, (idCount.get(id) ?? 0) + 1);
  const byId = new Map<string, SoakClient[]>();
  idCount.forEach((n, id) => {
    if (n < 2) idCount.delete(id);
  });
  // What every client shares, once for the run; each client's own options inherit from it, so a fleet of idle
  // connections does not hold N copies of two dozen fields (SoakClient reads them through `this.o`).
  const onConnackTime = (ms: number): void => {
    connack.record(ms);
    windowConnack.record(ms);
  };
  const shared: Omit<SoakClientOptions, 'index' | 'clientId' | 'topic' | 'seq' | 'timeline' | 'connect'> = {
    runId: o.runId,
    url: o.url,
    mqttOptions: o.mqttOptions,
    qos: o.qos,
    intervalMs,
    payloadBytes: o.payloadBytes,
    payloadFormat: o.payloadFormat,
    clean: o.clean,
    publishOffline: o.publishOffline ?? false,
    policy: o.policy,
    random: o.random ?? Math.random,
    now,
    onEvent: emit,
    onArrival,
    sniff,
    onConnackTime,
    ...(o.readyTimeoutMs !== undefined ? { readyTimeoutMs: o.readyTimeoutMs } : {}),
  };
  const startClient = (local: number) => {
    const t = now();
    const i = (o.firstClient ?? 0) + local;
    const clientId = o.clientIds[local] ?? `${o.runId}-${i}`;
    const timeline = new ConnectionTimeline(i, t, o.flapThresholdMs);
    const seq = new SeqTracker(o.lossGraceMs, maxPending);
    timelines.push(timeline);
    trackers.push(seq);
    const own: SoakClientOptions = Object.assign(Object.create(shared) as SoakClientOptions, {
      index: i,
      clientId,
      // An idle client (no --rate) never subscribes or publishes: no topic to hold.
      topic: intervalMs > 0 ? `mqtt-doctor/soak/${o.runId}/${i}` : '',
      seq,
      timeline,
      connect: sources && connectFrom ? connectFrom(sources.assign(i), connect, sources.ports) : connect,
      ...((idCount.get(clientId) ?? 0) > 1
        ? { sameIdActive: (): boolean => (byId.get(clientId) ?? []).some((x) => x !== c && x.active) }
        : {}),
    });
    const c: SoakClient = new SoakClient(own);
    clients.push(c);
    if ((idCount.get(clientId) ?? 0) > 1) byId.set(clientId, [...(byId.get(clientId) ?? []), c]);
    c.start();
  };

  let rampTimer: NodeJS.Timeout | undefined;
  let checkpointTimer: NodeJS.Timeout | undefined;
  let durationTimer: { cancel(): void } | undefined;
  let selfTimer: NodeJS.Timeout | undefined;
  const watchSelf = o.watchSelf ?? o.now === undefined;
  const loopDelay = !watchSelf ? undefined : monitorEventLoopDelay({ resolution: 20 });
  if (loopDelay) {
    loopDelay.enable();
    let cpu = process.cpuUsage();
    let at = performance.now();
    selfTimer = setInterval(() => {
      const wall = performance.now() - at;
      const used = process.cpuUsage(cpu);
      saturation.sample({
        atMs: now(),
        windowMs: wall,
        // The histogram is in nanoseconds; it includes the sampling resolution (20 ms) itself.
        loopDelayMaxMs: Math.max(0, loopDelay.max / 1e6 - 20),
        cpuPct: wall > 0 ? (100 * (used.user + used.system)) / 1000 / wall : 0,
      });
      loopDelay.reset();
      cpu = process.cpuUsage();
      at = performance.now();
    }, 1000);
    selfTimer.unref();
  }

  const done = new Promise<SoakDone>((resolve) => {
    let finished = false;
    const finish = async (reason: EndReason) => {
      if (finished) return;
      finished = true;
      if (rampTimer) clearInterval(rampTimer);
      if (checkpointTimer) clearInterval(checkpointTimer);
      durationTimer?.cancel();
      o.signal.removeEventListener('abort', onAbort);
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
      // No client ever connected and the server closed plaintext CONNECTs without a byte: ask the port, as
      // probe does (measure/cross-check.ts), whether it speaks TLS, so the report can say "use mqtts://".
      const target = new URL(o.url);
      const crossCheck =
        reason !== 'signal' &&
        !everConnected &&
        closedUnanswered &&
        (target.protocol === 'mqtt:' || target.protocol === 'ws:')
          ? speaksTls(target.hostname.replace(/^\[|\]$/g, ''), Number(target.port || 1883), CROSS_CHECK_MS).then(
              (answered): PortCheck => ({ tried: 'tls', answered }),
            )
          : undefined;
      // Drain: wait (at most drainMs) for messages sent within the loss grace that are still on their way;
      // older ones are lost already and not worth waiting for.
      const drainEnd = now() + o.drainMs;
      const inFlight = () => {
        const t = now();
        return trackers.some((tr) => tr.missing(t, 0) > tr.missing(t, o.lossGraceMs));
      };
      while (now() < drainEnd && clients.some((c) => c.connected) && inFlight()) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await alive;
      const checked = await crossCheck;
      if (selfTimer) clearInterval(selfTimer);
      loopDelay?.disable();
      const t = now();
      const final = summary(t, 0);
      await Promise.all(clients.map((c) => c.stop()));
      const port = checked ? { crossCheck: checked } : {};
      emit({ type: 'end', t, reason, summary: { ...final, window: takeWindow(t) }, ...port });
      resolve({ summary: final, reason, ...port });
    };
    const onAbort = () => void finish('signal');
    stopForRefusals = () => void finish('refused');
    if (o.signal.aborted) {
      void finish('signal');
      return;
    }
    o.signal.addEventListener('abort', onAbort, { once: true });
    if (o.durationMs !== undefined) durationTimer = longTimeout(() => void finish('duration'), o.durationMs, now);
    checkpointTimer = setInterval(() => {
      const t = now();
      emit({ type: 'checkpoint', t, summary: { ...summary(t, o.lossGraceMs), window: takeWindow(t) } });
    }, o.checkpointMs);

    // Ramp: start clients in batches every 10 ms (or all at once when the ramp allows).
    let next = 0;
    const rampStep = () => {
      const due =
        o.rampPerS <= 0 ? o.clients : Math.min(o.clients, Math.floor(((now() - startedMs) / 1000) * o.rampPerS) + 1);
      while (next < due && !finished) startClient(next++);
      if (next >= o.clients && rampTimer) {
        clearInterval(rampTimer);
        rampTimer = undefined;
      }
    };
    rampStep();
    if (next < o.clients) rampTimer = setInterval(rampStep, 10);
  });

  return {
    runId: o.runId,
    startedMs,
    snapshot: () => summary(now(), o.lossGraceMs),
    connectedNow: () => clients.reduce((n, c) => n + (c.connected ? 1 : 0), 0),
    done,
  };
}
