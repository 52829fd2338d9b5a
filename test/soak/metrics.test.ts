import { afterEach, expect, test } from 'vitest';
import { startSoakMetrics, type SoakMetrics } from '../../src/measure/soak/metrics.js';

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
