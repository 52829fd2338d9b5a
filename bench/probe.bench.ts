/**
 * probe's measurement overhead and start-up cost, as ratios against baselines taken in the same run:
 * - RTT: mqtt-doctor's PINGREQ RTT p50 (runProbe) vs a minimal raw-socket PINGREQ loop, same broker, same
 *   1 ms cadence (target ≤ 1.3×). Broker: mosquitto with set_tcp_nodelay (else Nagle at the broker dominates).
 * - Start-up: `mqtt-doctor --help` wall time vs `node -e 0` (target ≤ 3×): heavy modules load lazily.
 */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.js';
import { startMosquitto } from '../test/helpers/mosquitto.js';
import { resolveConnection } from '../src/config/connection.js';
import { runProbe } from '../src/measure/probe.js';
import { percentile } from '../src/analyze/stats.js';

const PINGS = 2000;
const CADENCE_MS = 1;

async function rawPingLoop(port: number, n: number): Promise<number[]> {
  const s = connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise<void>((r) => s.once('connect', () => r()));
  // CONNECT 3.1.1, client id "raw", keepalive 60, then wait for CONNACK (4 bytes).
  const id = Buffer.from('raw');
  s.write(Buffer.concat([Buffer.from([0x10, 12 + id.length, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, id.length]), id]));
  await new Promise<void>((r) => s.once('data', () => r()));
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    const got = new Promise<void>((r) => s.once('data', () => r()));
    s.write(Buffer.from([0xc0, 0x00]));
    await got;
    out.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, CADENCE_MS));
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
  return percentile([...times].sort((a, b) => a - b), 50);
}

export default async function bench(): Promise<BenchResult[]> {
  const mosq = await startMosquitto({ globalConfig: ['set_tcp_nodelay true'] });
  try {
    // Interleave the two measurements twice so drift on a shared machine hits both alike.
    const raw: number[] = [];
    const doctor: number[] = [];
    for (let round = 0; round < 2; round += 1) {
      raw.push(...(await rawPingLoop(mosq.port, PINGS / 2)));
      const conn = resolveConnection(
        { url: mosq.url, embedded: false, mqttVersion: '3.1.1', clientId: undefined, keepalive: '60', username: undefined, password: undefined, passwordFile: undefined, connectTimeout: '5s', wsPath: undefined, ca: undefined, cert: undefined, key: undefined, servername: undefined, alpn: undefined, insecure: false },
        {},
      );
      const r = await runProbe({ conn, method: 'ping', qos: 0, count: PINGS / 2, intervalMs: CADENCE_MS + 0.05, timeoutMs: 2000, signal: new AbortController().signal });
      doctor.push(...r.samples.filter((s) => s.rttMs !== null).map((s) => s.rttMs as number));
    }
    const rawP50 = percentile([...raw].sort((a, b) => a - b), 50);
    const docP50 = percentile([...doctor].sort((a, b) => a - b), 50);
    const bin = fileURLToPath(new URL('../bin/mqtt-doctor.js', import.meta.url));
    const nodeMs = wallMs(process.execPath, ['-e', '0'], 15);
    const helpMs = wallMs(process.execPath, [bin, '--help'], 15);
    return [
      {
        name: 'probe RTT overhead',
        metric: `PINGREQ RTT p50 over ${doctor.length} pings (ms)`,
        value: docP50,
        baseline: rawP50,
        baselineName: `raw socket loop (${raw.length} pings)`,
        ratio: docP50 / rawP50,
        targetRatio: 1.3,
        notes: `absolute difference ${((docP50 - rawP50) * 1000).toFixed(1)} µs`,
      },
      {
        name: 'start-up',
        metric: 'mqtt-doctor --help wall time p50 of 15 (ms)',
        value: helpMs,
        baseline: nodeMs,
        baselineName: 'node -e 0',
        ratio: helpMs / nodeMs,
        targetRatio: 3,
      },
    ];
  } finally {
    await mosq.stop();
  }
}
