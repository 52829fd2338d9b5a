/**
 * soak's accuracy against injected ground truth (`npx tsx bench/run.ts soak-accuracy`), each figure next to
 * the truth measured in the same run:
 *  1. downtime of a blackholed link (impair proxy `blackhole-after`): soak's outage (dated from the last byte
 *     received) vs the proxy's blackhole time → the reconnect's CONNACK; also the error dating from detection;
 *  2. CONNACK time against a scripted server that answers after D ms: soak's p50 vs the server's own span;
 *  3. messages skipped during a mosquitto kill/restart vs outage × rate.
 * Repeats: MQD_SOAK_ACC_RUNS (default 3).
 */
import { createServer, type Socket } from 'node:net';
import type { BenchResult } from './run.js';
import { startMosquitto, cleanup } from '../test/helpers/mosquitto.js';
import { parseImpairSpec } from '../src/config/impair.js';
import { startImpairProxy } from '../src/lab/impair/proxy.js';
import { parseReconnectPolicy } from '../src/config/reconnect.js';
import { startSoak, wallClockMs, type SoakRunOptions } from '../src/measure/soak/runner.js';
import type { SoakEvent, SoakRunInfo } from '../src/analyze/soak/events.js';

const RUNS = Number(process.env.MQD_SOAK_ACC_RUNS ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function soak(url: string, o: Partial<SoakRunOptions> & { keepaliveS?: number }) {
  const events: SoakEvent[] = [];
  const abort = new AbortController();
  const info = { clients: o.clients ?? 1, ratePerS: o.ratePerS ?? 10 } as unknown as SoakRunInfo;
  const run = await startSoak({
    url,
    mqttOptions: { protocolVersion: 4, keepalive: o.keepaliveS ?? 60, connectTimeout: 5000 },
    runId: Math.random().toString(16).slice(2, 18),
    clients: o.clients ?? 1,
    clientIds: Array.from({ length: o.clients ?? 1 }, (_, i) => `acc-${Date.now()}-${i}`),
    rampPerS: 0,
    qos: 1,
    ratePerS: o.ratePerS ?? 10,
    payloadBytes: 64,
    payloadFormat: 'json',
    clean: true,
    policy: parseReconnectPolicy('fixed:200ms'),
    durationMs: undefined,
    checkpointMs: 60_000,
    lossGraceMs: 10_000,
    flapThresholdMs: 10_000,
    drainMs: 300,
    info,
    signal: abort.signal,
    onEvent: (e) => events.push(e),
  });
  const until = async (pred: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!pred() && Date.now() < end) await sleep(20);
  };
  return { run, events, abort, until };
}

async function blackhole(): Promise<{ errMs: number; detectionErrMs: number }> {
  const broker = await startMosquitto({ globalConfig: ['set_tcp_nodelay true'] });
  const holes: number[] = [];
  const proxy = await startImpairProxy({
    targetHost: '127.0.0.1',
    targetPort: broker.port,
    faults: parseImpairSpec('blackhole-after=2s'),
    onEvent: (e) => void (e.type === 'blackholed' && holes.push(wallClockMs())),
  });
  try {
    const s = await soak(`mqtt://127.0.0.1:${proxy.port}`, { keepaliveS: 2, ratePerS: 10 });
    await s.until(() => s.events.filter((e) => e.type === 'connect').length >= 2, 15_000);
    s.abort.abort();
    const { summary } = await s.run.done;
    const lost = s.events.find((e): e is Extract<SoakEvent, { type: 'disconnect' }> => e.type === 'disconnect');
    const back = s.events.filter((e) => e.type === 'connect')[1];
    const injected = back!.t - holes[0]!;
    const measured = summary.connections.timeToReconnectMs!.max;
    return { errMs: measured - injected, detectionErrMs: back!.t - lost!.t - injected };
  } finally {
    await proxy.close();
    await broker.stop();
    cleanup(broker);
  }
}

async function connack(delayMs: number): Promise<{ errMs: number }> {
  const spans: number[] = [];
  const server = createServer((s: Socket) => {
    const accepted = performance.now();
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      if (d[0] === 0x10)
        setTimeout(() => {
          spans.push(performance.now() - accepted);
          s.write(Buffer.from([0x20, 2, 0, 0]));
        }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const s = await soak(`mqtt://127.0.0.1:${port}`, { clients: 10, ratePerS: 0 });
    await s.until(() => s.run.connectedNow() === 10, 10_000);
    s.abort.abort();
    const { summary } = await s.run.done;
    return { errMs: summary.fleet!.connackMs!.p50 - median(spans) };
  } finally {
    server.close();
  }
}

async function skipped(): Promise<{ ratio: number }> {
  const broker = await startMosquitto({ globalConfig: ['set_tcp_nodelay true'] });
  try {
    const s = await soak(broker.url, { ratePerS: 20 });
    await s.until(() => s.run.connectedNow() === 1, 10_000);
    await sleep(500);
    await broker.kill();
    await sleep(1500);
    await broker.start();
    await s.until(() => s.events.filter((e) => e.type === 'connect').length >= 2, 10_000);
    await sleep(300);
    s.abort.abort();
    const { summary } = await s.run.done;
    return { ratio: summary.messages.skippedOffline / ((summary.connections.downtimeTotalMs / 1000) * 20) };
  } finally {
    await broker.stop();
    cleanup(broker);
  }
}

export default async function soakAccuracy(): Promise<BenchResult[]> {
  const bh: Array<{ errMs: number; detectionErrMs: number }> = [];
  const ca: number[] = [];
  const sk: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    bh.push(await blackhole());
    ca.push((await connack(20)).errMs);
    sk.push((await skipped()).ratio);
  }
  const absMax = (xs: number[]) => Math.max(...xs.map(Math.abs));
  return [
    {
      name: 'soak-accuracy blackhole downtime',
      metric: 'max |measured − injected| (ms)',
      value: absMax(bh.map((b) => b.errMs)),
      baseline: absMax(bh.map((b) => b.detectionErrMs)),
      baselineName: 'dated from detection',
      ratio: absMax(bh.map((b) => b.errMs)) / absMax(bh.map((b) => b.detectionErrMs)),
      notes: `runs ${RUNS}, K 2 s, 10 msg/s; errors ${bh.map((b) => b.errMs.toFixed(0)).join(', ')} ms`,
    },
    {
      name: 'soak-accuracy CONNACK time',
      metric: 'max |p50 − server span| (ms)',
      value: absMax(ca),
      baseline: 20,
      baselineName: 'injected D',
      ratio: absMax(ca) / 20,
      notes: `10 clients, runs ${RUNS}; errors ${ca.map((e) => e.toFixed(2)).join(', ')} ms`,
    },
    {
      name: 'soak-accuracy skipped while offline',
      metric: 'skipped / (downtime × rate)',
      value: median(sk),
      baseline: 1,
      baselineName: 'outage × rate',
      ratio: median(sk),
      notes: `mosquitto SIGKILL 1.5 s, 20 msg/s; ratios ${sk.map((r) => r.toFixed(2)).join(', ')}`,
    },
  ];
}
