import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/helpers/sequencer.js';
import { canRaisePriority } from './test/helpers/priority.js';

/**
 * Four projects (https://vitest.dev/guide/projects):
 * - `unit`: pure files (no sockets, no child processes, fake clocks); `npm run test:unit` runs them alone.
 *   They share one module graph per worker (isolate: false): loading src/ was most of their cost (30 s of CPU
 *   isolated, 11 s shared, on this 2-core machine), so a unit file must put back what it changes (fake timers,
 *   process.env, spies) in its own after hooks.
 * - `integration`: real mosquitto, aedes, the impair proxy, the CLI as a process. These files wait on sockets,
 *   timers and children far more than they compute, so several run at once even on 2 cores; `unit` runs beside
 *   them (one group: vitest requires the same maxWorkers within a group).
 * - `serial`: files whose assertions compare a measured figure against the injected fault within tens to hundreds
 *   of milliseconds. Their tests share a broker per file and run one by one; a long file is split in two instead
 *   (faults and faults-idle, silent-truth and silent-truth-outages).
 * - `alone`: files whose margins are a millisecond or two against a raw reference taken in the same test
 *   (test/truth, the impair proxy): never two at once.
 * Where this run may raise a process's priority (test/helpers/priority.ts), `serial` and `alone` run in the first
 * group beside the others, at nice −10 and −15 with everything they start, and the sequencer spreads them through
 * the queue; an alone file waits for the one before it on a lock (test/helpers/alone.setup.ts). Beside the
 * integration files at the same priority, under a load of ~12, the silent-drop outage start read 387 ms against its
 * 300 ms bound once; at the higher priority they passed with stress-ng beside the suite as well. Where it may not,
 * `serial` runs after the others (groupOrder 1), three at a time (they wait on injected timeouts far more than they
 * compute), and `alone` last (groupOrder 2), one at a time, so the only competition for the CPU is from outside.
 * A new test file lands in `integration` unless it is listed here: name it in UNIT when it opens no socket and
 * starts no process, in SERIAL when it checks timing against an injected fault, in ALONE when against a same-run
 * reference within a few milliseconds.
 */
const UNIT = [
  'test/unit/**/*.test.ts',
  'test/kb/**/*.test.ts',
  'test/report/**/*.test.ts',
  'test/explain/build-explain.test.ts',
  'test/explain/emitters.test.ts',
  'test/explain/explain.test.ts',
  'test/explain/fixtures.test.ts',
  'test/explain/log-timeline.test.ts',
  'test/explain/real-corpus.test.ts',
  'test/html/analyze-render.test.ts',
  'test/html/render.test.ts',
  'test/impair/config.test.ts',
  'test/impair/faults.test.ts',
  'test/impair/report.test.ts',
  'test/keepalive/recommend.test.ts',
  'test/keepalive/discovery.test.ts',
  'test/probe/target.test.ts',
  'test/cli/registry.test.ts',
  'test/cli/terminal-notes.test.ts',
  'test/failure/classify.test.ts',
  'test/failure/frame-guard.test.ts',
  'test/soak/accounting.test.ts',
  'test/soak/options.test.ts',
  'test/soak/pending-budget.test.ts',
  'test/soak/reconnect.test.ts',
  'test/soak/scheduler.test.ts',
  'test/soak/long-duration.test.ts',
  'test/soak/report.test.ts',
  'test/soak/shard-merge.test.ts',
  'test/soak/shard-options.test.ts',
  'test/soak/workers-live-merge.test.ts',
  'test/soak/workers-batch.test.ts',
  'test/soak/workers-live-figures.test.ts',
  'test/analyze/marks.test.ts',
  'test/explain/prefilter.test.ts',
];
const SERIAL = [
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
 * Files whose margins are a millisecond or two against a raw reference: they run alone, last. Beside another
 * serial file, with stress-ng running too, the proxy's 5 ms one-way delay read 1.7 ms off against a 1.55 ms bound
 * once in four loaded runs.
 */
const ALONE = [
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

// Waiting, not computing: more workers than cores (the CPU of this 2-core machine was half idle with 4: 256 CPU-s
// over 257 s). MQD_TEST_WORKERS overrides (e.g. 1 to debug).
const workers = Number(process.env.MQD_TEST_WORKERS ?? 4);
// Three serial files at a time: they wait on injected faults far more than they compute. All six at once (six
// tcpdumps, six brokers) once lost packets from a capture under a load of ~10; two at a time took ~35 s.
const serialWorkers = Math.min(workers, 3);
// Where the timing files can be given a higher priority than the rest (test/helpers/priority.ts: root or
// CAP_SYS_NICE), they run beside the integration files instead of after them: the CPU they wait on is theirs first.
// MQD_TEST_PRIORITY=0 turns that off (e.g. to compare).
const prioritized = process.env.MQD_TEST_PRIORITY !== '0' && canRaisePriority();
const serialApart = { maxWorkers: serialWorkers, sequence: { groupOrder: 1 } };
const aloneApart = { fileParallelism: false, sequence: { groupOrder: 2 } };
const TIMING_SETUP = './test/helpers/timing-priority.setup.ts';
// One lock per run for the alone files (test/helpers/alone.setup.ts); the workers inherit the environment.
process.env.MQD_ALONE_LOCK ??= join(tmpdir(), `mqd-alone-lock-${process.pid}`);

export default defineConfig({
  test: {
    // Network tests start real brokers and proxies; give them room on a 2-core machine, but bound everything.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    // Longest files first, also without vitest's cache (a clean clone): see the sequencer.
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT, maxWorkers: workers, isolate: false, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          globalSetup: ['./test/helpers/global-setup.ts'],
          include: ['test/**/*.test.ts'],
          exclude: [...UNIT, ...SERIAL, ...ALONE],
          maxWorkers: workers,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'serial',
          include: SERIAL,
          setupFiles: [TIMING_SETUP],
          ...(prioritized ? { maxWorkers: workers, sequence: { groupOrder: 0 } } : serialApart),
        },
      },
      {
        extends: true,
        test: {
          name: 'alone',
          include: ALONE,
          setupFiles: ['./test/helpers/alone.setup.ts'],
          // With priority: beside the others, one alone file at a time by the setup's lock. Without: after all the
          // others, one at a time (vitest runs a project that is not file-parallel after the parallel ones).
          ...(prioritized ? { maxWorkers: workers, sequence: { groupOrder: 0 } } : aloneApart),
        },
      },
    ],
  },
});
