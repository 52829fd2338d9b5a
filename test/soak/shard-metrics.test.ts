/** /metrics of a sharded soak: every mqtt-doctor series carries `shard="I"`; an unsharded soak carries none. */
import { afterEach, expect, test } from 'vitest';
import { startSoakMetrics, type SoakMetrics } from '../../src/measure/soak/metrics.js';

let m: SoakMetrics | undefined;
afterEach(async () => {
  await m?.close();
  m = undefined;
});

async function scrape(shard: number | undefined): Promise<string[]> {
  m = await startSoakMetrics({
    host: '127.0.0.1',
    port: 0,
    snapshot: () => undefined,
    ...(shard !== undefined ? { shard } : {}),
  });
  m.onEvent({ type: 'client', t: 0, client: 7, clientId: 'a' });
  m.onEvent({ type: 'connect', t: 1, client: 7, attempt: 0, sessionPresent: false, sessionExpected: false });
  m.onEvent({ type: 'disconnect', t: 2, client: 7, cause: 'keepalive-timeout', detail: 'Keepalive timeout' });
  m.onArrival(12, 'new');
  const text = await (await fetch(`http://127.0.0.1:${m.port}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('mqtt_doctor_'));
}

test('every series of shard 2 carries shard="2"', async () => {
  const lines = await scrape(2);
  // Counters, gauges (also those read at scrape time) and every histogram bucket.
  expect(lines.length).toBeGreaterThan(20);
  for (const l of lines) expect(l).toMatch(/^mqtt_doctor_\w+\{(?:[^}]*,)?shard="2"(?:,[^}]*)?\} /);
  expect(lines).toContain('mqtt_doctor_soak_disconnects_total{cause="keepalive-timeout",shard="2"} 1');
  expect(lines).toContain('mqtt_doctor_soak_clients_connected{shard="2"} 0');
});

test('an unsharded soak has no shard label', async () => {
  const lines = await scrape(undefined);
  expect(lines.length).toBeGreaterThan(20);
  for (const l of lines) expect(l).not.toContain('shard=');
});
