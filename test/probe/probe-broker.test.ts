/**
 * probe against real brokers: Debian's mosquitto (plain, WebSocket, auth) and the embedded aedes. Every
 * broker listens on a port chosen at run time on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/lab/embedded-broker.js';
import { ExitCode } from '../../src/errors.js';
import { conn, probe } from './helpers.js';

let mosq: Mosquitto;
let auth: Mosquitto;
let capped: Mosquitto;
let aedes: EmbeddedBroker;

beforeAll(async () => {
  [mosq, auth, capped, aedes] = await Promise.all([
    startMosquitto({ websockets: true }),
    startMosquitto({ users: { alice: 'wonderland' } }),
    startMosquitto({ globalConfig: ['max_keepalive 30'] }),
    startEmbeddedBroker(),
  ]);
});
afterAll(async () => {
  await Promise.all([mosq?.stop(), auth?.stop(), capped?.stop(), aedes?.close()]);
});

describe('probe against mosquitto', () => {
  test('MQTT 5 ping: every probe answered, CONNACK properties reported', async () => {
    // 250 ms apart: above Linux's delayed-ACK timer, so stock mosquitto (Nagle on) cannot hold a reply until
    // the next request; at 20 ms it sometimes does, and probe then rightly reports the rtt-paced finding.
    const { result, report } = await probe(conn(mosq.url), { count: 5, intervalMs: 250 });
    expect(result.samples.map((s) => s.rttMs !== null)).toEqual([true, true, true, true, true]);
    expect(result.connack?.protocolVersion).toBe(5);
    // mosquitto 2.0 advertises its inflight limit (max_inflight_messages 20) and topic alias max (10).
    expect(result.connack?.properties.receiveMaximum).toBe(20);
    expect(result.connack?.properties.topicAliasMaximum).toBe(10);
    expect(report.checks.map((c) => `${c.id}: ${c.summary}`)).toEqual(
      ['dns', 'tcp', 'connack', 'rtt'].map((id) => expect.stringMatching(new RegExp(`^${id}: `))),
    );
    expect(report.verdict).toMatchObject({ status: 'healthy', exitCode: ExitCode.ok });
    expect(report.data.rtt).toMatchObject({ sent: 5, received: 5, lost: 0, lossPct: 0 });
    expect(report.data.rtt.stats?.count).toBe(4); // the cold probe is reported apart
  });

  test('MQTT 3.1.1 when asked', async () => {
    const { result } = await probe(conn(mosq.url, { mqttVersion: '3.1.1' }), { count: 1 });
    expect(result.connack).toMatchObject({ protocolVersion: 4, reasonCode: 0 });
    expect(result.fellBackTo311).toBe(false);
  });

  test.each([0, 1, 2] as const)('echo at QoS %d round-trips every message', async (qos) => {
    const { result, report } = await probe(conn(mosq.url), { method: 'echo', qos, count: 4 });
    expect(result.grantedQos).toBe(qos);
    expect(report.data.rtt).toMatchObject({ sent: 4, received: 4, duplicates: 0 });
    if (qos > 0) expect(report.data.rtt.ack?.count).toBe(4);
    else expect(report.data.rtt.ack).toBeNull();
  });

  test('WebSocket listener: upgrade timed, subprotocol mqtt', async () => {
    const { result, report } = await probe(conn(`ws://127.0.0.1:${mosq.wsPort}`), { count: 2 });
    expect(result.dial.ws).toMatchObject({ status: 101, subprotocol: 'mqtt', path: '/mqtt' });
    expect(report.checks.map((c) => c.id)).toEqual(['dns', 'tcp', 'ws', 'connack', 'rtt']);
    expect(report.verdict.exitCode).toBe(0);
    // The waterfall has a bar per phase that took place (an IP literal needs no DNS).
    const waterfall = report.view?.find((v) => v.title.startsWith('Connect waterfall'));
    expect(waterfall?.kind === 'lines' && waterfall.lines.map((l) => l.split(' ')[0])).toEqual([
      'TCP',
      'WebSocket',
      'CONNACK',
    ]);
  });

  test('server keep alive below the requested keepalive is reported as a finding', async () => {
    const { result, report } = await probe(conn(capped.url, { keepalive: '60' }), { count: 1 });
    expect(result.connack?.properties.serverKeepAlive).toBe(30);
    const f = report.checks.find((c) => c.id === 'finding.server-keepalive');
    expect(f?.summary).toContain('Server Keep Alive 30s');
  });

  test.each([
    ['3.1.1', 'alice', 'pw-Q7x-bad', 5, /not authori[sz]ed/i],
    ['5', 'alice', 'pw-Q7x-bad', 0x87, /not authori[sz]ed/i],
    ['5', undefined, undefined, 0x87, /not authori[sz]ed/i],
  ])('MQTT %s with user %s / bad password → CONNACK %s, exit 4', async (v, username, password, rc, meaning) => {
    const { result, report } = await probe(conn(auth.url, { mqttVersion: v, username, password }), { count: 1 });
    expect(result.failure).toMatchObject({ phase: 'mqtt', code: 'CONNACK_REFUSED', reasonCode: rc });
    expect(report.verdict.exitCode).toBe(ExitCode.refused);
    expect(report.verdict.summary).toMatch(meaning);
    expect(JSON.stringify(report)).not.toContain('pw-Q7x-bad');
    // Credentials went out and were refused: the first cause is them (or an ACL), not their absence.
    const why = report.checks.find((c) => c.id === 'connack')?.explanation ?? '';
    if (username !== undefined) expect(why).toMatch(/most likely wrong user name or password, or an ACL/);
    else expect(why).toMatch(/missing credentials/);
  });

  test('good credentials pass', async () => {
    const { report } = await probe(conn(auth.url, { username: 'alice', password: 'wonderland' }), { count: 1 });
    expect(report.verdict.exitCode).toBe(0);
    expect(JSON.stringify(report)).not.toContain('wonderland');
    expect(report.target?.url).toBe(`mqtt://alice:***@127.0.0.1:${auth.port}`);
  });

  test('the broker log shows the probe as a clean 3.1.1/5 session that disconnected', async () => {
    const { result } = await probe(conn(mosq.url, { clientId: 'log-check-client' }), { count: 1 });
    expect(result.samples[0]?.rttMs).not.toBeNull();
    await new Promise((r) => setTimeout(r, 200));
    expect(mosq.log()).toMatch(/New client connected from 127\.0\.0\.1:\d+ as log-check-client \(p5, c1, k60\)/);
    expect(mosq.log()).toMatch(/Client log-check-client disconnected\./);
  });
});

describe('probe against the embedded aedes broker', () => {
  test('MQTT 5 is refused and the probe falls back to 3.1.1, saying so', async () => {
    const notes: string[] = [];
    const { result, report } = await probe(conn(aedes.url), { count: 3, onNote: (t) => notes.push(t) });
    expect(result.fellBackTo311).toBe(true);
    expect(result.mqttVersion).toBe(4);
    expect(notes.join('\n')).toMatch(/retrying with MQTT 3\.1\.1/);
    expect(report.data.rtt.received).toBe(3);
    expect(report.checks.some((c) => c.id === 'finding.mqtt5-refused')).toBe(true);
  });

  test('echo at QoS 1 through aedes', async () => {
    const { report } = await probe(conn(aedes.url), { method: 'echo', qos: 1, count: 3 });
    expect(report.data.rtt).toMatchObject({ received: 3, lost: 0 });
  });
});
