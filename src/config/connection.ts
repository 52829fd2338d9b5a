/**
 * Turn connection/TLS arguments into one validated ConnectionConfig. Pure except for reading the files the
 * user named (passed in as `readFile`, so tests can feed it).
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { parseDurationMs } from './units.js';
import { parseTarget, type Target } from './target.js';

/** What the embedded broker (aedes 1.x, src/lab/embedded-broker.ts) speaks. */
export const EMBEDDED_MQTT_VERSION = '3.1.1';

/** Connection options as parsed from the command line (declared in commands/options.ts). */
export interface ConnectionArgs {
  url: string | undefined;
  embedded: boolean;
  /** Undefined when not given: 5, or the embedded broker's 3.1.1 (config/connection.ts decides). */
  mqttVersion: string | undefined;
  clientId: string | undefined;
  keepalive: string;
  username: string | undefined;
  password: string | undefined;
  passwordFile: string | undefined;
  connectTimeout: string;
  wsPath: string | undefined;
}

/** TLS options as parsed from the command line. */
export interface TlsArgs {
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  servername: string | undefined;
  alpn: string | undefined;
  insecure: boolean;
}

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
  mergeCredentials(target, args, env, readFile);
  const keepaliveS = parseKeepaliveS(args.keepalive);
  const connectTimeoutMs = parseDurationMs(args.connectTimeout, 'connect-timeout');
  if (connectTimeoutMs <= 0) throw new UsageError('--connect-timeout must be above zero', 'e.g. --connect-timeout 10s');
  checkStringLengths(args.clientId, target);
  checkTlsArgs(args, target);
  const tls = readTlsMaterial(args, readFile);
  return {
    target,
    embedded: args.embedded,
    // The embedded aedes speaks 3.1.1 only (lab/embedded-broker.ts): start there instead of being refused.
    mqttVersion: parseMqttVersion(args.mqttVersion ?? (args.embedded ? EMBEDDED_MQTT_VERSION : '5')),
    clientId: args.clientId,
    keepaliveS,
    connectTimeoutMs,
    tls: {
      ...tls,
      caPath: args.ca,
      certPath: args.cert,
      servername: args.servername,
      alpn: args.alpn
        ? args.alpn
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined,
      insecure: args.insecure,
    },
  };
}

/**
 * The user name and password from the flags over the URL's; the password from --password-file, else --password,
 * else the environment. A password needs a user name.
 */
function mergeCredentials(target: Target, args: ConnectionArgs, env: NodeJS.ProcessEnv, readFile: FileReader): void {
  if (args.username !== undefined) target.username = args.username;
  const password =
    args.passwordFile !== undefined
      ? firstLine(readUserFile(readFile, args.passwordFile, 'password-file').toString('utf8'))
      : (args.password ?? env[PASSWORD_ENV] ?? undefined);
  if (password !== undefined && password !== '') target.password = password;
  if (target.password !== undefined && target.username === undefined) {
    throw new UsageError('a password was given without a user name', 'add --username (or user:pass@ in the URL)');
  }
}

function parseKeepaliveS(text: string): number {
  const keepaliveS = parseDurationMs(text, 'keepalive') / 1000;
  if (!Number.isInteger(keepaliveS) || keepaliveS > 65535) {
    // MQTT 3.1.1/5 §3.1.2.10: Keep Alive is a two-byte integer of seconds.
    throw new UsageError(
      `--keepalive ${text} is not a whole number of seconds from 0 to 65535`,
      'e.g. --keepalive 60s',
    );
  }
  return keepaliveS;
}

/** TLS options make sense only for an encrypted scheme, and --ca with --insecure contradict each other. */
function checkTlsArgs(args: TlsArgs, target: Target): void {
  if (!target.secure && (args.ca || args.cert || args.insecure || args.servername || args.alpn)) {
    throw new UsageError(
      `TLS options were given but ${target.scheme}:// is not encrypted`,
      `use ${target.scheme === 'ws' ? 'wss' : target.scheme === 'tcp' ? 'tls' : 'mqtts'}:// or drop the TLS options`,
    );
  }
  if (args.ca && args.insecure) {
    throw new UsageError(
      '--ca and --insecure contradict each other',
      'keep --ca (verify against it) or --insecure (verify nothing)',
    );
  }
}

/**
 * MQTT strings and binary data carry a two-byte length: at most 65,535 bytes (MQTT 5 §1.5.4 and §1.5.6,
 * https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html#_Toc3901010). A longer client id would go out
 * as a malformed CONNECT and the broker would be blamed: refuse it here, before any connection.
 */
function checkStringLengths(clientId: string | undefined, target: Target): void {
  const fields: Array<[string, string | undefined, string]> = [
    ['--client-id', clientId, 'the client identifier'],
    ['--username', target.username, 'the user name'],
    ['--password', target.password, 'the password'],
  ];
  for (const [option, value, what] of fields) {
    const bytes = value === undefined ? 0 : Buffer.byteLength(value, 'utf8');
    if (bytes > 65_535) {
      throw new UsageError(`${option}: ${what} is ${bytes} bytes; MQTT allows at most 65535`, `shorten ${what}`);
    }
  }
}

/**
 * Read and check the TLS files before any connection, so a local mistake is not reported as the broker's: a
 * --ca that holds no certificate (Node would ignore it and blame the broker's certificate), a --cert or --key
 * that does not parse, a --key that does not belong to --cert (it would read as a handshake failure).
 */
function readTlsMaterial(args: TlsArgs, readFile: FileReader): Pick<TlsConfig, 'ca' | 'cert' | 'key'> {
  const ca = args.ca ? readUserFile(readFile, args.ca, 'ca') : undefined;
  const cert = args.cert ? readUserFile(readFile, args.cert, 'cert') : undefined;
  const key = args.key ? readUserFile(readFile, args.key, 'key') : undefined;
  if (ca && args.ca) certificates(ca, 'ca', args.ca);
  const leaf = cert && args.cert ? certificates(cert, 'cert', args.cert)[0] : undefined;
  if (key && args.key) {
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(key);
    } catch (err) {
      const encrypted = /passphrase|encrypted/i.test((err as Error).message) || key.includes('ENCRYPTED');
      throw new UsageError(
        `--key ${args.key}: ${encrypted ? 'the private key is encrypted' : 'not a PEM private key'}`,
        encrypted
          ? 'decrypt it first (openssl pkey -in key.pem -out plain.pem)'
          : 'give the PEM file with "-----BEGIN … PRIVATE KEY-----"',
      );
    }
    if (leaf && !leaf.checkPrivateKey(privateKey)) {
      throw new UsageError(
        `--key ${args.key} does not belong to --cert ${args.cert}`,
        'give the key the client certificate was issued for',
      );
    }
  }
  return { ca, cert, key };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** Every certificate in a PEM file, parsed; a file with none, or one that does not parse, is a usage error. */
function certificates(pem: Buffer, option: string, path: string): X509Certificate[] {
  const blocks = pem.toString('latin1').match(PEM_CERT) ?? [];
  if (blocks.length === 0) {
    throw new UsageError(
      `--${option} ${path}: no PEM certificate in the file`,
      'give a PEM file with "-----BEGIN CERTIFICATE-----" blocks (convert DER with openssl x509 -inform der)',
    );
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new UsageError(
        `--${option} ${path}: certificate ${i + 1} of ${blocks.length} does not parse`,
        'check the file is not truncated or edited',
      );
    }
  });
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
