/**
 * The matcher on real text recorded by test/explain/record-fixtures.ts (real mosquitto 2.0.11, MQTT.js,
 * Node TLS, openssl s_client, ws), not on strings we typed ourselves.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { explainText } from '../../src/analyze/explain.js';
import { analyzeLog } from '../../src/analyze/log-timeline.js';
import { classifyFailure } from '../../src/kb/classify.js';

const DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'errors');
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');

const recorded = read('client-errors.tsv')
  .split('\n')
  .filter(Boolean)
  .map((l) => l.split('\t') as [string, string]);
const lineLike = (re: RegExp) => {
  const hit = recorded.find(([, t]) => re.test(t));
  if (!hit) throw new Error(`fixture has no line like ${re}`);
  return hit[1];
};

describe('recorded client error lines', () => {
  test.each([
    [/Not authorized \(code 5\)/, {}, 'connack311.5'],
    [/Not authorized \(code 5\)/, { mqttVersion: 4 }, 'connack311.5'],
    [/Not authorized \(code 135\)/, { mqttVersion: 5 }, 'mqtt5.0x87'],
    [/connect ECONNREFUSED/, {}, 'errno.ECONNREFUSED'],
    [/getaddrinfo ENOTFOUND/, {}, 'errno.ENOTFOUND'],
    [/read ECONNRESET/, {}, 'errno.ECONNRESET'],
    [/^self-signed certificate/, {}, 'tls.x509.DEPTH_ZERO_SELF_SIGNED_CERT'],
    [/altnames/, {}, 'tls.node.altname-invalid'],
    [/write EPROTO .*wrong version number/, {}, 'tls.ssl.wrong-version-number'],
    [/ssl3_get_record:wrong version number:..\/ssl/, {}, 'tls.ssl.wrong-version-number'],
    [/verify error:num=18/, {}, 'tls.x509.DEPTH_ZERO_SELF_SIGNED_CERT'],
    [/0A000086:SSL routines:tls_post_process_server_certificate/, {}, 'tls.ssl.certificate-verify-failed'],
    [/Verify return code: 18/, {}, 'tls.x509.DEPTH_ZERO_SELF_SIGNED_CERT'],
    [/write:errno=104/, { client: 'mosquitto' }, 'errno.ECONNRESET'],
    [/Unexpected server response: 404/, {}, 'ws.http.404'],
  ] as const)('%s %j → %s', (re, opts, id) => {
    expect(explainText(lineLike(re), opts).candidates[0]?.entry.id).toBe(id);
  });

  test.each([
    [{ phase: 'tcp', code: 'ECONNREFUSED' }, /connect ECONNREFUSED/, 'errno.ECONNREFUSED'],
    [{ phase: 'tls', code: 'EPROTO' }, /write EPROTO/, 'tls.ssl.wrong-version-number'],
    [{ phase: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, /^self-signed/, 'tls.x509.DEPTH_ZERO_SELF_SIGNED_CERT'],
    [{ phase: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, /altnames/, 'tls.node.altname-invalid'],
  ] as const)('classifyFailure %j on the recorded message → %s', (input, re, id) => {
    const message = lineLike(re).replace(/ \(code [^)]+\)$/, '');
    expect(classifyFailure({ ...input, message })?.id).toBe(id);
  });
});

describe('recorded mosquitto logs, line by line', () => {
  test.each([
    ['mosquitto-keepalive-timeout.log', 'mosquitto.keepalive-exceeded', 5],
    ['mosquitto-takeover-loop.log', 'mosquitto.takeover', 10],
    ['mosquitto-bad-auth.log', 'mosquitto.not-authorised', 3],
    ['mosquitto-bad-auth.log', 'connack311.5', 2],
    ['mosquitto-bad-auth.log', 'mqtt5.0x87', 1],
    ['mosquitto-bad-auth.log', 'mosquitto.protocol-error', 1],
    ['mosquitto-tls.log', 'tls.ssl.unexpected-eof-while-reading', 2],
    ['mosquitto-tls.log', 'tls.ssl.tlsv1-alert-unknown-ca', 1],
    ['mosquitto-tls.log', 'mosquitto.disconnected-reason', 3],
    ['mosquitto-restart-storm.log', 'mosquitto.starting', 2],
  ] as const)('%s: %s × %i', (file, id, count) => {
    const a = analyzeLog(read(file));
    expect(a.groups.find((g) => g.entryId === id)?.count).toBe(count);
    expect(a.unrecognised).toBe(0);
  });
});

describe('recorded mosquitto logs, timeline', () => {
  test('keepalive 2 s, silent client: regular disconnects, the interval named', () => {
    const a = analyzeLog(read('mosquitto-keepalive-timeout.log'));
    const f = a.findings.find((x) => x.kind === 'regular-disconnects');
    expect(f?.clientId).toBe('sensor-7');
    expect(f?.keepaliveS).toBe(2);
    // Ground truth: 1.5 × 2 s = 3 s, plus mosquitto's ~5 s check granularity → between 3 and 9 s.
    expect(f?.lifetimeS).toBeGreaterThan(3);
    expect(f?.lifetimeS).toBeLessThanOrEqual(9);
    expect(f?.hint).toMatch(/1\.5 × its keepalive \(2 s\)/);
  });
  test('two clients with one id: takeover loop', () => {
    const f = analyzeLog(read('mosquitto-takeover-loop.log')).findings.find((x) => x.kind === 'takeover-loop');
    expect(f?.clientId).toBe('dup-device');
    expect(f?.count).toBeGreaterThanOrEqual(5);
    expect(f?.hint).toMatch(/share the client id/);
  });
  test('restart with 8 fixed-delay clients: reconnect storm', () => {
    const f = analyzeLog(read('mosquitto-restart-storm.log')).findings.find((x) => x.kind === 'reconnect-storm');
    expect(f?.count).toBe(8);
    expect(f?.hint).toMatch(/jitter/);
  });
  test.each(['mosquitto-bad-auth.log', 'mosquitto-tls.log'])('%s has no timeline finding', (file) => {
    expect(analyzeLog(read(file)).findings).toEqual([]);
  });
});
