/**
 * The networked part of `probe`: dial (timed phases), CONNECT→CONNACK, then ping-style RTT probes. Returns raw
 * observations; deciding what they mean is analyze/ and report/'s job. Failures are returned, not thrown, so
 * whatever was learned before the failure (DNS answers, the certificate that failed) reaches the report.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
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
import { PhaseError, type DialInfo, type DialResult } from '../transport/types.js';
import { speaksPlainMqtt, speaksTls, speaksWebSocket } from './cross-check.js';
import { sleep } from './sleep.js';
import type {
  ConnackInfo,
  CrossCheck,
  ProbeFailure,
  ProbeMethod,
  ProbeResult,
  ProbeSample,
} from '../analyze/probe-events.js';

export type { ConnackInfo, ProbeFailure, ProbeMethod, ProbeResult, ProbeSample } from '../analyze/probe-events.js';

export interface ProbeOptions {
  conn: ConnectionConfig;
  method: ProbeMethod;
  qos: 0 | 1 | 2;
  /** Probes to send; Infinity probes until the signal aborts (`-c 0`, like ping without -c). */
  count: number;
  intervalMs: number;
  timeoutMs: number;
  signal: AbortSignal;
  onSample?: (s: ProbeSample) => void;
  onNote?: (text: string) => void;
}

const now = () => performance.now();

export function defaultClientId(): string {
  return `mqtt-doctor-${randomBytes(4).toString('hex')}`;
}

interface MqttSession {
  dialed: DialResult;
  wire: MqttWire;
  connack: ConnackInfo;
  connectMs: number;
}

function wireFailureCode(f: WireFailure): string {
  switch (f.kind) {
    case 'timeout':
      return 'CONNACK_TIMEOUT';
    case 'closed':
      return f.code ?? 'CLOSED_BEFORE_CONNACK';
    case 'malformed':
      return f.looksLike === 'http' ? 'HTTP_SERVER' : f.looksLike === 'tls' ? 'TLS_SERVER' : 'MALFORMED_PACKET';
    case 'aborted':
      return 'ABORT_ERR';
  }
}

/**
 * Network time from the first DNS query to CONNACK: the sum of the timed phases (every failed TCP attempt
 * included). The gaps between phases hold only our own work (loading the WebSocket module, reading the
 * certificate), during which nothing is on the wire, so they are left out.
 */
export function connectNetworkMs(d: DialInfo, connackMs: number | undefined): number {
  const tcp = d.tcp ? d.tcp.attempts.reduce((a, t) => a + t.ms, 0) : 0;
  return (d.dns?.ms ?? 0) + tcp + (d.tls?.ms ?? 0) + (d.ws?.ms ?? 0) + (connackMs ?? 0);
}

function infoOf(dialed: DialInfo): DialInfo {
  return {
    ...(dialed.dns ? { dns: dialed.dns } : {}),
    ...(dialed.tcp ? { tcp: dialed.tcp } : {}),
    ...(dialed.tls ? { tls: dialed.tls } : {}),
    ...(dialed.ws ? { ws: dialed.ws } : {}),
  };
}

/**
 * What a failed CONNECT throws: a WireError becomes a PhaseError of its phase (with the first bytes the server
 * sent, which name what it is); anything else is passed on as it is.
 */
function connectFailure(err: unknown, conn: ConnectionConfig, info: DialInfo): unknown {
  if (!(err instanceof WireError)) return err;
  const f = err.failure;
  // TLS 1.3 finishes the handshake on the client before the server has checked the client's certificate;
  // its refusal (an alert) then arrives during CONNECT. It is still a TLS failure.
  if (f.kind === 'closed' && f.code && /^ERR_(SSL|TLS)_/.test(f.code)) {
    return new PhaseError('tls', `the server ended TLS after the handshake: ${f.error ?? f.code}`, f.code, info, {
      cause: err,
    });
  }
  const msg =
    f.kind === 'timeout' ? `no CONNACK within ${Math.round(conn.connectTimeoutMs)} ms (connect timeout)` : err.message;
  return Object.assign(new PhaseError('mqtt', msg, wireFailureCode(f), info, { cause: err }), {
    firstBytes: f.kind === 'malformed' || f.kind === 'closed' ? f.firstBytes : undefined,
  });
}

/**
 * Dial and CONNECT. Throws PhaseError (with the phases learned so far) on any failure, including refusal.
 * The CONNECT is encoded before the dial starts and CONNACK is timed from the socket write to the socket read.
 */
export async function connectMqtt(
  conn: ConnectionConfig,
  version: MqttVersion,
  clientId: string,
  signal: AbortSignal,
): Promise<MqttSession> {
  const connectBytes = encodeConnect(
    {
      clientId,
      keepaliveS: conn.keepaliveS,
      username: conn.target.username,
      password: conn.target.password,
      properties: { requestProblemInformation: true },
    },
    version,
  );
  const deadline = now() + conn.connectTimeoutMs;
  const dialed = await dial({ target: conn.target, tls: conn.tls, deadline, signal });
  const wire = new MqttWire(dialed.stream, version, dialed.base);
  const info = infoOf(dialed);
  let packet: mqttPacket.IConnackPacket;
  try {
    packet = await wire.connect(connectBytes, Math.max(0, deadline - now()), signal);
  } catch (err) {
    dialed.close();
    throw connectFailure(err, conn, info);
  }
  const connackMs = wire.connackAt - wire.connectSentAt;
  const reasonCode = packet.reasonCode ?? packet.returnCode ?? 0;
  const connack: ConnackInfo = {
    ms: connackMs,
    protocolVersion: version,
    reasonCode,
    sessionPresent: packet.sessionPresent,
    properties: packet.properties ?? {},
  };
  if (reasonCode !== 0) {
    dialed.close();
    throw Object.assign(
      new PhaseError('mqtt', `the broker refused the connection (CONNACK ${reasonCode})`, 'CONNACK_REFUSED', info),
      {
        connack,
      },
    );
  }
  return { dialed, wire, connack, connectMs: connectNetworkMs(info, connackMs) };
}

function toFailure(err: unknown): ProbeFailure {
  if (err instanceof PhaseError) {
    const extra = err as PhaseError & { connack?: ConnackInfo; firstBytes?: string };
    return {
      phase: err.phase,
      code: err.code,
      message: err.message,
      ...(extra.connack ? { reasonCode: extra.connack.reasonCode } : {}),
      ...(extra.firstBytes ? { firstBytes: extra.firstBytes } : {}),
    };
  }
  throw err;
}

const CLOSED_CODES = new Set([
  'ECONNRESET',
  'CLOSED_BEFORE_CONNACK',
  'EPIPE',
  'TLS_SERVER',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
]);
/** A CONNECT answered like this may have reached a WebSocket listener (which wants an HTTP upgrade first). */
const NOT_MQTT_CODES = new Set([
  'HTTP_SERVER',
  'CONNACK_TIMEOUT',
  'MALFORMED_PACKET',
  'ECONNRESET',
  'CLOSED_BEFORE_CONNACK',
  'EPIPE',
]);

/**
 * A plaintext CONNECT answered by a reset/close, a TLS handshake cut short, an HTTP answer to CONNECT, or a
 * WebSocket upgrade cut off usually mean the port speaks another protocol. Check it on the address that
 * accepted TCP (1.5 s per check at most): TLS vs plain, and WebSocket vs plain MQTT.
 */
async function crossCheckFor(conn: ConnectionConfig, f: ProbeFailure, info: DialInfo): Promise<CrossCheck | undefined> {
  const host = info.tcp?.address;
  if (!host) return undefined;
  const { port, secure, scheme } = conn.target;
  const isWs = scheme === 'ws' || scheme === 'wss';
  const code = f.code ?? '';
  if (f.phase === 'mqtt' && !secure && CLOSED_CODES.has(code)) {
    const tls = { tried: 'tls' as const, answered: await speaksTls(host, port, 1500) };
    if (tls.answered || isWs) return tls;
  }
  if (f.phase === 'tls' && CLOSED_CODES.has(code))
    return { tried: 'mqtt', answered: await speaksPlainMqtt(host, port, 1500) };
  if (f.phase === 'mqtt' && !isWs && NOT_MQTT_CODES.has(code)) {
    const path = conn.target.path ?? '/mqtt';
    return { tried: 'ws', path, answered: await speaksWebSocket(host, port, path, 1500, secure) };
  }
  if (f.phase === 'ws' && (CLOSED_CODES.has(code) || /^HTTP_/.test(code)))
    return { tried: 'mqtt', answered: await speaksPlainMqtt(host, port, 1500, secure) };
  return undefined;
}

/** True when a v5 CONNECT was refused because the broker only speaks 3.1.1. */
function refusedVersion5(err: unknown): boolean {
  const c = (err as { connack?: ConnackInfo }).connack;
  return err instanceof PhaseError && c !== undefined && refusesMqtt5(c.protocolVersion, c.reasonCode);
}

export async function runProbe(opts: ProbeOptions): Promise<ProbeResult> {
  const clientId = opts.conn.clientId ?? defaultClientId();
  const base = emptyResult(opts, clientId);
  if (opts.conn.target.rawTransport) return runTcping(opts, base);

  let session: MqttSession;
  try {
    session = await connectWithFallback(opts, clientId, base);
  } catch (err) {
    return failedToConnect(opts, base, err);
  }
  const result: ProbeResult = {
    ...base,
    dial: infoOf(session.dialed),
    connack: session.connack,
    connectMs: session.connectMs,
  };
  recordServerDisconnect(session.wire, result);
  await probeThenDisconnect(opts, session, result);
  return result;
}

/** The result before anything was measured. */
function emptyResult(opts: ProbeOptions, clientId: string): ProbeResult {
  return {
    method: opts.method,
    qos: opts.qos,
    clientId,
    mqttVersion: opts.conn.mqttVersion,
    fellBackTo311: false,
    dial: {},
    samples: [],
    interrupted: false,
  };
}

/** Connect with the configured version; a broker that refuses MQTT 5 is asked again with 3.1.1 (noted in `base`). */
async function connectWithFallback(opts: ProbeOptions, clientId: string, base: ProbeResult): Promise<MqttSession> {
  try {
    return await connectMqtt(opts.conn, opts.conn.mqttVersion, clientId, opts.signal);
  } catch (err) {
    if (!refusedVersion5(err)) throw err;
    opts.onNote?.('the broker refused MQTT 5 (unacceptable protocol version); retrying with MQTT 3.1.1');
    base.fellBackTo311 = true;
    base.mqttVersion = 4;
    return await connectMqtt(opts.conn, 4, clientId, opts.signal);
  }
}

/** The result of a connection that never got to probing: what the dial learned, and what the port speaks. */
async function failedToConnect(opts: ProbeOptions, base: ProbeResult, err: unknown): Promise<ProbeResult> {
  const failure = toFailure(err);
  const pe = err as PhaseError & { connack?: ConnackInfo };
  const crossCheck = opts.signal.aborted ? undefined : await crossCheckFor(opts.conn, failure, pe.info);
  return {
    ...base,
    dial: pe.info,
    ...(pe.connack ? { connack: pe.connack } : {}),
    failure,
    ...(crossCheck ? { crossCheck } : {}),
    interrupted: opts.signal.aborted,
  };
}

/** A DISCONNECT from the broker is kept for the report (and names why the session ended). */
function recordServerDisconnect(wire: MqttWire, result: ProbeResult): void {
  wire.on('packet', (p) => {
    if (is.disconnect(p)) {
      result.serverDisconnect = {
        reasonCode: p.reasonCode ?? 0,
        ...(p.properties?.reasonString ? { reasonString: p.properties.reasonString } : {}),
      };
    }
  });
}

/** Run the probe method on the session, then end it politely (DISCONNECT, then the socket). */
async function probeThenDisconnect(opts: ProbeOptions, session: MqttSession, result: ProbeResult): Promise<void> {
  const { wire } = session;
  try {
    try {
      if (opts.method === 'echo') await echoLoop(opts, session, result);
      else if (opts.method === 'ping') await pingLoop(opts, wire, result);
    } catch (err) {
      // e.g. no SUBACK for the echo topic: a finding about the broker, reported like any other failure.
      if (!(err instanceof PhaseError)) throw err;
      result.failure = toFailure(err);
    }
    if (!wire.closedWith)
      wire.send({ cmd: 'disconnect', ...(result.mqttVersion === 5 ? { reasonCode: 0 } : {}) } as Packet);
  } finally {
    result.interrupted = opts.signal.aborted;
    // Let the DISCONNECT leave before the socket goes.
    session.dialed.stream.end();
    setTimeout(() => session.dialed.close(), 50).unref();
  }
}

interface Pending {
  seq: number;
  sentAt: number;
  /** How late against its slot in the schedule it left (ms): our own process was held up by about as much. */
  sendLateMs: number;
  timedOut: boolean;
  settle: () => void;
  timer: NodeJS.Timeout;
  sample: ProbeSample;
}

/**
 * The probes in flight. One close listener and one abort listener settle them all through this set (no per-probe
 * listeners, so a run of a million probes holds only what is in flight).
 */
class InFlight {
  private readonly open = new Set<Pending>();
  private drained: (() => void) | undefined;

  get size(): number {
    return this.open.size;
  }

  /** Hold `pending` until it settles; the last one to settle wakes `drain()`. */
  add(pending: Pending): void {
    this.open.add(pending);
    const settle = pending.settle;
    pending.settle = () => {
      settle();
      this.open.delete(pending);
      if (this.open.size === 0) this.drained?.();
    };
  }

  settleAll(): void {
    for (const p of [...this.open]) p.settle();
  }

  /** On abort: a probe neither answered nor timed out yet was cut short, not lost. */
  cutShort(): void {
    for (const p of this.open) if (!p.timedOut && p.sample.rttMs === null) p.sample.cutShort = true;
    this.settleAll();
  }

  /** Resolves when the last probe in flight settles. */
  drain(): Promise<void> {
    return new Promise<void>((resolve) => (this.drained = resolve));
  }
}

/** The failure a session that ended during the probes reports. */
function sessionEndFailure(f: WireFailure, result: ProbeResult): ProbeFailure {
  const code = f.kind === 'closed' ? (f.code ?? 'CONNECTION_CLOSED') : wireFailureCode(f);
  const reason = result.serverDisconnect ? ` after DISCONNECT ${result.serverDisconnect.reasonCode}` : '';
  return {
    phase: 'mqtt',
    code,
    message: `the session ended during probe ${result.samples.length}${reason}: ${new WireError(f).message}`,
  };
}

/**
 * The ping-style schedule shared by both MQTT methods: probe n leaves at start + n × interval (ping -i), each
 * waits at most timeout; replies may overlap. Stops when the count is reached, on abort, or when the session dies.
 * `prepare` builds the probe (bytes, timer, bookkeeping) and `fire` writes it, returning the stamp of the
 * socket write: all our work for a probe happens before its clock starts, none between its write and its reply.
 */
async function schedule(
  opts: ProbeOptions,
  wire: MqttWire,
  result: ProbeResult,
  prepare: (seq: number, sample: ProbeSample) => { pending: Pending; fire: () => number },
): Promise<void> {
  let start = now();
  const inFlight = new InFlight();
  let closed = false;
  const onClose = (f: WireFailure) => {
    closed = true;
    result.sessionLostAfterSeq = result.samples.length;
    result.failure = sessionEndFailure(f, result);
    inFlight.settleAll();
  };
  // The session may already have ended between CONNACK and here (a CONNACK and a bad packet in one read).
  if (wire.closedWith) onClose(wire.closedWith);
  else wire.once('close', onClose);
  const onAbort = () => inFlight.cutShort();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    let wait: Promise<void> = Promise.resolve();
    for (let seq = 1; seq <= opts.count; seq += 1) {
      if (opts.signal.aborted || closed) break;
      await wait;
      if (opts.signal.aborted || closed) break;
      // When our own process stalled past half an interval, start the schedule again from now instead of
      // sending the missed probes back to back: a burst of requests is what traps a Nagle broker into holding
      // each reply until the next request (see pingLoop).
      const due = start + (seq - 1) * opts.intervalMs;
      if (seq > 1 && now() - due > opts.intervalMs / 2) start = now() - (seq - 1) * opts.intervalMs;
      const sample: ProbeSample = { seq, rttMs: null };
      result.samples.push(sample);
      const { pending, fire } = prepare(seq, sample);
      inFlight.add(pending);
      // The wait for the next probe is set up before this one is written: after the write, nothing of ours
      // runs until the reply (on loopback it comes back within ~100 µs, and any work there would be timed).
      wait = seq < opts.count ? sleep(start + seq * opts.intervalMs - now(), opts.signal) : Promise.resolve();
      try {
        pending.sentAt = fire();
        pending.sendLateMs = Math.max(0, pending.sentAt - due);
      } catch {
        pending.settle();
        break;
      }
    }
    if (inFlight.size > 0 && !opts.signal.aborted && !closed) await inFlight.drain();
  } finally {
    wire.off('close', onClose);
    opts.signal.removeEventListener('abort', onAbort);
  }
}

function makePending(opts: ProbeOptions, seq: number, sample: ProbeSample): Pending {
  let settled = false;
  const p: Pending = {
    seq,
    sentAt: now(),
    sendLateMs: 0,
    timedOut: false,
    sample,
    settle: () => {
      if (settled) return;
      settled = true;
      clearTimeout(p.timer);
      opts.onSample?.(sample);
    },
    timer: setTimeout(() => {
      p.timedOut = true;
      p.settle();
    }, opts.timeoutMs),
  };
  return p;
}

/** Back-to-back reference pings taken when the paced RTT sits near the interval. */
const BACK_TO_BACK = 5;

/**
 * The paced RTT is suspicious when its median sits near the interval, and the interval is short enough for a
 * delayed-ACK timer to hold a reply that long (Linux at most 200 ms, TCP_DELACK_MAX in include/net/tcp.h;
 * Windows 200 ms, RFC 1122 §4.2.3.2 allows up to 500 ms).
 */
export function rttNearInterval(p50Ms: number, intervalMs: number): boolean {
  return intervalMs <= 500 && p50Ms >= 0.5 * intervalMs && p50Ms <= 1.5 * intervalMs;
}

async function pingLoop(opts: ProbeOptions, wire: MqttWire, result: ProbeResult): Promise<void> {
  // PINGRESP carries no identifier, but TCP keeps order and the server answers PINGREQs in order
  // (MQTT 3.1.1 §3.12.4 / 5.0 §3.12.4), so each PINGRESP belongs to the oldest unanswered PINGREQ. A reply
  // after the timeout is therefore still matched to its own probe and reported late, not credited to the next.
  // A PINGRESP when none is outstanding was not asked for: it is counted, and it makes every RTT of this
  // session suspect (a flood answers our requests before the server has read them).
  const fifo: Array<Pending | { reference: (t: number) => void; sentAt: number }> = [];
  let unsolicited = Math.max(0, wire.received.get('pingresp') ?? 0);
  const trailing: NonNullable<ProbeResult['trailing']> = { after: [] };
  result.trailing = trailing;
  const onPacket = (p: Packet) => {
    if (!is.pingresp(p)) return;
    const t = wire.arrivedAt;
    const o = fifo.shift();
    if (!o) {
      unsolicited += 1;
      return;
    }
    if ('reference' in o) o.reference(t);
    else if (o.timedOut) o.sample.lateMs = t - o.sentAt;
    else {
      o.sample.rttMs = t - o.sentAt;
      o.settle();
      const newest = fifo[fifo.length - 1];
      if (newest && !('reference' in newest) && newest.sentAt > o.sentAt)
        trailing.after.push({ gapMs: t - newest.sentAt, sendLateMs: newest.sendLateMs });
    }
  };
  wire.on('packet', onPacket);
  try {
    await schedule(opts, wire, result, (seq, sample) => {
      const pending = makePending(opts, seq, sample);
      fifo.push(pending);
      return { pending, fire: () => wire.sendRaw(PINGREQ) };
    });
    const got = result.samples
      .filter((x) => x.rttMs !== null)
      .map((x) => x.rttMs as number)
      .sort((a, b) => a - b);
    const p50 = got[Math.floor(got.length / 2)];
    if (unsolicited === 0 && got.length >= 3 && p50 !== undefined && rttNearInterval(p50, opts.intervalMs)) {
      result.backToBack = await backToBack(opts, wire, fifo);
    }
    // Replies beyond what we asked for (also those that came with CONNACK, before this loop listened).
    const asked =
      result.samples.length + (result.backToBack ? result.backToBack.samplesMs.length + result.backToBack.lost : 0);
    unsolicited = Math.max(unsolicited, (wire.received.get('pingresp') ?? 0) - asked);
  } finally {
    wire.off('packet', onPacket);
    if (unsolicited > 0) result.unsolicitedReplies = unsolicited;
  }
}

/** Up to BACK_TO_BACK PINGREQs, each sent the moment the previous reply arrived; stops at the first loss. */
async function backToBack(
  opts: ProbeOptions,
  wire: MqttWire,
  fifo: Array<Pending | { reference: (t: number) => void; sentAt: number }>,
): Promise<{ samplesMs: number[]; lost: number }> {
  const out = { samplesMs: [] as number[], lost: 0 };
  for (let i = 0; i < BACK_TO_BACK && !opts.signal.aborted && !wire.closedWith; i += 1) {
    let timer: NodeJS.Timeout | undefined;
    const entry = { sentAt: 0, reference: (_t: number) => {} };
    const arrived = new Promise<number | undefined>((resolve) => {
      entry.reference = resolve;
      timer = setTimeout(() => resolve(undefined), opts.timeoutMs);
    });
    fifo.push(entry);
    try {
      entry.sentAt = wire.sendRaw(PINGREQ);
    } catch {
      clearTimeout(timer);
      break;
    }
    const t = await arrived;
    clearTimeout(timer);
    if (t === undefined) {
      out.lost += 1;
      break;
    }
    out.samplesMs.push(t - entry.sentAt);
  }
  return out;
}

/** The echo method's bookkeeping: the topic it publishes to and the probes by sequence and by packet id. */
interface EchoBook {
  topic: string;
  bySeq: Map<number, Pending>;
  byMsgId: Map<number, Pending>;
}

async function echoLoop(opts: ProbeOptions, session: MqttSession, result: ProbeResult): Promise<void> {
  const { wire } = session;
  const topic = `mqtt-doctor/probe/${result.clientId}`;
  if (!(await subscribeEchoTopic(opts, wire, result, topic))) return;
  const book: EchoBook = { topic, bySeq: new Map<number, Pending>(), byMsgId: new Map<number, Pending>() };
  wire.on('packet', echoReplies(opts, wire, book));
  await schedule(opts, wire, result, echoProbe(opts, wire, book));
}

/**
 * SUBSCRIBE to the echo topic. False (with the failure in `result`) when the broker refuses it; throws a
 * PhaseError when no SUBACK comes.
 */
async function subscribeEchoTopic(
  opts: ProbeOptions,
  wire: MqttWire,
  result: ProbeResult,
  topic: string,
): Promise<boolean> {
  wire.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: opts.qos }] } as Packet);
  const suback = await wire.waitFor(is.suback, opts.timeoutMs * 2, opts.signal).catch((err: unknown) => {
    throw new PhaseError(
      'mqtt',
      `SUBSCRIBE to ${topic} got no SUBACK: ${(err as Error).message}`,
      'SUBACK_TIMEOUT',
      result.dial,
    );
  });
  const granted = suback.granted[0];
  result.grantedQos = typeof granted === 'number' ? granted : undefined;
  if (typeof granted === 'number' && granted >= 0x80) {
    result.failure = {
      phase: 'mqtt',
      code: 'SUBSCRIBE_REFUSED',
      message: `the broker refused the SUBSCRIBE to ${topic} (reason ${granted}); use --method ping, which needs no topic rights`,
      reasonCode: granted,
    };
    return false;
  }
  return true;
}

/**
 * The packet listener of the echo method: the echoed PUBLISH gives the RTT, its PUBACK/PUBCOMP the ack time, and
 * the QoS 1/2 handshakes of both directions are answered.
 */
function echoReplies(opts: ProbeOptions, wire: MqttWire, book: EchoBook): (p: Packet) => void {
  return (p) => {
    const t = wire.arrivedAt;
    switch (p.cmd) {
      case 'publish': {
        if (p.qos === 1 && p.messageId !== undefined) wire.send({ cmd: 'puback', messageId: p.messageId } as Packet);
        if (p.qos === 2 && p.messageId !== undefined) wire.send({ cmd: 'pubrec', messageId: p.messageId } as Packet);
        if (p.topic !== book.topic) return;
        const seq = Number(Buffer.from(p.payload).toString('utf8').split(':')[1]);
        const o = book.bySeq.get(seq);
        if (!o) return;
        if (o.sample.rttMs !== null || o.sample.lateMs !== undefined) {
          o.sample.duplicate = true;
          return;
        }
        if (o.timedOut) o.sample.lateMs = t - o.sentAt;
        else {
          o.sample.rttMs = t - o.sentAt;
          settleWhenComplete(opts.qos, o);
        }
        return;
      }
      case 'pubrel':
        wire.send({ cmd: 'pubcomp', messageId: p.messageId } as Packet);
        return;
      case 'puback':
      case 'pubcomp': {
        const o = book.byMsgId.get(p.messageId ?? -1);
        if (!o) return;
        o.sample.ackMs = t - o.sentAt;
        book.byMsgId.delete(p.messageId ?? -1);
        settleWhenComplete(opts.qos, o);
        return;
      }
      case 'pubrec':
        wire.send({ cmd: 'pubrel', messageId: p.messageId } as Packet);
        return;
      default:
        return;
    }
  };
}

/** An echo probe is done when its PUBLISH came back and, above QoS 0, its own PUBLISH was acknowledged. */
function settleWhenComplete(qos: ProbeOptions['qos'], o: Pending): void {
  const ackDone = qos === 0 || o.sample.ackMs !== undefined;
  if (o.sample.rttMs !== null && ackDone) o.settle();
}

/** The echo method's `prepare` for schedule(): one PUBLISH to the echo topic per probe. */
function echoProbe(
  opts: ProbeOptions,
  wire: MqttWire,
  book: EchoBook,
): (seq: number, sample: ProbeSample) => { pending: Pending; fire: () => number } {
  return (seq, sample) => {
    // Packet identifiers 2..65535 (1 was the SUBSCRIBE), wrapping for long runs.
    const messageId = ((seq - 1) % 65534) + 2;
    // Encoded before the pending is made and before the send stamp: no encoding inside the timed window.
    const bytes = wire.encode({
      cmd: 'publish',
      topic: book.topic,
      payload: Buffer.from(`mqd:${seq}:${Date.now()}`),
      qos: opts.qos,
      retain: false,
      dup: false,
      ...(opts.qos > 0 ? { messageId } : {}),
    } as Packet);
    const pending = makePending(opts, seq, sample);
    book.bySeq.set(seq, pending);
    if (opts.qos > 0) book.byMsgId.set(messageId, pending);
    return { pending, fire: () => wire.sendRaw(bytes) };
  };
}

/** tcp:// and tls://: every probe is a fresh connection, tcping-style; RTT is the TCP connect time. */
async function runTcping(opts: ProbeOptions, base: ProbeResult): Promise<ProbeResult> {
  const result: ProbeResult = { ...base, method: 'connect' };
  const start = now();
  for (let seq = 1; seq <= opts.count; seq += 1) {
    if (opts.signal.aborted) break;
    await sleep(start + (seq - 1) * opts.intervalMs - now(), opts.signal);
    if (opts.signal.aborted) break;
    const sample: ProbeSample = { seq, rttMs: null };
    result.samples.push(sample);
    const t0 = now();
    const timeoutMs = seq === 1 ? opts.conn.connectTimeoutMs : opts.timeoutMs;
    try {
      const d = await dial({
        target: opts.conn.target,
        tls: opts.conn.tls,
        deadline: t0 + timeoutMs,
        signal: opts.signal,
      });
      d.close();
      sample.rttMs = d.tcp?.ms ?? now() - t0;
      if (d.tls) sample.ackMs = d.tls.ms;
      if (seq === 1) {
        result.dial = {
          ...(d.dns ? { dns: d.dns } : {}),
          ...(d.tcp ? { tcp: d.tcp } : {}),
          ...(d.tls ? { tls: d.tls } : {}),
        };
        result.connectMs = connectNetworkMs(result.dial, undefined);
      }
    } catch (err) {
      if (!(err instanceof PhaseError)) throw err;
      sample.error = err.code ?? err.message;
      if (seq === 1) {
        // The first connection is the waterfall: if it fails, the target is unreachable; stop here.
        result.dial = err.info;
        result.failure = toFailure(err);
        opts.onSample?.(sample);
        break;
      }
    }
    opts.onSample?.(sample);
  }
  result.interrupted = opts.signal.aborted;
  return result;
}
