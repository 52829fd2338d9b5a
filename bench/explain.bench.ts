/**
 * explain-error's speed, as ratios against baselines measured in the same run:
 * - Log mode throughput on a 200,000-line mosquitto log (routine traffic with keepalive timeouts, takeovers and
 *   CONNACK refusals mixed in), whole process, vs `grep -c` over the same file (target ≥ 20 MB/s; the ratio shows
 *   how far from a plain scan we are). Peak RSS of the same run, and of a run on a 4× longer log (streaming:
 *   memory flat as the log grows, target ratio ≤ 1.3).
 * - The analysis alone (LogReader over the same lines, in process, warmed up): what start-up costs no more.
 * Text mode (one line as a whole process vs `node -e 0`: start-up) is bench/explain-startup.bench.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.js';
import { percentile } from '../src/analyze/stats.js';

const BIN = fileURLToPath(new URL('../bin/mqtt-doctor.js', import.meta.url));

/** A mosquitto log of `n` lines: mostly routine traffic, with the events a real broker log carries. */
function mosquittoLog(n: number): string {
  const out: string[] = [];
  const t0 = 1_700_000_000;
  for (let i = 0; i < n; i++) {
    const t = t0 + Math.floor(i / 20);
    const id = `sensor-${i % 997}`;
    const k = i % 50;
    if (k === 0) out.push(`${t}: New connection from 10.0.${i % 200}.${i % 250}:${40000 + (i % 20000)} on port 1883.`);
    else if (k === 1)
      out.push(
        `${t}: New client connected from 10.0.${i % 200}.${i % 250}:${40000 + (i % 20000)} as ${id} (p2, c1, k60).`,
      );
    else if (k === 2) out.push(`${t}: Client ${id} has exceeded timeout, disconnecting.`);
    else if (k === 3) out.push(`${t}: Client dup-${i % 7} already connected, closing old connection.`);
    else if (k === 4) out.push(`${t}: Sending CONNACK to ${id} (0, 5)`);
    else if (k === 5) out.push(`${t}: Socket error on client ${id}, disconnecting.`);
    else if (k % 2)
      out.push(`${t}: Received PUBLISH from ${id} (d0, q1, r0, m${i % 65535}, 'plant/${id}/temp', ... (5 bytes))`);
    else out.push(`${t}: Sending PUBACK to ${id} (m${i % 65535}, rc0)`);
  }
  return out.join('\n') + '\n';
}

/** Wall time, CPU time (user + system) and peak RSS of one child process (GNU time: %M KiB, %U/%S s). */
function timeMs(cmd: string, args: string[]): { ms: number; cpuMs: number; rssKb: number } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  const m = /(\d+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  return { ms, cpuMs: (Number(m?.[2]) + Number(m?.[3])) * 1000, rssKb: Number(m?.[1] ?? NaN) };
}

/** CPU time of LogReader over the log's lines, in this process, the second of two passes (the first warms up). */
async function analysisAlone(file: string): Promise<{ cpuMs: number }> {
  const { readFileSync } = await import('node:fs');
  const { LogReader } = await import('../src/analyze/log-timeline.js');
  const lines = readFileSync(file, 'utf8').split('\n');
  let cpuMs = 0;
  for (let pass = 0; pass < 2; pass++) {
    const reader = new LogReader();
    const t0 = process.cpuUsage();
    for (const l of lines) reader.add(l);
    reader.finish();
    const d = process.cpuUsage(t0);
    cpuMs = (d.user + d.system) / 1000;
  }
  return { cpuMs };
}

function median(xs: number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

export default async function bench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-explain-bench-'));
  try {
    const log = join(dir, 'mosquitto.log');
    const big = join(dir, 'mosquitto-4x.log');
    writeFileSync(log, mosquittoLog(200_000));
    writeFileSync(big, mosquittoLog(800_000));
    const mb = statSync(log).size / 1e6;
    const grep: number[] = [];
    const doctor: number[] = [];
    const doctorCpu: number[] = [];
    let rss = 0;
    for (let round = 0; round < 3; round++) {
      grep.push(timeMs('grep', ['-c', 'disconnecting', log]).ms);
      const d = timeMs(process.execPath, [BIN, 'explain-error', '--json', '--file', log]);
      doctor.push(d.ms);
      doctorCpu.push(d.cpuMs);
      rss = Math.max(rss, d.rssKb);
    }
    const rssBig = timeMs(process.execPath, [BIN, 'explain-error', '--json', '--file', big]).rssKb;
    const doctorS = median(doctor) / 1000;
    const grepS = median(grep) / 1000;

    // Same log, read in process after a warm-up: the analysis alone, without start-up (what a longer log tends to).
    const warm = await analysisAlone(log);
    return [
      {
        name: 'explain log mode',
        metric: 'throughput (MB/s), 200,000-line mosquitto log',
        value: mb / doctorS,
        baseline: mb / grepS,
        baselineName: 'grep -c (MB/s)',
        ratio: grepS / doctorS,
        notes: `${(200_000 / doctorS).toFixed(0)} lines/s wall; target ≥ 20 MB/s; ${mb.toFixed(1)} MB`,
      },
      {
        name: 'explain log mode',
        metric: 'throughput per CPU second (MB/s), same log (user + system time: the machine is shared)',
        value: mb / (median(doctorCpu) / 1000),
        baseline: mb / grepS,
        baselineName: 'grep -c (MB/s, wall)',
        ratio: grepS / (median(doctorCpu) / 1000),
        notes: `${(200_000 / (median(doctorCpu) / 1000)).toFixed(0)} lines per CPU second`,
      },
      {
        name: 'explain log mode',
        metric: 'peak RSS (MiB), 4× longer log',
        value: rssBig / 1024,
        baseline: rss / 1024,
        baselineName: 'peak RSS on the 200,000-line log (MiB)',
        ratio: rssBig / rss,
        targetRatio: 1.3,
      },
      {
        name: 'explain log mode',
        metric: 'analysis alone, in process after a warm-up (MB/s of CPU time), same log',
        value: mb / (warm.cpuMs / 1000),
        baseline: mb / grepS,
        baselineName: 'grep -c (MB/s, wall)',
        ratio: grepS / (warm.cpuMs / 1000),
        notes: `${(200_000 / (warm.cpuMs / 1000)).toFixed(0)} lines per CPU second`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
