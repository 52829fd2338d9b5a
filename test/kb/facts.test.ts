/** One line per fact from the shared reference (keepalive-and-errors.md), checked against the tables. */
import { describe, expect, test } from 'vitest';
import { CATALOG, lookupNumber, lookupName } from '../../src/kb/catalog.js';
import type { NumberSpace } from '../../src/kb/entry.js';

const has = (space: NumberSpace, n: number, id: string) =>
  lookupNumber(n).some((h) => h.space === space && h.entry.id === id);

describe('numbers per platform and library (errno headers, library code tables, RFC 6455 close codes)', () => {
  test.each([
    ['errno-linux', 111, 'errno.ECONNREFUSED'],
    ['errno-macos', 61, 'errno.ECONNREFUSED'],
    ['errno-wsa', 10061, 'errno.ECONNREFUSED'],
    ['errno-libuv', -4078, 'errno.ECONNREFUSED'],
    ['errno-linux', 104, 'errno.ECONNRESET'],
    ['errno-wsa', 10054, 'errno.ECONNRESET'],
    ['errno-libuv', -4077, 'errno.ECONNRESET'],
    ['errno-linux', 110, 'errno.ETIMEDOUT'],
    ['errno-macos', 60, 'errno.ETIMEDOUT'],
    ['errno-newlib', 116, 'errno.ETIMEDOUT'],
    ['errno-libuv', -4039, 'errno.ETIMEDOUT'],
    ['errno-linux', 113, 'errno.EHOSTUNREACH'],
    ['errno-newlib', 118, 'errno.EHOSTUNREACH'],
    ['errno-newlib', 113, 'errno.ECONNABORTED'],
    ['errno-wsa', 10053, 'errno.ECONNABORTED'],
    ['errno-linux', 101, 'errno.ENETUNREACH'],
    ['errno-newlib', 114, 'errno.ENETUNREACH'],
    ['errno-linux', 32, 'errno.EPIPE'],
    ['errno-libuv', -4047, 'errno.EPIPE'],
    ['errno-linux', 99, 'errno.EADDRNOTAVAIL'],
    ['errno-linux', 98, 'errno.EADDRINUSE'],
    ['errno-newlib', 112, 'errno.EADDRINUSE'],
    ['errno-linux', 107, 'errno.ENOTCONN'],
    ['errno-libuv', -3008, 'errno.ENOTFOUND'],
    ['errno-wsa', 11001, 'errno.ENOTFOUND'],
    ['errno-libuv', -3001, 'errno.EAI_AGAIN'],
    ['paho-python', 16, 'paho-python.MQTT_ERR_KEEPALIVE'],
    ['paho-python', 7, 'paho-python.MQTT_ERR_CONN_LOST'],
    ['paho-python', 5, 'paho-python.MQTT_ERR_CONN_REFUSED'],
    ['libmosquitto', 19, 'libmosquitto.MOSQ_ERR_KEEPALIVE'],
    ['libmosquitto', 7, 'libmosquitto.MOSQ_ERR_CONN_LOST'],
    ['libmosquitto', 20, 'libmosquitto.MOSQ_ERR_LOOKUP'],
    ['paho-java', 32000, 'paho-java.REASON_CODE_CLIENT_TIMEOUT'],
    ['paho-java', 32103, 'paho-java.REASON_CODE_SERVER_CONNECT_ERROR'],
    ['paho-java', 32109, 'paho-java.REASON_CODE_CONNECTION_LOST'],
    ['paho-java', 32202, 'paho-java.REASON_CODE_MAX_INFLIGHT'],
    ['paho-c', -14, 'paho-c.MQTTCLIENT_BAD_PROTOCOL'],
    ['paho-c', -3, 'paho-c.MQTTCLIENT_DISCONNECTED'],
    ['paho-go', 254, 'paho-go.ErrorNetworkError'],
    ['paho-go', 255, 'paho-go.ErrorProtocolViolation'],
    ['ws-close', 1006, 'ws.close.1006'],
    ['ws-close', 1009, 'ws.close.1009'],
    ['http', 404, 'ws.http.404'],
    ['tls-alert', 48, 'tls.ssl.tlsv1-alert-unknown-ca'],
    ['tls-alert', 116, 'tls.ssl.tlsv13-alert-certificate-required'],
    ['x509', 18, 'tls.x509.DEPTH_ZERO_SELF_SIGNED_CERT'],
    ['x509', 21, 'tls.x509.UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['azure', 404104, 'azure-iot.404104'],
    ['mqtt5', 0x8d, 'mqtt5.0x8D'],
    ['connack311', 2, 'connack311.2'],
  ] as const)('%s %i is %s', (space, n, id) => expect(has(space, n, id)).toBe(true));
});

describe('names and packed codes (OpenSSL reasons, broker limits and log lines)', () => {
  test.each([
    ['0A00010B', 'tls.ssl.wrong-version-number'],
    ['1408F10B', 'tls.ssl.wrong-version-number'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls.ssl.wrong-version-number'],
    ['0A000418', 'tls.ssl.tlsv1-alert-unknown-ca'],
    ['14094418', 'tls.ssl.tlsv1-alert-unknown-ca'],
    ['0A000086', 'tls.ssl.certificate-verify-failed'],
    ['0A000126', 'tls.ssl.unexpected-eof-while-reading'],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'tls.ssl.tlsv13-alert-certificate-required'],
    ['X509_V_ERR_CERT_HAS_EXPIRED', 'tls.x509.CERT_HAS_EXPIRED'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls.node.altname-invalid'],
    ['MQTT_KEEP_ALIVE_TIMEOUT', 'aws-iot.MQTT_KEEP_ALIVE_TIMEOUT'],
    ['DUPLICATE_CLIENTID', 'aws-iot.DUPLICATE_CLIENTID'],
    ['THROTTLED', 'aws-iot.THROTTLED'],
    ['keepalive_timeout', 'emqx.keepalive-timeout'],
    ['takenover', 'emqx.takenover'],
    ['MOSQ_ERR_KEEPALIVE', 'libmosquitto.MOSQ_ERR_KEEPALIVE'],
    ['MQTT_ERR_KEEPALIVE', 'paho-python.MQTT_ERR_KEEPALIVE'],
    ['WSAECONNREFUSED', 'errno.ECONNREFUSED'],
    ['EAI_NODATA', 'errno.ENOTFOUND'],
    ['Session taken over', 'mqtt5.0x8E'],
  ] as const)('%s is %s', (name, id) => expect(lookupName(name).map((e) => e.id)).toContain(id));
});

// Reference §C4: MQTT.js's TCP dialer calls net.createConnection({port, host, path}) and passes nothing else, so
// happy-eyeballs settings cannot go through its connect options; Node's process-wide defaults (net.md) can.
describe('client-specific fixes only use options the library really has', () => {
  test('happy eyeballs fix for MQTT.js uses the Node default, not a connect option MQTT.js drops', () => {
    const fix = lookupName('AggregateError').find((e) => e.id === 'node.happy-eyeballs')?.fixFor?.mqttjs ?? '';
    expect(fix).toMatch(/net\.setDefaultAutoSelectFamilyAttemptTimeout/);
    expect(fix).not.toMatch(/MQTT\.js forwards/);
  });
});

// Reference §D1: Paho Python 2.x Client() requires a CallbackAPIVersion first ("Unsupported callback API
// version" otherwise, §D3), so every Paho Python fix that builds a Client must pass one.
describe('Paho Python fixes construct a 2.x Client', () => {
  const withClient = CATALOG.filter((e) => /mqtt\.Client\(/.test(e.fixFor?.['paho-python'] ?? ''));
  test('there are such fixes', () => expect(withClient.length).toBeGreaterThanOrEqual(3));
  test.each(withClient.map((e) => [e.id, e.fixFor?.['paho-python'] ?? ''] as const))('%s: %s', (_id, fix) =>
    expect(fix).toMatch(/mqtt\.Client\(mqtt\.CallbackAPIVersion\.VERSION2\b/),
  );
});
