/**
 * `report DIR` over 4 shards × 10,000 clients × 1 h of 30 s checkpoints: merge time and peak memory of the
 * built CLI (`report DIR --json`, the whole command: read, parse, group, merge, render), against the time to
 * `cat` the same files (ratio) and the peak memory of a node process that only reads them. The files are
 * written by the real writer (measure/soak/jsonl-writer.ts, shard tags and fsynced checkpoints) from a
 * synthetic fleet (test/html/synthetic.ts) given every checkpoint's window histograms and 50 client rows, as
 * the runner writes them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { SoakEvent } from '../src/analyze/soak/events.js';
import { MergeableHistogram } from '../src/analyze/soak/histogram.js';
import type { ClientRow } from '../src/analyze/soak/summary.js';
import { openJsonlWriter } from '../src/measure/soak/jsonl-writer.js';
import { syntheticSoak } from '../test/html/synthetic.js';
import type { BenchResult } from './run.js';

const SHARDS = 4;
const PER_SHARD = 10_000;
const BIN = fileURLToPath(new URL('../bin/mqtt-doctor.js', import.meta.url));

/** A latency window as the runner records it: ~`n` samples around `p50` ms (log-normal). */
function windowHistogram(n: number, p50: number, seed: number): MergeableHistogram {
  const h = new MergeableHistogram();
  let a = seed >>> 0;
  const rnd = () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return (a + 0.5) / 4294967296;
  };
  for (let i = 0; i < n; i += 1) {
    const z = Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
    h.record(p50 * Math.exp(0.6 * z));
  }
  return h;
}

export function writeShard(dir: string, index: number): void {
  const from = index * PER_SHARD;
  const { events } = syntheticSoak(PER_SHARD, 3600_000, 100 + index);
  const w = openJsonlWriter(
    join(dir, `soak-${index}.jsonl`),
    (err) => {
      throw err;
    },
    { index, count: SHARDS },
  );
  let k = 0;
  for (const ev of events) {
    if (ev.type === 'start') {
      w.write({ ...ev, v: 2, runId: 'bench-run', info: { ...ev.info, clients: SHARDS * PER_SHARD } });
    } else if (ev.type === 'checkpoint' || ev.type === 'end') {
      k += 1;
      const perClient: ClientRow[] = Array.from({ length: 50 }, (_, i) => ({
        client: from + ((i * 197) % PER_SHARD),
        connects: 1,
        reconnects: 0,
        downtimeMs: 0,
        sent: 3 * k,
        received: 3 * k,
        lost: 0,
        duplicates: 0,
        outOfOrder: 0,
        p99Ms: 80,
        connected: true,
      }));
      const p50 = ev.summary.messages.latencyMs?.p50 ?? 20;
      const summary = {
        ...ev.summary,
        perClient,
        fleet: { connackMs: null, askedPerS: 100, firstConnects: PER_SHARD, achievedPerS: 100 },
        window: {
          fromMs: ev.t - 30_000,
          toMs: ev.t,
          latency: windowHistogram(3000, p50, k * 7 + index).toJSON(),
          connack: windowHistogram(30, 3, k * 13 + index).toJSON(),
        },
      };
      w.write({ ...ev, summary } as SoakEvent);
    } else {
      w.write({ ...ev, client: ev.client + from } as SoakEvent);
    }
  }
  w.close();
}

/** Wall time (ms) and peak RSS (MB) of a command, through GNU time; the best of `runs`. */
function timed(argv: string[], runs = 3): { ms: number; maxRssMb: number } {
  let best = { ms: Number.POSITIVE_INFINITY, maxRssMb: 0 };
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', ...argv], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    const ms = performance.now() - t0;
    if (r.status !== 0 && r.status !== 1) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
    const kb = Number(/(\d+)\s*$/.exec(r.stderr.trim())?.[1]);
    if (ms < best.ms) best = { ms, maxRssMb: kb / 1024 };
  }
  return best;
}

export default async function bench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-bench-shards-'));
  try {
    for (let i = 0; i < SHARDS; i += 1) writeShard(dir, i);
    const files = readdirSync(dir).map((f) => join(dir, f));
    const mb = files.reduce((n, f) => n + statSync(f).size, 0) / 1e6;
    const cat = timed(['cat', ...files]);
    const merge = timed([process.execPath, BIN, 'report', dir, '--json']);
    const readOnly = timed([
      process.execPath,
      '-e',
      `const fs=require('fs');let n=0;for(const f of ${JSON.stringify(files)})n+=fs.readFileSync(f,'utf8').length;`,
    ]);
    const node = timed([process.execPath, '-e', '0']);
    const note = `${SHARDS} files, ${mb.toFixed(1)} MB, 121 checkpoints each`;
    return [
      {
        name: 'report: merge 4 shards × 10k clients × 1 h',
        metric: 'wall time (ms)',
        value: merge.ms,
        baseline: cat.ms,
        baselineName: 'cat of the same files (ms)',
        ratio: merge.ms / cat.ms,
        notes: `${note}; node startup alone ${node.ms.toFixed(0)} ms`,
      },
      {
        name: 'report: merge 4 shards × 10k clients × 1 h',
        metric: 'peak RSS (MB)',
        value: merge.maxRssMb,
        baseline: readOnly.maxRssMb,
        baselineName: 'node reading the files as text (MB)',
        ratio: merge.maxRssMb / readOnly.maxRssMb,
        notes: `${note}; empty node ${node.maxRssMb.toFixed(0)} MB`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
