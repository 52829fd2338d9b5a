/**
 * Commands that connect through MQTT.js (soak) see the library's errors, not transport/'s: the same hostile
 * servers, met by a real MQTT.js client, must classify the same way (first error of the attempt, as soak
 * records it).
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  classifyMeasurementFailure,
  failureOfClientConnect,
  type ClientConnectError,
} from '../../src/analyze/failure.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { startHostile, type Hostile, type HostileServer } from './servers.js';

/** One MQTT.js connection attempt, no retry: its first error (or none) when it closes. */
function firstError(url: string): Promise<ClientConnectError> {
  return new Promise((resolve) => {
    let first: ClientConnectError | undefined;
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 1500, protocolVersion: 5 });
    client.on('error', (err: Error & { code?: string | number }) => {
      first ??= {
        ...(typeof err.code === 'string'
          ? { code: err.code }
          : typeof err.code === 'number'
            ? { reasonCode: err.code }
            : {}),
        message: err.message,
      };
    });
    client.on('close', () => {
      client.end(true);
      resolve(first ?? {});
    });
  });
}

let certs: CertSet;
const servers: HostileServer[] = [];
beforeAll(() => {
  certs = makeCerts();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe.concurrent('MQTT.js errors classify like the wire', () => {
  test.each<[Hostile, string, number]>([
    ['silence', 'not-mqtt', 4],
    ['random-bytes', 'not-mqtt', 4],
    ['bad-length', 'not-mqtt', 4],
    ['http', 'not-mqtt', 4],
    ['connack-cut', 'not-mqtt', 4],
    ['tls', 'not-mqtt', 4],
    ['closed-port', 'unreachable', 3],
  ])('%s → %s, exit %d', async (kind, expectedKind, exitCode) => {
    const server = await startHostile(kind, certs);
    servers.push(server);
    const failure = failureOfClientConnect(await firstError(server.url));
    const c = classifyMeasurementFailure(failure);
    expect({ kind: c.kind, exitCode: c.exitCode }).toEqual({ kind: expectedKind, exitCode });
  });
});

test.each<[string, ClientConnectError, RegExp]>([
  [
    'an HTTP answer, when the caller kept the bytes',
    { message: 'Invalid header flag bits, must be 0x0 for puback packet', firstBytes: '485454502f312e31' },
    /^an HTTP server answered/,
  ],
  ['a TLS alert', { firstBytes: '150303000202' }, /^a TLS server answered a plaintext CONNECT/],
  [
    'a CONNACK refusal',
    { message: 'Connection refused: Not authorized', reasonCode: 0x87, mqttVersion: 5 },
    /refused the connection: Not authorized \(0x87\)/,
  ],
  [
    'a certificate the client does not trust',
    { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' },
    /^TLS failed/,
  ],
  ['DNS', { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND broker.invalid' }, /^DNS failed/],
])('%s', (_name, error, line) => {
  expect(classifyMeasurementFailure(failureOfClientConnect(error)).oneLine).toMatch(line);
});
