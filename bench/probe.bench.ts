/**
 * probe's accuracy and overhead, as comparisons with raw-socket references measured in the same run:
 * - CONNECT→CONNACK from a fresh `mqtt-doctor probe` process vs a fresh raw client process
 *   (test/truth/raw-connect.mjs), p50 over 20 runs each, interleaved, for MQTT 3.1.1, MQTT 5, TLS and
 *   WebSocket (target: within 0.5 ms at p50).
 * - PINGREQ RTT: runProbe vs a minimal raw-socket PINGREQ loop, same broker, same cadence (target p50 ≤ 1.15×,
 *   p99 ≤ 1.5×). Broker: mosquitto with set_tcp_nodelay (else Nagle at the broker dominates).
 * - Latency injected by the impair proxy (5/25/100 ms one way): probe p50 vs a raw loop through the same proxy
 *   (target: within 1 ms + 2 %).
 * - Start-up: `mqtt-doctor --help` wall time vs `node -e 0` (target ≤ 3×): heavy modules load lazily.
 */
import { execFile, execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.js';
import { makeCerts } from '../test/helpers/certs.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { resolveConnection } from '../src/config/connection.js';
import { noFaults } from '../src/config/impair.js';
import { startImpairProxy } from '../src/lab/impair/proxy.js';
import { runProbe } from '../src/measure/probe.js';
import { percentile } from '../src/analyze/stats.js';

const PINGS = 2000;
const CADENCE_MS = 1;
const CONNECT_RUNS = 20;
const BIN = fileURLToPath(new URL('../bin/mqtt-doctor.js', import.meta.url));
const RAW = fileURLToPath(new URL('../test/truth/raw-connect.mjs', import.meta.url));

const p = (xs: number[], q: number) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    q,
  );

async function rawPingLoop(port: number, n: number, gapMs: number): Promise<number[]> {
  const s = connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise<void>((r) => s.once('connect', () => r()));
  // CONNECT 3.1.1, client id "raw", keepalive 60, then wait for CONNACK (4 bytes).
  const id = Buffer.from('raw');
  s.write(
    Buffer.concat([Buffer.from([0x10, 12 + id.length, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, id.length]), id]),
  );
  await new Promise<void>((r) => s.once('data', () => r()));
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const got = new Promise<number>((r) => s.once('data', () => r(performance.now())));
    const t0 = performance.now();
    s.write(Buffer.from([0xc0, 0x00]));
    out.push((await got) - t0);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  s.destroy();
  return out;
}

function wallMs(cmd: string, args: string[], runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    execFileSync(cmd, args, { stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  return p(times, 50);
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout) =>
      err && !stdout ? reject(err) : resolve(stdout),
    );
  });
}

function connOf(url: string, version: '3.1.1' | '5') {
  return resolveConnection(
    {
      url,
      embedded: false,
      mqttVersion: version,
      clientId: undefined,
      keepalive: '60',
      username: undefined,
      password: undefined,
      passwordFile: undefined,
      connectTimeout: '5s',
      wsPath: undefined,
      ca: undefined,
      cert: undefined,
      key: undefined,
      servername: undefined,
      alpn: undefined,
      insecure: false,
    },
    {},
  );
}

interface ConnectCase {
  name: string;
  url: string;
  flags: string[];
  raw: string[];
}

async function connectCase(c: ConnectCase): Promise<BenchResult> {
  const doctor: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < CONNECT_RUNS; i += 1) {
    const out = await run([BIN, 'probe', c.url, '-c', '1', '--json', ...c.flags]);
    doctor.push((JSON.parse(out) as { data: { phases: { connack: { ms: number } } } }).data.phases.connack.ms);
    raw.push((JSON.parse(await run([RAW, ...c.raw])) as { connackMs: number }).connackMs);
  }
  const d = p(doctor, 50);
  const r = p(raw, 50);
  return {
    name: `CONNECT→CONNACK, fresh process, ${c.name}`,
    metric: `p50 of ${CONNECT_RUNS} minus the raw client's p50 (ms)`,
    value: d - r,
    baseline: r,
    baselineName: `raw ${c.name} client p50 (ms)`,
    ratio: d / r,
    targetValue: 0.5,
    notes: `mqtt-doctor p50 ${d.toFixed(3)} ms (p90 ${p(doctor, 90).toFixed(3)}), raw p50 ${r.toFixed(3)} ms (p90 ${p(raw, 90).toFixed(3)})`,
  };
}

export default async function bench(): Promise<BenchResult[]> {
  const certs = makeCerts();
  const mosq = await startMosquitto({
    globalConfig: ['set_tcp_nodelay true'],
    tls: { ...certs.valid },
    websockets: true,
    wss: { ...certs.valid },
  });
  const results: BenchResult[] = [];
  try {
    const cases: ConnectCase[] = [
      { name: 'MQTT 3.1.1', url: mosq.url, flags: ['-V', '3.1.1'], raw: [String(mosq.port), '4'] },
      { name: 'MQTT 5', url: mosq.url, flags: ['-V', '5'], raw: [String(mosq.port), '5'] },
      {
        name: 'TLS (mqtts, 3.1.1)',
        url: `mqtts://localhost:${mosq.tlsPort}`,
        flags: ['-V', '3.1.1', '--ca', certs.caFile],
        raw: [String(mosq.tlsPort), '4', 'tls', certs.caFile],
      },
      {
        name: 'WebSocket (ws, 3.1.1)',
        url: `ws://127.0.0.1:${mosq.wsPort}/mqtt`,
        flags: ['-V', '3.1.1'],
        raw: [String(mosq.wsPort), '4', 'ws'],
      },
      {
        name: 'WebSocket over TLS (wss, 3.1.1)',
        url: `wss://localhost:${mosq.wssPort}/mqtt`,
        flags: ['-V', '3.1.1', '--ca', certs.caFile],
        raw: [String(mosq.wssPort), '4', 'wss', certs.caFile],
      },
    ];
    for (const c of cases) {
      process.stderr.write(`bench: ${c.name}\n`);
      results.push(await connectCase(c));
    }

    // Interleave the two PINGREQ measurements twice so drift on a shared machine hits both alike.
    const raw: number[] = [];
    const doctor: number[] = [];
    for (let round = 0; round < 2; round += 1) {
      raw.push(...(await rawPingLoop(mosq.port, PINGS / 2, CADENCE_MS)));
      const r = await runProbe({
        conn: connOf(mosq.url, '3.1.1'),
        method: 'ping',
        qos: 0,
        count: PINGS / 2,
        intervalMs: CADENCE_MS + 0.05,
        timeoutMs: 2000,
        signal: new AbortController().signal,
      });
      doctor.push(...r.samples.filter((s) => s.rttMs !== null).map((s) => s.rttMs as number));
    }
    results.push(
      {
        name: 'probe RTT overhead',
        metric: `PINGREQ RTT p50 over ${doctor.length} pings (ms)`,
        value: p(doctor, 50),
        baseline: p(raw, 50),
        baselineName: `raw socket loop (${raw.length} pings)`,
        ratio: p(doctor, 50) / p(raw, 50),
        targetRatio: 1.15,
        notes: `absolute difference ${((p(doctor, 50) - p(raw, 50)) * 1000).toFixed(1)} µs`,
      },
      {
        name: 'probe RTT overhead, tail',
        metric: `PINGREQ RTT p99 (ms)`,
        value: p(doctor, 99),
        baseline: p(raw, 99),
        baselineName: 'raw socket loop p99',
        ratio: p(doctor, 99) / p(raw, 99),
        targetRatio: 1.5,
      },
    );

    for (const L of [5, 25, 100]) {
      const proxy = await startImpairProxy({
        listenHost: '127.0.0.1',
        listenPort: 0,
        targetHost: '127.0.0.1',
        targetPort: mosq.port,
        faults: { ...noFaults(), latencyMs: L },
      });
      try {
        // Four interleaved rounds of 5, so a load spike on this shared machine hits both alike.
        const n = 20;
        const ref: number[] = [];
        const got: number[] = [];
        for (let round = 0; round < 4; round += 1) {
          ref.push(...(await rawPingLoop(proxy.port, n / 4, 20)));
          const r = await runProbe({
            conn: connOf(`mqtt://127.0.0.1:${proxy.port}`, '3.1.1'),
            method: 'ping',
            qos: 0,
            count: n / 4,
            intervalMs: 2 * L + 20,
            timeoutMs: 4 * L + 2000,
            signal: new AbortController().signal,
          });
          got.push(...r.samples.filter((s) => s.rttMs !== null).map((s) => s.rttMs as number));
        }
        const d = p(got, 50);
        const b = p(ref, 50);
        results.push({
          name: `injected latency ${L} ms one way`,
          metric: `|probe p50 − raw p50| through the same proxy, over ${n} pings (ms)`,
          value: Math.abs(d - b),
          baseline: b,
          baselineName: 'raw loop p50 through the proxy (ms)',
          ratio: d / b,
          targetValue: 1 + 0.02 * b,
          notes: `probe p50 ${d.toFixed(3)} ms, raw p50 ${b.toFixed(3)} ms, injected RTT ${2 * L} ms`,
        });
      } finally {
        await proxy.close();
      }
    }

    const nodeMs = wallMs(process.execPath, ['-e', '0'], 15);
    const helpMs = wallMs(process.execPath, [BIN, '--help'], 15);
    results.push({
      name: 'start-up',
      metric: 'mqtt-doctor --help wall time p50 of 15 (ms)',
      value: helpMs,
      baseline: nodeMs,
      baselineName: 'node -e 0',
      ratio: helpMs / nodeMs,
      targetRatio: 3,
    });
    return results;
  } finally {
    await mosq.stop();
  }
}
