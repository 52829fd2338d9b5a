/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (one at a time: the machine has 2 cores) and prints a
 * table of ratios against the baseline each bench measures in the same run. Results also go to
 * bench/results.json. Targets are reported, never asserted in tests.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

export interface BenchResult {
  name: string;
  /** What was measured, with unit, e.g. "RTT p50 (ms)". */
  metric: string;
  value: number;
  baseline: number;
  baselineName: string;
  /** value / baseline */
  ratio: number;
  /** Target for the ratio (≤), if the issue sets one. */
  targetRatio?: number;
  /** Absolute target (≤) for metrics that have one instead. */
  targetValue?: number;
  notes?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
const all: BenchResult[] = [];
for (const f of files) {
  process.stderr.write(`bench: ${f}\n`);
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: () => Promise<BenchResult[]> };
  const results = await mod.default();
  all.push(...results);
  for (const r of results) {
    const pass =
      (r.targetRatio === undefined || r.ratio <= r.targetRatio) &&
      (r.targetValue === undefined || r.value <= r.targetValue);
    const target =
      r.targetRatio !== undefined
        ? ` (target ≤ ${r.targetRatio}×)`
        : r.targetValue !== undefined
          ? ` (target ≤ ${r.targetValue})`
          : '';
    process.stdout.write(
      `${pass ? 'ok  ' : 'MISS'} ${r.name}: ${r.metric} ${fmt(r.value)} vs ${r.baselineName} ${fmt(r.baseline)} → ${r.ratio.toFixed(2)}×${target}${r.notes ? `  [${r.notes}]` : ''}\n`,
    );
  }
}
writeFileSync(
  join(here, 'results.json'),
  JSON.stringify({ at: new Date().toISOString(), results: all }, null, 2) + '\n',
);

function fmt(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(4);
}
