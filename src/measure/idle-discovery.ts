/**
 * The networked half of keepalive-tune: raw MQTT sessions (transport/dial + transport/mqtt-wire, no MQTT.js
 * timers in the way), PINGREQ round trips, the broker's keepalive limits, and the middlebox idle-timeout
 * search (`--discover-idle`).
 *
 * Idle search: open several connections at once, leave each silent for a different time, then send one
 * PINGREQ on each. A connection that still answers says "the idle timeout is above my idle time"; one that is
 * gone (no PINGRESP within the timeout, or closed/reset while silent) says "at most my idle time". The
 * tightest pair brackets the timeout; the next round spreads its connections inside that bracket. The
 * planning and narrowing are pure functions so they are tested without sockets.
 */
import { setMaxListeners } from 'node:events';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type mqttPacket from 'mqtt-packet';
import type { ConnectionConfig, MqttVersion } from '../config/connection.js';
import { dial } from '../transport/dial.js';
import {
  MqttWire,
  PINGREQ,
  WireError,
  encodeConnect,
  is,
  refusesMqtt5,
  type WireFailure,
} from '../transport/mqtt-wire.js';
import type { DialResult } from '../transport/types.js';
import { sleep } from './sleep.js';

const now = () => performance.now();

export interface RawSession {
  wire: MqttWire;
  dialed: DialResult;
  version: MqttVersion;
  clientId: string;
  /** performance.now() when CONNECT was written and when CONNACK was read, stamped at the socket. */
  connectSentAt: number;
  connackAt: number;
  connack: mqttPacket.IConnackPacket;
  close(): void;
}

export interface SessionOptions {
  keepaliveS: number;
  version: MqttVersion;
  clientId?: string;
  will?: { topic: string; payload: string; qos: 0 | 1 };
  signal?: AbortSignal;
}

export function randomClientId(prefix = 'mqtt-doctor-ka'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Connection refused in CONNACK: carries the code so callers can tell rc 2 (keepalive too large) apart. */
export class ConnackRefused extends Error {
  constructor(
    readonly reasonCode: number,
    readonly version: MqttVersion,
  ) {
    super(`the broker refused the connection (CONNACK ${reasonCode}, MQTT ${version === 5 ? '5' : '3.1.1'})`);
    this.name = 'ConnackRefused';
  }
}

/** Dial and CONNECT with a chosen keepalive (and optional Will). Throws PhaseError, WireError or ConnackRefused. */
export async function openSession(conn: ConnectionConfig, o: SessionOptions): Promise<RawSession> {
  const clientId = o.clientId ?? randomClientId();
  // Encoded before the dial: the CONNECT→CONNACK window holds only the network and the broker.
  const connectBytes = encodeConnect(
    {
      clientId,
      keepaliveS: o.keepaliveS,
      username: conn.target.username,
      password: conn.target.password,
      ...(o.will ? { will: o.will } : {}),
    },
    o.version,
  );
  const deadline = now() + conn.connectTimeoutMs;
  const dialed = await dial({
    target: conn.target,
    tls: conn.tls,
    deadline,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const wire = new MqttWire(dialed.stream, o.version, dialed.base);
  let connack: mqttPacket.IConnackPacket;
  try {
    connack = await wire.connect(connectBytes, Math.max(0, deadline - now()), o.signal);
  } catch (err) {
    dialed.close();
    throw err;
  }
  const rc = connack.reasonCode ?? connack.returnCode ?? 0;
  if (rc !== 0) {
    dialed.close();
    throw new ConnackRefused(rc, o.version);
  }
  return {
    wire,
    dialed,
    version: o.version,
    clientId,
    connectSentAt: wire.connectSentAt,
    connackAt: wire.connackAt,
    connack,
    close: () => dialed.close(),
  };
}

/** v5 refused as an unknown protocol (rc 1 from a 3.1.1 broker, 0x84 from a v5 one). */
export function refusedV5(err: unknown): boolean {
  return err instanceof ConnackRefused && refusesMqtt5(err.version, err.reasonCode);
}

/** Open with the configured version, falling back to 3.1.1 when the broker refuses MQTT 5. */
export async function openWithFallback(
  conn: ConnectionConfig,
  o: Omit<SessionOptions, 'version'>,
): Promise<RawSession> {
  try {
    return await openSession(conn, { ...o, version: conn.mqttVersion });
  } catch (err) {
    if (!refusedV5(err)) throw err;
    return openSession(conn, { ...o, version: 4 });
  }
}

export type PingOutcome =
  | { ok: true; rttMs: number }
  | { ok: false; why: 'timeout' | 'closed' | 'aborted'; detail: string };

/** One PINGREQ → PINGRESP round trip (MQTT §3.12/§3.13), bounded by timeoutMs. */
export async function pingOnce(s: RawSession, timeoutMs: number, signal?: AbortSignal): Promise<PingOutcome> {
  try {
    // Stamped at the socket write and at the socket read (the PINGRESP's arrival), as probe does.
    // The listener and the timer are set up before the send stamp, so none of that work is timed. waitFor
    // rejects at once on a closed wire, before sendRaw could throw.
    const replied = s.wire.waitFor(is.pingresp, timeoutMs, signal);
    if (s.wire.closedWith) await replied;
    const t0 = s.wire.sendRaw(PINGREQ);
    await replied;
    return { ok: true, rttMs: s.wire.arrivedAt - t0 };
  } catch (err) {
    if (err instanceof WireError) {
      const f: WireFailure = err.failure;
      if (f.kind === 'timeout')
        return { ok: false, why: 'timeout', detail: `no PINGRESP within ${Math.round(timeoutMs)} ms` };
      if (f.kind === 'aborted') return { ok: false, why: 'aborted', detail: 'interrupted' };
      return { ok: false, why: 'closed', detail: err.message };
    }
    throw err;
  }
}

export interface RttMeasurement {
  samplesMs: number[];
  sent: number;
  received: number;
  version: MqttVersion;
  connack: mqttPacket.IConnackPacket;
}

/** `samples` PINGREQs on one connection, one every intervalMs (lost ones time out). */
export async function measureRtt(
  conn: ConnectionConfig,
  o: {
    samples: number;
    intervalMs: number;
    timeoutMs: number;
    signal: AbortSignal;
    onSample?: (i: number, r: PingOutcome) => void;
  },
): Promise<RttMeasurement> {
  const s = await openWithFallback(conn, { keepaliveS: conn.keepaliveS, signal: o.signal });
  const out: RttMeasurement = { samplesMs: [], sent: 0, received: 0, version: s.version, connack: s.connack };
  try {
    for (let i = 1; i <= o.samples && !o.signal.aborted; i += 1) {
      const started = now();
      out.sent += 1;
      const r = await pingOnce(s, o.timeoutMs, o.signal);
      o.onSample?.(i, r);
      if (r.ok) {
        out.received += 1;
        out.samplesMs.push(r.rttMs);
      } else if (r.why !== 'timeout') break;
      if (i < o.samples) await sleep(started + o.intervalMs - now(), o.signal);
    }
  } finally {
    s.close();
  }
  return out;
}

export interface BrokerLimitProbe {
  version: MqttVersion;
  /** Largest keepalive the broker accepted (undefined = it took 65535). */
  maxAcceptedS?: number;
  how: string;
  /** Rejected values seen, e.g. [65535] with rc 2. */
  refusals: Array<{ keepaliveS: number; reasonCode: number }>;
  connects: number;
}

/**
 * Ask the broker for its keepalive ceiling. MQTT 5: CONNECT with 65535 and read Server Keep Alive from
 * CONNACK (5.0 §3.2.2.3.14). MQTT 3.1.1: mosquitto ≥ 2.0.12 refuses keepalive > max_keepalive with rc 2
 * (https://github.com/eclipse/mosquitto/blob/v2.0.12/src/handle_connect.c, ChangeLog 2.0.12), so binary-search the largest accepted value (≤ 17 CONNECTs).
 */
export async function probeBrokerLimits(conn: ConnectionConfig, signal: AbortSignal): Promise<BrokerLimitProbe> {
  const refusals: BrokerLimitProbe['refusals'] = [];
  let connects = 0;
  const tryK = async (k: number, version: MqttVersion): Promise<RawSession | ConnackRefused> => {
    connects += 1;
    try {
      return await openSession(conn, { keepaliveS: k, version, signal });
    } catch (err) {
      if (err instanceof ConnackRefused) return err;
      throw err;
    }
  };
  let version = conn.mqttVersion;
  let first = await tryK(65535, version);
  if (first instanceof ConnackRefused && refusedV5(first)) {
    version = 4;
    first = await tryK(65535, version);
  }
  if (!(first instanceof ConnackRefused)) {
    first.close();
    const ska = first.connack.properties?.serverKeepAlive;
    if (ska !== undefined && ska < 65535)
      return {
        version,
        maxAcceptedS: ska,
        how: `Server Keep Alive ${ska} s in CONNACK to a 65535 s request`,
        refusals,
        connects,
      };
    return { version, how: 'accepted keepalive 65535 s', refusals, connects };
  }
  refusals.push({ keepaliveS: 65535, reasonCode: first.reasonCode });
  if (first.reasonCode !== 2) throw first; // not a keepalive refusal: let the command report it
  let lo = 1;
  let hi = 65535; // lo accepted (assumed), hi refused
  while (hi - lo > 1 && !signal.aborted && connects < 18) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await tryK(mid, version);
    if (r instanceof ConnackRefused) {
      refusals.push({ keepaliveS: mid, reasonCode: r.reasonCode });
      hi = mid;
    } else {
      r.close();
      lo = mid;
    }
  }
  return {
    version,
    maxAcceptedS: lo,
    how: `MQTT 3.1.1 CONNECT refused with rc 2 above ${lo} s (mosquitto max_keepalive)`,
    refusals,
    connects,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Idle-timeout search: pure planning and narrowing

export interface ProbeResultAt {
  /** How long the connection was silent before the check (or before it closed on its own), ms. */
  idleMs: number;
  alive: boolean;
  /** 'pingresp' | 'timeout' | 'closed' (closed while silent: RST or FIN from a middlebox). */
  how: 'pingresp' | 'timeout' | 'closed';
}

/** `n` check points spread evenly over (lowMs, highMs], rounded to 10 ms. */
export function planProbes(lowMs: number, highMs: number, n: number): number[] {
  const step = (highMs - lowMs) / n;
  return Array.from({ length: n }, (_, i) => Math.round((lowMs + step * (i + 1)) / 10) * 10);
}

/** The tightest bracket (low, high] the results allow: the longest silence survived, the shortest one not. */
export function narrow(
  lowMs: number,
  highMs: number,
  results: readonly ProbeResultAt[],
): { lowMs: number; highMs: number; sawDead: boolean } {
  let lo = lowMs;
  let hi = highMs;
  let sawDead = false;
  for (const r of results) {
    if (r.alive) lo = Math.max(lo, r.idleMs);
    else {
      hi = Math.min(hi, r.idleMs);
      sawDead = true;
    }
  }
  // Non-monotonic answers (an alive probe above a dead one) mean the path is not a plain idle timer.
  return { lowMs: Math.min(lo, hi), highMs: hi, sawDead };
}

/**
 * Keepalive for the silent probes and the longest silence worth trying. The probes must outlast the silence
 * on the broker side, so K ≥ the silence (the broker may cut only after 1.5 × K: [MQTT-3.1.2-24]). A broker
 * that caps keepalive (mosquitto max_keepalive: MQTT 5 Server Keep Alive, 3.1.1 rc 2 from 2.0.12; reference
 * B1) would otherwise cut a probe at 1.5 × its cap and the search would report that as the path's idle
 * timeout, so the silence is limited to the cap instead.
 */
export function idleSearchBounds(
  maxIdleMs: number,
  brokerMaxKeepaliveS?: number,
): { keepaliveS: number; maxIdleMs: number; cappedByBrokerS?: number } {
  const wantS = Math.min(65535, Math.max(60, Math.ceil(maxIdleMs / 1000)));
  if (brokerMaxKeepaliveS === undefined || brokerMaxKeepaliveS >= wantS) return { keepaliveS: wantS, maxIdleMs };
  const keepaliveS = Math.max(1, Math.floor(brokerMaxKeepaliveS));
  if (keepaliveS * 1000 >= maxIdleMs) return { keepaliveS, maxIdleMs };
  return { keepaliveS, maxIdleMs: keepaliveS * 1000, cappedByBrokerS: keepaliveS };
}

export interface IdleRound {
  lowMs: number;
  highMs: number;
  plannedMs: number[];
  results: ProbeResultAt[];
}

export interface IdleDiscovery {
  /** The idle timeout lies in (lowMs, highMs]. */
  lowMs: number;
  highMs: number;
  /** No connection died up to maxIdleMs: the timeout is above it (or there is none). */
  aboveMax: boolean;
  /** Longest silence searched: --max-idle, or less when the broker caps keepalive (cappedByBrokerS). */
  maxIdleMs: number;
  /** The broker's keepalive cap that limited the search (its own cut would look like an idle timeout). */
  cappedByBrokerS?: number;
  rounds: IdleRound[];
  connections: number;
  tookMs: number;
  interrupted: boolean;
  /** Non-monotonic answers seen: a connection outlived a shorter-idle one that died. */
  inconsistent: boolean;
  /** How the dead connections died: closed (RST/FIN: a resetting middlebox) or silent (dropping one). */
  deadHow: { closed: number; timeout: number };
}

export interface IdleDiscoveryOptions {
  conn: ConnectionConfig;
  maxIdleMs: number;
  /** Connections per round. */
  parallel?: number;
  /** Stop when the bracket is this narrow. */
  resolutionMs?: number;
  maxRounds?: number;
  pingTimeoutMs: number;
  /** Largest keepalive the broker accepts (probeBrokerLimits): bounds the probes' keepalive and silence. */
  maxKeepaliveS?: number;
  signal: AbortSignal;
  onProgress?: (line: string) => void;
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

export async function discoverIdleTimeout(o: IdleDiscoveryOptions): Promise<IdleDiscovery> {
  const t0 = now();
  const parallel = o.parallel ?? 8;
  const maxRounds = o.maxRounds ?? 3;
  // A keepalive long enough that the broker never cuts a silent probe before the middlebox does (1.5 × K).
  const bounds = idleSearchBounds(o.maxIdleMs, o.maxKeepaliveS);
  const { keepaliveS, maxIdleMs } = bounds;
  const resolutionMs = o.resolutionMs ?? Math.max(1000, maxIdleMs / 50);
  if (bounds.cappedByBrokerS !== undefined) {
    o.onProgress?.(
      `the broker caps keepalive at ${bounds.cappedByBrokerS} s and cuts silent clients after 1.5 × that: searching silences up to ${fmt(maxIdleMs)} only`,
    );
  }
  const res: IdleDiscovery = {
    lowMs: 0,
    highMs: maxIdleMs,
    aboveMax: false,
    maxIdleMs,
    ...(bounds.cappedByBrokerS !== undefined ? { cappedByBrokerS: bounds.cappedByBrokerS } : {}),
    rounds: [],
    connections: 0,
    tookMs: 0,
    interrupted: false,
    inconsistent: false,
    deadHow: { closed: 0, timeout: 0 },
  };
  let version = o.conn.mqttVersion;
  for (let round = 1; round <= maxRounds; round += 1) {
    if (o.signal.aborted) break;
    const planned = planProbes(res.lowMs, res.highMs, parallel);
    o.onProgress?.(`idle search round ${round}: ${parallel} connections, silent for ${planned.map(fmt).join(', ')}`);
    const results = await runRound(o, planned, keepaliveS, version, (v) => (version = v));
    res.connections += planned.length;
    res.rounds.push({ lowMs: res.lowMs, highMs: res.highMs, plannedMs: planned, results });
    for (const r of results) if (!r.alive) res.deadHow[r.how === 'closed' ? 'closed' : 'timeout'] += 1;
    const n = narrow(res.lowMs, res.highMs, results);
    const maxAlive = Math.max(0, ...results.filter((r) => r.alive).map((r) => r.idleMs));
    const minDead = Math.min(Number.POSITIVE_INFINITY, ...results.filter((r) => !r.alive).map((r) => r.idleMs));
    if (maxAlive > minDead) res.inconsistent = true;
    if (round === 1 && !n.sawDead) {
      res.lowMs = n.lowMs;
      res.aboveMax = !o.signal.aborted;
      o.onProgress?.(`every connection survived ${fmt(n.lowMs)} of silence: the idle timeout is above --max-idle`);
      break;
    }
    res.lowMs = n.lowMs;
    res.highMs = n.highMs;
    o.onProgress?.(`idle timeout between ${fmt(res.lowMs)} and ${fmt(res.highMs)} (${fmt(now() - t0)} so far)`);
    if (res.highMs - res.lowMs <= resolutionMs) break;
  }
  res.tookMs = now() - t0;
  res.interrupted = o.signal.aborted;
  return res;
}

/**
 * Abort listeners allowed per connection of a round: while it connects it holds one (the dial's, then the CONNECT's
 * wait), while it is watched two (its cancel and its ping's wait); one more to spare.
 */
const LISTENERS_PER_CONNECTION = 3;

/** One round: all connections open together, each checked after its own silence; longer ones are cancelled
 * as soon as a shorter one is known dead. */
async function runRound(
  o: IdleDiscoveryOptions,
  planned: number[],
  keepaliveS: number,
  version: MqttVersion,
  setVersion: (v: MqttVersion) => void,
): Promise<ProbeResultAt[]> {
  const local = new AbortController();
  // Each connection of the round listens on this signal while it connects, waits and pings: listeners in
  // proportion to the round's size are by design, so the limit follows it (else Node warns MaxListenersExceeded
  // on stderr past 10, which a round of 8 connections reached).
  setMaxListeners(LISTENERS_PER_CONNECTION * planned.length + 1, local.signal);
  const onAbort = () => local.abort();
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const opened = await openRound(o, planned, keepaliveS, version, setVersion, local.signal);
    if (!opened) return []; // interrupted while connecting: nothing learned this round
    const round: RoundWatch = {
      firstDeadMs: Number.POSITIVE_INFINITY,
      cancelAbove: new Set<() => void>(),
      signal: local.signal,
      pingTimeoutMs: o.pingTimeoutMs,
    };
    const results = await Promise.all(opened.map((s, i) => watchSilence(s, planned[i] as number, round)));
    return results.filter((r): r is ProbeResultAt => r !== undefined);
  } finally {
    o.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * One connection per planned silence, opened together (a broker that refuses MQTT 5 is asked again with 3.1.1,
 * and the round's caller told). If any fails, the others are closed and the failure thrown; undefined when the
 * run was interrupted while connecting.
 */
async function openRound(
  o: IdleDiscoveryOptions,
  planned: number[],
  keepaliveS: number,
  version: MqttVersion,
  setVersion: (v: MqttVersion) => void,
  signal: AbortSignal,
): Promise<RawSession[] | undefined> {
  const settled = await Promise.allSettled(
    planned.map(async () => {
      try {
        return await openSession(o.conn, { keepaliveS, version, signal });
      } catch (err) {
        if (refusedV5(err)) {
          setVersion(4);
          version = 4;
          return openSession(o.conn, { keepaliveS, version: 4, signal });
        }
        throw err;
      }
    }),
  );
  const opened = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    for (const sess of opened) sess.close();
    if (o.signal.aborted) return undefined;
    throw failed.reason;
  }
  return opened;
}

/** What the connections of one round share: the shortest silence known fatal, and how to cancel longer ones. */
interface RoundWatch {
  firstDeadMs: number;
  cancelAbove: Set<() => void>;
  signal: AbortSignal;
  pingTimeoutMs: number;
}

/**
 * Keep one connection silent for `idleMs` (from its CONNACK), then ask with a PINGREQ whether it survived. A close
 * before that is a death; a shorter silence known dead (or the abort) cancels it with no answer (undefined).
 */
function watchSilence(s: RawSession, idleMs: number, round: RoundWatch): Promise<ProbeResultAt | undefined> {
  return new Promise<ProbeResultAt | undefined>((resolve) => {
    const since = s.connackAt;
    let done = false;
    const finish = (r: ProbeResultAt | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.wire.off('close', onClose);
      round.cancelAbove.delete(cancel);
      round.signal.removeEventListener('abort', cancel);
      s.close();
      if (r && !r.alive) {
        round.firstDeadMs = Math.min(round.firstDeadMs, r.idleMs);
        for (const c of [...round.cancelAbove]) c();
      }
      resolve(r);
    };
    const cancel = () => {
      if (idleMs > round.firstDeadMs || round.signal.aborted) finish(undefined);
    };
    const onClose = () => finish({ idleMs: Math.min(idleMs, now() - since), alive: false, how: 'closed' });
    s.wire.once('close', onClose);
    round.cancelAbove.add(cancel);
    round.signal.addEventListener('abort', cancel, { once: true });
    const timer = setTimeout(
      async () => {
        s.wire.off('close', onClose);
        const silent = now() - since;
        const r = await pingOnce(s, round.pingTimeoutMs, round.signal);
        if (r.ok) finish({ idleMs: silent, alive: true, how: 'pingresp' });
        else if (r.why === 'aborted') finish(undefined);
        else finish({ idleMs: silent, alive: false, how: r.why });
      },
      Math.max(0, since + idleMs - now()),
    );
  });
}
