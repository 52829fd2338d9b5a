/**
 * probe --impair: the probe crosses an in-process impair proxy, so what it measures must match what was
 * injected. The reference is a raw-socket PINGREQ loop through a proxy with the same latency, run in the same
 * test: it sees the same broker and the same machine load (a late proxy timer delays both alike).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { percentile } from '../../src/analyze/stats.js';
import { noFaults } from '../../src/config/impair.js';
import { startImpairProxy } from '../../src/lab/impair/proxy.js';
import { runCli, runMain } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { rawPings } from '../truth/raw-pings.js';

let mosq: Mosquitto;
beforeAll(async () => {
  mosq = await startMosquitto();
});
afterAll(async () => {
  await mosq?.stop();
});

interface Doc {
  data: { rtt: { received: number; stats: { p50: number; p90: number; min: number } }; impair?: { spec: string } };
  target: { url: string };
  verdict: { exitCode: number };
}

async function p50(extra: string[]): Promise<Doc> {
  const r = await runCli(['probe', mosq.url, '-c', '12', '-i', '60ms', '--json', ...extra], { timeoutMs: 30_000 });
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Doc;
}

test.each([10, 25])(
  '--impair latency=%dms adds 2L to the RTT p50, as a raw loop through the same latency sees',
  async (L) => {
    const through = await p50(['--impair', `latency=${L}ms`]);
    const proxy = await startImpairProxy({
      listenHost: '127.0.0.1',
      listenPort: 0,
      targetHost: '127.0.0.1',
      targetPort: mosq.port,
      faults: { ...noFaults(), latencyMs: L },
    });
    let raw: number[];
    try {
      raw = (await rawPings(proxy.port, 12, 60)).sort((a, b) => a - b);
    } finally {
      await proxy.close();
    }
    expect(through.data.impair?.spec).toBe(`latency=${L}ms`);
    expect(through.target.url).toBe(`${mosq.url}`);
    const got = through.data.rtt.stats.p50;
    expect(got).toBeGreaterThanOrEqual(2 * L - 0.5);
    const ref = percentile(raw, 50);
    // Two runs, two samples of the machine's noise: the margin takes the wider spread of the two (p90 - p10 of the
    // raw loop, p90 - min of the probe's). A constant added to every probe sample still fails it.
    const spread = Math.max(
      percentile(raw, 90) - percentile(raw, 10),
      through.data.rtt.stats.p90 - through.data.rtt.stats.min,
    );
    const margin = 1 + 0.05 * 2 * L + spread;
    expect(Math.abs(got - ref), `probe p50 ${got.toFixed(2)} raw ${raw.map((x) => x.toFixed(2))}`).toBeLessThanOrEqual(
      margin,
    );
  },
);

test('--impair with a profile name works against the embedded broker', async () => {
  const r = await runCli(['probe', '--embedded', '--impair', 'lan', '-c', '3', '-i', '50ms', '--json'], {
    timeoutMs: 30_000,
  });
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout) as Doc & { checks: Array<{ id: string; summary: string }> };
  expect(doc.data.rtt.received).toBe(3);
  const via = /through impair proxy (127\.0\.0\.1:\d+) \(lan\)/.exec(r.stderr)?.[1];
  expect(via).toBeDefined();
  // The report says a proxy was in the path, and the TCP row shows the address really connected to.
  expect(doc.checks.find((c) => c.id === 'impair')?.summary).toBe(`in the path: ${via} (lan)`);
  expect(doc.checks.find((c) => c.id === 'tcp')?.summary).toContain(via!);
});

test('a bad --impair spec is a usage error', async () => {
  const r = await runMain(['probe', '--embedded', '--impair', 'latency=fast']); // parsing only: no process needed
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toMatch(/^mqtt-doctor: .*latency/);
});
