/**
 * Log mode on a log recorded live from a real mosquitto 2.0: a client that connects with keepalive 1 s and
 * then stays silent (as umqtt.simple does without ping()) is cut after > 1.5 s, checked about every 5 s,
 * and reconnects at once. Ground truth: each connection lives 1.5 s + up to one check period. Bounded: at
 * most 18 s of traffic, stopped as soon as two cuts are logged.
 */
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { afterAll, expect, test } from 'vitest';
import { analyzeLog } from '../../src/analyze/log-timeline.js';
import { cleanup, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

let m: Mosquitto | undefined;
afterAll(async () => {
  if (m) {
    await m.stop();
    cleanup(m);
  }
});

function silentConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => {
      s.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: 'silent-1',
          keepalive: 1,
        }),
      );
      resolve(s);
    });
    s.once('error', reject);
    s.resume();
  });
}

test('regular keepalive cuts of a silent client: timeline names the client, keepalive and interval', async () => {
  m = await startMosquitto();
  const deadline = Date.now() + 18_000;
  let sock: Socket | undefined;
  const cuts = () => (m?.log().match(/has exceeded timeout/g) ?? []).length;
  while (Date.now() < deadline && cuts() < 2) {
    sock = await silentConnect(m.port);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      sock?.once('close', () => (clearTimeout(t), resolve()));
    });
  }
  sock?.destroy();
  const log = m.log();
  expect(cuts()).toBeGreaterThanOrEqual(2);
  const a = analyzeLog(log);
  expect(a.groups.find((g) => g.entryId === 'mosquitto.keepalive-exceeded')?.count).toBeGreaterThanOrEqual(2);
  const f = a.findings.find((x) => x.kind === 'regular-disconnects');
  expect(f).toMatchObject({ clientId: 'silent-1', keepaliveS: 1 });
  // > 1.5 × 1 s and at most one ~5 s check period later (log timestamps are whole seconds: ±1 s).
  expect(f?.lifetimeS).toBeGreaterThanOrEqual(1);
  expect(f?.lifetimeS).toBeLessThanOrEqual(8);
  expect(f?.hint).toMatch(/keepalive \(1 s\)/);
}, 25_000);
