import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/helpers/sequencer.js';
import { canRaisePriority } from './test/helpers/priority.js';
import { ALONE, SERIAL } from './test/helpers/timing-files.js';

/**
 * Projects (https://vitest.dev/guide/projects):
 * - `unit`: pure files (no sockets, no child processes, fake clocks); `npm run test:unit` runs them alone.
 * - `integration`: real mosquitto, aedes, the impair proxy, the CLI as a process. These files wait on sockets,
 *   timers and children far more than they compute, so several run at once even on 2 cores; `unit` runs beside
 *   them (one group: vitest requires the same maxWorkers within a group).
 * - `mocked`: the files that replace a module of src/ (below).
 * Both `unit` and `integration` share one module graph per worker (isolate: false): starting a worker and loading
 * src/ for every file was most of what a short file cost (the whole run: 303 → 256 CPU-s), so a file
 * must put back what it changes (fake timers, process.env, spies, the working directory, listeners, servers) in its
 * own after hooks. vitest keeps a shared worker only while the next file in its queue is of the same project, so
 * the timing files below are integration files too, where they can be.
 *
 * Timing files (test/helpers/timing-files.ts): `serial` ones compare a measured figure against the injected fault
 * within tens to hundreds of milliseconds (their tests share a broker per file and run one by one; a long file is
 * split in two instead), `alone` ones against a raw reference taken in the same test within a millisecond or two
 * (never two at once). Where this run may raise a process's priority (test/helpers/priority.ts), they run beside the
 * others at nice −10 and −15 with everything they start, spread through the queue by the sequencer, and an alone
 * file waits for the one before it on a lock (test/helpers/timing.setup.ts). Beside the integration files at the
 * same priority, under a load of ~12, the silent-drop outage start read 387 ms against its 300 ms bound once; at the
 * higher priority they passed with stress-ng beside the suite as well. Where it may not, they are projects of their
 * own: `serial` after the others (groupOrder 1), three at a time (they wait on injected timeouts far more than they
 * compute), and `alone` last (groupOrder 2), one at a time, so the only competition for the CPU is from outside.
 * A new test file lands in `integration` unless it is listed: in UNIT when it opens no socket and starts no
 * process, in SERIAL or ALONE (timing-files.ts) when it checks timing against an injected fault or a same-run
 * reference.
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
  'test/soak/loop-gaps.test.ts',
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
/**
 * Files that replace a module of src/ (vi.mock): they get a module graph of their own. In a shared one the mock
 * would reach the other files of the worker, or miss a module another file had loaded first (README's command
 * lines then ran for real: 59 failures).
 */
const MOCKED = ['test/cli/readme-pass.test.ts'];
// Waiting, not computing: more workers than cores (the CPU of this 2-core machine was half idle with 4: 256 CPU-s
// over 257 s). MQD_TEST_WORKERS overrides (e.g. 1 to debug).
const workers = Number(process.env.MQD_TEST_WORKERS ?? 4);
// Without priority, three serial files at a time: they wait on injected faults far more than they compute. All six
// at once (six tcpdumps, six brokers) once lost packets from a capture under a load of ~10; two at a time took ~35 s.
const SERIAL_WORKERS = 3;
// Where the timing files can be given a higher priority than the rest (test/helpers/priority.ts: root or
// CAP_SYS_NICE), they run beside the integration files instead of after them: the CPU they wait on is theirs first.
// MQD_TEST_PRIORITY=0 turns that off (e.g. to compare).
const prioritized = process.env.MQD_TEST_PRIORITY !== '0' && canRaisePriority();
const TIMING_SETUP = './test/helpers/timing.setup.ts';
// One lock per run for the alone files (test/helpers/timing.setup.ts); the workers inherit the environment.
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
          exclude: [...UNIT, ...MOCKED, ...(prioritized ? [] : [...SERIAL, ...ALONE])],
          setupFiles: [TIMING_SETUP],
          maxWorkers: workers,
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'mocked', include: MOCKED, maxWorkers: workers, sequence: { groupOrder: 0 } },
      },
      ...(prioritized
        ? []
        : [
            {
              extends: true as const,
              test: {
                name: 'serial',
                include: SERIAL,
                setupFiles: [TIMING_SETUP],
                maxWorkers: Math.min(workers, SERIAL_WORKERS),
                sequence: { groupOrder: 1 },
              },
            },
            {
              extends: true as const,
              // vitest runs a project that is not file-parallel after the parallel ones.
              test: {
                name: 'alone',
                include: ALONE,
                setupFiles: [TIMING_SETUP],
                fileParallelism: false,
                sequence: { groupOrder: 2 },
              },
            },
          ]),
    ],
  },
});
