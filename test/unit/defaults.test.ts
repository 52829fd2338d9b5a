import { describe, expect, test } from 'vitest';
import { defaultConfigPath, defaultsFor, envKeyToOption, loadConfigFile } from '../../src/config/defaults.js';
import { UsageError } from '../../src/errors.js';

const file = (values: Record<string, unknown>) => ({ path: '/x/config.json', values });
const known = ['url', 'count', 'interval', 'username', 'password', 'json', 'connect-timeout'];
const booleans = new Set(['json']);

describe('defaults from the environment and the config file', () => {
  test.each([
    ['MQTT_DOCTOR_URL', 'url'],
    ['MQTT_DOCTOR_CONNECT_TIMEOUT', 'connect-timeout'],
    ['MQTT_DOCTOR_CONFIG', undefined],
    ['MQTTDOCTOR_URL', undefined],
  ])('%s → %s', (name, option) => expect(envKeyToOption(name)).toBe(option));

  test('environment over file; a command section over the top level; unknown keys ignored', () => {
    const f = file({
      url: 'mqtt://file',
      count: 5,
      clients: 100,
      probe: { count: 7, interval: '50ms' },
      soak: { count: 9 },
    });
    expect(defaultsFor('probe', known, booleans, f, {})).toEqual({ url: 'mqtt://file', count: 7, interval: '50ms' });
    expect(defaultsFor('probe', known, booleans, f, { MQTT_DOCTOR_COUNT: '3', MQTT_DOCTOR_CLIENTS: '4' })).toEqual({
      url: 'mqtt://file',
      count: '3',
      interval: '50ms',
    });
  });

  test('help, version and config are never taken as defaults', () => {
    expect(
      defaultsFor('probe', [...known, 'help', 'version', 'config'], booleans, file({ help: true, config: 'x' }), {
        MQTT_DOCTOR_VERSION: '1',
      }),
    ).toEqual({});
  });

  test('camelCase keys in the file are accepted', () => {
    expect(defaultsFor('probe', known, booleans, file({ connectTimeout: '5s' }), {})).toEqual({
      'connect-timeout': '5s',
    });
  });

  test.each([
    ['1', true],
    ['true', true],
    ['0', false],
    ['no', false],
  ])('boolean from the environment: %s → %s', (v, want) => {
    expect(defaultsFor('probe', known, booleans, undefined, { MQTT_DOCTOR_JSON: v })).toEqual({ json: want });
  });

  test('a boolean that is not one is a usage error', () => {
    expect(() => defaultsFor('probe', known, booleans, undefined, { MQTT_DOCTOR_JSON: 'maybe' })).toThrow(UsageError);
  });

  test('the default location follows XDG_CONFIG_HOME', () => {
    expect(defaultConfigPath({ XDG_CONFIG_HOME: '/cfg' }, '/home/u')).toBe('/cfg/mqtt-doctor/config.json');
    expect(defaultConfigPath({}, '/home/u')).toBe('/home/u/.config/mqtt-doctor/config.json');
  });

  test('a missing default file is fine; a named one must exist and parse, and errors never show its content', () => {
    const missing = () => {
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    };
    expect(loadConfigFile([], {}, missing, '/home/u')).toBeUndefined();
    expect(() => loadConfigFile(['--config', '/a.json'], {}, missing)).toThrow(
      /--config \/a.json: cannot read the file \(ENOENT\)/,
    );
    expect(() => loadConfigFile([], { MQTT_DOCTOR_CONFIG: '/b.json' }, missing)).toThrow(/\/b.json/);
    let err: unknown;
    try {
      loadConfigFile(['--config=/c.json'], {}, () => '{"password": "hunter22secret",');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect(String((err as Error).message) + (err as UsageError).hint).not.toContain('hunter22secret');
    expect(() => loadConfigFile(['--config', '/d.json'], {}, () => '[1]')).toThrow(/expected a JSON object/);
  });
});
