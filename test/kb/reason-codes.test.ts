import { describe, expect, test } from 'vitest';
import {
  allMqtt5ReasonCodes,
  connackReturnCode311,
  describeConnack,
  mqtt5ReasonCode,
  mqtt5ReasonCodeByName,
} from '../../src/kb/reason-codes.js';
import { entryById } from '../../src/kb/catalog.js';

describe('mqtt5ReasonCode (MQTT 5.0 §2.4 Table 2-6)', () => {
  test.each([
    [0x87, 'Not authorized', 'CONNACK'],
    [0x8d, 'Keep Alive timeout', 'DISCONNECT'],
    [0x8e, 'Session taken over', 'DISCONNECT'],
    [0x86, 'Bad User Name or Password', 'CONNACK'],
    [0x9f, 'Connection rate exceeded', 'CONNACK'],
    [0x10, 'No matching subscribers', 'PUBACK'],
    [0x04, 'Disconnect with Will Message', 'DISCONNECT'],
    [0xa2, 'Wildcard Subscriptions not supported', 'SUBACK'],
  ])('%i → %s in %s', (code, name, packet) => {
    const info = mqtt5ReasonCode(code);
    expect(info?.name).toBe(name);
    expect(info?.packets).toContain(packet);
  });
  test('has all 43 codes of the table, each with a source', () => {
    expect(allMqtt5ReasonCodes()).toHaveLength(43);
    for (const r of allMqtt5ReasonCodes()) expect(r.source).toMatch(/MQTT 5/);
  });
  test('codes 1..5 of 3.1.1 (except 1/2 SUBACK) are not MQTT 5 codes', () => {
    expect(mqtt5ReasonCode(5)).toBeUndefined();
    expect(mqtt5ReasonCode(3)).toBeUndefined();
  });
  test('lookup by name', () => expect(mqtt5ReasonCodeByName('not AUTHORIZED')?.code).toBe(135));
});

describe('connackReturnCode311 / describeConnack', () => {
  test.each([
    [1, 4, /protocol version/],
    [2, 4, /identifier rejected/],
    [5, 4, /not authorized/],
    [0x87, 5, /Not authorized/],
    [0x85, 5, /Client Identifier/],
  ] as const)('rc %i v%i', (code, v, re) => expect(describeConnack(code, v).name).toMatch(re));
  test('rc 2 meaning mentions mosquitto keepalive', () =>
    expect(connackReturnCode311(2)?.meaning).toMatch(/keepalive/));
  test('rc 5 meaning mentions allow_anonymous', () =>
    expect(connackReturnCode311(5)?.meaning).toMatch(/allow_anonymous/));
  test('0x87 meaning mentions allow_anonymous', () =>
    expect(mqtt5ReasonCode(0x87)?.meaning).toMatch(/allow_anonymous/));
  test.each([
    [9, 4, 'Unknown (0x09)'],
    [0x8d, 5, 'Unknown (0x8D)'], // DISCONNECT-only code is not a CONNACK code
    [0x42, 5, 'Unknown (0x42)'],
  ] as const)('unknown %i v%i → %s', (code, v, name) => expect(describeConnack(code, v).name).toBe(name));
});

// Reference B1 / G1: mosquitto ≥ 2.0.12 refuses a 3.1.1 client whose keepalive is 0 or above max_keepalive with
// rc 2; an MQTT 5 client is given Server Keep Alive instead, so a real 0x85 never means "keepalive". 133 shows
// up for that case only because Paho Python 2.x renumbers rc 2 as 133 (paho.mqtt.python src/paho/mqtt/reasoncodes.py).
describe('mosquitto keepalive refusal is a 3.1.1 rc 2 fact, not an MQTT 5 0x85 one', () => {
  const text = (id: string) => {
    const e = entryById(id);
    return e ? [e.title, ...e.causes, e.fix].join(' ') : '';
  };
  test.each([
    ['connack311.2', /Mosquitto ≥ 2\.0\.12 with MQTT 3\.1\.1: keepalive 0 or above max_keepalive/],
    ['mqtt5.0x85', /Paho Python 2\.x reports.*rc 2 as 133/],
    ['mqtt5.0x85', /MQTT 5 client.*Server Keep Alive/],
  ] as const)('%s says %s', (id, re) => expect(text(id)).toMatch(re));
  test('0x85 meaning does not claim mosquitto sends 0x85 for a keepalive', () =>
    expect(mqtt5ReasonCode(0x85)?.meaning).not.toMatch(/mosquitto also refuses a keepalive/));
});
