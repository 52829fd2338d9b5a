/**
 * SIGTERM during keepalive-tune's measurement: the report gathered so far is printed and the exit code is 130
 * (README exit codes), whether the signal lands while pinging a real broker or while waiting for a CONNACK that
 * never comes (the hostile-server table in test/failure covers the latter for every command).
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

test('SIGTERM while pinging mosquitto: exit 130, the samples so far in the report', async () => {
  const r = await runCli(
    ['keepalive-tune', `mqtt://127.0.0.1:${mosq.port}`, '--samples', '1000', '--sample-interval', '100ms', '--json'],
    {
      signal: { name: 'SIGTERM', whenStderr: 'ping 3:' },
      timeoutMs: 30_000,
    },
  );
  expect(r.code).toBe(130);
  const report = JSON.parse(r.stdout) as {
    verdict: { status: string; exitCode: number };
    data: { measured?: { rtt?: { received: number; sent: number } } };
  };
  expect(report.verdict).toMatchObject({ status: 'interrupted', exitCode: 130 });
  expect(report.data.measured?.rtt?.received).toBeGreaterThanOrEqual(3);
  expect(report.data.measured?.rtt?.sent).toBeLessThan(1000);
}, 40_000);
