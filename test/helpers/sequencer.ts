/**
 * Longest files first, also in a clean clone. vitest orders a run by the durations it cached from the last run
 * and, with no cache (CI starts from `npm ci`), by file size, biggest first. Size says little here: the longest
 * files are short ones that wait on zsh, npm or a browser, so they started late and ran on alone at the end
 * while the other workers had nothing left to do (test/cli/completion.test.ts started after half the suite).
 * Starting the longest first (LPT scheduling) lets the short ones fill in around them.
 *
 * A file's cached duration wins when vitest has one; otherwise the estimate below, from CI runs of the whole
 * suite; a file with neither counts as DEFAULT_S. The figures only order the queue: a stale or missing one costs
 * some wall time, never a result.
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { timingKind } from './timing-files.js';

/**
 * Seconds a file took in a run of the whole suite with 4 workers on this 2-core machine, idle (relative weights;
 * files under ~7 s left out). Files changed since carry their own new figure run alone: fleet-and-self (its fake
 * servers now answer PINGREQ), cli and completion (their process cases run at once), the impair proxy (split in
 * two).
 */
const ESTIMATE_S: Record<string, number> = {
  'test/keepalive/e2e.test.ts': 31,
  'test/analyze/faults-idle.test.ts': 13,
  'test/analyze/faults.test.ts': 13,
  'test/soak/shard-truth.test.ts': 25,
  'test/failure/fuzz.test.ts': 23,
  'test/soak/workers-process.test.ts': 22,
  'test/soak/silent-truth.test.ts': 11,
  'test/soak/silent-truth-outages.test.ts': 9,
  'test/html/soak-html.test.ts': 20,
  'test/soak/local-address.test.ts': 19,
  'test/soak/impair-and-takeover.test.ts': 19,
  'test/cli/pack.test.ts': 17,
  'test/cli/cli.test.ts': 15,
  'test/soak/broker-restart.test.ts': 15,
  'test/failure/hostile-servers.test.ts': 14,
  'test/explain/hostile.test.ts': 14,
  'test/soak/hostile-servers.test.ts': 12,
  'test/probe/probe-failures.test.ts': 12,
  'test/keepalive/discovery-broker-cap.test.ts': 12,
  'test/explain/live-mosquitto.test.ts': 12,
  'test/deploy/shard-job.test.ts': 12,
  'test/soak/workers-html.test.ts': 11,
  'test/html/analyze-marks.test.ts': 11,
  'test/soak/cli-sigterm.test.ts': 10,
  'test/html/analyze-html.test.ts': 10,
  'test/truth/rtt.test.ts': 9,
  'test/probe/probe-impair.test.ts': 9,
  'test/keepalive/snippets.test.ts': 9,
  'test/analyze/same-fault.test.ts': 9,
  'test/analyze/cli.test.ts': 9,
  'test/impair/proxy-faults.test.ts': 9,
  'test/soak/workers-metrics.test.ts': 8,
  'test/soak/session-reuse.test.ts': 8,
  'test/html/probe-html.test.ts': 8,
  'test/cli/completion.test.ts': 8,
  'test/failure/huge-packet.test.ts': 7,
  'test/impair/proxy.test.ts': 6,
};
const DEFAULT_S = 5;
/** A `unit` file (vitest.config.ts: pure, shared module graph) takes well under a second: it fills in last. */
const UNIT_DEFAULT_S = 0.5;

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // vitest's own order first (projects and groups in sequence, then its cache or file size) ...
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const weight = (f: TestSpecification): number => {
      const path = relative(root, f.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${f.project.name}:${path}`)?.duration;
      if (cached !== undefined) return cached / 1000;
      return ESTIMATE_S[path] ?? (f.project.name === 'unit' ? UNIT_DEFAULT_S : DEFAULT_S);
    };
    // ... then, within each group (sequence.groupOrder: its projects share one pool of workers), the heaviest first
    // whatever its project, so the short unit files fill in at the end (a stable sort keeps ties in order).
    const group = (f: TestSpecification): number => f.project.config.sequence.groupOrder;
    const out: TestSpecification[] = [];
    for (let i = 0; i < base.length; ) {
      let j = i;
      while (j < base.length && group(base[j]!) === group(base[i]!)) j += 1;
      out.push(
        ...spreadTimingFiles(
          base.slice(i, j).sort((a, b) => weight(b) - weight(a)),
          weight,
          (f) => timingKind(relative(root, f.moduleId)),
        ),
      );
      i = j;
    }
    return out;
  }
}

/**
 * Timing files (timing-files.ts) run beside the others only because they have the CPU first
 * (test/helpers/priority.ts), and should meet each other as little as possible: `alone` files wait for each other on
 * a lock, holding a worker while they wait, and several `serial` files at once mean several tcpdumps and brokers at
 * once.
 */
const SPREAD = ['serial', 'alone'];
/** They are spread over this share of the group's work, so none of them is what the run waits for at the end. */
const SPREAD_SPAN = 0.8;

/**
 * `queue` (heaviest first) with the files of each SPREAD kind placed at even steps of the other files' cumulative
 * weight, instead of bunched together by their own weight. A group of only such files keeps its order.
 */
export function spreadTimingFiles<T>(queue: T[], weight: (f: T) => number, kind: (f: T) => string | undefined): T[] {
  const spread = (f: T) => SPREAD.includes(kind(f) ?? '');
  const rest = queue.filter((f) => !spread(f));
  const total = rest.reduce((sum, f) => sum + weight(f), 0);
  const placed: { at: number; file: T }[] = [];
  for (const name of SPREAD) {
    const files = queue.filter((f) => kind(f) === name);
    files.forEach((file, k) => placed.push({ at: (SPREAD_SPAN * total * (k + 0.5)) / files.length, file }));
  }
  placed.sort((a, b) => a.at - b.at);
  const out: T[] = [];
  let done = 0;
  let next = 0;
  for (const f of rest) {
    while (next < placed.length && placed[next]!.at <= done) out.push(placed[next++]!.file);
    out.push(f);
    done += weight(f);
  }
  while (next < placed.length) out.push(placed[next++]!.file);
  return out;
}
