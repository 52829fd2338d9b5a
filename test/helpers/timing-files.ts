/**
 * Which test files time the network against a fault or a reference, and how closely (vitest.config.ts, the
 * sequencer and timing.setup.ts read them from here). Paths are relative to the repository root; `*` matches
 * within a folder, `**` across folders.
 */

/** Files that read a timed figure against the injected fault within tens to hundreds of milliseconds. */
export const SERIAL = [
  // An outage's start within −50/+300 ms of the injected NAT idle expiry.
  'test/soak/silent-truth.test.ts',
  'test/soak/silent-truth-outages.test.ts',
  // Captures recorded while the fault happens (tcpdump): the keepalive cut and NAT idle times are read back.
  'test/analyze/faults.test.ts',
  'test/analyze/faults-idle.test.ts',
  'test/analyze/same-fault.test.ts',
  // The impair proxy's NAT idle and per-connection fates, judged clear of each boundary by tens of ms, and its
  // outage windows, judged against the edges its own events report.
  'test/impair/proxy-faults.test.ts',
];

/**
 * Files whose margins are a millisecond or two against a raw reference: never two at once. Beside another serial
 * file, with stress-ng running too, the proxy's 5 ms one-way delay read 1.7 ms off against a 1.55 ms bound once in
 * four loaded runs.
 */
export const ALONE = [
  'test/truth/**/*.test.ts',
  // Injected latency, jitter and bandwidth read back within a few ms or ±10%.
  'test/impair/proxy.test.ts',
  // The same through real mosquitto, the impair command as a process, and probe --impair: 1 ms + 5% of the
  // injected delay against a raw loop in the same test (beside the integration files at their priority, with
  // stress-ng running too, mosquitto's read 3.85 ms off against a 3.05 ms bound once).
  'test/impair/mosquitto.test.ts',
  'test/impair/command.test.ts',
  'test/probe/probe-impair.test.ts',
];

export type TimingKind = 'serial' | 'alone';

function globRegExp(glob: string): RegExp {
  const body = glob
    .split(/(\*\*\/|\*)/)
    .map((part) => (part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

const KINDS: Array<[RegExp, TimingKind]> = [
  ...ALONE.map((g): [RegExp, TimingKind] => [globRegExp(g), 'alone']),
  ...SERIAL.map((g): [RegExp, TimingKind] => [globRegExp(g), 'serial']),
];

/** The timing kind of a test file (its path relative to the repository root), or undefined for any other file. */
export function timingKind(path: string): TimingKind | undefined {
  const slashed = path.split('\\').join('/');
  return KINDS.find(([re]) => re.test(slashed))?.[1];
}
