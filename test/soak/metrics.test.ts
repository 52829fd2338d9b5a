import { Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import {
  addArrivals,
  emptyArrivals,
  recordArrival,
  RTT_BUCKETS_S,
  startSoakMetrics,
  type SoakMetrics,
} from '../../src/measure/soak/metrics.js';

let m: SoakMetrics | undefined;
afterEach(async () => {
  await m?.close();
  m = undefined;
});

test('Prometheus endpoint on 127.0.0.1: connection status, reconnects and disconnects by cause, messages, RTT', async () => {
  m = await startSoakMetrics({ host: '127.0.0.1', port: 0, snapshot: () => undefined });
  m.onEvent({ type: 'client', t: 0, client: 0, clientId: 'a' });
  m.onEvent({ type: 'connect', t: 1, client: 0, attempt: 0, sessionPresent: false, sessionExpected: false });
  m.onEvent({ type: 'disconnect', t: 2, client: 0, cause: 'keepalive-timeout', detail: 'Keepalive timeout' });
  m.onEvent({ type: 'connect-failed', t: 3, client: 0, attempt: 0, cause: 'refused', detail: 'ECONNREFUSED' });
  m.onEvent({ type: 'connect', t: 4, client: 0, attempt: 1, sessionPresent: false, sessionExpected: false });
  m.onArrival(12, 'new');
  m.onArrival(undefined, 'duplicate');
  const text = await (await fetch(`http://127.0.0.1:${m.port}/metrics`)).text();
  for (const line of [
    'mqtt_doctor_soak_clients_connected 1',
    'mqtt_doctor_soak_reconnects_total 1',
    'mqtt_doctor_soak_disconnects_total{cause="keepalive-timeout"} 1',
    'mqtt_doctor_soak_connect_failures_total{cause="refused"} 1',
    'mqtt_doctor_soak_messages_total{outcome="received"} 1',
    'mqtt_doctor_soak_messages_total{outcome="duplicate"} 1',
    'mqtt_doctor_soak_rtt_seconds_bucket{le="0.025"} 1',
  ]) {
    expect(text).toContain(line);
  }
  expect((await fetch(`http://127.0.0.1:${m.port}/`)).status).toBe(404);
});

describe('per-message figures as data (what --workers sums)', () => {
  const latencies = [0, 0.4, 1, 1.0001, 2.5, 7, 25, 99, 250, 1000, 29_999, 30_000, 45_000, -3];

  test('the RTT histogram is served as prom-client serves its own Histogram of the same observations', async () => {
    m = await startSoakMetrics({ host: '127.0.0.1', port: 0, snapshot: () => undefined, shard: 3 });
    const registry = new Registry();
    registry.setDefaultLabels({ shard: '3' });
    const reference = new Histogram({
      name: 'mqtt_doctor_soak_rtt_seconds',
      help: 'Publish-to-receive time of soak messages',
      buckets: [...RTT_BUCKETS_S],
      registers: [registry],
    });
    for (const ms of latencies) {
      m.onArrival(ms, 'new');
      reference.observe(ms / 1000);
    }
    const rtt = (text: string) => text.split('\n').filter((l) => l.includes('mqtt_doctor_soak_rtt_seconds'));
    const ours = rtt(await (await fetch(`http://127.0.0.1:${m.port}/metrics`)).text());
    expect(ours).toEqual(rtt(await registry.metrics()));
    expect(ours).toContain('mqtt_doctor_soak_rtt_seconds_count{shard="3"} 14');
  });

  test('the sum of two tallies is the tally of all their arrivals', () => {
    const kinds = ['new', 'duplicate', 'out-of-order', 'foreign'];
    const all = emptyArrivals();
    const parts = [emptyArrivals(), emptyArrivals()];
    latencies.forEach((ms, i) => {
      const kind = kinds[i % kinds.length]!;
      const latency = kind === 'duplicate' ? undefined : ms;
      recordArrival(all, latency, kind, 1000 + i);
      recordArrival(parts[i % 2]!, latency, kind, 1000 + i);
    });
    const sum = addArrivals(parts);
    // Counts exactly; the sum of seconds up to floating-point rounding (added in another order).
    expect({ ...sum, rttSumS: 0 }).toEqual({ ...all, rttSumS: 0 });
    expect(sum.rttSumS).toBeCloseTo(all.rttSumS, 9);
    expect(addArrivals([])).toEqual(emptyArrivals());
  });

  test('useArrivals: /metrics serves the figures given, not its own', async () => {
    m = await startSoakMetrics({ host: '127.0.0.1', port: 0, snapshot: () => undefined });
    m.onArrival(5, 'new');
    const given = emptyArrivals();
    for (const ms of [1, 2, 3]) recordArrival(given, ms, 'new', 1234);
    m.useArrivals(() => given);
    const text = await (await fetch(`http://127.0.0.1:${m.port}/metrics`)).text();
    expect(text).toContain('mqtt_doctor_soak_messages_total{outcome="received"} 3');
    expect(text).toContain('mqtt_doctor_soak_rtt_seconds_count 3');
    expect(text).toContain('mqtt_doctor_soak_rtt_seconds_bucket{le="0.0025"} 2');
    expect(text).toContain('mqtt_doctor_soak_last_message_timestamp_seconds 1234');
  });
});
