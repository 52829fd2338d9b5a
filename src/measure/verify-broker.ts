/**
 * `keepalive-tune --verify-broker`: connect with a short keepalive and a Will, stay silent, and time when the
 * broker cuts the connection. The spec says it must after 1.5 × keepalive ([MQTT-3.1.2-24]); brokers add
 * their check interval (mosquitto ~5 s: https://github.com/eclipse/mosquitto/blob/v2.0.11/src/keepalive.c;
 * EMQX 30 s `keepalive_check_interval`: https://github.com/emqx/emqx/blob/master/rel/i18n/emqx_schema.hocon). A second connection subscribed to the Will
 * topic tells whether the Will fired, and how long after the cut.
 */
import { performance } from 'node:perf_hooks';
import type { Packet } from 'mqtt-packet';
import type { ConnectionConfig, MqttVersion } from '../config/connection.js';
import { is } from '../transport/mqtt-wire.js';
import { openWithFallback, randomClientId, type RawSession } from './idle-discovery.js';

const now = () => performance.now();

export interface VerifyBrokerResult {
  version: MqttVersion;
  requestedKeepaliveS: number;
  /** Server Keep Alive from CONNACK when the broker changed it, else the requested value. */
  keepaliveS: number;
  /** Silence before the broker cut the connection, ms from its last packet from us (CONNECT). */
  cutAfterMs?: number;
  /**
   * CONNECT→CONNACK of the silent connection. When the broker read CONNECT is known only to within this
   * window (taken as its middle), so cutAfterMs is uncertain by ± half of it.
   */
  connectRttMs?: number;
  factor?: number;
  /** MQTT 5 DISCONNECT sent by the broker before closing (0x8D = keep alive timeout). */
  disconnectReason?: number;
  /** How the connection ended: broker closed it, or our wait ran out. */
  outcome: 'cut' | 'not-cut' | 'interrupted';
  waitedMs: number;
  willTopic: string;
  willFired: boolean;
  /** Will arrival after the cut, ms. */
  willAfterCutMs?: number;
  /** The watcher could not subscribe (ACL): Will not checked. */
  willNotChecked?: string;
}

export interface VerifyBrokerOptions {
  conn: ConnectionConfig;
  keepaliveS: number;
  signal: AbortSignal;
  /** Give up waiting for the cut after this long (default verifyWaitMs). */
  maxWaitMs?: number;
  /** How long to wait for the Will after the cut. */
  willWaitMs?: number;
  onProgress?: (line: string) => void;
}

/**
 * How long to wait for the cut: 2 × K + 35 s (EMQX checks every 30 s, emqx_schema.hocon `keepalive_check_interval`), with K the larger of the
 * requested keepalive and the Server Keep Alive the broker answered. MQTT 5 §3.2.2.3.14: the server's value
 * replaces the client's and may be larger (EMQX server_keepalive reaches every MQTT 5 client).
 */
export function verifyWaitMs(requestedS: number, serverKeepAliveS?: number): number {
  return 2 * Math.max(requestedS, serverKeepAliveS ?? 0) * 1000 + 35_000;
}

export async function verifyBroker(o: VerifyBrokerOptions): Promise<VerifyBrokerResult> {
  const willTopic = `mqtt-doctor/verify-broker/${randomClientId('will')}`;
  const willWaitMs = o.willWaitMs ?? 5000;
  // The watcher: subscribed to the Will topic, pinging on its own so it outlives the subject.
  const watcher = await openWithFallback(o.conn, { keepaliveS: 60, signal: o.signal });
  const will: WillWatch = { at: undefined, notChecked: undefined };
  const pinger = setInterval(() => {
    if (!watcher.wire.closedWith) watcher.wire.send({ cmd: 'pingreq' } as Packet);
  }, 20_000);
  let subject: RawSession | undefined;
  try {
    await subscribeToWill(watcher, willTopic, will, o);
    const silent = await openSilentSubject(o, willTopic);
    subject = silent.session;
    const { keepaliveS, lastPacketAt } = silent;
    const disconnect: { reason: number | undefined } = { reason: undefined };
    subject.wire.on('packet', (p) => {
      if (is.disconnect(p)) disconnect.reason = p.reasonCode ?? 0;
    });
    const cutAt = await waitForCut(subject, lastPacketAt + silent.maxWaitMs, o.signal);
    const base = {
      version: subject.version,
      connectRttMs: subject.connackAt - subject.connectSentAt,
      requestedKeepaliveS: o.keepaliveS,
      keepaliveS,
      willTopic,
      ...(disconnect.reason !== undefined ? { disconnectReason: disconnect.reason } : {}),
      ...(will.notChecked ? { willNotChecked: will.notChecked } : {}),
    };
    if (typeof cutAt !== 'number') {
      return {
        ...base,
        outcome: cutAt === 'timeout' ? 'not-cut' : 'interrupted',
        waitedMs: now() - lastPacketAt,
        willFired: will.at !== undefined,
      };
    }
    const cutAfterMs = cutAt - lastPacketAt;
    o.onProgress?.(
      `verify-broker: cut after ${(cutAfterMs / 1000).toFixed(2)} s (${(cutAfterMs / 1000 / keepaliveS).toFixed(2)} × K); waiting for the Will`,
    );
    if (!will.notChecked) await waitForWill(will, watcher, now() + willWaitMs, o.signal);
    return {
      ...base,
      ...cutFigures(cutAt, lastPacketAt, keepaliveS, will),
      ...(disconnect.reason !== undefined ? { disconnectReason: disconnect.reason } : {}),
    };
  } finally {
    clearInterval(pinger);
    subject?.close();
    watcher.close();
  }
}

/**
 * The subject: connected with the short keepalive and the Will, then silent. K is the Server Keep Alive when
 * the broker sent one; the broker's clock starts when it reads CONNECT, about half-way between sending it
 * and CONNACK.
 */
async function openSilentSubject(o: VerifyBrokerOptions, willTopic: string) {
  const session = await openWithFallback(o.conn, {
    keepaliveS: o.keepaliveS,
    will: { topic: willTopic, payload: 'mqtt-doctor verify-broker: keepalive expired', qos: 1 },
    signal: o.signal,
  });
  const ska = session.connack.properties?.serverKeepAlive;
  const keepaliveS = ska ?? o.keepaliveS;
  const maxWaitMs = o.maxWaitMs ?? verifyWaitMs(o.keepaliveS, ska);
  // The broker's clock starts when it reads CONNECT: about half-way between sending it and CONNACK.
  const lastPacketAt = (session.connectSentAt + session.connackAt) / 2;
  o.onProgress?.(
    `verify-broker: silent with keepalive ${keepaliveS} s; expecting a cut after about ${(1.5 * keepaliveS).toFixed(1)} s`,
  );
  return { session, keepaliveS, maxWaitMs, lastPacketAt };
}

/** A cut: after how long, as a multiple of K, and when the Will came after it. */
function cutFigures(cutAt: number, lastPacketAt: number, keepaliveS: number, will: WillWatch) {
  const cutAfterMs = cutAt - lastPacketAt;
  return {
    outcome: 'cut' as const,
    waitedMs: cutAfterMs,
    cutAfterMs,
    factor: cutAfterMs / 1000 / keepaliveS,
    willFired: will.at !== undefined,
    ...(will.at !== undefined ? { willAfterCutMs: Math.max(0, will.at - cutAt) } : {}),
  };
}

/** What the watcher saw of the Will: when it arrived, or why it could not be watched. */
interface WillWatch {
  at: number | undefined;
  notChecked: string | undefined;
}

/** The watcher subscribes to the Will topic (QoS 1) and stamps the Will's arrival; a refused SUBSCRIBE is said. */
async function subscribeToWill(
  watcher: RawSession,
  willTopic: string,
  will: WillWatch,
  o: VerifyBrokerOptions,
): Promise<void> {
  watcher.wire.on('packet', (p) => {
    if (p.cmd === 'publish' && p.topic === willTopic && will.at === undefined) {
      will.at = now();
      if (p.qos === 1 && p.messageId !== undefined)
        watcher.wire.send({ cmd: 'puback', messageId: p.messageId } as Packet);
    }
  });
  watcher.wire.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: willTopic, qos: 1 }] } as Packet);
  const suback = await watcher.wire.waitFor(is.suback, o.conn.connectTimeoutMs, o.signal);
  const granted = suback.granted[0];
  if (typeof granted === 'number' && granted >= 0x80)
    will.notChecked = `SUBSCRIBE to the Will topic refused (reason ${granted})`;
}

/** When the broker cut the silent connection (stamped at the socket), or the deadline passed, or Ctrl-C. */
function waitForCut(
  subject: RawSession,
  deadline: number,
  signal: AbortSignal,
): Promise<number | 'timeout' | 'aborted'> {
  return new Promise<number | 'timeout' | 'aborted'>((resolve) => {
    const finish = (v: number | 'timeout' | 'aborted') => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = () => finish('aborted');
    const timer = setTimeout(() => finish('timeout'), Math.max(0, deadline - now()));
    signal.addEventListener('abort', onAbort, { once: true });
    // The cut is stamped where the socket saw it (FIN, RST), not when this promise resumes.
    if (subject.wire.closedWith) finish(subject.wire.closedAt ?? now());
    else subject.wire.once('close', () => finish(subject.wire.closedAt ?? now()));
  });
}

/** Until the Will arrived, the deadline passed, Ctrl-C, or the watcher itself was closed. */
async function waitForWill(will: WillWatch, watcher: RawSession, deadline: number, signal: AbortSignal) {
  while (will.at === undefined && now() < deadline && !signal.aborted && !watcher.wire.closedWith) {
    await new Promise((r) => setTimeout(r, 25));
  }
}
