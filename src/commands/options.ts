/**
 * Option groups declared once and composed by every command that connects (probe, soak, keepalive-tune):
 * `Argv<T> → Argv<T & X>`. Never copy an option block into a command.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import type { ConnectionArgs, TlsArgs } from '../config/connection.js';

// The argument shapes live with the config that validates them (config must not import commands).
export type { ConnectionArgs, TlsArgs } from '../config/connection.js';

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
      choices: ['3.1.1', '4', '5'],
      defaultDescription: '5 (3.1.1 with --embedded)',
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
    .option('ws-path', {
      type: 'string',
      describe: 'WebSocket path (default /mqtt, or the URL path)',
    }) as unknown as Argv<T & ConnectionArgs>;
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
    describe:
      'Go through an in-process impair proxy: a profile (4g) or faults (latency=50ms,jitter=10ms,nat-idle=30s,…)',
  }) as unknown as Argv<T & ImpairArgs>;
}

/**
 * Flags that contradict each other when both are typed. Checked against the command line only (cli.ts), not
 * with yargs `.conflicts`, which would also count MQTT_DOCTOR_PASSWORD or a config file's password.
 */
export const FLAG_CONFLICTS: ReadonlyArray<readonly [readonly string[], readonly string[]]> = [
  [['password', 'P'], ['password-file']],
];

/** Option names of each shared group, in the order `--help` lists the groups after the command's own. */
export const OPTION_GROUPS: ReadonlyArray<readonly [string, readonly string[]]> = [
  [
    'Connection options:',
    [
      'embedded',
      'mqtt-version',
      'client-id',
      'keepalive',
      'username',
      'password',
      'password-file',
      'connect-timeout',
      'ws-path',
    ],
  ],
  ['TLS options:', ['ca', 'cert', 'key', 'servername', 'alpn', 'insecure']],
  ['Impair options:', ['impair']],
];
/** Options that name a file the command writes: checked before the command starts (config/local-checks.ts). */
export const OUTPUT_FILE_OPTIONS = ['out', 'junit', 'html'] as const;
/** Options that name an address to listen on: a wildcard address gets a warning. */
export const LISTEN_OPTIONS = ['metrics-host', 'listen'] as const;
export const GLOBAL_OPTION_KEYS = ['json', 'color', 'verbose', 'quiet', 'config', 'help', 'version'] as const;
const GLOBAL_OPTIONS_LINE = '--json, --no-color, --verbose, -q, --config FILE, -h, --version';

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?$/i;

/**
 * The rules every value-taking option obeys, applied once by cli.ts to every command after its builder ran
 * (not per command):
 * - it requires its value: `probe --count --json` is a usage error, never the default (yargs `requiresArg`);
 * - a number option reads its text itself, so `-c abc` names "abc" (yargs' own coercion would say NaN);
 * - given twice, it is refused: `-P x -P y` would otherwise become an array and send a wrong password.
 * Returns every option name and alias the command knows, for "did you mean". yargs rethrows a coerce error as
 * a plain YError with the same message, so `thrown` lets the caller keep the typed error (and its hint).
 */
export function tightenOptions(
  y: Argv,
  positionals: readonly string[],
  thrown: (err: UsageError) => UsageError = (e) => e,
): string[] {
  const opts = (y as unknown as { getOptions(): unknown }).getOptions() as {
    string: string[];
    number: string[];
    array: string[];
    key: Record<string, unknown>;
    alias: Record<string, string[]>;
  };
  const numbers = new Set(opts.number);
  const arrays = new Set(opts.array);
  for (const key of new Set([...opts.string, ...opts.number])) {
    if (positionals.includes(key) || arrays.has(key)) continue;
    const isNumber = numbers.has(key);
    y.requiresArg(key);
    // Read as text (no NaN), then convert here.
    if (isNumber) y.string(key);
    y.coerce(key, (value: unknown) => {
      if (Array.isArray(value)) {
        // The values are not echoed: this may be a password.
        throw thrown(new UsageError(`--${key} was given ${value.length} times`, `give --${key} once`));
      }
      if (!isNumber || typeof value === 'number' || value === undefined) return value;
      const text = String(value).trim();
      if (!NUMBER.test(text))
        throw thrown(new UsageError(`--${key}: "${String(value)}" is not a number`, `e.g. --${key} 10`));
      return Number(text);
    });
  }
  const names = new Set(Object.keys(opts.key));
  for (const [k, aliases] of Object.entries(opts.alias)) for (const a of [k, ...aliases]) names.add(a);
  return [...names].filter((n) => !positionals.includes(n));
}

/**
 * Help layout: the command's own options first, then the shared groups (connection, TLS, impair), the global
 * options last, as one line. yargs lists groups in the order they were first named, so the command's group is named first.
 */
export function groupOptionsForHelp(y: Argv, commandName: string, positionals: readonly string[]): void {
  const opts = (y as unknown as { getOptions(): unknown }).getOptions() as {
    key: Record<string, unknown>;
    alias: Record<string, string[]>;
  };
  // `key` holds aliases too (c and count): keep the long names, and a short one only when it has no long alias.
  const shortAliases = new Set(
    Object.entries(opts.alias).flatMap(([k, list]) =>
      [k, ...list].filter((a) => a.length === 1 && [k, ...list].some((b) => b.length > 1)),
    ),
  );
  const keys = Object.keys(opts.key).filter((k) => !shortAliases.has(k));
  const shared = new Set<string>([...OPTION_GROUPS.flatMap(([, k]) => k), ...GLOBAL_OPTION_KEYS, ...positionals]);
  const own = keys.filter((k) => !shared.has(k));
  if (own.length) y.group(own, `${commandName} options:`);
  for (const [title, groupKeys] of OPTION_GROUPS) {
    const present = groupKeys.filter((k) => keys.includes(k));
    if (present.length) y.group(present, title);
  }
  // The global options are the same on every screen: one line, described in `mqtt-doctor --help`.
  for (const k of GLOBAL_OPTION_KEYS) y.hide(k);
  y.epilog(`Global options: ${GLOBAL_OPTIONS_LINE}`);
  foldExtrasIntoDescriptions(y, keys);
}

/**
 * Shorter help: yargs prints `[string] [choices: …] [default: …]` in a right-hand column that wraps most
 * lines in two at 80 columns. Keep what helps (choices, a default worth knowing) at the end of the description
 * and drop the type tags.
 */
function foldExtrasIntoDescriptions(y: Argv, keys: readonly string[]): void {
  const inner = y as unknown as {
    getOptions(): {
      choices: Record<string, unknown[]>;
      default: Record<string, unknown>;
      defaultDescription: Record<string, string | undefined>;
    };
    getInternalMethods(): { getUsageInstance(): { getDescriptions(): Record<string, string | undefined> } };
    usageConfiguration(c: { 'hide-types': boolean }): unknown;
  };
  const opts = inner.getOptions();
  const descriptions = inner.getInternalMethods().getUsageInstance().getDescriptions();
  for (const key of keys) {
    const extras: string[] = [];
    const choices = opts.choices[key];
    if (choices?.length) extras.push(`one of ${choices.join(', ')}`);
    const value = opts.default[key];
    const shown =
      opts.defaultDescription[key] ??
      (value === undefined || value === false || value === '' ? undefined : String(value));
    if (shown !== undefined) extras.push(`default ${shown}`);
    if (extras.length) y.describe(key, `${descriptions[key] ?? ''} [${extras.join('; ')}]`);
  }
  inner.usageConfiguration({ 'hide-types': true });
}
