/**
 * Ground truth for shards: a real mosquitto is stopped and restarted twice at known times while the same
 * fleet is measured as one run, as 2 shards and as 4 shards (all seven runners at once, each writing its
 * JSONL with the real writer). Merged, every configuration must give what the single run gives and what
 * the broker really did: 2 reconnects per client, each outage inside the bracket the test saw (from the broker
 * stopped to the new one spawned, at the least; from the stop asked to every client back, at the most), no
 * message lost with kept sessions, and latency
 * percentiles within the histogram's stated 2 % of the exact percentiles of the very samples measured (the
 * single unsharded file keeps its own recorder: exact, interpolated, below 10,000 samples).
 * Then the CLI: shards started by --start-at (one by the Kubernetes environment form), one killed mid-run,
 * and the report naming the killed and the missing shard.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseSoakLines, replaySoak, type SoakRunInfo } from '../../src/analyze/soak/events.js';
import { HISTOGRAM_BASE } from '../../src/analyze/soak/histogram.js';
import { percentile } from '../../src/analyze/stats.js';
import { groupShardStreams, mergeShards } from '../../src/analyze/soak/merge.js';
import { parseReconnectPolicy } from '../../src/config/reconnect.js';
import { shardSlice, soakClientIds } from '../../src/config/soak.js';
import { openJsonlWriter } from '../../src/measure/soak/jsonl-writer.js';
import { startSoak, type SoakRun } from '../../src/measure/soak/runner.js';
import { buildSoakFromFiles } from '../../src/report/build-soak.js';
import { BIN, runCli } from '../helpers/cli.js';
import { cleanup, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { sleep, tempDir, until } from './helpers.js';

const CLIENTS = 4;
const OUTAGE_MS = 1500;
const UP_MS = 1200;
/** Timestamps are whole milliseconds on both sides; an outage also starts at most one message interval early. */
const SLACK_MS = 2 + 1000 / 20;

/**
 * One broker outage as the test saw it. A client's outage begins once the broker is asked to stop and no later
 * than its exit (the close reaches the client first), and ends after the new broker process is spawned (no
 * sooner: nothing listens before it) and no later than the poll that saw every client back: so it lasts at least
 * `spawned − stopped` and at most `back − asked`. (`started`, when the start was seen to listen, is no lower
 * bound: a client may reconnect before this process's poll notices the listener; once, 278 ms before it.)
 */
interface Outage {
  asked: number;
  stopped: number;
  spawned: number;
  started: number;
  back: number;
}
const shortest = (o: Outage) => o.spawned - o.stopped - SLACK_MS;
const longest = (o: Outage) => o.back - o.asked + SLACK_MS;

let broker: Mosquitto | undefined;
let cliBroker: Mosquitto | undefined;
afterAll(async () => {
  for (const b of [broker, cliBroker]) {
    if (!b) continue;
    await b.stop();
    cleanup(b);
  }
});

function runInfo(url: string): SoakRunInfo {
  return {
    target: url,
    clients: CLIENTS,
    qos: 1,
    ratePerS: 20,
    payloadBytes: 64,
    keepaliveS: 60,
    clean: false,
    mqttVersion: 4,
    reconnect: 'fixed:200ms',
    durationMs: null,
    checkpointMs: 1000,
    flapThresholdMs: 10_000,
    lossGraceMs: 10_000,
  };
}

/** One shard (or the single run) in-process, with the real JSONL writer; its latency samples kept raw. */
async function startShard(
  url: string,
  dir: string,
  runId: string,
  shard: { index: number; count: number } | undefined,
  signal: AbortSignal,
  samples: number[],
) {
  const slice = shardSlice(CLIENTS, shard);
  const file = join(dir, `${runId}-${shard?.index ?? 0}.jsonl`);
  const writer = openJsonlWriter(
    file,
    (err) => {
      throw err;
    },
    shard,
  );
  const run: SoakRun = await startSoak({
    url,
    mqttOptions: { protocolVersion: 4, keepalive: 60, connectTimeout: 5000, clean: false },
    runId,
    clients: slice.to - slice.from,
    firstClient: slice.from,
    clientIds: soakClientIds(CLIENTS, runId, undefined, false, slice),
    rampPerS: 0,
    qos: 1,
    ratePerS: 20,
    payloadBytes: 64,
    payloadFormat: 'json',
    clean: false,
    policy: parseReconnectPolicy('fixed:200ms'),
    durationMs: undefined,
    checkpointMs: 1000,
    lossGraceMs: 10_000,
    flapThresholdMs: 10_000,
    drainMs: 3000,
    info: runInfo(url),
    signal,
    onEvent: (ev) => writer.write(ev),
    onArrival: (ms) => {
      if (ms !== undefined) samples.push(Math.max(0, ms));
    },
  });
  return { run, file, done: run.done.then(() => writer.close()) };
}

/** Nearest-rank percentile, what MergeableHistogram.percentile approximates. */
function exactPercentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] ?? Number.NaN;
}

describe('the same broker restarts measured as 1 run, 2 shards and 4 shards', () => {
  const configs = [1, 2, 4] as const;
  const samples = new Map<number, number[]>(configs.map((c) => [c, []]));
  const files = new Map<number, string[]>();
  const outages: Outage[] = [];

  beforeAll(async () => {
    const dir = tempDir('mqd-shard-truth-');
    broker = await startMosquitto({
      globalConfig: ['set_tcp_nodelay true', 'persistence true', `persistence_location ${dir}/`, 'autosave_interval 1'],
    });
    const abort = new AbortController();
    const shards = await Promise.all(
      configs.flatMap((count) =>
        Array.from({ length: count }, (_, index) =>
          startShard(
            broker!.url,
            dir,
            `truth-${count}`,
            count === 1 ? undefined : { index, count },
            abort.signal,
            samples.get(count)!,
          ),
        ),
      ),
    );
    await until(
      () => shards.every((s) => s.run.connectedNow() === s.run.snapshot().clients),
      10_000,
      'every client connected',
    );
    // Each outage must find every client connected (the truth is "2 outages per client"): the next stop waits
    // for every client to be back from the last one, however long a busy machine takes to reconnect them.
    for (let i = 0; i < 2; i += 1) {
      await sleep(UP_MS);
      const asked = Date.now();
      await broker.stop();
      const stopped = Date.now();
      await sleep(OUTAGE_MS);
      const spawned = Date.now();
      await broker.start();
      const started = Date.now();
      await until(
        () => shards.every((s) => s.run.connectedNow() === s.run.snapshot().clients),
        10_000,
        `every client back after outage ${i + 1}`,
      );
      outages.push({ asked, stopped, spawned, started, back: Date.now() });
    }
    await sleep(UP_MS);
    abort.abort();
    await Promise.all(shards.map((s) => s.done));
    for (const count of configs)
      files.set(
        count,
        readdirSync(dir)
          .filter((f) => f.startsWith(`truth-${count}-`))
          .map((f) => join(dir, f)),
      );
  }, 60_000);

  test.each(configs)('%i shard(s): reconnects, downtime, loss and latency as the broker did them', (count) => {
    const paths = files.get(count)!;
    expect(paths).toHaveLength(count);
    const texts = paths.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
    const { report } = buildSoakFromFiles(texts, {}, 'test');
    const s = report.data.summary;
    expect(report.data.shards?.count ?? 1).toBe(count);
    expect(s.clients).toBe(CLIENTS);
    // Reconnects: exactly two per client, in every configuration.
    expect(s.connections.reconnects).toBe(2 * CLIENTS);
    expect(s.connections.maxReconnectsPerClient).toBe(2);
    expect(s.connections.sessionsLost).toBe(0);
    // Downtime: each client's outages match the broker's real ones.
    const m = mergeShards(
      groupShardStreams(texts.map((t) => ({ file: t.file, events: parseSoakLines(t.text).events }))).streams,
    );
    const timelines = replaySoak(m.events).timelines;
    expect(timelines.map((t) => t.client)).toEqual([0, 1, 2, 3]);
    for (const tl of timelines) {
      expect(tl.outagesMs).toHaveLength(2);
      tl.outagesMs.forEach((ms, i) => {
        const o = outages[i]!;
        expect(ms, `client ${tl.client} outage ${i + 1} against ${JSON.stringify(o)}`).toBeGreaterThanOrEqual(
          shortest(o),
        );
        expect(ms, `client ${tl.client} outage ${i + 1} against ${JSON.stringify(o)}`).toBeLessThanOrEqual(longest(o));
      });
    }
    const perClient = s.connections.downtimeTotalMs / CLIENTS;
    expect(perClient).toBeGreaterThanOrEqual(outages.reduce((n, o) => n + shortest(o), 0));
    expect(perClient).toBeLessThanOrEqual(outages.reduce((n, o) => n + longest(o), 0));
    // Kept sessions on a broker with persistence: nothing lost, in every configuration.
    expect(s.messages.sent).toBeGreaterThan(CLIENTS * 20 * 3);
    expect(s.messages.lost).toBe(0);
    expect(s.messages.received).toBe(s.messages.sent);
    // Latency: the merged histograms against the exact percentiles of the same samples.
    const raw = [...samples.get(count)!].sort((a, b) => a - b);
    const lat = s.messages.latencyMs!;
    expect(lat.count).toBe(raw.length);
    for (const p of [50, 90, 99] as const) {
      if (count === 1) {
        // One unsharded file reads as it always did: the run's own recorder, exact (interpolated) below 10,000.
        expect(lat[`p${p}`]).toBeCloseTo(percentile(raw, p), 9);
        continue;
      }
      const exact = exactPercentile(raw, p);
      expect(Math.abs(lat[`p${p}`] - exact)).toBeLessThanOrEqual((HISTOGRAM_BASE - 1) * exact + 1e-9);
    }
    expect(lat.max).toBe(raw[raw.length - 1]);
  });

  test('the merged runs agree with the single run', () => {
    const read = (count: number) =>
      buildSoakFromFiles(
        files.get(count)!.map((file) => ({ file, text: readFileSync(file, 'utf8') })),
        {},
        'test',
      ).report;
    const one = read(1);
    for (const count of [2, 4]) {
      const r = read(count);
      expect(r.data.summary.connections.reconnects).toBe(one.data.summary.connections.reconnects);
      expect(r.data.summary.connections.disconnects).toBe(one.data.summary.connections.disconnects);
      expect(r.data.summary.messages.lost).toBe(one.data.summary.messages.lost);
      expect(
        Math.abs(r.data.summary.connections.downtimeTotalMs - one.data.summary.connections.downtimeTotalMs),
      ).toBeLessThanOrEqual(CLIENTS * outages.reduce((n, o) => n + longest(o) - shortest(o), 0));
      expect(r.verdict.status).toBe(one.verdict.status);
    }
  });
});

/** Run the CLI until `file` holds a checkpoint line, then SIGKILL it (bounded: 30 s); returns the signal. */
function killAfterCheckpoint(args: string[], file: string): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  const deadline = Date.now() + 30_000;
  const poll = setInterval(() => {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // not opened yet
    }
    if (text.includes('"type":"checkpoint"') || Date.now() > deadline) child.kill('SIGKILL');
  }, 50);
  return new Promise((resolve) =>
    child.on('exit', (_code, signal) => {
      clearInterval(poll);
      resolve(signal);
    }),
  );
}

describe('CLI shards: --start-at, the environment form, a killed shard, a missing shard', () => {
  test('three shard processes start together; one killed mid-run is named, a missing one too', async () => {
    const dir = tempDir('mqd-shard-cli-');
    cliBroker = await startMosquitto({ globalConfig: ['set_tcp_nodelay true'] });
    // Far enough ahead for three node processes to start on a loaded machine; one that is later still starts
    // at once and says so.
    const startAt = Date.now() + 8000;
    const common = (extra: string[]) => [
      'soak',
      cliBroker!.url,
      '-n',
      '6',
      '--run-id',
      'cli-run',
      '--start-at',
      new Date(startAt).toISOString(),
      '-d',
      '5s',
      '--rate',
      '10/s',
      '--checkpoint',
      '500ms',
      '--out',
      join(dir, 'soak-{shard}.jsonl'),
      '--json',
      ...extra,
    ];
    const [r0, r1, r2] = await Promise.all([
      runCli(common(['--shard', '0/3']), { timeoutMs: 30_000 }),
      // The Kubernetes Indexed Job form: the count from our variable, the index from the Job.
      runCli(common([]), { timeoutMs: 30_000, env: { MQTT_DOCTOR_SHARD_COUNT: '3', JOB_COMPLETION_INDEX: '1' } }),
      // Killed (SIGKILL: no end line, as an OOM kill) once it has written its first checkpoint.
      killAfterCheckpoint(common(['--shard', '2/3']), join(dir, 'soak-2.jsonl')),
    ]);
    expect(r0.code, r0.stdout + r0.stderr).toBe(0);
    expect(r1.code, r1.stdout + r1.stderr).toBe(0);
    expect(r2).toBe('SIGKILL');
    expect(r1.stderr).toContain('(shard 1/3: clients 2–3 of 6)');
    const start = (i: number) => parseSoakLines(readFileSync(join(dir, `soak-${i}.jsonl`), 'utf8')).events[0]!;
    const waited = [r0, r1].map((r) => /soak: waiting until \S+ to start/.test(r.stderr));
    expect(waited.some(Boolean)).toBe(true);
    for (const i of [0, 1]) {
      expect(start(i)).toMatchObject({ type: 'start', runId: 'cli-run', shard: { index: i, count: 3 } });
      // Never before the agreed time; a shard that waited starts within a moment of it.
      expect(start(i).t).toBeGreaterThanOrEqual(startAt);
      if (waited[i]) expect(start(i).t - startAt).toBeLessThan(1000);
      else expect([r0, r1][i]!.stderr).toMatch(/--start-at \S+ has passed: starting now/);
    }
    const whole = await runCli(['report', dir, '--json'], { timeoutMs: 30_000 });
    expect(whole.code).toBe(1);
    const report = JSON.parse(whole.stdout) as {
      verdict: { summary: string };
      data: { shards: { list: Array<{ state: string }> }; summary: { clients: number } };
    };
    expect(report.data.shards.list.map((x) => x.state)).toEqual(['finished', 'finished', 'killed']);
    expect(report.verdict.summary).toContain('no end line from shard 2/3 (clients 4–5)');
    const two = await runCli(['report', join(dir, 'soak-0.jsonl'), join(dir, 'soak-2.jsonl')], { timeoutMs: 30_000 });
    expect(two.code).toBe(1);
    expect(two.stdout).toMatch(/no lines of shard 1\/3 \(clients 2–3\)/);
  }, 60_000);
});
