/**
 * The failure classifier, one row per failure a measurement can meet: phase, code, reason code, first bytes →
 * kind, exit code and the words of its one line. The errors the transport throws are read by shape.
 */
import { describe, expect, test } from 'vitest';
import {
  classifyMeasurementFailure,
  failureOf,
  MeasurementError,
  type MeasurementFailure,
} from '../../src/analyze/failure.js';
import { ConnackRefused } from '../../src/measure/idle-discovery.js';
import { WireError } from '../../src/transport/mqtt-wire.js';
import { PhaseError } from '../../src/transport/types.js';

const f = (
  phase: MeasurementFailure['phase'],
  code: string | undefined,
  extra: Partial<MeasurementFailure> = {},
): MeasurementFailure => ({ phase, code, message: `${code}`, ...extra });

describe('classifyMeasurementFailure', () => {
  test.each([
    ['DNS name not found', f('dns', 'ENOTFOUND'), 'unreachable', 3, /^DNS failed/],
    ['TCP refused', f('tcp', 'ECONNREFUSED'), 'unreachable', 3, /^TCP failed/],
    ['TCP timeout', f('tcp', 'ETIMEDOUT'), 'unreachable', 3, /^TCP failed/],
    ['certificate expired', f('tls', 'CERT_HAS_EXPIRED'), 'unreachable', 3, /^TLS failed/],
    [
      'TLS refused after the handshake (TLS 1.3)',
      f('mqtt', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'),
      'unreachable',
      3,
      /^TLS failed/,
    ],
    ['WebSocket upgrade refused', f('ws', 'WS_STATUS_404'), 'unreachable', 3, /^WebSocket failed/],
    [
      'silence',
      f('mqtt', 'CONNACK_TIMEOUT', { waitedMs: 2000 }),
      'not-mqtt',
      4,
      /did not speak MQTT: no CONNACK within 2\.00 s/,
    ],
    [
      'random bytes',
      f('mqtt', 'MALFORMED_PACKET', { firstBytes: '0fa3b2' }),
      'not-mqtt',
      4,
      /did not speak MQTT: it sent bytes that are not MQTT \(first bytes 0f a3 b2\)/,
    ],
    [
      'HTTP',
      f('mqtt', 'HTTP_SERVER', { firstBytes: '485454502f' }),
      'not-mqtt',
      4,
      /^an HTTP server answered, not an MQTT broker/,
    ],
    ['TLS answering plaintext', f('mqtt', 'TLS_SERVER'), 'not-mqtt', 4, /^a TLS server answered a plaintext CONNECT/],
    [
      'CONNACK cut mid-packet',
      f('mqtt', 'CLOSED_BEFORE_CONNACK', { firstBytes: '200200' }),
      'not-mqtt',
      4,
      /closed the connection before a whole CONNACK arrived \(first bytes 20 02 00\)/,
    ],
    [
      'reset in answer to CONNECT',
      f('mqtt', 'ECONNRESET'),
      'not-mqtt',
      4,
      /closed the connection in answer to CONNECT \(ECONNRESET\)/,
    ],
    [
      'CONNACK refused, 3.1.1 rc 5',
      f('mqtt', 'CONNACK_REFUSED', { reasonCode: 5, mqttVersion: 4 }),
      'refused',
      4,
      /refused the connection: .*\(0x05\)/,
    ],
    [
      'CONNACK refused, 5 0x87',
      f('mqtt', 'CONNACK_REFUSED', { reasonCode: 0x87, mqttVersion: 5 }),
      'refused',
      4,
      /refused the connection: Not authorized \(0x87\)/,
    ],
    ['aborted dial', f('tcp', 'ABORT_ERR'), 'interrupted', 130, /^interrupted$/],
  ])('%s', (_name, input, kind, exitCode, line) => {
    const c = classifyMeasurementFailure(input);
    expect({ kind: c.kind, exitCode: c.exitCode }).toEqual({ kind, exitCode });
    expect(c.oneLine).toMatch(line);
    expect(c.oneLine).not.toMatch(/\n/);
    expect(c.hint.length).toBeGreaterThan(0);
  });

  test('an aborted run is interrupted whatever failed', () => {
    expect(classifyMeasurementFailure(f('mqtt', 'CONNACK_TIMEOUT'), { aborted: true }).exitCode).toBe(130);
  });

  test('hints name the target the user gave', () => {
    expect(classifyMeasurementFailure(f('mqtt', 'HTTP_SERVER'), { hostPort: 'b.local:8080' }).hint).toContain(
      'ws://b.local:8080/mqtt',
    );
    expect(classifyMeasurementFailure(f('mqtt', 'TLS_SERVER'), { hostPort: 'b.local:8883' }).hint).toContain(
      'mqtts://b.local:8883',
    );
  });
});

describe('failureOf reads what the transport and measure layers throw', () => {
  test.each([
    [
      'PhaseError',
      new PhaseError('tcp', 'connect ECONNREFUSED', 'ECONNREFUSED', {}),
      { phase: 'tcp', code: 'ECONNREFUSED' },
    ],
    [
      'ConnackRefused',
      new ConnackRefused(2, 4),
      { phase: 'mqtt', code: 'CONNACK_REFUSED', reasonCode: 2, mqttVersion: 4 },
    ],
    [
      'WireError timeout',
      new WireError({ kind: 'timeout', waitedMs: 1500 }),
      { phase: 'mqtt', code: 'CONNACK_TIMEOUT', waitedMs: 1500 },
    ],
    [
      'WireError HTTP',
      new WireError({ kind: 'malformed', detail: 'http', firstBytes: '48545450', looksLike: 'http' }),
      { code: 'HTTP_SERVER', firstBytes: '48545450' },
    ],
    [
      'WireError bytes',
      new WireError({ kind: 'malformed', detail: 'x', firstBytes: '0f', looksLike: 'unknown' }),
      { code: 'MALFORMED_PACKET' },
    ],
    [
      'WireError cut',
      new WireError({ kind: 'closed', firstBytes: '2002' }),
      { code: 'CLOSED_BEFORE_CONNACK', firstBytes: '2002' },
    ],
    ['WireError aborted', new WireError({ kind: 'aborted' }), { code: 'ABORT_ERR' }],
  ])('%s', (_name, err, expected) => {
    expect(failureOf(err)).toMatchObject(expected);
  });

  test('anything else is not a measurement failure (a bug goes to the funnel as internal)', () => {
    expect(failureOf(new TypeError('x is undefined'))).toBeUndefined();
    expect(failureOf('text')).toBeUndefined();
  });

  test('MeasurementError carries the exit code and one line to the CLI funnel', () => {
    const c = classifyMeasurementFailure(f('mqtt', 'HTTP_SERVER'));
    if (c.kind === 'interrupted') throw new Error('unexpected');
    const e = new MeasurementError({ ...c, kind: c.kind });
    expect({ exitCode: e.exitCode, message: e.message, hint: e.hint }).toEqual({
      exitCode: 4,
      message: c.oneLine,
      hint: c.hint,
    });
  });
});
