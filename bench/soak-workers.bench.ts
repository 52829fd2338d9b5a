/**
 * `soak --workers` on this machine, against local mosquittos (max_connections -1, 20,000 open files each):
 *  1. connect rate (first connects per second, all asked at once) and CPU per 1,000 connections of the whole
 *     process tree (parent + workers, user + system, from the kernel's child accounting via /usr/bin/time),
 *     with 1 and 2 workers (ratio to 1 worker), MQD_WORKERS_BENCH_CONNS connections (default 5000);
 *  2. the largest fleet: MQD_WORKERS_BENCH_FLEET sessions (default 36,000) as two shards of one run, each
 *     against its own mosquitto with 2 workers and two source addresses (127.0.0.2, 127.0.0.3), merged by
 *     `report`; memory (summed RSS of every process at the plateau) vs bare MQTT.js scripts holding the
 *     same connections in the same number of processes (target ≤ 1.2×).
 * Bounded: every run has a duration, every process a kill timer.
 * The bare script is bench/soak-procs.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.js';
import { bareReady, freePort, rssKb, sleep, spawnBareHold, startBroker, tree } from './soak-procs.js';

const BIN = fileURLToPath(new URL('../bin/mqtt-doctor.js', import.meta.url));

interface SoakRun {
  cpuS: number;
  peakRssKb: number;
  /** The largest summed RSS inside the plateau window (every session up, before the run ends and reports). */
  plateauRssKb: number;
  report: {
    data: {
      summary: { connections: { connects: number }; fleet: { achievedPerS: number | null; firstConnects: number } };
    };
  };
}

/**
 * One `soak` under /usr/bin/time: CPU of the whole tree (waited children included), its peak summed RSS, and the
 * largest summed RSS between `plateau.fromS` and `plateau.toS` after the start (the bare scripts are measured once
 * every connection is up, so soak is compared at the same point of its run, not while it writes its report).
 */
function runSoak(
  args: string[],
  timeoutMs: number,
  plateau: { fromS: number; toS: number } = { fromS: 0, toS: Infinity },
): Promise<SoakRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'BENCHTIME %U %S', process.execPath, BIN, 'soak', ...args, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', CI: 'true' },
    });
    let out = '';
    let err = '';
    let peak = 0;
    let plateauPeak = 0;
    const t0 = performance.now();
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const sampler = setInterval(() => {
      const total = tree(child.pid!)
        .slice(1)
        .reduce((n, p) => n + rssKb(p), 0);
      peak = Math.max(peak, total);
      const atS = (performance.now() - t0) / 1000;
      if (atS >= plateau.fromS && atS <= plateau.toS) plateauPeak = Math.max(plateauPeak, total);
    }, 500);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', () => {
      clearInterval(sampler);
      clearTimeout(timer);
      const t = /BENCHTIME ([\d.]+) ([\d.]+)/.exec(err);
      if (process.env.MQD_WORKERS_BENCH_DEBUG) process.stderr.write(`soak ${args.join(' ')}:\n${err.slice(-1500)}\n`);
      try {
        resolve({
          cpuS: t ? Number(t[1]) + Number(t[2]) : Number.NaN,
          peakRssKb: peak,
          plateauRssKb: plateauPeak,
          report: JSON.parse(out),
        });
      } catch {
        reject(new Error(`soak ${args.join(' ')}: ${err.slice(-2000)}`));
      }
    });
  });
}

/** K bare MQTT.js processes holding `n` connections in all; their summed RSS once every one is connected. */
async function bareHold(n: number, k: number, urls: string[], addrs: string, fleetRampPerS: number): Promise<number> {
  // The same ramp as the soak shards (the fleet's, a k-th for each process).
  const kids = Array.from({ length: k }, (_, i) =>
    spawnBareHold(
      Math.floor((n * (i + 1)) / k) - Math.floor((n * i) / k),
      urls[i % urls.length]!,
      addrs,
      `${i}/${k}`,
      fleetRampPerS / k,
    ),
  );
  const bound = sleep(180_000);
  await Promise.race([Promise.all(kids.map(bareReady)), bound]);
  await sleep(2000);
  const total = kids.reduce((s, c) => s + rssKb(c.pid!), 0);
  for (const c of kids) c.kill('SIGKILL');
  return total;
}

/** Connect rate and CPU per 1,000 connections, 2 workers against 1. */
function rateResults(one: SoakRun, two: SoakRun, conns: number): BenchResult[] {
  const rate = (r: SoakRun) => r.report.data.summary.fleet.achievedPerS ?? Number.NaN;
  const cpuPerK = (r: SoakRun) => (1000 * r.cpuS) / conns;
  return [
    {
      name: `soak-workers connect rate, ${conns} connections`,
      metric: 'connects/s with 1 worker ÷ with 2 workers',
      value: rate(one),
      baseline: rate(two),
      baselineName: '2 workers',
      ratio: rate(one) / rate(two),
      notes: `1 worker ${rate(one).toFixed(0)}/s, 2 workers ${rate(two).toFixed(0)}/s (${(rate(two) / rate(one)).toFixed(2)}×); connected ${one.report.data.summary.fleet.firstConnects} and ${two.report.data.summary.fleet.firstConnects}`,
    },
    {
      name: `soak-workers CPU per 1000 connections`,
      metric: 'CPU s per 1000 connections, 2 workers',
      value: cpuPerK(two),
      baseline: cpuPerK(one),
      baselineName: '1 worker',
      ratio: cpuPerK(two) / cpuPerK(one),
      notes: `whole process tree over a 20 s run incl. start and drain; 1 worker ${cpuPerK(one).toFixed(2)} s, 2 workers ${cpuPerK(two).toFixed(2)} s`,
    },
  ];
}

export default async function workersBench(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-wbench-'));
  const conns = Number(process.env.MQD_WORKERS_BENCH_CONNS ?? 5000);
  const fleet = Number(process.env.MQD_WORKERS_BENCH_FLEET ?? 36_000);
  const results: BenchResult[] = [];
  const portA = await freePort();
  const portB = await freePort();
  const a = await startBroker(dir, 'a', portA);
  const b = await startBroker(dir, 'b', portB);
  const urlA = `mqtt://127.0.0.1:${portA}`;
  const urlB = `mqtt://127.0.0.1:${portB}`;
  try {
    // 1. connect rate and CPU per 1,000 connections, 1 vs 2 workers.
    const per: Record<number, SoakRun> = {};
    for (const k of process.env.MQD_WORKERS_BENCH_FLEET_ONLY ? [] : [1, 2]) {
      per[k] = await runSoak(
        [urlA, '-n', String(conns), '--workers', String(k), '--rate', '0', '--ramp', '0', '-d', '20s'],
        120_000,
      );
    }
    const one = per[1];
    const two = per[2];
    if (one && two) results.push(...rateResults(one, two, conns));

    // 2. the largest fleet: two shards of one run, each on its own mosquitto, 2 workers, two source addresses.
    // The fleet's ramp (connects/s over both shards): what the brokers answer on a busy 2-core machine.
    const ramp = Number(process.env.MQD_WORKERS_BENCH_RAMP ?? 1500);
    const runId = `bench${Date.now().toString(36)}`;
    const addrs = '127.0.0.2,127.0.0.3';
    const durationS = Math.max(50, Math.ceil(fleet / ramp) + 30);
    // Every session is up by the end of the ramp (+10 s of slack); the run ends, merges and reports at durationS.
    const plateau = { fromS: Math.ceil(fleet / ramp) + 10, toS: durationS - 3 };
    const shard = (i: number, url: string) =>
      runSoak(
        [
          url,
          '-n',
          String(fleet),
          '--shard',
          `${i}/2`,
          '--run-id',
          runId,
          '--workers',
          '2',
          '--rate',
          '0',
          '--ramp',
          `${ramp}/s`,
          '-d',
          `${durationS}s`,
          '--local-address',
          addrs,
          '--out',
          join(dir, `fleet-${i}.jsonl`),
        ],
        240_000,
        plateau,
      );
    const [s0, s1] = await Promise.all([shard(0, urlA), shard(1, urlB)]);
    const merged = await new Promise<string>((resolve) => {
      const c = spawn(process.execPath, [
        BIN,
        'report',
        join(dir, 'fleet-0.jsonl'),
        join(dir, 'fleet-1.jsonl'),
        '--json',
      ]);
      let o = '';
      c.stdout.on('data', (d: Buffer) => (o += d.toString()));
      c.on('close', () => resolve(o));
    });
    const m = JSON.parse(merged) as {
      data: {
        summary: {
          connections: { connectedNow: number; connects: number };
          fleet: { firstConnects: number; achievedPerS: number | null };
        };
      };
    };
    const held = m.data.summary.fleet.firstConnects;
    const achieved = m.data.summary.fleet.achievedPerS;
    const soakKb = s0.plateauRssKb + s1.plateauRssKb;
    const soakPeakKb = s0.peakRssKb + s1.peakRssKb;
    // Other source addresses: the soak's closed connections hold theirs in TIME_WAIT.
    const bareKb = await bareHold(fleet, 4, [urlA, urlB], '127.0.0.4,127.0.0.5', ramp);
    results.push({
      name: `soak-workers largest fleet (asked ${fleet})`,
      metric: 'RSS per connection, soak ÷ bare MQTT.js (KB)',
      value: soakKb / Math.max(1, held),
      baseline: bareKb / fleet,
      baselineName: 'bare MQTT.js, 4 processes',
      ratio: soakKb / Math.max(1, held) / (bareKb / fleet),
      targetRatio: 1.2,
      notes: `${held} of ${fleet} sessions connected${achieved ? ` in ${(held / achieved).toFixed(1)} s (${achieved.toFixed(0)}/s, ramp asked ${ramp}/s)` : ''} (merged report of 2 shards × 2 workers, 2 source addresses, 2 mosquittos); soak ${(soakKb / 1024).toFixed(0)} MB in 6 processes with every session up (peak ${(soakPeakKb / 1024).toFixed(0)} MB while it merged and reported) vs bare ${(bareKb / 1024).toFixed(0)} MB in 4; CPU ${(s0.cpuS + s1.cpuS).toFixed(1)} s`,
    });
  } finally {
    a.kill('SIGTERM');
    b.kill('SIGTERM');
  }
  return results;
}
