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

/** What MQTT.js's connect(url, opts) reads from the URL (connect/index.ts in mqttjs/MQTT.js), as options. */
export interface UrlOptions {
  protocol: string;
  host: string;
  port?: number;
  path?: string;
  query?: Record<string, string>;
  auth?: string;
}

/**
 * The URL's part of MQTT.js's options, read once per run. MQTT.js's connect(url, opts) parses the URL on every
 * call (url.parse), copies it into a new options object and then deletes `path` from it for a non-WebSocket
 * URL (connect/index.ts); deleting a property turns a V8 object into a dictionary, and the client keeps it
 * (`client.options`) and adds two dozen defaults to it. Given the same fields as one object without `path`,
 * connect(opts) builds the same client with a fast options object (5,000 idle clients: see
 * bench/soak-worker-memory.bench.ts). Fields as url.parse gives them: hostname without IPv6 brackets, the
 * port only when the URL has one, path = pathname + search (WebSocket only), the query, the decoded auth.
 */
export function urlOptions(url: string): UrlOptions {
  const u = new URL(url);
  const protocol = u.protocol.replace(/:$/, '');
  const ws = protocol === 'ws' || protocol === 'wss';
  // WHATWG URL leaves out a scheme's default port (ws:80, wss:443); url.parse keeps a port that was written.
  const written = /^[^:/?#]+:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)/.exec(url)?.[1];
  const port = u.port !== '' ? Number(u.port) : written !== undefined ? Number(written) : undefined;
  const auth = u.username
    ? decodeURIComponent(u.username) + (u.password ? `:${decodeURIComponent(u.password)}` : '')
    : '';
  return {
    protocol,
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    ...(port !== undefined ? { port } : {}),
    ...(ws ? { path: `${u.pathname}${u.search}` } : {}),
    ...(u.search !== '' ? { query: Object.fromEntries(u.searchParams) } : {}),
    ...(auth ? { auth } : {}),
  };
}

/**
 * MQTT.js's connect(url, opts), called in its one-argument form with the URL's fields read once (urlOptions):
 * the same client, without a URL parse and a dictionary-mode options object per connection.
 */
export function connectByOptions<C>(connect: (opts: IClientOptions) => C): (url: string, opts: IClientOptions) => C {
  let cached: { url: string; fields: UrlOptions } | undefined;
  return (url, opts) => {
    if (cached?.url !== url) cached = { url, fields: urlOptions(url) };
    return connect({ ...cached.fields, ...opts } as IClientOptions);
  };
}
