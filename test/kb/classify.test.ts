import { describe, expect, test } from 'vitest';
import { classifyFailure } from '../../src/kb/classify.js';

describe('classifyFailure', () => {
  test.each([
    [
      { phase: 'tcp', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1883' },
      'errno.ECONNREFUSED',
      'tcp',
    ],
    [{ phase: 'dns', code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND broker.invalid' }, 'errno.ENOTFOUND', 'dns'],
    [{ phase: 'dns', code: 'EAI_AGAIN' }, 'errno.EAI_AGAIN', 'dns'],
    [{ phase: 'tcp', code: 'ETIMEDOUT' }, 'errno.ETIMEDOUT', 'tcp'],
    [
      { phase: 'tls', code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' },
      'tls.x509.CERT_HAS_EXPIRED',
      'tls',
    ],
    [
      {
        phase: 'tls',
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
        message: "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: ",
      },
      'tls.node.altname-invalid',
      'tls',
    ],
    [
      {
        phase: 'tls',
        code: 'ERR_SSL_WRONG_VERSION_NUMBER',
        message: 'C0:9A:01:00:error:0A00010B:SSL routines:ssl3_get_record:wrong version number',
      },
      'tls.ssl.wrong-version-number',
      'tls',
    ],
    [
      { phase: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' },
      'tls.x509.DEPTH_ZERO_SELF_SIGNED_CERT',
      'tls',
    ],
    [
      { phase: 'tls', code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' },
      'tls.x509.SELF_SIGNED_CERT_IN_CHAIN',
      'tls',
    ],
    [
      { phase: 'tls', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate' },
      'tls.x509.UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'tls',
    ],
    [
      {
        phase: 'tls',
        code: 'ECONNRESET',
        message: 'Client network socket disconnected before secure TLS connection was established',
      },
      'tls.node.socket-disconnected',
      'tls',
    ],
    [{ phase: 'tcp', code: 'ECONNRESET', message: 'read ECONNRESET' }, 'errno.ECONNRESET', 'tcp'],
    [{ phase: 'mqtt', reasonCode: 5, mqttVersion: 4 }, 'connack311.5', 'mqtt'],
    [{ phase: 'mqtt', reasonCode: 2, mqttVersion: 4 }, 'connack311.2', 'mqtt'],
    [{ phase: 'mqtt', reasonCode: 0x87, mqttVersion: 5 }, 'mqtt5.0x87', 'mqtt'],
    [{ phase: 'mqtt', reasonCode: 0x8d }, 'mqtt5.0x8D', 'mqtt'],
  ] as const)('%j → %s', (input, id, layer) => {
    const c = classifyFailure(input);
    expect(c?.id).toBe(id);
    expect(c?.layer).toBe(layer);
    expect(c?.confirm).toMatch(/^mqtt-doctor /);
    expect(c?.fix.length).toBeGreaterThan(5);
    expect(c?.causes.length).toBeGreaterThan(0);
  });
  test('tls classification confirm uses --ca', () =>
    expect(classifyFailure({ phase: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })?.confirm).toContain('--ca ca.pem'));
  test('nothing matches → undefined', () =>
    expect(classifyFailure({ code: 'EWHATEVER', message: 'zzz' })).toBeUndefined());
  test.each([[{ reasonCode: 0x87, mqttVersion: 5 as const }], [{ reasonCode: 5, mqttVersion: 4 as const }]])(
    'not authorized %j: credentials sent → wrong user name or password first, never "no credentials"',
    (input) => {
      const sent = classifyFailure({ ...input, credentialsSent: true })!;
      expect(sent.causes[0]).toMatch(/^Wrong user name or password, or an ACL/);
      expect(sent.causes.join(' ')).not.toMatch(/no credentials|missing credentials/i);
      const none = classifyFailure({ ...input, credentialsSent: false })!;
      expect(none.causes[0]).toMatch(/credentials/i);
      expect(none.causes[0]).not.toMatch(/^Wrong/);
    },
  );
  test('credentials sent changes nothing for other refusals', () =>
    expect(classifyFailure({ reasonCode: 0x86, mqttVersion: 5, credentialsSent: true })?.causes).toEqual(
      classifyFailure({ reasonCode: 0x86, mqttVersion: 5 })?.causes,
    ));
  test('rc 2 mentions keepalive for mosquitto', () =>
    expect(classifyFailure({ reasonCode: 2, mqttVersion: 4 })?.causes.join(' ')).toMatch(/keepalive/));
});
