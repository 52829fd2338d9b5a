/**
 * Bounded broker-reply fuzzer: a scripted broker answers every client packet correctly except one reply (the
 * CONNACK, or the first reply after it), which it mutates from a fixed seed (test/failure/servers.ts
 * MUTATIONS: bad flags, lengths, properties, reserved types, truncation, floods, trickles, a 200 MB PUBLISH).
 * probe (ping and echo), soak and keepalive-tune run in this process against each case. Every run must end
 * within a bound derived from its own timeouts, exit 1, 3 or 4 (never 0: the server misbehaved; never 70),
 * print no stack trace, and print a line naming the failure. A failing case names its seed for replay:
 * `FUZZ_SEEDS=1234 npx vitest run test/failure/fuzz.test.ts`.
 */
import { describe, expect, test } from 'vitest';
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

describe.concurrent.each(Object.keys(ARGS) as Command[])('%s against a fuzzed broker', (command) => {
  test.each(SEEDS)(
    'seed %i',
    async (seed) => {
      const plan = fuzzPlan(seed);
      const version: 4 | 5 = seed % 2 === 0 ? 4 : 5;
      const server = await startFuzzServer(plan);
      try {
        const t0 = performance.now();
        const r = await runMain(ARGS[command](server.url, version));
        const ms = performance.now() - t0;
        const all = `${r.stdout}\n${r.stderr}`;
        const label = `${command} -V ${version}, ${describePlan(plan)}`;
        // A bad CONNACK is never healthy. A bad later reply may leave a session that carries on with a lost
        // reply (an unsolicited UNSUBACK in place of a PINGRESP): then exit 0 is allowed only as the documented
        // "loss without a --max-loss threshold" (README, Exit codes), and the output must show that loss.
        if (plan.at === 0 || r.code !== 0) expect([1, 3, 4], `${label}: exit ${r.code}\n${all}`).toContain(r.code);
        else expect(all, label).toMatch(/loss [1-9]\d*(\.\d+)?%|[1-9]\d*(\.\d+)?% loss/);
        expect(all, label).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
        expect(all, label).not.toMatch(/internal error/i);
        expect(all.trim().length, label).toBeGreaterThan(0);
        expect(ms, label).toBeLessThan(BOUND_MS);
      } finally {
        await server.close();
      }
    },
    BOUND_MS + 10_000,
  );
});
