/**
 * Memory per idle session of one soak worker process against the single-process soak and a bare MQTT.js script,
 * all three in the same run at the same time (the same load hits each), each against its own local mosquitto:
 *  - single: `soak -n N --workers 1` (one process);
 *  - workers: `soak -n 2N --workers 2` (two worker processes of N each, and the parent);
 *  - bare: a bare MQTT.js script holding N (bench/soak-procs.ts), from its own source address.
 * Each process's RSS is sampled every second; the figure is its median over the plateau (every session up, from
 * 10 s after the ramp to 3 s before the run ends), per session. MQD_WMEM_SESSIONS (default 5000) per process at
 * MQD_WMEM_RAMP per process (default 500/s), held MQD_WMEM_HOLD_S (default 60 s), MQD_WMEM_ROUNDS rounds
 * (default 1; the median round is shown). MQD_BENCH_HEAP_SPACES=dir: every process (workers too) appends its V8
 * heap spaces every 2 s to dir/<pid>.jsonl, for the evidence of where the memory is.
 * The workers' parent (which holds no connection) is compared with a Node process that loads nothing, sampled in
 * the same run. MQD_WMEM_VARIANT_BIN=path/to/bin/mqtt-doctor.js: the variant side runs that build instead (e.g.
 * a checkout of an earlier commit, built), for a before/after of the same run.
 * Bounded: every run has a duration and a kill timer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.js';
import { checkBuilt } from './product.js';
import { bareReady, cpuS, freePort, rssKb, sleep, spawnBareHold, startBroker, tree } from './soak-procs.js';

const BIN = fileURLToPath(new URL('../bin/mqtt-doctor.js', import.meta.url));

/** A preload that appends the process's V8 heap spaces (committed and used, MB) every 2 s to $dir/<pid>.jsonl. */
const HEAP_SPACES = `
import v8 from 'node:v8';
import { appendFileSync } from 'node:fs';
const dir = process.env.MQD_BENCH_HEAP_SPACES;
const mb = (n) => Math.round(n / 1e5) / 10;
const role = process.argv.slice(2).join(' ').slice(0, 60);
const t0 = Date.now();
setInterval(() => {
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, [mb(s.space_size), mb(s.space_used_size)]]));
  const m = process.memoryUsage();
  appendFileSync(dir + '/' + process.pid + '.jsonl', JSON.stringify({ t: (Date.now() - t0) / 1000, role, rss: mb(m.rss), external: mb(m.external), spaces }) + '\\n');
}, 2000).unref();
// MQD_BENCH_HEAP_GC_AT_S: two full GCs at that time, then the heap spaces again (used after a GC = live).
const gcAt = Number(process.env.MQD_BENCH_HEAP_GC_AT_S ?? 0);
if (gcAt > 0) {
  v8.setFlagsFromString('--expose-gc');
  const gc = (await import('node:vm')).runInNewContext('gc');
  setTimeout(() => {
    gc();
    gc();
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, [mb(s.space_size), mb(s.space_used_size)]]));
    appendFileSync(dir + '/' + process.pid + '.jsonl', JSON.stringify({ t: (Date.now() - t0) / 1000, role, gc: true, rss: mb(process.memoryUsage().rss), spaces }) + '\\n');
  }, gcAt * 1000).unref();
}
`;

function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: 'true', ...extra };
  if (process.env.MQD_BENCH_HEAP_SPACES)
    e.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=data:text/javascript,${encodeURIComponent(HEAP_SPACES)}`;
  return e;
}

/** MQD_WMEM_VARIANT_ENV="K=V K2=V2": a second workers side run with that environment (a change to compare). */
function variantEnv(): NodeJS.ProcessEnv | undefined {
  const spec = process.env.MQD_WMEM_VARIANT_ENV;
  if (!spec) return undefined;
  return Object.fromEntries(
    spec.split(/\s+(?=[A-Z_]+=)/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

interface Sampled {
  /** RSS samples (kB) inside the plateau, per role. */
  samples: Map<string, number[]>;
  /** CPU seconds used by the end of the plateau, per process of a role. */
  cpu: Map<string, Map<number, number>>;
}

/** Every second: the RSS of each named process (and a soak's workers, named `${name} worker`). */
function sampleRss(procs: Array<{ name: string; child: ChildProcess; workers?: boolean }>, inPlateau: () => boolean) {
  const s: Sampled = { samples: new Map(), cpu: new Map() };
  const add = (k: string, pid: number) => {
    const v = rssKb(pid);
    if (v > 0) s.samples.set(k, [...(s.samples.get(k) ?? []), v]);
    const c = cpuS(pid);
    if (c > 0) s.cpu.set(k, (s.cpu.get(k) ?? new Map<number, number>()).set(pid, c));
  };
  const timer = setInterval(() => {
    if (!inPlateau()) return;
    for (const p of procs) {
      add(p.name, p.child.pid!);
      if (p.workers) for (const w of tree(p.child.pid!).slice(1)) add(`${p.name} worker`, w);
    }
  }, 1000);
  return { s, stop: () => clearInterval(timer) };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** One soak run: its report's first connects, or throws with its stderr. */
function soak(
  args: string[],
  timeoutMs: number,
  extraEnv: NodeJS.ProcessEnv = {},
  bin = BIN,
): { child: ChildProcess; done: Promise<number> } {
  const child = spawn(process.execPath, [bin, 'soak', ...args, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: env(extraEnv),
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<number>((resolve, reject) =>
    child.on('close', () => {
      clearTimeout(timer);
      try {
        const r = JSON.parse(out) as { data: { summary: { fleet: { firstConnects: number } } } };
        resolve(r.data.summary.fleet.firstConnects);
      } catch {
        reject(new Error(`soak ${args.join(' ')}: ${err.slice(-2000)}`));
      }
    }),
  );
  return { child, done };
}

interface Round {
  /** Median plateau RSS (kB) per process of each role. */
  single: number;
  worker: number;
  parent: number;
  bare: number;
  /** A Node process that loads nothing (what any process costs before it holds anything). */
  node: number;
  /** The variant side's worker and parent (MQD_WMEM_VARIANT_ENV or MQD_WMEM_VARIANT_BIN), if any. */
  variant?: number;
  variantParent?: number;
  /** CPU seconds per process by the end of the plateau (ramp and hold), median of its processes. */
  cpuS: { single: number; worker: number; bare: number; variant?: number };
  connected: { single: number; workers: number; variant?: number; bare: boolean };
}

async function round(dir: string, n: number, rampPerS: number, holdS: number): Promise<Round> {
  const [pS, pW, pB, pV] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const vBin = process.env.MQD_WMEM_VARIANT_BIN;
  const vEnv = variantEnv() ?? (vBin ? {} : undefined);
  const brokers = [
    await startBroker(dir, `s${pS}`, pS),
    await startBroker(dir, `w${pW}`, pW),
    await startBroker(dir, `b${pB}`, pB),
    ...(vEnv ? [await startBroker(dir, `v${pV}`, pV)] : []),
  ];
  try {
    const rampS = Math.ceil(n / rampPerS);
    const durationS = rampS + 10 + holdS + 3;
    const t0 = performance.now();
    const atS = () => (performance.now() - t0) / 1000;
    const common = ['--rate', '0', '-d', `${durationS}s`];
    const single = soak(
      [`mqtt://127.0.0.1:${pS}`, '-n', String(n), '--workers', '1', '--ramp', `${rampPerS}/s`, ...common],
      300_000,
    );
    const workersArgs = (port: number) => [
      `mqtt://127.0.0.1:${port}`,
      ...['-n', String(2 * n), '--workers', '2', '--ramp', `${2 * rampPerS}/s`, ...common],
    ];
    const workers = soak(workersArgs(pW), 300_000);
    const variant = vEnv ? soak(workersArgs(pV), 300_000, vEnv, vBin) : undefined;
    // Bounded: it ends itself after the run's time (and is killed with the rest).
    const node = spawn(process.execPath, ['-e', `setTimeout(() => {}, ${(durationS + 30) * 1000})`], {
      stdio: 'ignore',
    });
    const bare = spawnBareHold(n, `mqtt://127.0.0.1:${pB}`, '127.0.0.4', '0/1', rampPerS, env());
    let bareUp = false;
    void bareReady(bare).then(() => (bareUp = true));
    const sampler = sampleRss(
      [
        { name: 'single', child: single.child },
        { name: 'workers', child: workers.child, workers: true },
        { name: 'bare', child: bare },
        { name: 'node', child: node },
        ...(variant ? [{ name: 'variant', child: variant.child, workers: true }] : []),
      ],
      () => atS() >= rampS + 10 && atS() <= durationS - 3,
    );
    const [cs, cw, cv] = await Promise.all([single.done, workers.done, variant?.done]);
    sampler.stop();
    bare.kill('SIGKILL');
    node.kill('SIGKILL');
    const m = (k: string) => median(sampler.s.samples.get(k) ?? []);
    const c = (k: string) => median([...(sampler.s.cpu.get(k)?.values() ?? [])]);
    return {
      single: m('single'),
      worker: m('workers worker'),
      parent: m('workers'),
      bare: m('bare'),
      node: m('node'),
      ...(variant ? { variant: m('variant worker'), variantParent: m('variant') } : {}),
      cpuS: {
        single: c('single'),
        worker: c('workers worker'),
        bare: c('bare'),
        ...(variant ? { variant: c('variant worker') } : {}),
      },
      connected: { single: cs, workers: cw, ...(cv !== undefined ? { variant: cv } : {}), bare: bareUp },
    };
  } finally {
    for (const b of brokers) b.kill('SIGTERM');
  }
}

export default async function workerMemoryBench(): Promise<BenchResult[]> {
  checkBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'mqd-wmem-'));
  const n = Number(process.env.MQD_WMEM_SESSIONS ?? 5000);
  const rampPerS = Number(process.env.MQD_WMEM_RAMP ?? 500);
  const holdS = Number(process.env.MQD_WMEM_HOLD_S ?? 60);
  const rounds: Round[] = [];
  for (let i = 0; i < Math.max(1, Number(process.env.MQD_WMEM_ROUNDS ?? 1)); i++) {
    const r = await round(dir, n, rampPerS, holdS);
    process.stderr.write(`soak-worker-memory round ${i + 1}: ${JSON.stringify(r)}\n`);
    rounds.push(r);
    await sleep(1000);
  }
  const mid = [...rounds].sort((a, b) => a.worker / a.bare - b.worker / b.bare)[Math.floor(rounds.length / 2)]!;
  const kb = (x: number) => x / n;
  const all = rounds.map((r) => `${(r.worker / r.bare).toFixed(2)}`).join(', ');
  const notes = `median of ${rounds.length} round(s) (worker÷bare ${all}); per process at the plateau: worker ${(mid.worker / 1024).toFixed(0)} MB, single ${(mid.single / 1024).toFixed(0)} MB, bare ${(mid.bare / 1024).toFixed(0)} MB, workers' parent ${(mid.parent / 1024).toFixed(0)} MB; CPU s per process (ramp and hold) worker ${mid.cpuS.worker.toFixed(1)}, single ${mid.cpuS.single.toFixed(1)}, bare ${mid.cpuS.bare.toFixed(1)}; connected single ${mid.connected.single}/${n}, workers ${mid.connected.workers}/${2 * n}, bare ${mid.connected.bare ? 'all' : 'not all'}`;
  const parentNotes = `above a Node process that loads nothing: ${((mid.parent - mid.node) / 1024).toFixed(0)} MB, ${((mid.parent - mid.node) / (2 * n)).toFixed(2)} KB per session of its ${2 * n}${mid.variantParent !== undefined ? `; the variant's parent ${(mid.variantParent / 1024).toFixed(0)} MB (${(mid.parent / mid.variantParent).toFixed(2)}× of it)` : ''}`;
  return [
    {
      name: `soak workers' parent memory, 2 workers × ${n} idle sessions`,
      metric: "RSS of the workers' parent (MB)",
      value: mid.parent / 1024,
      baseline: mid.node / 1024,
      baselineName: 'Node process that loads nothing',
      ratio: mid.parent / mid.node,
      notes: parentNotes,
    },
    {
      name: `soak worker memory, ${n} idle sessions per process`,
      metric: 'RSS per session, one worker (KB)',
      value: kb(mid.worker),
      baseline: kb(mid.bare),
      baselineName: 'bare MQTT.js',
      ratio: mid.worker / mid.bare,
      targetRatio: 1.2,
      notes,
    },
    {
      name: `soak single-process memory, ${n} idle sessions`,
      metric: 'RSS per session, single process (KB)',
      value: kb(mid.single),
      baseline: kb(mid.bare),
      baselineName: 'bare MQTT.js',
      ratio: mid.single / mid.bare,
      targetRatio: 1.2,
      notes: 'same run as the worker row',
    },
    ...(mid.variant !== undefined
      ? [
          {
            name: `soak worker memory with ${process.env.MQD_WMEM_VARIANT_ENV ?? process.env.MQD_WMEM_VARIANT_BIN}`,
            metric: 'RSS per session, one worker (KB)',
            value: kb(mid.variant),
            baseline: kb(mid.worker),
            baselineName: 'worker as built',
            ratio: mid.variant / mid.worker,
            notes: `same run; ÷ bare ${(mid.variant / mid.bare).toFixed(2)}; connected ${mid.connected.variant}/${2 * n}; CPU per worker by the end of the hold ${mid.cpuS.variant?.toFixed(1)} s vs ${mid.cpuS.worker.toFixed(1)} s as built`,
          },
        ]
      : []),
  ];
}
