/**
 * Broker keepalive ceilings: a scripted 3.1.1 broker that behaves like mosquitto ≥ 2.0.12 with
 * `max_keepalive 100` (CONNACK rc 2 above it, rc 1 to MQTT 5), which Debian's 2.0.11 does not do yet; and
 * Ctrl-C during the idle search still prints a report.
 */
import { createServer, type Server, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConnection } from '../../src/config/connection.js';
import { probeBrokerLimits } from '../../src/measure/idle-discovery.js';
import { runCli } from '../helpers/cli.js';

const MAX_KEEPALIVE = 100;

let server: Server;
let port = 0;
let connects = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'connect') {
        connects += 1;
        const v = p.protocolVersion ?? 4;
        // rc 1 "unacceptable protocol version" to MQTT 5; rc 2 to keepalive 0 or above the cap (mosquitto src/handle_connect.c, ChangeLog 2.0.12).
        const rc = v === 5 ? 1 : p.keepalive === 0 || (p.keepalive ?? 0) > MAX_KEEPALIVE ? 2 : 0;
        sock.write(
          mqttPacket.generate({ cmd: 'connack', returnCode: rc, sessionPresent: false }, { protocolVersion: 4 }),
        );
        if (rc !== 0) sock.end();
      } else if (p.cmd === 'pingreq') {
        sock.write(mqttPacket.generate({ cmd: 'pingresp' }));
      } else if (p.cmd === 'disconnect') sock.end();
    });
    parser.on('error', () => sock.destroy());
    sock.on('data', (d: Buffer) => parser.parse(d));
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  port = typeof a === 'object' && a ? a.port : 0;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('MQTT 3.1.1 keepalive ceiling', () => {
  test('binary search finds max_keepalive from rc 2 refusals in at most 18 CONNECTs', async () => {
    const conn = resolveConnection(
      {
        url: `mqtt://127.0.0.1:${port}`,
        embedded: false,
        mqttVersion: '5',
        clientId: undefined,
        keepalive: '60s',
        username: undefined,
        password: undefined,
        passwordFile: undefined,
        connectTimeout: '3s',
        wsPath: undefined,
        ca: undefined,
        cert: undefined,
        key: undefined,
        servername: undefined,
        alpn: undefined,
        insecure: false,
      },
      {},
    );
    connects = 0;
    const r = await probeBrokerLimits(conn, new AbortController().signal);
    expect(r.version).toBe(4);
    expect(r.maxAcceptedS).toBe(MAX_KEEPALIVE);
    expect(r.refusals[0]).toEqual({ keepaliveS: 65535, reasonCode: 2 });
    expect(r.connects).toBeLessThanOrEqual(18);
    expect(connects).toBe(r.connects);
  });

  test('the CLI caps a battery recommendation at the refused ceiling', async () => {
    const r = await runCli(
      ['keepalive-tune', `mqtt://127.0.0.1:${port}`, '--samples', '2', '--power', 'battery', '--json'],
      { timeoutMs: 15_000 },
    );
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout).data;
    expect(data.recommendation.keepaliveS).toBe(MAX_KEEPALIVE);
    expect(data.why.find((w: { id: string }) => w.id === 'keepalive.preference').inputs).toMatch(/rc 2 above 100 s/);
  });

  test('Ctrl-C during the idle search still prints the report (exit 130)', async () => {
    const r = await runCli(
      [
        'keepalive-tune',
        `mqtt://127.0.0.1:${port}`,
        '--samples',
        '1',
        '--discover-idle',
        '--max-idle',
        '20s',
        '--json',
      ],
      {
        timeoutMs: 15_000,
        signal: { name: 'SIGINT', whenStderr: 'idle search round 1' },
      },
    );
    expect(r.code).toBe(130);
    const report = JSON.parse(r.stdout);
    expect(report.verdict.status).toBe('interrupted');
    expect(report.data.measured.discovery.interrupted).toBe(true);
    expect(report.data.inputs.idle).toBeUndefined(); // nothing measured, nothing claimed
  });
});
