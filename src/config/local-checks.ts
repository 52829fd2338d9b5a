/**
 * Checks of local things the user named, made before a command starts so a mistake costs nothing: an output
 * file that cannot be written (found at the start of a run, not after it), a listening address that opens a
 * port to every network. Synchronous file-system look-ups only; no connection.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** A file the command will write (now or at the end): its directory must exist and be writable. */
export function checkOutputPath(path: string, option: string): void {
  if (path === '-') return;
  const full = resolve(path);
  const existing = statOrUndefined(full);
  if (existing?.isDirectory()) {
    throw new UsageError(
      `--${option} ${path}: is a directory`,
      `name a file, e.g. --${option} ${path.replace(/\/$/, '')}/result`,
    );
  }
  const dir = dirname(full);
  const parent = statOrUndefined(dir);
  if (!parent || !parent.isDirectory()) {
    throw new UsageError(
      `--${option} ${path}: the directory ${dirname(path)} does not exist`,
      'create it first, or pick another path',
    );
  }
  try {
    accessSync(existing ? full : dir, constants.W_OK);
  } catch (err) {
    throw new UsageError(
      `--${option} ${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'check the directory exists and is writable',
    );
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** `0.0.0.0`, `::`, `[::]`, `*` or empty: every interface. */
export function isWildcardHost(host: string): boolean {
  return ['0.0.0.0', '::', '[::]', '*', '', '::0', '0:0:0:0:0:0:0:0'].includes(host.trim());
}

/** A warning line when a listening option opens the port on every interface, else undefined. */
export function wildcardBindWarning(option: string, value: string): string | undefined {
  const host = option === 'listen' ? value.replace(/:\d+$/, '') : value;
  if (!isWildcardHost(host)) return undefined;
  return `warning: --${option} ${value} listens on every network interface: anyone who can reach this machine can connect (use 127.0.0.1 to keep it local)`;
}
