/**
 * What the impair proxy itself costs on loopback: request/response RTT (2-byte PINGREQ-sized writes to an
 * echo server) direct vs through the proxy with no faults, in the same run, interleaved in batches so both
 * see the same machine load. Target (issue 3): the proxy adds ≤ 0.2 ms at p50. Also how close an injected
 * latency lands to its ground truth.
 */
import { connect, createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { percentile } from '../src/analyze/stats.js';
import { noFaults, parseImpairSpec } from '../src/config/impair.js';
import { startImpairProxy } from '../src/lab/impair/proxy.js';
import type { BenchResult } from './run.js';

const PING = Buffer.from([0xc0, 0x00]);

async function open(port: number): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

/** `n` sequential round trips on one socket, ms each. */
async function roundTrips(s: Socket, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      let got = 0;
      const onData = (d: Buffer): void => {
        got += d.length;
        if (got >= PING.length) {
          s.off('data', onData);
          resolve();
        }
      };
      s.on('data', onData);
      s.write(PING);
    });
    out.push(performance.now() - t0);
  }
  return out;
}

export default async function bench(): Promise<BenchResult[]> {
  const echo = createServer({ noDelay: true }, (s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const echoPort = (echo.address() as { port: number }).port;
  const plain = await startImpairProxy({ targetHost: '127.0.0.1', targetPort: echoPort, faults: noFaults() });
  const L = 10;
  const delayed = await startImpairProxy({
    targetHost: '127.0.0.1',
    targetPort: echoPort,
    faults: parseImpairSpec(`latency=${L}ms`),
  });

  const direct = await open(echoPort);
  const viaProxy = await open(plain.port);
  const viaDelay = await open(delayed.port);
  await roundTrips(direct, 200); // warm-up (JIT, socket buffers)
  await roundTrips(viaProxy, 200);
  const d: number[] = [];
  const p: number[] = [];
  for (let batch = 0; batch < 10; batch++) {
    d.push(...(await roundTrips(direct, 300)));
    p.push(...(await roundTrips(viaProxy, 300)));
  }
  const delayedSamples = await roundTrips(viaDelay, 50);
  for (const s of [direct, viaProxy, viaDelay]) s.destroy();
  await plain.close();
  await delayed.close();
  await new Promise<void>((r) => echo.close(() => r()));

  const sort = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
  const dp50 = percentile(sort(d), 50);
  const pp50 = percentile(sort(p), 50);
  const dp99 = percentile(sort(d), 99);
  const pp99 = percentile(sort(p), 99);
  const lp50 = percentile(sort(delayedSamples), 50);
  return [
    {
      name: 'impair proxy, no faults',
      metric: 'RTT p50 (ms)',
      value: pp50,
      baseline: dp50,
      baselineName: 'direct loopback',
      ratio: pp50 / dp50,
      notes: `${d.length} round trips each, interleaved; p99 ${pp99.toFixed(3)} vs ${dp99.toFixed(3)} ms`,
    },
    {
      name: 'impair proxy, no faults',
      metric: 'added RTT p50 (ms)',
      value: pp50 - dp50,
      baseline: dp50,
      baselineName: 'direct loopback p50',
      ratio: (pp50 - dp50) / dp50,
      targetValue: 0.2,
    },
    {
      name: `impair proxy, latency ${L}ms`,
      metric: 'RTT p50 (ms)',
      value: lp50,
      baseline: 2 * L,
      baselineName: 'injected 2L',
      ratio: lp50 / (2 * L),
      targetRatio: 1 + (1 + 0.05 * 2 * L) / (2 * L),
      notes: 'issue 3 accuracy bound: 2L ± (1 ms + 5%)',
    },
  ];
}
