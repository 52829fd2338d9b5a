import { describe, expect, test } from 'vitest';
import { editDistance, explainText, fillTarget, nearest, type ExplainOptions } from '../../src/analyze/explain.js';

const top = (text: string, opts: ExplainOptions = {}) => explainText(text, opts).candidates[0]?.entry.id;

describe('ambiguous numbers are ranked and narrowed (errno 113 Linux vs newlib, 16 in Paho Python / libmosquitto / MQTT 5, CONNACK 5)', () => {
  test.each([
    ['5', {}, 'connack311.5'],
    ['5', { client: 'paho-java' }, 'paho-java.REASON_CODE_NOT_AUTHORIZED'],
    ['5', { client: 'mosquitto', mqttVersion: 5 }, 'libmosquitto.MOSQ_ERR_CONN_REFUSED'],
    ['113', {}, 'errno.EHOSTUNREACH'],
    ['113', { client: 'esp32' }, 'errno.ECONNABORTED'],
    ['113', { client: 'umqtt' }, 'errno.ECONNABORTED'],
    ['OSError: 113', {}, 'errno.ECONNABORTED'],
    ['16', {}, 'paho-python.MQTT_ERR_KEEPALIVE'],
    ['16', { client: 'mosquitto' }, 'libmosquitto.MOSQ_ERR_PROXY'],
    ['16', { mqttVersion: 5 }, 'mqtt5.0x10'],
    ['19', { client: 'mosquitto' }, 'libmosquitto.MOSQ_ERR_KEEPALIVE'],
    ['135', {}, 'mqtt5.0x87'],
    ['0x87', {}, 'mqtt5.0x87'],
    ['0x8E', {}, 'mqtt5.0x8E'],
    ['rc=2', {}, 'connack311.2'],
    ['MQTTException: 5', {}, 'connack311.5'],
    ['MQTTException', {}, 'umqtt.mqttexception'],
    ['on_disconnect rc 7', {}, 'paho-python.MQTT_ERR_CONN_LOST'],
    ['websocket closed with code 1006', {}, 'ws.close.1006'],
    ['110', {}, 'errno.ETIMEDOUT'],
    ['116', { client: 'esp32' }, 'errno.ETIMEDOUT'],
    ['-4078', {}, 'errno.ECONNREFUSED'],
    ['10054', {}, 'errno.ECONNRESET'],
    ['32109', {}, 'paho-java.REASON_CODE_CONNECTION_LOST'],
    ['404104', {}, 'azure-iot.404104'],
    ['tls alert 48', {}, 'tls.ssl.tlsv1-alert-unknown-ca'],
  ] as const)('%s %j → %s', (text, opts, id) => expect(top(text, opts)).toBe(id));

  test.each([
    ['5', 3],
    ['113', 2],
    ['16', 3],
  ] as const)('%s has at least %i readings and is marked ambiguous', (text, n) => {
    const ex = explainText(text);
    expect(ex.ambiguous).toBe(true);
    expect(ex.candidates.length).toBeGreaterThanOrEqual(n);
  });
  test('a name is not ambiguous', () => expect(explainText('ECONNRESET').ambiguous).toBe(false));
  test('the MQTT 3.1.1 reading of 5 mentions allow_anonymous', () =>
    expect(explainText('5').candidates[0]?.entry.causes.join(' ')).toMatch(/allow_anonymous/));
});

describe('names, messages and versions', () => {
  test.each([
    ['Not authorized', {}, 'mqtt5.0x87'],
    ['Not authorized', { mqttVersion: 4 }, 'connack311.5'],
    ['Connection refused: Not authorized', {}, 'mqttjs.connection-refused'],
    ['Connection refused: Not authorized (code 135)', {}, 'mqtt5.0x87'],
    ['Keepalive timeout', {}, 'mqttjs.keepalive-timeout'],
    ['pingresp not received, disconnecting', {}, 'paho-go.pingresp-not-received'],
    ['Timed out waiting for a response from the server (32000)', {}, 'paho-java.REASON_CODE_CLIENT_TIMEOUT'],
    ['Client or broker did not communicate in the keepalive interval.', {}, 'paho-python.MQTT_ERR_KEEPALIVE'],
    ['Unexpected server response: 401', {}, 'ws.http.401'],
    ['getaddrinfo EAI_AGAIN broker.example.com', {}, 'errno.EAI_AGAIN'],
    ['AggregateError [ECONNREFUSED]: at internalConnectMultiple', {}, 'node.happy-eyeballs'],
    [
      'Client network socket disconnected before secure TLS connection was established',
      {},
      'tls.node.socket-disconnected',
    ],
    ['disconnectReason: MQTT_KEEP_ALIVE_TIMEOUT', {}, 'aws-iot.MQTT_KEEP_ALIVE_TIMEOUT'],
    ['client foo with username bar stopped due to keepalive expired', {}, 'vernemq.keepalive'],
    ['closing MQTT connection <0.1.0> (keepalive timeout)', {}, 'rabbitmq.keepalive'],
    ['Unsupported callback API version: version 2.0 added a callback_api_version', {}, 'paho-python.callback-api'],
    ['OSError: -202', {}, 'errno.esp32-getaddrinfo'],
    ['Timeout while waiting for PINGRESP', {}, 'hivemq-client.pingresp-timeout'],
  ] as const)('%s %j → %s', (text, opts, id) => expect(top(text, opts)).toBe(id));
});

describe('unknown input', () => {
  test.each([
    ['ECONNREFUSD', 'errno.ECONNREFUSED'],
    ['MQTT_ERR_KEEPALIV', 'paho-python.MQTT_ERR_KEEPALIVE'],
    ['CERT_HAS_EXPIRD', 'tls.x509.CERT_HAS_EXPIRED'],
  ] as const)('%s is unknown and suggests %s', (text, id) => {
    const ex = explainText(text);
    expect(ex.known).toBe(false);
    expect(ex.suggestions.map((e) => e.id)).toContain(id);
  });
  test('nonsense has no candidates', () => expect(explainText('purple elephant').known).toBe(false));
  test('nearest by title words when no name is close', () =>
    expect(nearest('handshake trouble').length).toBeGreaterThan(0));
  test('editDistance', () => expect(editDistance('kitten', 'sitting')).toBe(3));
});

describe('confirm commands use the target found in the input', () => {
  test('host:port', () => {
    const ex = explainText('connect ECONNREFUSED 10.0.0.5:8883');
    expect(fillTarget(ex.candidates[0]?.entry.confirm ?? '', ex.target)).toBe('mqtt-doctor probe tcp://10.0.0.5:8883');
  });
  test('no target leaves the placeholders', () =>
    expect(fillTarget('mqtt-doctor probe mqtt://HOST:PORT', undefined)).toBe('mqtt-doctor probe mqtt://HOST:PORT'));
  test.each([
    ['Client sensor-1 has exceeded timeout, disconnecting.', 'mosquitto.keepalive-exceeded'],
    ['mosquitto version 2.0.11 starting', 'mosquitto.starting'],
  ])('ids and versions in a recognised line are not read as codes: %s', (text, id) => {
    expect(explainText(text).candidates.map((c) => c.entry.id)).toEqual([id]);
  });
  test('timestamps and ports are not read as codes', () => {
    const ex = explainText('2026-11-22T10:00:00Z connect ECONNREFUSED 127.0.0.1:1883');
    expect(ex.candidates.map((c) => c.entry.id)).toEqual(['errno.ECONNREFUSED']);
  });
});

describe('ESP-IDF esp-mqtt lines', () => {
  test.each([
    ['E (52341) MQTT_CLIENT: No PING_RESP, disconnected', 'esp-mqtt.no-ping-resp'],
    ['E (1203) MQTT_CLIENT: Error transport connect', 'esp-mqtt.transport-connect'],
    [
      "E (3011) esp-tls: couldn't get hostname for :broker.local: getaddrinfo() returns 202, addrinfo=0x0",
      'esp-tls.getaddrinfo',
    ],
  ] as const)('%s → %s', (text, id) => expect(explainText(text).candidates[0]?.entry.id).toBe(id));
  test('the errno next to transport_read() is read as a newlib number', () => {
    const ids = explainText(
      'E (9120) MQTT_CLIENT: mqtt_message_receive: transport_read() error: errno=113',
    ).candidates.map((c) => c.entry.id);
    expect(ids[0]).toBe('esp-mqtt.transport-read');
    expect(ids.indexOf('errno.ECONNABORTED')).toBeLessThan(ids.indexOf('errno.EHOSTUNREACH'));
  });
});

// Real library texts that a shallower match used to misread (CONNACK strings of MQTT 3.1.1 §3.2.2.3 and Paho Go packets/connack.go
// ConnackReturnCodes, Paho Java MqttException.toString format, MQTT 5.0 §2.4 packets per reason code).
describe('library texts win over look-alike matches', () => {
  test.each([
    // mosquitto_connack_string / Paho Python connack_string: a CONNACK refusal, not a TCP RST
    ['Connection Refused: not authorised.', 'connack311.5'],
    ['Connection Refused: bad user name or password.', 'connack311.4'],
    ['Connection Refused: identifier rejected.', 'connack311.2'],
    ['Connection Refused: broker unavailable.', 'connack311.3'],
    ['Connection Refused: unacceptable protocol version.', 'connack311.1'],
    // paho.mqtt.golang ConnackReturnCodes texts
    ['Connection Refused: Not Authorised', 'connack311.5'],
    ['Connection Refused: Username or Password in unknown format', 'connack311.4'],
    ['Connection Refused: Bad Protocol Version', 'connack311.1'],
    // the OS-level refusals stay ECONNREFUSED
    ['ConnectionRefusedError: [Errno 111] Connection refused', 'errno.ECONNREFUSED'],
    ['java.net.ConnectException: Connection refused: connect', 'errno.ECONNREFUSED'],
    // Paho Java "MqttException (0) - cause" is not umqtt's MQTTException; the cause is a connect timeout
    ['MqttException (0) - java.net.SocketTimeoutException: connect timed out', 'errno.ETIMEDOUT'],
    ['MQTTException: 5', 'connack311.5'],
    // 0x10 only appears in PUBACK/PUBREC: next to "disconnect" the number is Paho Python's keepalive code
    ['Unexpected disconnection rc 16', 'paho-python.MQTT_ERR_KEEPALIVE'],
    ['DISCONNECT reason code 142', 'mqtt5.0x8E'],
    ['PUBACK reason code 16', 'mqtt5.0x10'],
  ] as const)('%s → %s', (text, id) => expect(explainText(text).candidates[0]?.entry.id).toBe(id));
  test('umqtt is still recognised by its own exception name', () =>
    expect(explainText('MQTTException').candidates.map((c) => c.entry.id)).toContain('umqtt.mqttexception'));
});
