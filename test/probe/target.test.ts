import { describe, expect, test } from 'vitest';
import { formatTarget, parseTarget, redactUrl } from '../../src/config/target.js';
import { resolveConnection } from '../../src/config/connection.js';
import type { ConnectionArgs, TlsArgs } from '../../src/commands/options.js';
import { UsageError } from '../../src/errors.js';

describe('parseTarget', () => {
  test.each([
    [undefined, 'mqtt', 'localhost', 1883, undefined],
    ['mqtt://broker.local', 'mqtt', 'broker.local', 1883, undefined],
    ['mqtts://broker.local', 'mqtts', 'broker.local', 8883, undefined],
    ['ws://broker.local', 'ws', 'broker.local', 80, '/mqtt'],
    ['wss://broker.local:8084/custom', 'wss', 'broker.local', 8084, '/custom'],
    ['tcp://10.0.0.1:1883', 'tcp', '10.0.0.1', 1883, undefined],
    ['tls://broker.local', 'tls', 'broker.local', 8883, undefined],
    ['broker.local:1884', 'mqtt', 'broker.local', 1884, undefined],
    ['broker.local', 'mqtt', 'broker.local', 1883, undefined],
    ['mqtt://[::1]:1883', 'mqtt', '::1', 1883, undefined],
    ['MQTT://Broker.Local:1', 'mqtt', 'broker.local', 1, undefined],
  ])('%s → %s %s:%d path %s', (input, scheme, host, port, path) => {
    const t = parseTarget(input);
    expect([t.scheme, t.host, t.port, t.path]).toEqual([scheme, host, port, path]);
  });

  test('the ws path can be set by option', () => expect(parseTarget('ws://h', { wsPath: '/ws' }).path).toBe('/ws'));

  test.each([
    ['http://broker:1883', /unknown scheme "http:\/\/"/],
    ['mqtt://broker:0', /port 0 is out of range/],
    ['mqtt://broker:65536', /port 65536 is out of range/],
    ['mqtt://broker:abc', /not a number|not a valid URL/],
    ['mqtt://bro ker', /not a valid URL/],
    ['mqtt://', /not a valid URL|no host/],
  ])('%s is a usage error (%s)', (input, msg) => {
    expect(() => parseTarget(input)).toThrow(UsageError);
    expect(() => parseTarget(input)).toThrow(msg);
  });

  test('credentials are taken out of the URL and masked when shown', () => {
    const t = parseTarget('mqtt://alice:s3cr%40t@broker:1883');
    expect(t.username).toBe('alice');
    expect(t.password).toBe('s3cr@t');
    expect(formatTarget(t)).toBe('mqtt://alice:***@broker:1883');
  });

  test('an invalid URL with a password never echoes the password', () => {
    try {
      parseTarget('mqtt://alice:hunter2@bro ker');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  test('redactUrl masks user:pass@ in free text', () => {
    expect(redactUrl('failed mqtt://bob:pw123@h:1 and ws://x:y@z')).toBe('failed mqtt://bob:***@h:1 and ws://x:***@z');
  });
});

describe('resolveConnection', () => {
  const base: ConnectionArgs & TlsArgs = {
    url: 'mqtt://h',
    embedded: false,
    mqttVersion: '5',
    clientId: undefined,
    keepalive: '60s',
    username: undefined,
    password: undefined,
    passwordFile: undefined,
    connectTimeout: '10s',
    wsPath: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    servername: undefined,
    alpn: undefined,
    insecure: false,
  };
  const files: Record<string, string> = { '/pw': 'from-file\nignored', '/ca.pem': 'PEM' };
  const read = (p: string) => {
    if (!(p in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return Buffer.from(files[p]!);
  };

  test.each([
    ['--password wins over env', { username: 'u', password: 'flag' }, { MQTT_DOCTOR_PASSWORD: 'env' }, 'flag'],
    ['env when no flag', { username: 'u' }, { MQTT_DOCTOR_PASSWORD: 'env' }, 'env'],
    ['first line of --password-file', { username: 'u', passwordFile: '/pw' }, {}, 'from-file'],
    ['URL password', { url: 'mqtt://u:inurl@h' }, {}, 'inurl'],
  ])('%s', (_name, args, env, expected) => {
    expect(resolveConnection({ ...base, ...args }, env, read).target.password).toBe(expected);
  });

  test.each([
    ['keepalive over 65535 s', { keepalive: '70000' }, /keepalive/],
    ['TLS options on plaintext', { ca: '/ca.pem' }, /TLS options were given but mqtt:\/\/ is not encrypted/],
    ['--ca with --insecure', { url: 'mqtts://h', ca: '/ca.pem', insecure: true }, /contradict/],
    [
      'unreadable file',
      { url: 'mqtts://h', ca: '/missing.pem' },
      /--ca \/missing.pem: cannot read the file \(ENOENT\)/,
    ],
    ['password without user', { password: 'p' }, /without a user name/],
    ['--embedded with a URL', { embedded: true }, /takes no URL/],
    ['bad duration', { connectTimeout: 'soon' }, /--connect-timeout/],
  ])('%s is a usage error', (_name, args, msg) => {
    expect(() => resolveConnection({ ...base, ...args }, {}, read)).toThrow(msg);
  });

  test('keepalive accepts durations and -V 3.1.1 maps to protocol level 4', () => {
    const c = resolveConnection({ ...base, keepalive: '2m', mqttVersion: '3.1.1' }, {}, read);
    expect([c.keepaliveS, c.mqttVersion]).toEqual([120, 4]);
  });
});
