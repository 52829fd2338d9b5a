/**
 * Scheduling priority for the files whose assertions are timing against an injected fault or a same-run raw
 * reference (vitest.config.ts: `serial` and `alone`). At a higher priority than the rest of the suite, such a file
 * and everything it starts (brokers, the impair proxy, tcpdump, the CLI: children inherit the nice value) gets the
 * CPU first when it wakes, so the CPU-bound integration files can run beside it without delaying its timers and
 * sockets. The Linux scheduler weighs a nice −10 task about 9× and a nice −15 task about 28× a nice 0 one
 * (sched(7), https://man7.org/linux/man-pages/man7/sched.7.html). Raising a priority needs root or CAP_SYS_NICE
 * (setpriority(2)); where it is not allowed, vitest.config.ts keeps these files in groups of their own after the
 * others.
 */
import { getPriority, setPriority } from 'node:os';

/** Nice value of the `serial` files (tens of ms against an injected fault). */
export const SERIAL_NICE = -10;
/** Nice value of the `alone` files (a millisecond or two against a raw reference): ahead of the serial ones too. */
export const ALONE_NICE = -15;

/** True if this process may raise its own priority to ALONE_NICE (it is left as it was). */
export function canRaisePriority(): boolean {
  const before = getPriority();
  try {
    setPriority(Math.min(before, ALONE_NICE));
    setPriority(before);
    return true;
  } catch {
    return false;
  }
}

/** Raise this process to `nice` (never lowers it); false where the system does not allow it. */
export function raisePriority(nice: number): boolean {
  try {
    if (getPriority() > nice) setPriority(nice);
    return true;
  } catch {
    return false;
  }
}
