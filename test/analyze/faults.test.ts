/**
 * analyze against captures the test records itself: tcpdump on loopback while a real mosquitto and the impair
 * proxy produce each fault. Every assertion compares analyze's verdict with the fault injected and the times
 * the test observed; tshark reads the same files and must agree on packet and MQTT message counts. The idle
 * faults (keepalive cut, NAT timeouts) are in faults-idle.test.ts, which runs beside this file.
 */
import { connect as tlsConnect } from 'node:tls';
import { rmSync } from 'node:fs';
import { beforeEach, describe, expect, test } from 'vitest';
import mqtt from 'mqtt';
import { startImpairProxy } from '../../src/lab/impair/proxy.js';
import { startMosquitto, cleanup, type Mosquitto } from '../helpers/mosquitto.js';
import { makeCerts } from '../helpers/certs.js';
import {
  analyze,
  analyzeAndTshark,
  expectTsharkAgrees,
  faults,
  HAS_TCPDUMP,
  onPort,
  RawClient,
  SKIP_REASON,
  sleep,
  startTcpdump,
  socketsGone,
  captureFolder,
  brokerForFile,
} from './record.js';

const file = captureFolder();

if (!HAS_TCPDUMP) console.warn(`test/analyze/faults.test.ts skipped: ${SKIP_REASON}`);

describe.skipIf(!HAS_TCPDUMP)('analyze: faults recorded with tcpdump', () => {
  const broker = brokerForFile();
  let m: Mosquitto;
  beforeEach(() => {
    m = broker();
  });

  test('blackhole: pings stop being answered while the client pings often; not mistaken for an idle timeout', async () => {
    const proxy = await startImpairProxy({
      targetHost: '127.0.0.1',
      targetPort: m.port,
      faults: faults({ blackholeAfterMs: 1000 }),
    });
    const f = file('blackhole');
    const rec = await startTcpdump(f, [proxy.port]);
    const c = await RawClient.open(proxy.port);
    await c.connect('blackholed', 10);
    for (let i = 0; i < 10; i++) {
      await sleep(200);
      c.send({ cmd: 'pingreq' });
    }
    await sleep(400);
    c.end();
    await c.closed(2000);
    await rec.stop();
    await proxy.close();
    const answered = c.received.filter((p) => p.cmd === 'pingresp').length;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(10);
    const { json } = await analyzeAndTshark(f, [proxy.port]);
    const [conn] = onPort(json, proxy.port);
    expect(conn).toMatchObject({ cause: 'blackhole', endedBy: 'client', severity: 'fail' });
    expect(conn!.ping).toMatchObject({ sent: 10, answered, unanswered: 10 - answered });
    await expectTsharkAgrees(f, [proxy.port], json);
  });

  test('broker killed: every connection closed by the broker at once, refused SYNs while down, clients back in lockstep', async () => {
    const f = file('broker-killed');
    const rec = await startTcpdump(f, [m.port]);
    const ids = ['herd-1', 'herd-2', 'herd-3'];
    const clients = await Promise.all(
      ids.map(async (id) => {
        const c = await RawClient.open(m.port);
        await c.connect(id, 30);
        return c;
      }),
    );
    const back: RawClient[] = [];
    await m.kill();
    await Promise.all(clients.map((c) => c.closed(5000)));
    // A fixed 300 ms reconnect delay with no jitter, the same for every client: each round all three try at
    // once (the lockstep a fixed policy causes). The broker stays down for two rounds (refused SYNs) and is
    // started before the third, so every client comes back in the same round: the ground truth is exact, not
    // a race between the broker's start and a client's retry.
    const pending = [...ids];
    for (let round = 0; round < 15 && pending.length > 0; round++) {
      if (round === 2) await m.start();
      await sleep(300);
      const opened = await Promise.all(pending.map(() => RawClient.open(m.port).catch(() => undefined)));
      const now = [...pending];
      for (const [i, c] of opened.entries()) {
        if (!c) continue;
        await c.connect(now[i]!, 30);
        back.push(c);
        pending.splice(pending.indexOf(now[i]!), 1);
      }
    }
    for (const c of back) {
      c.send({ cmd: 'disconnect' });
      c.end();
    }
    await Promise.all(back.map((c) => c.closed(2000)));
    await rec.stop();
    expect(back).toHaveLength(3);
    const { json } = await analyzeAndTshark(f, [m.port]);
    const killed = json.data.connections.filter((c) => c.cause === 'broker-closed');
    const seen = json.data.connections.map((c) => `${c.clientId ?? '-'} ${c.cause} ${c.endedBy ?? '-'} ${c.how}`);
    expect(killed.map((c) => c.clientId).sort(), seen.join('; ')).toEqual(ids);
    expect(killed.every((c) => c.endedBy === 'server')).toBe(true);
    expect(killed[0]!.explanation).toMatch(/closed 3 connections within/);
    expect(json.data.connections.filter((c) => c.cause === 'port-closed').length).toBeGreaterThanOrEqual(3);
    expect(json.data.findings.map((x) => x.id)).toContain('lockstep');
    expect(
      json.data.connections
        .filter((c) => c.cause === 'clean-disconnect')
        .map((c) => c.clientId)
        .sort(),
    ).toEqual(ids);
    await expectTsharkAgrees(f, [m.port], json);
  });

  test.each([4, 5] as const)(
    'takeover (MQTT %s): a second connection with the same client id, then the broker closes the first',
    async (v) => {
      const f = file(`takeover-${v}`);
      const rec = await startTcpdump(f, [m.port]);
      const a = await RawClient.open(m.port, v);
      await a.connect('twin', 30);
      await sleep(200);
      const b = await RawClient.open(m.port, v);
      await b.connect('twin', 30);
      await a.closed(3000);
      b.send({ cmd: 'disconnect' });
      b.end();
      await b.closed(2000);
      await rec.stop();
      const { json } = await analyzeAndTshark(f, [m.port]);
      const [first, second] = onPort(json, m.port);
      expect(first).toMatchObject({ clientId: 'twin', cause: 'takeover', endedBy: 'server', protocolVersion: v });
      // mosquitto 2.0.11 closes the old connection without sending MQTT 5 DISCONNECT 0x8E: the takeover is read
      // from the second CONNECT with the same id, not from a reason code.
      expect(first!.packets.server['disconnect']).toBeUndefined();
      expect(second).toMatchObject({ clientId: 'twin', cause: 'clean-disconnect' });
      expect(json.data.findings.map((x) => x.id)).toEqual(
        expect.arrayContaining(['cause.takeover', 'duplicate-client-id']),
      );
      await expectTsharkAgrees(f, [m.port], json);
    },
  );

  test('TLS ClientHello to the plain MQTT port: SNI read, closed by the broker without a ServerHello', async () => {
    const f = file('tls-wrong-port');
    const rec = await startTcpdump(f, [m.port]);
    await new Promise<void>((resolve) => {
      const s = tlsConnect({
        host: '127.0.0.1',
        port: m.port,
        servername: 'broker.example',
        rejectUnauthorized: false,
      });
      s.on('error', () => resolve());
      s.on('close', () => resolve());
    });
    await rec.stop();
    const { code, json } = await analyze(f, ['--port', String(m.port)]);
    expect(code).toBe(1);
    const [conn] = onPort(json, m.port);
    expect(conn).toMatchObject({
      transport: 'tls',
      cause: 'tls-to-plain-port',
      endedBy: 'server',
      tls: { sni: 'broker.example' },
    });
    // The ClientHello is the client's whole flight; the server sent nothing back.
    const hb = (conn!.tls as { handshakeBytes?: { client: number; server: number } }).handshakeBytes!;
    expect(hb.server).toBe(0);
    expect(hb.client).toBeGreaterThan(100);
  });

  test('WebSocket session: MQTT inside WebSocket frames is decoded', async () => {
    const ws = await startMosquitto({ websockets: true });
    try {
      const f = file('websocket');
      const rec = await startTcpdump(f, [ws.wsPort!]);
      const client = mqtt.connect(`ws://127.0.0.1:${ws.wsPort}/mqtt`, {
        clientId: 'ws-client',
        keepalive: 30,
        reconnectPeriod: 0,
      });
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
      await client.publishAsync('t/ws', 'hello', { qos: 1 });
      await client.endAsync();
      // endAsync resolves before the WebSocket close handshake and the TCP close behind it are done.
      await socketsGone([ws.wsPort!]);
      await rec.stop();
      const { code, json } = await analyze(f, ['--port', String(ws.wsPort)]);
      expect(code, `${json.verdict.summary}: ${json.data.findings.map((x) => x.id).join(', ')}`).toBe(0);
      const [conn] = onPort(json, ws.wsPort!);
      expect(conn).toMatchObject({
        transport: 'mqtt-ws',
        clientId: 'ws-client',
        keepaliveS: 30,
        cause: 'clean-disconnect',
      });
      expect(conn!.packets.client).toMatchObject({ connect: 1, publish: 1, disconnect: 1 });
      expect(conn!.packets.server).toMatchObject({ connack: 1, puback: 1 });
    } finally {
      await ws.stop();
      cleanup(ws);
    }
  });
});

describe.skipIf(!HAS_TCPDUMP)('analyze: refusals and TLS listeners', () => {
  test.each([
    [4, 'Not authorized', 5],
    [5, 'Not authorized', 0x87],
  ] as const)('refused CONNECT (MQTT %s) is explained through the knowledge base', async (v, name, code) => {
    const m = await startMosquitto({ users: { alice: 'secret' } });
    try {
      const f = file(`refused-${v}`);
      const rec = await startTcpdump(f, [m.port]);
      const c = await RawClient.open(m.port, v);
      const ack = (await c.connect('no-creds', 30)) as { returnCode?: number; reasonCode?: number };
      expect(ack.returnCode ?? ack.reasonCode).toBe(code);
      await c.closed(3000);
      await rec.stop();
      const { code: exit, json } = await analyzeAndTshark(f, [m.port]);
      expect(exit).toBe(1);
      const [conn] = onPort(json, m.port);
      expect(conn).toMatchObject({ cause: 'refused', severity: 'fail', connack: { code } });
      expect(conn!.explanation.toLowerCase()).toContain(name.toLowerCase());
      await expectTsharkAgrees(f, [m.port], json);
    } finally {
      await m.stop();
      cleanup(m);
    }
  });

  test('plain MQTT to the TLS port: closed without CONNACK, read as the wrong listener', async () => {
    const certs = makeCerts();
    const m = await startMosquitto({ tls: { certFile: certs.valid.certFile, keyFile: certs.valid.keyFile } });
    try {
      const f = file('plain-to-tls');
      const rec = await startTcpdump(f, [m.tlsPort!]);
      const c = await RawClient.open(m.tlsPort!);
      await c.connect('plain', 30).catch(() => undefined);
      await c.closed(3000);
      await rec.stop();
      const { json } = await analyze(f, ['--port', String(m.tlsPort)]);
      const [conn] = onPort(json, m.tlsPort!);
      expect(conn!.clientId).toBe('plain');
      expect(['plain-to-tls-port', 'no-connack']).toContain(conn!.cause);
      expect(conn!.endedBy).toBe('server');
    } finally {
      await m.stop();
      cleanup(m);
      rmSync(certs.dir, { recursive: true, force: true });
    }
  });
});
