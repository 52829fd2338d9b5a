/**
 * setupFiles of every file that may be a timing file (test/helpers/timing-files.ts). It runs again before each test
 * file, in the worker that runs it, so files of both kinds can share the workers of the other integration files:
 * - a `serial` file runs at SERIAL_NICE and an `alone` file at ALONE_NICE, with everything they start (priority.ts);
 *   the worker's own priority comes back when the file ends, before the next file of that worker;
 * - an `alone` file holds a lock for the whole run of its file (a directory made with mkdir, which either creates it
 *   or fails, atomically), named by vitest.config.ts once per run (MQD_ALONE_LOCK), so no two run at once. The
 *   others may run beside it, at a lower priority.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { ALONE_NICE, raisePriority, SERIAL_NICE } from './priority.js';
import { timingKind } from './timing-files.js';

/** Longest wait for the lock: the other alone files take ~20 s in all on this machine, idle. */
const LOCK_WAIT_MS = 180_000;
const POLL_MS = 50;

const root = fileURLToPath(new URL('../..', import.meta.url));
const kind = timingKind(relative(root, expect.getState().testPath ?? ''));
// The worker's priority before its first timing file (the same worker may run many files, one after another).
const shared = globalThis as { mqdWorkerNice?: number };
shared.mqdWorkerNice ??= getPriority();
const workerNice = shared.mqdWorkerNice;
// Before the test file is imported: what it starts at its top level runs at its priority too.
if (kind) raisePriority(kind === 'alone' ? ALONE_NICE : SERIAL_NICE);

const lockDir = kind === 'alone' ? process.env.MQD_ALONE_LOCK : undefined;
let held = false;

beforeAll(async () => {
  if (!lockDir) return; // not an alone file, or one run on its own outside the configured run: nothing to wait for
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lockDir);
      held = true;
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (Date.now() > until) throw new Error(`timing.setup: ${lockDir} still held after ${LOCK_WAIT_MS} ms`);
    await sleep(POLL_MS);
  }
}, LOCK_WAIT_MS + 5_000);

// Registered before the file's own hooks, so it runs after them: its brokers and proxies are down by then.
afterAll(() => {
  if (held) rmSync(lockDir!, { recursive: true, force: true });
  held = false;
  // Lowering a priority back is always allowed.
  if (getPriority() !== workerNice) setPriority(workerNice);
});
