/**
 * Scheduling priority for the files whose assertions are timing against an injected fault (vitest.config.ts:
 * `serial` and `alone`). Run at a higher priority than the rest of the suite (nice TIMING_NICE against 0), such a
 * file and everything it starts (brokers, the impair proxy, tcpdump, the CLI: children inherit the nice value)
 * gets the CPU first when it wakes, so the CPU-bound integration files can run beside it without delaying its
 * timers and sockets. Raising a priority needs root or CAP_SYS_NICE (setpriority(2),
 * https://man7.org/linux/man-pages/man2/setpriority.2.html); where it is not allowed, vitest.config.ts keeps these
 * files in their own groups after the others, as before.
 */
import { getPriority, setPriority } from 'node:os';

/** Nice value of the timing files: CFS gives a nice −10 task about 9× the weight of a nice 0 one (sched(7)). */
export const TIMING_NICE = -10;

/** True if this process may raise its own priority to TIMING_NICE (it is left as it was). */
export function canRaisePriority(): boolean {
  const before = getPriority();
  try {
    setPriority(Math.min(before, TIMING_NICE));
    setPriority(before);
    return true;
  } catch {
    return false;
  }
}

/** Raise this process to TIMING_NICE; false where the system does not allow it. */
export function raisePriority(): boolean {
  try {
    if (getPriority() > TIMING_NICE) setPriority(TIMING_NICE);
    return true;
  } catch {
    return false;
  }
}
