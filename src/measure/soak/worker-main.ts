/**
 * A soak worker process (`soak --workers K` forks K of these): it receives its share of the fleet over IPC,
 * runs it with the same runner as a single process, and sends every event back to the parent, which writes
 * the one --out file and merges the report. Its own stdout and stderr stay quiet.
 *
 * It stops (draining and writing its end line as a single run does) on a 'stop' message, on SIGINT (a Ctrl-C
 * on a terminal reaches the whole process group) or SIGTERM, and when the parent is gone (IPC closed).
 */
import type { SoakEvent } from '../../analyze/soak/events.js';
import { emptyArrivals, recordArrival, type ArrivalCounts } from './metrics.js';
import { startSoak, type LiveFigures, type SoakRunOptions } from './runner.js';
import { EventBatcher } from './event-batcher.js';

/** What the parent sends: the runner's options without the functions (they cannot cross a process). */
export type WorkerRunOptions = Omit<SoakRunOptions, 'signal' | 'onEvent' | 'onArrival' | 'now' | 'connect' | 'random'>;

export type ToWorker =
  | {
      type: 'start';
      options: WorkerRunOptions;
      statusEveryMs: number;
      /** Keep the per-message figures of /metrics (the parent serves --metrics-port). */
      tallyArrivals?: boolean;
    }
  | { type: 'stop' };

export type FromWorker =
  /** The worker's lines in the order it wrote them, a batch at a time (see EventBatcher). */
  | { type: 'events'; evs: SoakEvent[] }
  /** The live figures, every statusEveryMs: the parent's status line and /metrics gauges. */
  | { type: 'snapshot'; summary: LiveFigures; connectedNow: number; arrivals?: ArrivalCounts }
  | { type: 'done' };

const abort = new AbortController();
const post = (m: FromWorker): void => {
  if (process.connected) process.send?.(m);
};
const lines = new EventBatcher((evs) => post({ type: 'events', evs }));
const send = (m: FromWorker): void => {
  lines.flush();
  post(m);
};

process.on('SIGINT', () => abort.abort());
process.on('SIGTERM', () => abort.abort());
process.on('disconnect', () => abort.abort());
process.on('message', (m: ToWorker) => {
  if (m.type === 'stop') abort.abort();
  else if (m.type === 'start') void run(m.options, m.statusEveryMs, m.tallyArrivals ?? false);
});

async function run(options: WorkerRunOptions, statusEveryMs: number, tallyArrivals: boolean): Promise<void> {
  const arrivals = tallyArrivals ? emptyArrivals() : undefined;
  const soak = await startSoak({
    ...options,
    signal: abort.signal,
    onEvent: (ev) => lines.add(ev),
    ...(arrivals
      ? { onArrival: (ms: number | undefined, kind: string) => recordArrival(arrivals, ms, kind, Date.now() / 1000) }
      : {}),
  });
  const snapshot = () =>
    send({
      type: 'snapshot',
      summary: soak.liveFigures(),
      connectedNow: soak.connectedNow(),
      ...(arrivals ? { arrivals } : {}),
    });
  const timer = setInterval(snapshot, statusEveryMs);
  await soak.done;
  clearInterval(timer);
  // The per-message figures up to the end (the parent's /metrics serves them until it closes).
  if (arrivals) snapshot();
  // Disconnect only once 'done' is written: closing the channel cancels writes still queued on the pipe, and
  // the end line of a worker of thousands of clients is a large message (its loss made a worker that finished
  // look killed). The callback of process.send comes when the write completed (Node docs, process.send).
  lines.flush();
  await new Promise<void>((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send({ type: 'done' } satisfies FromWorker, undefined, undefined, () => resolve());
  });
  if (process.connected) process.disconnect?.();
}
