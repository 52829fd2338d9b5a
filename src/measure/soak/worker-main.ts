/**
 * A soak worker process (`soak --workers K` forks K of these): it receives its share of the fleet over IPC,
 * runs it with the same runner as a single process, and sends every event back to the parent, which writes
 * the one --out file and merges the report. Its own stdout and stderr stay quiet.
 *
 * It stops (draining and writing its end line as a single run does) on a 'stop' message, on SIGINT (a Ctrl-C
 * on a terminal reaches the whole process group) or SIGTERM, and when the parent is gone (IPC closed).
 */
import type { SoakEvent } from '../../analyze/soak/events.js';
import type { SoakSummary } from '../../analyze/soak/summary.js';
import { startSoak, type SoakRunOptions } from './runner.js';

/** What the parent sends: the runner's options without the functions (they cannot cross a process). */
export type WorkerRunOptions = Omit<SoakRunOptions, 'signal' | 'onEvent' | 'onArrival' | 'now' | 'connect' | 'random'>;

export type ToWorker = { type: 'start'; options: WorkerRunOptions; statusEveryMs: number } | { type: 'stop' };

export type FromWorker =
  | { type: 'event'; ev: SoakEvent }
  /** The live summary, every statusEveryMs: the parent's status line and /metrics gauges. */
  | { type: 'snapshot'; summary: SoakSummary; connectedNow: number }
  | { type: 'done' };

const abort = new AbortController();
const send = (m: FromWorker): void => {
  if (process.connected) process.send?.(m);
};

process.on('SIGINT', () => abort.abort());
process.on('SIGTERM', () => abort.abort());
process.on('disconnect', () => abort.abort());
process.on('message', (m: ToWorker) => {
  if (m.type === 'stop') abort.abort();
  else if (m.type === 'start') void run(m.options, m.statusEveryMs);
});

async function run(options: WorkerRunOptions, statusEveryMs: number): Promise<void> {
  const soak = await startSoak({
    ...options,
    signal: abort.signal,
    onEvent: (ev) => send({ type: 'event', ev }),
  });
  const timer = setInterval(
    () => send({ type: 'snapshot', summary: soak.snapshot(), connectedNow: soak.connectedNow() }),
    statusEveryMs,
  );
  await soak.done;
  clearInterval(timer);
  send({ type: 'done' });
  process.disconnect?.();
}
