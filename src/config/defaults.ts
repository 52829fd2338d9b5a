/**
 * Option defaults from the environment and from a config file, so a team can set its broker once:
 * `MQTT_DOCTOR_URL`, `MQTT_DOCTOR_USERNAME`, `MQTT_DOCTOR_CONNECT_TIMEOUT`, … (any option: MQTT_DOCTOR_ and
 * the option name in capitals with `_` for `-`), and a JSON file (`--config PATH`, else `MQTT_DOCTOR_CONFIG`,
 * else `$XDG_CONFIG_HOME/mqtt-doctor/config.json`, i.e. `~/.config/mqtt-doctor/config.json`, when it exists;
 * XDG Base Directory spec: https://specifications.freedesktop.org/basedir-spec/latest/).
 *
 * Precedence: flags > environment > file > built-in defaults. The merged values are handed to yargs as a
 * config object, which yargs ranks below the command line. Only the options the running command knows are
 * taken, so `MQTT_DOCTOR_CLIENTS` set for soak does not break probe. Pure except for reading the file, which
 * is passed in.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export const ENV_PREFIX = 'MQTT_DOCTOR_';
const CONFIG_ENV = `${ENV_PREFIX}CONFIG`;

export interface ConfigFile {
  path: string;
  /** Top-level keys apply to every command; a key named after a command holds values for it only. */
  values: Record<string, unknown>;
}

/** `--config PATH` / `--config=PATH` from the raw arguments (read before yargs, which needs the values). */
export function configPathFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') break;
    if (a === '--config') return argv[i + 1];
    if (a.startsWith('--config=')) return a.slice('--config='.length);
  }
  return undefined;
}

export function defaultConfigPath(env: NodeJS.ProcessEnv, home: string = homedir()): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(base, 'mqtt-doctor', 'config.json');
}

/**
 * The config file in force, or undefined. A file named by --config or MQTT_DOCTOR_CONFIG must exist and
 * parse; the default location is optional.
 */
export function loadConfigFile(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  home?: string,
): ConfigFile | undefined {
  const named = configPathFromArgv(argv) ?? (env[CONFIG_ENV] || undefined);
  const path = named ?? defaultConfigPath(env, home);
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    if (named === undefined && code === 'ENOENT') return undefined;
    throw new UsageError(`--config ${path}: cannot read the file (${code})`, 'check the path, or drop --config');
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (err) {
    // The parser's message names a position, never the file's content (which may hold a password).
    throw new UsageError(
      `--config ${path}: not valid JSON (${(err as Error).message.replace(/".*"/, '…')})`,
      'write it like {"url": "mqtt://broker:1883", "username": "dev"}',
    );
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new UsageError(
      `--config ${path}: expected a JSON object`,
      'write it like {"url": "mqtt://broker:1883", "probe": {"count": 20}}',
    );
  }
  return { path, values: values as Record<string, unknown> };
}

/** `MQTT_DOCTOR_CONNECT_TIMEOUT` → `connect-timeout`. */
export function envKeyToOption(name: string): string | undefined {
  if (!name.startsWith(ENV_PREFIX) || name === CONFIG_ENV) return undefined;
  return name.slice(ENV_PREFIX.length).toLowerCase().replace(/_/g, '-');
}

/**
 * The defaults for one command: file values (top level, then the command's own section), then the
 * environment on top. Only `known` options are taken; booleans from the environment accept true/false/1/0.
 */
export function defaultsFor(
  command: string,
  known: readonly string[],
  booleans: ReadonlySet<string>,
  file: ConfigFile | undefined,
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  // --help, --version and --config are actions or the source itself, never defaults.
  const knownSet = new Set(known.filter((k) => !['help', 'h', 'version', 'config'].includes(k)));
  const out: Record<string, unknown> = {};
  const take = (source: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(source)) {
      const option = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      if (knownSet.has(option) && (typeof value !== 'object' || value === null)) out[option] = value;
    }
  };
  if (file) {
    take(file.values);
    const section = file.values[command];
    if (typeof section === 'object' && section !== null && !Array.isArray(section))
      take(section as Record<string, unknown>);
  }
  for (const [name, value] of Object.entries(env)) {
    const option = envKeyToOption(name);
    if (option === undefined || value === undefined || !knownSet.has(option)) continue;
    if (booleans.has(option)) {
      const v = value.trim().toLowerCase();
      if (!['true', 'false', '1', '0', 'yes', 'no', ''].includes(v)) {
        throw new UsageError(`${name}=${value} is not true or false`, `e.g. ${name}=true`);
      }
      out[option] = ['true', '1', 'yes'].includes(v);
    } else {
      out[option] = value;
    }
  }
  return out;
}
