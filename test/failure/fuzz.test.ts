/**
 * Bounded broker-reply fuzzer: a scripted broker answers every client packet correctly except one reply (the
 * CONNACK, or the first reply after it), which it mutates from a fixed seed (test/failure/servers.ts
 * MUTATIONS: bad flags, lengths, properties, reserved types, truncation, floods, trickles, a 200 MB PUBLISH).
 * probe (ping and echo), soak and keepalive-tune run in this process against each case. Every run must end
 * within a bound derived from its own timeouts, exit 1, 3 or 4 (never 0: the server misbehaved; never 70),
 * print no stack trace, and print a line naming the failure. A failing case names its seed for replay:
 * `FUZZ_SEEDS=1234 npx vitest run test/failure/fuzz.test.ts`.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { runMain } from '../helpers/cli.js';
import { fuzzPlan, startFuzzServer, type FuzzPlan } from './servers.js';

type Command = 'probe-ping' | 'probe-echo' | 'soak' | 'keepalive-tune';

/** Every run is bounded by a 1 s connect timeout and 500 ms reply timeouts; soak runs 2 s. */
const ARGS: Record<Command, (url: string, v: 4 | 5) => string[]> = {
  'probe-ping': (url, v) => [
    'probe',
    url,
    '-V',
    String(v),
    '-c',
    '3',
    '-i',
    '100ms',
    '-W',
    '500ms',
    '--connect-timeout',
    '1s',
  ],
  'probe-echo': (url, v) =>
    ['probe', url, '-V', String(v), '--method', 'echo', '-c', '3', '-i', '100ms', '-W', '500ms'].concat([
      '--connect-timeout',
      '1s',
    ]),
  soak: (url, v) => ['soak', url, '-V', String(v), '-d', '2s', '-n', '1', '--connect-timeout', '1s'],
  'keepalive-tune': (url, v) =>
    ['keepalive-tune', url, '-V', String(v), '--samples', '2', '--sample-interval', '50ms'].concat([
      '--connect-timeout',
      '1s',
    ]),
};

/** Cases per command: a fixed seed list, or the seeds in FUZZ_SEEDS (comma separated) to replay a failure. */
const CASES = 32;
const SEEDS: number[] = process.env.FUZZ_SEEDS
  ? process.env.FUZZ_SEEDS.split(',').map(Number)
  : Array.from({ length: CASES }, (_, i) => 0x5eed0000 + i * 7919);

/**
 * The longest any run may take: its timeouts (1 s connect, 2 s soak, reply waits) plus slack for a machine
 * whose two CPUs are saturated; a run that retries forever or waits for Ctrl-C blows through it.
 */
const BOUND_MS = 20_000;

function describePlan(p: FuzzPlan): string {
  return `seed ${p.seed} (${p.mutation} on reply ${p.at})`;
}

interface Outcome {
  plan: FuzzPlan;
  version: 4 | 5;
  code: number;
  all: string;
  ms: number;
}

/** One case: a fresh fuzz server, the command run in this process against it, what it printed and how long it took. */
async function runCase(command: Command, seed: number): Promise<Outcome> {
  const plan = fuzzPlan(seed);
  const version: 4 | 5 = seed % 2 === 0 ? 4 : 5;
  const server = await startFuzzServer(plan);
  let timer: NodeJS.Timeout | undefined;
  try {
    const t0 = performance.now();
    // A run that never ends fails its case (and frees its slot) instead of holding up the queue.
    const hung = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), BOUND_MS + 5000)));
    const r = await Promise.race([runMain(ARGS[command](server.url, version)), hung]);
    const ms = performance.now() - t0;
    if (!r) return { plan, version, code: -1, all: `did not finish within ${BOUND_MS + 5000} ms`, ms };
    return { plan, version, code: r.code ?? -1, all: `${r.stdout}\n${r.stderr}`, ms };
  } finally {
    clearTimeout(timer);
    await server.close();
  }
}

/** Run at most `n` of the functions handed to it at a time, in the order they were handed over. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (fn) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active += 1;
    try {
      return await fn();
    } finally {
      active -= 1;
      waiting.shift()?.();
    }
  };
}

/**
 * Cases run PARALLEL at a time, all queued before the first test asserts: each case mostly waits on its timeouts
 * (the file used 14 s of CPU in 62 s), so vitest's default of 5 concurrent tests left the worker idle. Not more:
 * every in-process run adds a SIGINT and a SIGTERM listener, and Node warns past 10 per signal. A case's bound is
 * its own run time, measured inside the case, so waiting for a free slot does not count against it.
 */
const PARALLEL = 8;
const outcomes = new Map<string, Promise<Outcome>>();
beforeAll(() => {
  const limit = limiter(PARALLEL);
  for (const command of Object.keys(ARGS) as Command[]) {
    for (const seed of SEEDS) {
      const outcome = limit(() => runCase(command, seed));
      outcome.catch(() => undefined); // awaited (and reported) by its test, perhaps after it settles
      outcomes.set(`${command} ${seed}`, outcome);
    }
  }
});

describe.each(Object.keys(ARGS) as Command[])('%s against a fuzzed broker', (command) => {
  test.each(SEEDS)(
    'seed %i',
    async (seed) => {
      const { plan, version, code, all, ms } = await outcomes.get(`${command} ${seed}`)!;
      const label = `${command} -V ${version}, ${describePlan(plan)}`;
      // A bad CONNACK is never healthy. A bad later reply may leave a session that carries on with a lost
      // reply (an unsolicited UNSUBACK in place of a PINGRESP): then exit 0 is allowed only as the documented
      // "loss without a --max-loss threshold" (README, Exit codes), and the output must show that loss.
      if (plan.at === 0 || code !== 0) expect([1, 3, 4], `${label}: exit ${code}\n${all}`).toContain(code);
      else expect(all, label).toMatch(/loss [1-9]\d*(\.\d+)?%|[1-9]\d*(\.\d+)?% loss/);
      expect(all, label).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
      expect(all, label).not.toMatch(/internal error/i);
      expect(all.trim().length, label).toBeGreaterThan(0);
      expect(ms, label).toBeLessThan(BOUND_MS);
    },
    // A case may wait for every case queued before it, PARALLEL at a time, each cut off after BOUND_MS + 5 s.
    (BOUND_MS + 5000) * Math.ceil((4 * SEEDS.length) / PARALLEL) + 10_000,
  );
});
