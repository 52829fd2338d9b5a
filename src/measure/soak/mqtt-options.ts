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
    ...(conn.mqttVersion === 5 && !s.clean && s.sessionExpiryS !== undefined
      ? { properties: { sessionExpiryInterval: s.sessionExpiryS } }
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
