/**
 * Option groups declared once and composed by every command that connects (probe, soak, keepalive-tune):
 * `Argv<T> → Argv<T & X>`. Never copy an option block into a command.
 */
import type { Argv } from 'yargs';

export interface ConnectionArgs {
  url: string | undefined;
  embedded: boolean;
  mqttVersion: string;
  clientId: string | undefined;
  keepalive: string;
  username: string | undefined;
  password: string | undefined;
  passwordFile: string | undefined;
  connectTimeout: string;
  wsPath: string | undefined;
}

export function withConnectionOptions<T>(y: Argv<T>): Argv<T & ConnectionArgs> {
  return y
    .positional('url', {
      type: 'string',
      describe: 'mqtt://, mqtts://, ws://, wss://, tcp:// or tls:// URL, or host:port (default mqtt://localhost:1883)',
    })
    .option('embedded', {
      type: 'boolean',
      default: false,
      describe: 'Start an in-process aedes broker on 127.0.0.1 (random port) and use it as the target',
    })
    .option('mqtt-version', {
      alias: 'V',
      type: 'string',
      default: '5',
      choices: ['3.1.1', '5', '4'],
      describe: 'MQTT protocol version (5 falls back to 3.1.1 when the broker refuses it, and says so)',
    })
    .option('client-id', { type: 'string', describe: 'Client identifier (default: mqtt-doctor-<random>)' })
    .option('keepalive', { alias: 'k', type: 'string', default: '60s', describe: 'Keep alive sent in CONNECT' })
    .option('username', { alias: 'u', type: 'string', describe: 'User name' })
    .option('password', {
      alias: 'P',
      type: 'string',
      describe: 'Password (prefer MQTT_DOCTOR_PASSWORD or --password-file: argv is visible to other users)',
    })
    .option('password-file', { type: 'string', describe: 'Read the password from this file (first line)' })
    .option('connect-timeout', {
      type: 'string',
      default: '10s',
      describe: 'Give up on DNS+TCP+TLS+WS+CONNACK after this long',
    })
    .option('ws-path', { type: 'string', describe: 'WebSocket path (default /mqtt, or the URL path)' })
    .conflicts('password', 'password-file') as unknown as Argv<T & ConnectionArgs>;
}

export interface TlsArgs {
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
  servername: string | undefined;
  alpn: string | undefined;
  insecure: boolean;
}

export function withTlsOptions<T>(y: Argv<T>): Argv<T & TlsArgs> {
  return y
    .option('ca', { type: 'string', describe: 'PEM file with the CA certificate(s) to trust' })
    .option('cert', { type: 'string', describe: 'PEM client certificate (mutual TLS)' })
    .option('key', { type: 'string', describe: 'PEM private key for --cert' })
    .option('servername', { type: 'string', describe: 'SNI and the name to verify (default: the host)' })
    .option('alpn', { type: 'string', describe: 'ALPN protocols, comma separated (e.g. mqtt, x-amzn-mqtt-ca)' })
    .option('insecure', {
      type: 'boolean',
      default: false,
      describe: 'Do not verify the broker certificate (the report says so)',
    })
    .implies('key', 'cert')
    .implies('cert', 'key') as unknown as Argv<T & TlsArgs>;
}

export interface ImpairArgs {
  impair: string | undefined;
}

/** `--impair SPEC`: run the measurement through an in-process impair proxy (probe, soak, keepalive-tune). */
export function withImpairOption<T>(y: Argv<T>): Argv<T & ImpairArgs> {
  return y.option('impair', {
    type: 'string',
    describe: 'Go through an in-process impair proxy: a profile (4g) or faults (latency=50ms,jitter=10ms,nat-idle=30s,…)',
  }) as unknown as Argv<T & ImpairArgs>;
}
