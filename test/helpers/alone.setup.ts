/**
 * setupFiles of the `alone` project. Its files compare against a raw reference within a millisecond or two, so no
 * two of them run at once: each holds a lock for the whole run of its file (a directory made with mkdir, which
 * either creates it or fails, atomically), named by vitest.config.ts once per run (MQD_ALONE_LOCK). The others
 * (integration and serial files) may run beside it, at a lower priority (priority.ts).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll } from 'vitest';
import { ALONE_NICE, raisePriority } from './priority.js';

/** Longest wait for the lock: the other alone files take ~20 s in all on this machine, idle. */
const LOCK_WAIT_MS = 180_000;
const POLL_MS = 50;

raisePriority(ALONE_NICE);

const lockDir = process.env.MQD_ALONE_LOCK;
let held = false;

beforeAll(async () => {
  if (!lockDir) return; // a file run on its own, outside the configured run: nothing to wait for
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lockDir);
      held = true;
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (Date.now() > until) throw new Error(`alone.setup: ${lockDir} still held after ${LOCK_WAIT_MS} ms`);
    await sleep(POLL_MS);
  }
}, LOCK_WAIT_MS + 5_000);

afterAll(() => {
  if (held) rmSync(lockDir!, { recursive: true, force: true });
  held = false;
});
