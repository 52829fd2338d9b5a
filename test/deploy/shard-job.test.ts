/**
 * The shard test of deploy/kubernetes/job.yaml: its EXACT command line (command + args from the manifest,
 * `$(VAR)` resolved from the manifest's env as the kubelet does, with a run ConfigMap of local values) runs here
 * as one process per completion index, concurrently, with JOB_COMPLETION_INDEX set as the Job controller sets
 * it, through the image's entry point, against a real mosquitto. Only what has to be local is changed: the
 * broker URL (ConfigMap), the fleet's size and length (ConfigMap), and the results folder (the volume's mount
 * path becomes a temp dir). Then the shards' files are merged as `mqtt-doctor report` does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseSoakLines } from '../../src/analyze/soak/events.js';
import { groupShardStreams, mergeShards } from '../../src/analyze/soak/merge.js';
import { BIN, runCli } from '../helpers/cli.js';
import { cleanup, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import {
  DEPLOY_DIR,
  commandLine,
  configMapKeys,
  containerEnv,
  findJob,
  jobContainer,
  loadManifests,
  readmeCommands,
  readmeSection,
} from './k8s.js';

const job = findJob(loadManifests());
const container = jobContainer(job);
const SHARDS = job.spec?.completions ?? 0;
const CLIENTS = 8; // the whole fleet: 2 per shard
const RUN_ID = `kube-test-${process.pid}`;

interface Done {
  index: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** The shard's /metrics scraped while it ran (the scrape with the most clients started), or '' when never. */
  metrics: string;
}

/** One pod: the container's command line, its environment, bounded in time. */
function runPod(
  index: number,
  argv: string[],
  env: Map<string, string>,
  shimDir: string,
  limitMs: number,
  metricsPort: number,
  onSpawn: (child: ChildProcess) => void = () => {},
): Promise<Done> {
  return new Promise((resolve, reject) => {
    // The process environment a container gets: its own variables, PATH with the stand-in `mqtt-doctor`
    // (node bin/mqtt-doctor.js), nothing inherited from the test's MQTT_DOCTOR_* settings.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MQTT_DOCTOR_')));
    const child = spawn('sh', argv, {
      env: { ...base, ...Object.fromEntries(env), PATH: `${shimDir}:${process.env.PATH}`, NO_COLOR: '1', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onSpawn(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shard ${index} did not finish within ${limitMs} ms\nstderr: ${stderr}`));
    }, limitMs);
    child.on('error', reject);
    // Scrape /metrics as Prometheus would, every 200 ms while the shard runs; keep the scrape that saw the most
    // clients started (the gauge reads 0 while the shard waits for --start-at).
    let metrics = '';
    let ended = false;
    const started = (text: string) => Number(/^mqtt_doctor_soak_clients\{[^}]*\} (\d+)$/m.exec(text)?.[1] ?? -1);
    const scrape = async () => {
      while (!ended) {
        try {
          const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) });
          const text = await res.text();
          if (started(text) >= started(metrics)) metrics = text;
        } catch {
          // not listening yet, or closed at the end
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const scraping = scrape();
    child.on('close', (code) => {
      clearTimeout(timer);
      ended = true;
      void scraping.then(() => resolve({ index, code, stdout, stderr, metrics }));
    });
  });
}

/**
 * The command line and environment of pod `index` with the run ConfigMap `run`, the results volume's mount
 * path replaced by `results`, and /metrics on its own loopback port (each pod has its own network; these
 * processes share one). The command is the image's entry point, deploy/kubernetes/entrypoint.sh
 * (manifests.test.ts checks that the image installs it at the path the Job calls).
 */
function localPod(index: number, run: Record<string, string>, results: string, metricsPort: number) {
  const env = containerEnv(container, {
    configMaps: { 'mqtt-doctor-run': run },
    secrets: {},
    injected: { JOB_COMPLETION_INDEX: String(index) },
  });
  const [command, ...args] = commandLine(container, env);
  expect(command).toBe('/usr/local/bin/mqtt-doctor-entrypoint');
  const mount = (container.volumeMounts ?? []).find((m) => m.name === 'results')?.mountPath;
  expect(mount).toBeDefined();
  const local = args.map((a) => (a.startsWith(`${mount}/`) ? join(results, a.slice(mount!.length + 1)) : a));
  local[local.indexOf('--metrics-port') + 1] = String(metricsPort);
  local[local.indexOf('--metrics-host') + 1] = '127.0.0.1';
  return { argv: [join(DEPLOY_DIR, 'entrypoint.sh'), ...local], env };
}

describe(`job.yaml's command line as ${SHARDS} local shards`, () => {
  let broker: Mosquitto;
  let dir: string;
  let results: string;
  let startAtMs: number;
  let durationS: number;
  let done: Done[];
  let shim: string;
  let run: Record<string, string>;

  beforeAll(async () => {
    broker = await startMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'mqd-kube-'));
    results = join(dir, 'results');
    shim = join(dir, 'bin');
    for (const d of [results, shim]) mkdirSync(d);
    writeFileSync(join(shim, 'mqtt-doctor'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(shim, 'mqtt-doctor'), 0o755);

    // The run must outlast the shards' start and connect on this machine as loaded as it is now: the length
    // comes from a baseline taken in the same run (one start of the CLI), never a fixed guess. The start
    // time is a little ahead; a shard that starts after it begins at once (its first connect is still after
    // it, which is what is asserted).
    const t0 = performance.now();
    await new Promise((resolve) =>
      spawn(process.execPath, [BIN, '--version'], { stdio: 'ignore' }).on('close', resolve),
    );
    const startupMs = performance.now() - t0;
    durationS = Math.ceil(Math.max(6, (10 * startupMs) / 1000));
    startAtMs = Date.now() + 3000;
    run = {
      url: broker.url,
      'run-id': RUN_ID,
      'start-at': String(startAtMs),
      clients: String(CLIENTS),
      duration: `${durationS}s`,
      rate: '2/s',
    };
    expect(Object.keys(run).sort()).toEqual(configMapKeys(container, 'mqtt-doctor-run').sort());

    const ports: number[] = [];
    for (let i = 0; i < SHARDS; i++) ports.push(await freePort());
    // Bounded: the wait for the start, the run, and a minute for the final ping and the report.
    const limitMs = startAtMs - Date.now() + durationS * 1000 + 60_000;
    done = await Promise.all(
      ports.map((port, index) => {
        const { argv, env } = localPod(index, run, results, port);
        return runPod(index, argv, env, shim, limitMs, port);
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await broker?.stop();
    if (broker) cleanup(broker);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every shard ran to the end of its duration and came out healthy', () => {
    for (const d of done)
      expect({ index: d.index, code: d.code, stderr: d.code === 0 ? '' : d.stderr }).toEqual({
        index: d.index,
        code: 0,
        stderr: '',
      });
  });

  test('each shard wrote its own file, tagged with the run id and its index, and ran its slice of the fleet', () => {
    expect(readdirSync(results).sort()).toEqual(Array.from({ length: SHARDS }, (_, i) => `soak-${i}.jsonl`));
    const ids = new Set<string>();
    for (let i = 0; i < SHARDS; i++) {
      const lines = readFileSync(join(results, `soak-${i}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const start = lines[0]!;
      expect(start).toMatchObject({ type: 'start', runId: RUN_ID, shard: { index: i, count: SHARDS } });
      expect(lines.every((l) => l.type === 'start' || l.shard === i)).toBe(true);
      expect(lines.at(-1)?.type).toBe('end');
      const clients = lines.filter((l) => l.type === 'client').map((l) => String(l.clientId ?? l.id));
      expect(clients).toHaveLength(CLIENTS / SHARDS);
      for (const c of clients) ids.add(c);
      // --start-at held: no shard connected before the common start time.
      const firstConnect = lines.find((l) => l.type === 'connect');
      expect(Number(firstConnect?.t)).toBeGreaterThanOrEqual(startAtMs);
    }
    expect(ids.size).toBe(CLIENTS); // global client indexes: no two shards share a client id
  });

  test('each shard served /metrics with its shard label on every series, so a dashboard can sum them', () => {
    for (const d of done) {
      const series = d.metrics.split('\n').filter((l) => l.startsWith('mqtt_doctor_'));
      expect(series.length, `shard ${d.index} /metrics`).toBeGreaterThan(0);
      expect(series.filter((l) => !l.includes(`shard="${d.index}"`))).toEqual([]);
      expect(series.find((l) => l.startsWith('mqtt_doctor_soak_clients{'))).toMatch(
        new RegExp(` ${CLIENTS / SHARDS}$`),
      );
    }
  });

  test('the shards merge into one run: every shard finished, the whole fleet, every message back', () => {
    // The pure merge `mqtt-doctor report DIR` runs (src/analyze/soak/merge.ts), over every file of the folder.
    const files = readdirSync(results).map((f) => ({
      file: f,
      events: parseSoakLines(readFileSync(join(results, f), 'utf8')).events,
    }));
    const grouping = groupShardStreams(files);
    expect(grouping).toMatchObject({ orphans: 0, duplicates: [] });
    const merged = mergeShards(grouping.streams);
    expect(merged.runId).toBe(RUN_ID);
    expect(merged.shardCount).toBe(SHARDS);
    expect(merged.shards.map((s) => [s.index, s.state])).toEqual(
      Array.from({ length: SHARDS }, (_, i) => [i, 'finished']),
    );
    expect(merged.info.clients).toBe(CLIENTS);
    expect(merged.shards.reduce((n, s) => n + s.clients.to - s.clients.from, 0)).toBe(CLIENTS);
    expect(merged.summary.connections.connects).toBe(CLIENTS);
    expect(merged.findings).toEqual([]);
    const { sent, received, lost } = merged.summary.messages;
    // Each shard's own figures add up to the merged ones (read from each shard's end line).
    const perShard = files.map((f) => f.events.at(-1)).map((e) => (e?.type === 'end' ? e.summary.messages.sent : NaN));
    expect(sent).toBe(perShard.reduce((a, b) => a + b, 0));
    expect(sent).toBeGreaterThan(0);
    expect({ received, lost }).toEqual({ received: sent, lost: 0 });
  });

  // The README's own `report` lines (npx mqtt-doctor → this checkout's CLI), with `results/` → the local folder.
  const reportLines = readmeCommands(readmeSection('kubernetes')).filter((c) => c[1] === 'mqtt-doctor');

  test("the README's report lines merge the folder: every shard, the whole fleet, one verdict", async () => {
    expect(reportLines.length).toBeGreaterThanOrEqual(2);
    for (const words of reportLines) {
      const args = words.slice(2).map((a) => (a === 'results/' ? results : a === 'soak.xml' ? join(dir, a) : a));
      const r = await runCli([...args, '--json'], { timeoutMs: 60_000 });
      const report = JSON.parse(r.stdout) as {
        verdict: { status: string; exitCode: number };
        data: {
          summary: { connections: { connects: number }; messages: { sent: number; lost: number } };
          shards: { count: number; list: Array<{ index: number; state: string }> };
          thresholds?: Array<{ id: string; limit: number; actual: number; pass: boolean }>;
        };
      };
      expect(report.data.shards.count).toBe(SHARDS);
      expect(report.data.shards.list.map((x) => [x.index, x.state])).toEqual(
        Array.from({ length: SHARDS }, (_, i) => [i, 'finished']),
      );
      expect(report.data.summary.connections.connects).toBe(CLIENTS);
      expect(report.data.summary.messages.lost).toBe(0);
      // No fault was injected: no loss and no reconnect, so those thresholds pass. Latency on this shared
      // machine is what it is: the p99 threshold passes exactly when the measured p99 is under its limit, and
      // the exit code is the gate (1 when any threshold failed).
      const thresholds = report.data.thresholds ?? [];
      expect(thresholds.map((t) => t.id).sort()).toEqual(
        words
          .filter((w) => w.startsWith('--max-'))
          .map((w) => w.slice(2))
          .sort(),
      );
      for (const t of thresholds) {
        if (t.id === 'max-loss' || t.id === 'max-reconnects') expect(t).toMatchObject({ actual: 0, pass: true });
        else expect(t.pass, `${t.id} ${t.actual} vs ${t.limit}`).toBe(t.actual <= t.limit);
      }
      const gate = thresholds.every((t) => t.pass) ? 0 : 1;
      expect({ line: words.join(' '), code: r.code }).toEqual({ line: words.join(' '), code: gate });
      if (words.includes('--junit')) {
        // The gate's JUnit file: one test case per check, failures exactly when the gate failed.
        const junit = readFileSync(join(dir, 'soak.xml'), 'utf8');
        expect(/<testsuite[^>]* failures="(\d+)"/.exec(junit)?.[1] === '0').toBe(gate === 0);
      }
    }
  });

  test('a shard that never wrote its file (an evicted pod) is named, and the run is not healthy', async () => {
    const partial = join(dir, 'partial');
    mkdirSync(partial);
    for (let i = 0; i < SHARDS - 1; i++)
      copyFileSync(join(results, `soak-${i}.jsonl`), join(partial, `soak-${i}.jsonl`));
    const r = await runCli(['report', partial], { timeoutMs: 60_000 });
    expect(r.stdout).toMatch(
      new RegExp(`shard ${SHARDS - 1}\\b[^\\n]*missing|missing[^\\n]*shard ${SHARDS - 1}\\b`, 'i'),
    );
    expect(r.code).toBe(1);
  });

  test('SIGTERM (deadline, eviction) reaches mqtt-doctor through the entry point: it writes its end and report within the grace period', async () => {
    const grace = job.spec?.template.spec?.terminationGracePeriodSeconds ?? 30;
    const out = join(dir, 'term');
    mkdirSync(out);
    // One shard of a long run that starts now; stopped once it has connected.
    const long = { ...run, 'run-id': `${RUN_ID}-term`, 'start-at': String(Date.now()), duration: '1h' };
    const port = await freePort();
    const { argv, env } = localPod(1, long, out, port);
    let child: ChildProcess | undefined;
    const file = join(out, 'soak-1.jsonl');
    const finished = runPod(1, argv, env, shim, 120_000, port, (c) => (child = c));
    for (let i = 0; i < 600 && !(existsSync(file) && readFileSync(file, 'utf8').includes('"type":"connect"')); i++)
      await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    child!.kill('SIGTERM'); // the signal goes to the process the kubelet started: sh, which exec'd into node
    const d = await finished;
    const stopMs = performance.now() - t0;
    expect(d.code).toBe(130);
    expect(readFileSync(file, 'utf8').trim().split('\n').at(-1)).toMatch(/"type":"end"/);
    expect(d.stdout).toMatch(/interrupted/i);
    expect(stopMs).toBeLessThan(grace * 1000);
  });
});
