/**
 * probe --impair: the probe crosses an in-process impair proxy, so what it measures must match what was
 * injected (issue 3's accuracy rule: RTT p50 within 2L ± (1 ms + 5%), above the path's own base RTT).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

let mosq: Mosquitto;
beforeAll(async () => {
  mosq = await startMosquitto();
});
afterAll(async () => {
  await mosq?.stop();
});

interface Doc {
  data: { rtt: { received: number; stats: { p50: number } }; impair?: { spec: string } };
  target: { url: string };
  verdict: { exitCode: number };
}

async function p50(extra: string[]): Promise<Doc> {
  const r = await runCli(['probe', mosq.url, '-c', '12', '-i', '60ms', '--json', ...extra], { timeoutMs: 30_000 });
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Doc;
}

test.each([10, 25])('--impair latency=%dms adds 2L to the RTT p50', async (L) => {
  const base = await p50([]);
  const through = await p50(['--impair', `latency=${L}ms`]);
  expect(through.data.impair?.spec).toBe(`latency=${L}ms`);
  expect(through.target.url).toBe(`${mosq.url}`);
  const expected = 2 * L + base.data.rtt.stats.p50;
  const margin = 1 + 0.05 * 2 * L;
  expect(through.data.rtt.stats.p50).toBeGreaterThanOrEqual(expected - margin);
  expect(through.data.rtt.stats.p50).toBeLessThanOrEqual(expected + margin);
});

test('--impair with a profile name works against the embedded broker', async () => {
  const r = await runCli(['probe', '--embedded', '--impair', 'lan', '-c', '3', '-i', '50ms', '--json'], { timeoutMs: 30_000 });
  expect(r.code).toBe(0);
  expect((JSON.parse(r.stdout) as Doc).data.rtt.received).toBe(3);
  expect(r.stderr).toMatch(/through impair proxy 127\.0\.0\.1:\d+ \(lan\)/);
});

test('a bad --impair spec is a usage error', async () => {
  const r = await runCli(['probe', '--embedded', '--impair', 'latency=fast']);
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toMatch(/^mqtt-doctor: .*latency/);
});
