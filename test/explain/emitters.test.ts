/**
 * The two-stage reader: the emitter read from a line's shape decides the numbering of its numbers; --client
 * overrides it; timestamps, pids, ports and line numbers are never codes; log timestamps in the common layouts.
 */
import { describe, expect, test } from 'vitest';
import { explainText } from '../../src/analyze/explain.js';
import { parseTimestampMs } from '../../src/analyze/log-timeline.js';
import { fingerprint } from '../../src/kb/emitters.js';

const top = (text: string, opts = {}) => explainText(text, opts).candidates[0]?.entry.id;

describe('fingerprint: who wrote the line', () => {
  test.each([
    ['Attempting MQTT connection...failed, rc=-2 try again in 5 seconds', 'pubsubclient'],
    ['MQTT: Connect FAILED to 192.168.1.10:1883, rc -2. Retry in 10 seconds', 'tasmota'],
    ['E (23511) MQTT_CLIENT: Error transport connect', 'esp-idf'],
    ["2024-01-01 10:00:00.123 [error] <0.1193.0> MQTT login failed for user 'x'", 'rabbitmq'],
    ['socket.gaierror: [Errno -3] Temporary failure in name resolution', 'python'],
    ['javax.net.ssl.SSLHandshakeException: Received fatal alert: handshake_failure', 'java'],
    ['dial tcp 10.0.0.5:1883: i/o timeout', 'go'],
    ['System.Net.Sockets.SocketException (10061): No connection could be made', 'dotnet'],
    ['AWS_ERROR_MQTT_UNEXPECTED_HANGUP', 'aws-crt'],
    ['1700000000: Client a has exceeded timeout, disconnecting.', 'mosquitto-broker'],
    ['OSError: 113', 'umqtt'],
    ['Error: I/O: Broker rejected. Reason = BadUserNamePassword', 'rumqtt'],
    ['Posting connect semaphore for client c1 rc 111', 'paho-c'],
    ["2022-01-04T20:29:29+08:00 [warning] x@1.2.3.4:5 [Channel] Client x (Username: 'u') login failed for y", 'emqx'],
  ] as const)('%s → %s', (line, id) => expect(fingerprint(line)?.emitter.id).toBe(id));
  test('a bare number has no emitter', () => expect(fingerprint('5')).toBeUndefined());
});

describe('numbers are read in the emitter namespace', () => {
  test.each([
    // PubSubClient's -2 is MQTT_CONNECT_FAILED, not libmosquitto's MOSQ_ERR_SUB_EXISTS or Paho C's -2.
    ['Attempting MQTT connection...failed, rc=-2 try again in 5 seconds', 'pubsubclient.MQTT_CONNECT_FAILED'],
    ['failed, rc=-4 try again in 5 seconds', 'pubsubclient.MQTT_CONNECTION_TIMEOUT'],
    ['MQTT: Connect FAILED to 192.168.1.10:1883, rc -2. Retry in 10 seconds', 'pubsubclient.MQTT_CONNECT_FAILED'],
    ['failed, rc=5 try again in 5 seconds', 'pubsubclient.MQTT_CONNECT_UNAUTHORIZED'],
    // MicroPython's bare OSError is newlib's numbering; CPython's [Errno n] is Linux's.
    ['OSError: 113', 'errno.ECONNABORTED'],
    ['OSError: [Errno 113] No route to host', 'errno.EHOSTUNREACH'],
    // A reason's name in the version the line names: a 3.1.1 client's enum or emitter reads 3.1.1's return codes.
    ['Mqtt3ConnAckException: CONNECT failed as CONNACK contained an Error Code: NOT_AUTHORIZED', 'connack311.5'],
    ['Mqtt5ConnAckException: CONNECT failed as CONNACK contained an Error Code: NOT_AUTHORIZED', 'mqtt5.0x87'],
    ['The return code is MqttConnectReturnCode.badUsernameOrPassword', 'connack311.4'],
    ['I/O: Broker rejected. Reason = ServiceUnavailable', 'connack311.3'],
    // A wrapper ranks below the socket error it carries.
    ['Unable to connect to server (32103) - java.net.ConnectException: Connection timed out', 'errno.ETIMEDOUT'],
  ] as const)('%s → %s', (line, id) => expect(top(line)).toBe(id));
  test('--client overrides the shape', () => {
    expect(top('rc=-2', { client: 'mosquitto' })).toBe('libmosquitto.MOSQ_ERR_SUB_EXISTS');
    expect(explainText('failed, rc=-2 try again', { client: 'mosquitto' }).emitter).toMatchObject({
      id: 'mosquitto-client',
      fromClient: true,
    });
  });
  test('a bare number with no emitter still lists its readings', () => {
    const ex = explainText('-2');
    expect(ex.ambiguous).toBe(true);
    expect(ex.candidates.length).toBeGreaterThan(2);
  });
});

describe('numbers that are never codes', () => {
  test.each([
    ['2024-01-01T10:00:05.135Z error: connection lost'],
    ['2024-01-01 10:00:00.123 [error] <0.135.0> closing connection'],
    ['Nov 22 00:10:40 host mosquitto[135]: connection lost'],
    ['at com.example.Foo.run(Foo.java:135) connection lost'],
    ['File "/usr/lib/python3/socket.py", line 135, in create_connection'],
    ['read 135 bytes then connection lost'],
    ['connect to 10.0.0.135:1883 failed'],
  ] as const)('%s has no reading of 135', (line) => {
    expect(explainText(line).candidates.some((c) => c.via === 'number' && c.matched === '135')).toBe(false);
  });
});

describe('log timestamps in the common layouts', () => {
  test.each([
    ['Zigbee2MQTT:error 2024-03-01 10:00:05: MQTT error: connect ECONNREFUSED', Date.UTC(2024, 2, 1, 10, 0, 5)],
    ['<34>1 2024-03-01T10:00:05.000Z host app - - - x', Date.UTC(2024, 2, 1, 10, 0, 5)],
    ['2024-03-01 10:00:05,250 INFO  - Client ID: x disconnected', Date.UTC(2024, 2, 1, 10, 0, 5, 250)],
    ['2024-03-01 10:00:05.250+00:00 [info] <0.1.0> x', Date.UTC(2024, 2, 1, 10, 0, 5, 250)],
    ['=ERROR REPORT==== 9-Jan-2020::10:00:05 ===', Date.UTC(2020, 0, 9, 10, 0, 5)],
    ['1 Mar 10:00:05 - [error] [mqtt-broker:b] x', Date.UTC(2000, 2, 1, 10, 0, 5)],
    ['E (12345) MQTT_CLIENT: x', 12345],
  ] as const)('%s', (line, ms) => expect(parseTimestampMs(line)).toBe(ms));
});

describe("one library's words in a line that does not show its writer", () => {
  // Words that several programs print, matched to the catalogue row of the library whose text they are: the row's
  // causes apply, but the reading may not claim that library wrote the line unless the line's shape (or --client)
  // says so.
  test.each([
    ['2026-11-30T10:00:01Z WARN [mqtt] connection lost: EOF', 'Paho Java'],
    ['worker 3: Connection lost', 'Paho Java'],
  ])("%s: read as that library's words, not as its line", (line, library) => {
    const [best] = explainText(line).candidates;
    expect(best?.reading).toMatch(new RegExp(`in .*${library}'s words \\(the line does not show its writer\\)`));
    expect(explainText(line, { client: 'paho-java' }).candidates[0]?.reading).toBe('message text');
  });

  test('a line whose shape names its writer keeps the plain reading', () => {
    const line = 'MqttException (0) - java.io.EOFException; Connection lost (32109)';
    const ex = explainText(line);
    expect(ex.emitter?.id).toBeDefined();
    for (const c of ex.candidates.filter((x) => x.via === 'pattern')) expect(c.reading).not.toMatch(/words/);
  });

  test('shared wordings (the operating system, the MQTT specification) name no library', () => {
    const ex = explainText('write failed: Connection refused');
    for (const c of ex.candidates.filter((x) => x.via === 'pattern')) expect(c.reading).not.toMatch(/words/);
  });
});
