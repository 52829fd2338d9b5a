/**
 * Soak at scale, against mosquitto (max_connections -1), each side in its own Node process so memory is
 * not shared:
 *  1. idle connections held by one process: memory per connection (RSS after GC) of `soak` vs a bare
 *     MQTT.js script opening the same connections at the same ramp (target ≤ 1.2×), and the time until all
 *     are connected (target ≤ 15 s for 10,000);
 *  2. CPU at the same message rate (publish + subscribe to an own topic, QoS 1): soak with full accounting
 *     vs a bare MQTT.js script that only counts (target ≤ 1.5×);
 *  3. messages per second sustained when far more is offered (MQD_SOAK_BENCH_HOT_RATE per client, default
 *     100/s × 200 clients), soak vs the bare script.
 * Sizes: MQD_SOAK_BENCH_CLIENTS (default 10000) at MQD_SOAK_BENCH_RAMP (2000/s; 0 = all at once),
 * MQD_SOAK_BENCH_MSG_CLIENTS (200) × 10/s for 10 s; the idle pair MQD_SOAK_BENCH_ROUNDS (3) times, median. The soak side
 * is the compiled dist/ (bench/product.ts).
 * This file is also its own worker: `node --import tsx bench/soak.bench.ts --soak-worker MODE N URL`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.js';
import { checkBuilt, loadSoak } from './product.js';

const SELF = fileURLToPath(import.meta.url);
const RAMP_PER_S = Number(process.env.MQD_SOAK_BENCH_RAMP ?? 2000);
const ROUNDS = Math.max(1, Number(process.env.MQD_SOAK_BENCH_ROUNDS ?? 3));
const MSG_RATE_PER_S = 10;
const MSG_SECONDS = 10;

interface WorkerResult {
  mode: string;
  n: number;
  connectMs: number;
  rssPerConnKb: number;
  heapPerConnKb: number;
  cpuMs: number;
  messages: number;
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function settleMemory(): Promise<{ rss: number; heap: number }> {
  for (let i = 0; i < 3; i += 1) {
    gc();
    await sleep(200);
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

async function worker(mode: string, n: number, url: string, msgRatePerS = MSG_RATE_PER_S): Promise<WorkerResult> {
  const mqtt = await import('mqtt');
  const { startSoak, parseReconnectPolicy } = await loadSoak();
  const messages = mode.endsWith('-msg');
  const ratePerS = messages ? msgRatePerS : 0;
  const base = await settleMemory();
  const t0 = performance.now();
  let connected: () => number;
  let stop: () => Promise<void>;
  let received = 0;
  if (mode.startsWith('bare')) {
    // The bare script: what a user would write with MQTT.js to hold N connections (and echo messages).
    const clients: Array<import('mqtt').MqttClient> = [];
    let up = 0;
    let next = 0;
    const timers: NodeJS.Timeout[] = [];
    const open = (i: number) => {
      const topic = `bench/bare/${i}`;
      const c = mqtt.connect(url, {
        // The same client id length as the soak side's (`soak-<16 hex run id>-<i>`).
        clientId: `bare-${process.pid.toString(16).padStart(16, '0')}-${i}`,
        protocolVersion: 4,
        keepalive: 60,
        reconnectPeriod: 0,
      });
      c.on('error', () => {});
      c.once('connect', () => {
        up += 1;
        if (!messages) return;
        let seq = 0;
        c.on('message', (_t, payload) => {
          JSON.parse(payload.toString());
          received += 1;
        });
        c.subscribe(topic, { qos: 1 }, () => {
          timers.push(
            setInterval(
              () => c.publish(topic, JSON.stringify({ client: i, seq: seq++, t: Date.now() }), { qos: 1 }),
              1000 / ratePerS,
            ),
          );
        });
      });
      clients.push(c);
    };
    const ramp = setInterval(() => {
      const due = RAMP_PER_S <= 0 ? n : Math.min(n, Math.floor(((performance.now() - t0) / 1000) * RAMP_PER_S) + 1);
      while (next < due) open(next++);
      if (next >= n) clearInterval(ramp);
    }, 10);
    connected = () => up;
    stop = async () => {
      for (const t of timers) clearInterval(t);
      await Promise.all(clients.map((c) => new Promise<void>((r) => c.end(true, () => r()))));
    };
  } else {
    const abort = new AbortController();
    const runId = process.pid.toString(16).padStart(16, '0');
    const run = await startSoak({
      url,
      mqttOptions: { protocolVersion: 4, keepalive: 60, connectTimeout: 30_000 },
      runId,
      clients: n,
      clientIds: Array.from({ length: n }, (_, i) => `soak-${runId}-${i}`),
      rampPerS: RAMP_PER_S,
      qos: 1,
      ratePerS,
      payloadBytes: 64,
      payloadFormat: 'json',
      clean: true,
      policy: parseReconnectPolicy('fixed:1s'),
      durationMs: undefined,
      checkpointMs: 30_000,
      lossGraceMs: 10_000,
      flapThresholdMs: 10_000,
      drainMs: 0,
      info: {
        target: url,
        clients: n,
        qos: 1,
        ratePerS,
        payloadBytes: 64,
        keepaliveS: 60,
        clean: true,
        mqttVersion: 4,
        reconnect: 'fixed:1s',
        durationMs: null,
        checkpointMs: 30_000,
        flapThresholdMs: 10_000,
        lossGraceMs: 10_000,
      },
      signal: abort.signal,
      onEvent: () => {},
      onArrival: () => {
        received += 1;
      },
    });
    connected = () => run.connectedNow();
    stop = async () => {
      abort.abort();
      await run.done;
    };
  }
  const deadline = performance.now() + 120_000;
  while (connected() < n && performance.now() < deadline) await sleep(20);
  const connectMs = performance.now() - t0;
  let cpuMs = 0;
  let counted = 0;
  if (messages) {
    await sleep(1000);
    const c0 = process.cpuUsage();
    const r0 = received;
    await sleep(MSG_SECONDS * 1000);
    const c1 = process.cpuUsage(c0);
    cpuMs = (c1.user + c1.system) / 1000;
    counted = received - r0;
  }
  const after = await settleMemory();
  // MQD_SOAK_BENCH_HEAP=dir: a heap snapshot of the settled state (what each connection holds), per worker.
  if (process.env.MQD_SOAK_BENCH_HEAP) {
    const { writeHeapSnapshot } = await import('node:v8');
    writeHeapSnapshot(`${process.env.MQD_SOAK_BENCH_HEAP}/${mode}-${n}.heapsnapshot`);
  }
  const result: WorkerResult = {
    mode,
    n: connected(),
    connectMs,
    rssPerConnKb: (after.rss - base.rss) / 1024 / n,
    heapPerConnKb: (after.heap - base.heap) / 1024 / n,
    cpuMs,
    messages: counted,
  };
  await stop();
  return result;
}

function runWorker(mode: string, n: number, url: string, ratePerS = MSG_RATE_PER_S): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', SELF, '--soak-worker', mode, String(n), url, String(ratePerS)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as WorkerResult);
      } catch {
        reject(new Error(`soak bench worker ${mode} exited ${code}: ${out}`));
      }
    });
  });
}

export default async function soakBench(): Promise<BenchResult[]> {
  checkBuilt();
  const { startMosquitto, cleanup } = await import('../test/helpers/mosquitto.js');
  const n = Number(process.env.MQD_SOAK_BENCH_CLIENTS ?? 10_000);
  const nMsg = Number(process.env.MQD_SOAK_BENCH_MSG_CLIENTS ?? 200);
  const broker = await startMosquitto({
    globalConfig: ['set_tcp_nodelay true', 'max_queued_messages 100000'],
    listenerConfig: ['max_connections -1'],
  });
  try {
    // Idle memory: MQD_SOAK_BENCH_ROUNDS pairs (default 3), the order swapped every round, the median round by
    // RSS ratio (RSS moves by ±10 % between identical runs here; heap used after GC is steady and shown beside).
    const idle: Array<{ bare: WorkerResult; soak: WorkerResult; ratio: number }> = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      const first = await runWorker(r % 2 === 0 ? 'bare' : 'soak', n, broker.url);
      const second = await runWorker(r % 2 === 0 ? 'soak' : 'bare', n, broker.url);
      const [b, s] = r % 2 === 0 ? [first, second] : [second, first];
      idle.push({ bare: b, soak: s, ratio: s.rssPerConnKb / b.rssPerConnKb });
    }
    const { bare, soak } = [...idle].sort((x, y) => x.ratio - y.ratio)[Math.floor(idle.length / 2)]!;
    const bareMsg = await runWorker('bare-msg', nMsg, broker.url);
    const soakMsg = await runWorker('soak-msg', nMsg, broker.url);
    // Sustained rate: offer far more than one process can take and see what comes back per second.
    const hotRate = Number(process.env.MQD_SOAK_BENCH_HOT_RATE ?? 100);
    const bareHot = await runWorker('bare-msg', nMsg, broker.url, hotRate);
    const soakHot = await runWorker('soak-msg', nMsg, broker.url, hotRate);
    const perK = (w: WorkerResult) => (w.messages > 0 ? (1000 * w.cpuMs) / w.messages : Number.NaN);
    return [
      {
        name: `soak idle ${n} clients`,
        metric: 'RSS per connection (KB)',
        value: soak.rssPerConnKb,
        baseline: bare.rssPerConnKb,
        baselineName: 'bare MQTT.js script',
        ratio: soak.rssPerConnKb / bare.rssPerConnKb,
        targetRatio: 1.2,
        notes: `median of ${idle.length} (RSS ratios ${idle.map((x) => x.ratio.toFixed(2)).join(', ')}); heap/conn ${soak.heapPerConnKb.toFixed(1)} vs ${bare.heapPerConnKb.toFixed(1)} KB = ${(soak.heapPerConnKb / bare.heapPerConnKb).toFixed(2)}×; connected ${soak.n} vs ${bare.n}`,
      },
      {
        name: `soak idle ${n} clients`,
        metric: `time to connect all at ramp ${RAMP_PER_S}/s (s)`,
        value: soak.connectMs / 1000,
        baseline: bare.connectMs / 1000,
        baselineName: 'bare MQTT.js script',
        ratio: soak.connectMs / bare.connectMs,
        targetValue: 15,
      },
      {
        name: `soak ${nMsg} clients × ${MSG_RATE_PER_S}/s QoS 1`,
        metric: 'CPU ms per 1000 messages received',
        value: perK(soakMsg),
        baseline: perK(bareMsg),
        baselineName: 'bare MQTT.js echo script',
        ratio: perK(soakMsg) / perK(bareMsg),
        targetRatio: 1.5,
        notes: `${soakMsg.messages} vs ${bareMsg.messages} messages in ${MSG_SECONDS} s; CPU ${soakMsg.cpuMs.toFixed(0)} vs ${bareMsg.cpuMs.toFixed(0)} ms`,
      },
      {
        name: `soak ${nMsg} clients × ${hotRate}/s QoS 1 offered`,
        metric: 'messages received per second (higher is better)',
        value: soakHot.messages / MSG_SECONDS,
        baseline: bareHot.messages / MSG_SECONDS,
        baselineName: 'bare MQTT.js echo script',
        ratio: soakHot.messages / bareHot.messages,
        notes: `offered ${nMsg * hotRate}/s; CPU ${soakHot.cpuMs.toFixed(0)} vs ${bareHot.cpuMs.toFixed(0)} ms in ${MSG_SECONDS} s (mosquitto shares the 2 cores)`,
      },
    ];
  } finally {
    await broker.stop();
    cleanup(broker);
  }
}

if (process.argv[2] === '--soak-worker') {
  const [mode = 'soak', n = '100', url = '', rate = String(MSG_RATE_PER_S)] = process.argv.slice(3);
  const r = await worker(mode, Number(n), url, Number(rate));
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
}
