/**
 * ConnectionConfig → MQTT.js URL and options for soak clients. Reconnects are off in MQTT.js
 * (reconnectPeriod 0): soak's own scheduler applies the policy under test.
 */
import type { IClientOptions } from 'mqtt';
import type { ConnectionConfig } from '../../config/connection.js';

export interface SoakMqttSettings {
  clean: boolean;
  /** MQTT 5 Session Expiry Interval (s) sent with --no-clean; absent means 0 (MQTT 5 §3.1.2.11.2). */
  sessionExpiryS: number | undefined;
  /** --payload-size: sets the Maximum Packet Size announced in an MQTT 5 CONNECT. */
  payloadBytes?: number;
}

/** Room for a soak PUBLISH's fixed header, topic, packet identifier and properties beside its payload. */
const PACKET_HEADROOM_BYTES = 64 * 1024;
/** The largest Maximum Packet Size MQTT 5 allows (§3.1.2.11.4: at most 268,435,455, the largest Remaining Length). */
const MQTT_MAX_PACKET_BYTES = 268_435_455;

/**
 * The Maximum Packet Size soak announces (MQTT 5 §3.1.2.11.4,
 * https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html#_Toc3901050): its own payload plus headroom.
 * A broker must not send a larger packet, so a hostile or confused one cannot make a client buffer 200 MB.
 */
export function soakMaxPacketBytes(payloadBytes: number): number {
  return Math.min(MQTT_MAX_PACKET_BYTES, payloadBytes + PACKET_HEADROOM_BYTES);
}

export function soakMqttOptions(conn: ConnectionConfig, s: SoakMqttSettings): { url: string; options: IClientOptions } {
  const t = conn.target;
  if (t.rawTransport) throw new Error('soak needs an MQTT target, not tcp:// or tls://');
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const url = `${t.scheme}://${host}:${t.port}${t.path ?? ''}`;
  const options: IClientOptions = {
    protocolVersion: conn.mqttVersion,
    keepalive: conn.keepaliveS,
    connectTimeout: conn.connectTimeoutMs,
    reconnectPeriod: 0,
    clean: s.clean,
    resubscribe: false,
    // A QoS 0 publish while offline is dropped, not queued: soak counts it as skipped.
    queueQoSZero: false,
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(conn.mqttVersion === 5
      ? {
          properties: {
            maximumPacketSize: soakMaxPacketBytes(s.payloadBytes ?? 0),
            ...(!s.clean && s.sessionExpiryS !== undefined ? { sessionExpiryInterval: s.sessionExpiryS } : {}),
          },
        }
      : {}),
  };
  if (t.secure) {
    Object.assign(options, {
      rejectUnauthorized: !conn.tls.insecure,
      ...(conn.tls.ca ? { ca: conn.tls.ca } : {}),
      ...(conn.tls.cert ? { cert: conn.tls.cert } : {}),
      ...(conn.tls.key ? { key: conn.tls.key } : {}),
      ...(conn.tls.servername ? { servername: conn.tls.servername } : {}),
      ...(conn.tls.alpn ? { ALPNProtocols: conn.tls.alpn } : {}),
    });
  }
  return { url, options };
}
