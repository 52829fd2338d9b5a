/**
 * Turn connection/TLS arguments into one validated ConnectionConfig. Pure except for reading the files the
 * user named (passed in as `readFile`, so tests can feed it).
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { ConnectionArgs, TlsArgs } from '../commands/options.js';
import { parseDurationMs } from './units.js';
import { parseTarget, type Target } from './target.js';

export type MqttVersion = 4 | 5;

export interface TlsConfig {
  ca: Buffer | undefined;
  cert: Buffer | undefined;
  key: Buffer | undefined;
  /** Paths as given, for the report (never the contents). */
  caPath: string | undefined;
  certPath: string | undefined;
  servername: string | undefined;
  alpn: string[] | undefined;
  insecure: boolean;
}

export interface ConnectionConfig {
  /** Target with credentials merged from URL, flags, env and file. `embedded` targets are filled in later. */
  target: Target;
  embedded: boolean;
  mqttVersion: MqttVersion;
  clientId: string | undefined;
  keepaliveS: number;
  connectTimeoutMs: number;
  tls: TlsConfig;
}

export type FileReader = (path: string) => Buffer;

export const PASSWORD_ENV = 'MQTT_DOCTOR_PASSWORD';

export function parseMqttVersion(v: string): MqttVersion {
  if (v === '5') return 5;
  if (v === '3.1.1' || v === '4') return 4;
  throw new UsageError(`-V ${v} is not a supported MQTT version`, 'use -V 5 or -V 3.1.1');
}

export function resolveConnection(
  args: ConnectionArgs & TlsArgs,
  env: NodeJS.ProcessEnv,
  readFile: FileReader = (p) => readFileSync(p),
): ConnectionConfig {
  if (args.embedded && args.url !== undefined) {
    throw new UsageError('--embedded starts its own broker, so it takes no URL', 'drop the URL or drop --embedded');
  }
  const target = parseTarget(args.url, { wsPath: args.wsPath });
  if (args.username !== undefined) target.username = args.username;
  const password = args.passwordFile !== undefined
    ? firstLine(readUserFile(readFile, args.passwordFile, 'password-file').toString('utf8'))
    : (args.password ?? env[PASSWORD_ENV] ?? undefined);
  if (password !== undefined && password !== '') target.password = password;
  if (target.password !== undefined && target.username === undefined) {
    throw new UsageError('a password was given without a user name', 'add --username (or user:pass@ in the URL)');
  }
  const keepaliveS = parseDurationMs(args.keepalive, 'keepalive') / 1000;
  if (!Number.isInteger(keepaliveS) || keepaliveS > 65535) {
    // MQTT 3.1.1/5 §3.1.2.10: Keep Alive is a two-byte integer of seconds.
    throw new UsageError(`--keepalive ${args.keepalive} is not a whole number of seconds from 0 to 65535`, 'e.g. --keepalive 60s');
  }
  const connectTimeoutMs = parseDurationMs(args.connectTimeout, 'connect-timeout');
  if (connectTimeoutMs <= 0) throw new UsageError('--connect-timeout must be above zero', 'e.g. --connect-timeout 10s');
  const needTls = target.secure;
  if (!needTls && (args.ca || args.cert || args.insecure || args.servername || args.alpn)) {
    throw new UsageError(
      `TLS options were given but ${target.scheme}:// is not encrypted`,
      `use ${target.scheme === 'ws' ? 'wss' : target.scheme === 'tcp' ? 'tls' : 'mqtts'}:// or drop the TLS options`,
    );
  }
  if (args.ca && args.insecure) {
    throw new UsageError('--ca and --insecure contradict each other', 'keep --ca (verify against it) or --insecure (verify nothing)');
  }
  return {
    target,
    embedded: args.embedded,
    mqttVersion: parseMqttVersion(args.mqttVersion),
    clientId: args.clientId,
    keepaliveS,
    connectTimeoutMs,
    tls: {
      ca: args.ca ? readUserFile(readFile, args.ca, 'ca') : undefined,
      cert: args.cert ? readUserFile(readFile, args.cert, 'cert') : undefined,
      key: args.key ? readUserFile(readFile, args.key, 'key') : undefined,
      caPath: args.ca,
      certPath: args.cert,
      servername: args.servername,
      alpn: args.alpn ? args.alpn.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
      insecure: args.insecure,
    },
  };
}

function firstLine(text: string): string {
  return (text.split(/\r?\n/)[0] ?? '').trim();
}

function readUserFile(readFile: FileReader, path: string, option: string): Buffer {
  try {
    return readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`--${option} ${path}: cannot read the file (${code})`, 'check the path and its permissions');
  }
}
