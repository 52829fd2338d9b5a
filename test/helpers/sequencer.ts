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

/**
 * Seconds a file took in a loaded CI run of the whole suite (relative weights; files under ~10 s left out). The
 * first six were shortened since (fewer spawns and zsh compinit runs, cases at once): their figures are the CI
 * ones scaled by the before/after ratio each showed run alone on the same machine; so are analyze's fixtures,
 * thresholds and cli files (in-process analyze).
 */
const ESTIMATE_S: Record<string, number> = {
  'test/cli/completion.test.ts': 119,
  'test/cli/pack.test.ts': 74,
  'test/explain/command.test.ts': 71,
  'test/html/analyze-marks.test.ts': 55,
  'test/failure/hostile-servers.test.ts': 54,
  'test/failure/huge-packet.test.ts': 41,
  'test/cli/cli.test.ts': 41,
  'test/failure/fuzz.test.ts': 40,
  'test/soak/fleet-and-self.test.ts': 37,
  'test/keepalive/e2e.test.ts': 35,
  'test/soak/impair-and-takeover.test.ts': 30,
  'test/keepalive/snippets.test.ts': 30,
  'test/html/analyze-html.test.ts': 30,
  'test/soak/shard-report.test.ts': 28,
  'test/html/probe-html.test.ts': 26,
  'test/probe/probe-impair.test.ts': 25,
  'test/soak/local-address.test.ts': 30,
  'test/soak/workers-rate.test.ts': 23,
  'test/soak/cli-sigterm.test.ts': 23,
  'test/html/soak-html.test.ts': 22,
  'test/soak/shard-truth.test.ts': 21,
  'test/probe/habits.test.ts': 19,
  'test/cli/options.test.ts': 19,
  'test/soak/workers-process.test.ts': 18,
  'test/soak/shard-compare.test.ts': 18,
  'test/soak/broker-restart.test.ts': 18,
  'test/analyze/fixtures.test.ts': 17,
  'test/soak/refusal-and-text.test.ts': 17,
  'test/soak/hostile-servers.test.ts': 16,
  'test/keepalive/discovery-broker-cap.test.ts': 16,
  'test/explain/prefilter.test.ts': 16,
  'test/soak/stop.test.ts': 15,
  'test/soak/shard-options.test.ts': 15,
  'test/explain/live-mosquitto.test.ts': 13,
  'test/explain/hostile.test.ts': 13,
  'test/soak/cli-tls.test.ts': 12,
  'test/soak/cli-auth.test.ts': 12,
  'test/probe/probe-failures.test.ts': 12,
  'test/keepalive/limits.test.ts': 12,
  'test/deploy/shard-job.test.ts': 12,
  'test/cli/pipes.test.ts': 12,
  'test/analyze/table-width.test.ts': 12,
  'test/analyze/cli.test.ts': 9,
  'test/analyze/thresholds.test.ts': 8,
};
const DEFAULT_S = 5;

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // vitest's own order first (projects and groups in sequence, then its cache or file size) ...
    const base = await super.sort(files);
    const root = this.ctx.config.root;
    const weight = (f: TestSpecification): number => {
      const path = relative(root, f.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${f.project.name}:${path}`)?.duration;
      return cached !== undefined ? cached / 1000 : (ESTIMATE_S[path] ?? DEFAULT_S);
    };
    // ... then, within each run of files of one project, the heaviest first (a stable sort keeps ties in order).
    const out: TestSpecification[] = [];
    for (let i = 0; i < base.length;) {
      let j = i;
      while (j < base.length && base[j]!.project.name === base[i]!.project.name) j += 1;
      out.push(...base.slice(i, j).sort((a, b) => weight(b) - weight(a)));
      i = j;
    }
    return out;
  }
}
