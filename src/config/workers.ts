/**
 * `soak --workers K`: how many worker processes run the clients. Pure; the core count is passed in.
 */
import { UsageError } from '../errors.js';

/** From this many clients (in this process's slice) the default is one worker per core. */
export const WORKERS_FROM_CLIENTS = 2000;
export const MAX_WORKERS = 64;

/** The worker count, and the line that says what was chosen when the user did not choose. */
export function workerCount(
  asked: number | undefined,
  clients: number,
  cores: number,
): { count: number; said: string | undefined } {
  if (asked !== undefined) {
    if (!Number.isInteger(asked) || asked < 1 || asked > MAX_WORKERS)
      throw new UsageError(`--workers ${asked} is not a whole number from 1 to ${MAX_WORKERS}`, 'e.g. --workers 2');
    if (asked > clients)
      throw new UsageError(
        `--workers ${asked} for ${clients} client${clients === 1 ? '' : 's'} leaves workers without a client`,
        'give at least one client per worker',
      );
    return { count: asked, said: undefined };
  }
  if (clients < WORKERS_FROM_CLIENTS || cores < 2) return { count: 1, said: undefined };
  const count = Math.min(cores, MAX_WORKERS);
  return {
    count,
    said: `soak: ${count} worker processes (one per core for -n ≥ ${WORKERS_FROM_CLIENTS}; --workers 1 keeps one process)`,
  };
}
