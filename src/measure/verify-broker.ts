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
  let willAt: number | undefined;
  let willNotChecked: string | undefined;
  const pinger = setInterval(() => {
    if (!watcher.wire.closedWith) watcher.wire.send({ cmd: 'pingreq' } as Packet);
  }, 20_000);
  let subject: RawSession | undefined;
  try {
    watcher.wire.on('packet', (p) => {
      if (p.cmd === 'publish' && p.topic === willTopic && willAt === undefined) {
        willAt = now();
        if (p.qos === 1 && p.messageId !== undefined)
          watcher.wire.send({ cmd: 'puback', messageId: p.messageId } as Packet);
      }
    });
    watcher.wire.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: willTopic, qos: 1 }] } as Packet);
    const suback = await watcher.wire.waitFor(is.suback, o.conn.connectTimeoutMs, o.signal);
    const granted = suback.granted[0];
    if (typeof granted === 'number' && granted >= 0x80)
      willNotChecked = `SUBSCRIBE to the Will topic refused (reason ${granted})`;

    subject = await openWithFallback(o.conn, {
      keepaliveS: o.keepaliveS,
      will: { topic: willTopic, payload: 'mqtt-doctor verify-broker: keepalive expired', qos: 1 },
      signal: o.signal,
    });
    const ska = subject.connack.properties?.serverKeepAlive;
    const k = ska ?? o.keepaliveS;
    const maxWaitMs = o.maxWaitMs ?? verifyWaitMs(o.keepaliveS, ska);
    // The broker's clock starts when it reads CONNECT: about half-way between sending it and CONNACK.
    const lastPacketAt = (subject.connectSentAt + subject.connackAt) / 2;
    o.onProgress?.(
      `verify-broker: silent with keepalive ${k} s; expecting a cut after about ${(1.5 * k).toFixed(1)} s`,
    );
    let disconnectReason: number | undefined;
    subject.wire.on('packet', (p) => {
      if (is.disconnect(p)) disconnectReason = p.reasonCode ?? 0;
    });
    const s = subject;
    const cutAt = await new Promise<number | 'timeout' | 'aborted'>((resolve) => {
      const finish = (v: number | 'timeout' | 'aborted') => {
        clearTimeout(timer);
        o.signal.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = () => finish('aborted');
      const timer = setTimeout(() => finish('timeout'), Math.max(0, lastPacketAt + maxWaitMs - now()));
      o.signal.addEventListener('abort', onAbort, { once: true });
      // The cut is stamped where the socket saw it (FIN, RST), not when this promise resumes.
      if (s.wire.closedWith) finish(s.wire.closedAt ?? now());
      else s.wire.once('close', () => finish(s.wire.closedAt ?? now()));
    });
    const base = {
      version: subject.version,
      connectRttMs: subject.connackAt - subject.connectSentAt,
      requestedKeepaliveS: o.keepaliveS,
      keepaliveS: k,
      willTopic,
      ...(disconnectReason !== undefined ? { disconnectReason } : {}),
      ...(willNotChecked ? { willNotChecked } : {}),
    };
    if (typeof cutAt !== 'number') {
      return {
        ...base,
        outcome: cutAt === 'timeout' ? 'not-cut' : 'interrupted',
        waitedMs: now() - lastPacketAt,
        willFired: willAt !== undefined,
      };
    }
    const cutAfterMs = cutAt - lastPacketAt;
    o.onProgress?.(
      `verify-broker: cut after ${(cutAfterMs / 1000).toFixed(2)} s (${(cutAfterMs / 1000 / k).toFixed(2)} × K); waiting for the Will`,
    );
    if (!willNotChecked) {
      const deadline = now() + willWaitMs;
      while (willAt === undefined && now() < deadline && !o.signal.aborted && !watcher.wire.closedWith) {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    return {
      ...base,
      outcome: 'cut',
      waitedMs: cutAfterMs,
      cutAfterMs,
      factor: cutAfterMs / 1000 / k,
      willFired: willAt !== undefined,
      ...(willAt !== undefined ? { willAfterCutMs: Math.max(0, willAt - cutAt) } : {}),
      ...(disconnectReason !== undefined ? { disconnectReason } : {}),
    };
  } finally {
    clearInterval(pinger);
    subject?.close();
    watcher.close();
  }
}
