/**
 * Parse what the user typed as a target into a validated, secret-aware value. Accepts full URLs
 * (mqtt, mqtts, ws, wss, tcp, tls), `host:port` and bare `host` shorthand. Credentials in the URL are
 * moved out of it so nothing downstream can print them by accident.
 */
import { UsageError } from '../errors.js';

export const SCHEMES = ['mqtt', 'mqtts', 'ws', 'wss', 'tcp', 'tls'] as const;
export type Scheme = (typeof SCHEMES)[number];

/** IANA/OASIS defaults: 1883 MQTT, 8883 MQTT over TLS (MQTT 5 §4.2); 80/443 for WebSocket. */
const DEFAULT_PORTS: Record<Scheme, number> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443, tcp: 1883, tls: 8883 };

export const DEFAULT_TARGET = 'mqtt://localhost:1883';
export const DEFAULT_WS_PATH = '/mqtt';

export interface Target {
  scheme: Scheme;
  host: string;
  port: number;
  /** WebSocket path (ws/wss only). */
  path: string | undefined;
  username: string | undefined;
  password: string | undefined;
  /** True for the schemes that wrap the stream in TLS. */
  secure: boolean;
  /** True for tcp:// and tls://, which only test the transport (tcping-style). */
  rawTransport: boolean;
}

export interface ParseTargetOptions {
  wsPath?: string | undefined;
}

export function parseTarget(input: string | undefined, opts: ParseTargetOptions = {}): Target {
  const raw = (input ?? DEFAULT_TARGET).trim();
  if (raw === '') throw new UsageError('the target is empty', `give a URL like ${DEFAULT_TARGET}`);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `mqtt://${raw}`;
  const schemeText = withScheme.slice(0, withScheme.indexOf(':')).toLowerCase();
  if (!(SCHEMES as readonly string[]).includes(schemeText)) {
    throw new UsageError(
      `unknown scheme "${schemeText}://" in the target`,
      `use one of ${SCHEMES.map((s) => `${s}://`).join(', ')}`,
    );
  }
  const scheme = schemeText as Scheme;
  const portText = portPart(withScheme);
  let port = DEFAULT_PORTS[scheme];
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText)) {
      throw new UsageError(`the port "${portText}" is not a number`, 'ports are whole numbers from 1 to 65535');
    }
    port = Number(portText);
    if (port < 1 || port > 65535) {
      throw new UsageError(`the port ${portText} is out of range`, 'ports are whole numbers from 1 to 65535');
    }
  }
  let url: URL;
  try {
    // WHATWG URL only splits host and port for "special" schemes; parse as http(s) and keep our scheme.
    url = new URL(withScheme.replace(/^[a-z0-9+.-]+:\/\//i, 'http://'));
  } catch {
    throw new UsageError(
      `the target "${redactUrl(raw)}" is not a valid URL`,
      `write it like ${DEFAULT_TARGET} or host:port`,
    );
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '')
    throw new UsageError(`the target "${redactUrl(raw)}" has no host`, `write it like ${DEFAULT_TARGET}`);
  const isWs = scheme === 'ws' || scheme === 'wss';
  const urlPath = url.pathname && url.pathname !== '/' ? url.pathname + url.search : undefined;
  return {
    scheme,
    host,
    port,
    path: isWs ? (opts.wsPath ?? urlPath ?? DEFAULT_WS_PATH) : undefined,
    username: url.username ? decodeCredential(url.username, 'user name') : undefined,
    password: url.password ? decodeCredential(url.password, 'password') : undefined,
    secure: scheme === 'mqtts' || scheme === 'wss' || scheme === 'tls',
    rawTransport: scheme === 'tcp' || scheme === 'tls',
  };
}

/**
 * URL user info is percent-encoded (RFC 3986 §3.2.1, https://www.rfc-editor.org/rfc/rfc3986#section-3.2.1):
 * `50%off` is not, and decodeURIComponent throws "URI malformed" on it. That is the user's input, so it is a
 * usage error that says how to write it (never echoing the secret).
 */
function decodeCredential(text: string, what: 'user name' | 'password'): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new UsageError(
      `the ${what} in the URL has a "%" that is not percent-encoding`,
      `write % as %25 in a URL (dev:50%25off@host)${what === 'password' ? ', or give the password with --password-file or MQTT_DOCTOR_PASSWORD' : ', or use --username'}`,
    );
  }
}

/** The explicit port text, if any, taken from the authority (URL normalises away default ports). */
function portPart(url: string): string | undefined {
  const authority = url.replace(/^[a-z0-9+.-]+:\/\//i, '').split(/[/?#]/)[0] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const m = hostPort.startsWith('[') ? /^\[[^\]]*\](?::(.*))?$/.exec(hostPort) : /^[^:]*(?::(.*))?$/.exec(hostPort);
  return m?.[1];
}

/** `host:port`, with an IPv6 address in brackets (`[::1]:1883`, RFC 3986 §3.2.2) so the port can be told apart. */
export function formatHostPort(host: string, port: number | string): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** The target as it may be shown: no password, ever; the username is kept (it identifies the session). */
export function formatTarget(t: Target): string {
  const user = t.username ? `${encodeURIComponent(t.username)}${t.password ? ':***' : ''}@` : '';
  return `${t.scheme}://${user}${formatHostPort(t.host, t.port)}${t.path ?? ''}`;
}

/** Masks `user:secret@` in any URL-looking text. */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/[^/@\s:]*):[^@\s/]*@/g, '$1:***@');
}

export interface MaskedTarget {
  url: string;
  scheme: Scheme;
  host: string;
  port: number;
  path?: string;
  username?: string;
  passwordSet: boolean;
}

export function maskTarget(t: Target): MaskedTarget {
  return {
    url: formatTarget(t),
    scheme: t.scheme,
    host: t.host,
    port: t.port,
    ...(t.path !== undefined ? { path: t.path } : {}),
    ...(t.username !== undefined ? { username: t.username } : {}),
    passwordSet: t.password !== undefined,
  };
}
