/**
 * A failed attempt keeps the first bytes the server sent before it broke off, and the one failure route names
 * what they were: a CONNACK cut short, an HTTP answer, a TLS record. Pure: the event and the classifier.
 */
import { describe, expect, test } from 'vitest';
import { classifyMeasurementFailure } from '../../src/analyze/failure.js';
import { classifyDisconnect, failureOfSoakAttempt } from '../../src/analyze/soak/causes.js';
import { validateSoakEvent } from '../../src/analyze/soak/events.js';
import { summarizeConnections, summarizeMessages } from '../../src/analyze/soak/summary.js';
import { LatencyHistogram } from '../../src/analyze/stats.js';

const line = (cause: Parameters<typeof failureOfSoakAttempt>[0]) =>
  classifyMeasurementFailure(failureOfSoakAttempt(cause, 4)!).oneLine;

describe('first bytes of a failed attempt', () => {
  test.each([
    ['a CONNACK cut short', '200200', /closed the connection before a whole CONNACK arrived \(first bytes 20 02 00\)/],
    ['a TLS alert', '150303000202', /a TLS server answered a plaintext CONNECT/],
    ['an HTTP answer', '485454502f312e31', /an HTTP server answered/],
  ])('%s is named', (_name, hex, expected) => {
    expect(line({ cause: 'broker-closed', detail: 'closed before CONNACK', firstBytes: hex })).toMatch(expected);
  });

  test('without bytes, a close says only that it closed', () => {
    expect(line({ cause: 'broker-closed', detail: 'closed before CONNACK' })).toMatch(/in answer to CONNECT/);
  });

  test('a TLS record before CONNACK is another protocol, not a broker close', () => {
    const c = classifyDisconnect({ phase: 'connect', transportUp: true, looksLike: 'tls' });
    expect(c).toMatchObject({ cause: 'not-mqtt', detail: 'a TLS server answered a plaintext CONNECT' });
  });

  test('a close without bytes on a port where a TLS handshake succeeded says "use mqtts://"', () => {
    const attempt = failureOfSoakAttempt({ cause: 'broker-closed', detail: 'closed before CONNACK' }, 4)!;
    const tls = (answered: boolean, scheme = 'mqtt') =>
      classifyMeasurementFailure(
        { ...attempt, crossCheck: { tried: 'tls', answered } },
        { hostPort: '127.0.0.1:8883', scheme },
      );
    expect(tls(true)).toMatchObject({ exitCode: 4, oneLine: expect.stringMatching(/^this port speaks TLS/) });
    expect(tls(true).hint).toBe('use mqtts://127.0.0.1:8883');
    expect(tls(true, 'ws').hint).toMatch(/^use wss:\/\/127\.0\.0\.1:8883/);
    expect(tls(false).oneLine).toMatch(/in answer to CONNECT/);
  });

  test('the end line carries the port check; a malformed one is a bad line', () => {
    const summary = {
      atMs: 1,
      startedMs: 0,
      elapsedMs: 1,
      clients: 0,
      perClient: [],
      connections: summarizeConnections([], 1, 10_000),
      messages: summarizeMessages([], 1, 0, new LatencyHistogram()),
    };
    const end = { type: 'end', t: 1, reason: 'duration', summary };
    expect(validateSoakEvent(end)).toBeDefined();
    expect(validateSoakEvent({ ...end, crossCheck: { tried: 'tls', answered: true } })).toBeDefined();
    expect(validateSoakEvent({ ...end, crossCheck: { tried: 'tls', answered: 'yes' } })).toBeUndefined();
  });

  test('the JSONL schema carries them and refuses a non-string', () => {
    const ev = { type: 'connect-failed', t: 1, client: 0, attempt: 0, cause: 'broker-closed', detail: 'x' };
    expect(validateSoakEvent({ ...ev, firstBytes: '200200' })).toBeDefined();
    expect(validateSoakEvent({ ...ev, firstBytes: 7 })).toBeUndefined();
  });
});
