/**
 * Option defaults from MQTT_DOCTOR_* and a config file, end to end: flags > environment > file, only the
 * running command's options are taken, and a password from the file never appears in any output.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { runMain } from '../helpers/cli.js';

let dir: string;
let cfg: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mqd-config-'));
  cfg = join(dir, 'config.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      username: 'alice',
      password: 'hunter22secret',
      clients: 50,
      probe: { count: 2, interval: '20ms' },
    }),
  );
});

const sent = (stdout: string) => (JSON.parse(stdout) as { data: { rtt: { sent: number } } }).data.rtt.sent;

test.each<[string, Record<string, string>, string[], number]>([
  ['file', {}, [], 2],
  ['environment over file', { MQTT_DOCTOR_COUNT: '3' }, [], 3],
  ['flag over environment', { MQTT_DOCTOR_COUNT: '3' }, ['-c', '1'], 1],
])('%s', async (_name, env, flags, want) => {
  const r = await runMain(['probe', '--embedded', '--json', '--config', cfg, ...flags], {
    env: { ...env, XDG_CONFIG_HOME: dir },
  });
  expect(r.code).toBe(0);
  expect(sent(r.stdout)).toBe(want);
});

test('the default location is read without --config', async () => {
  const xdg = mkdtempSync(join(tmpdir(), 'mqd-xdg-'));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(xdg, 'mqtt-doctor'));
  writeFileSync(join(xdg, 'mqtt-doctor', 'config.json'), JSON.stringify({ probe: { count: 2, interval: '20ms' } }));
  const r = await runMain(['probe', '--embedded', '--json'], { env: { XDG_CONFIG_HOME: xdg } });
  expect(sent(r.stdout)).toBe(2);
});

test('MQTT_DOCTOR_URL is the target; a typed --embedded wins over it', async () => {
  const r = await runMain(['probe', '-c', '1', '--json', '--connect-timeout', '2s'], {
    env: { MQTT_DOCTOR_URL: 'mqtt://127.0.0.1:1', XDG_CONFIG_HOME: dir },
  });
  expect(r.code).toBe(3);
  expect(JSON.parse(r.stdout).target).toMatchObject({ host: '127.0.0.1', port: 1 });
  const e = await runMain(['probe', '--embedded', '-c', '1', '-i', '20ms'], {
    env: { MQTT_DOCTOR_URL: 'mqtt://127.0.0.1:1', XDG_CONFIG_HOME: dir },
  });
  expect(e.code).toBe(0);
});

test('a password from the file is used and never printed (text, JSON, verbose)', async () => {
  for (const extra of [[], ['--json'], ['--verbose']]) {
    const r = await runMain(['probe', '--embedded', '--config', cfg, ...extra], { env: { XDG_CONFIG_HOME: dir } });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('hunter22secret');
    if (extra[0] === '--json')
      expect(JSON.parse(r.stdout).target).toMatchObject({ username: 'alice', passwordSet: true });
  }
});

test('--password and --password-file typed together contradict; MQTT_DOCTOR_PASSWORD with --password-file does not', async () => {
  const pw = join(dir, 'pw');
  writeFileSync(pw, 'filepw\n');
  const both = await runMain(['probe', '-P', 'x', '--password-file', pw], { env: { XDG_CONFIG_HOME: dir } });
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/--password and --password-file contradict/);
  const envAndFile = await runMain(['probe', '--embedded', '-c', '1', '-u', 'a', '--password-file', pw], {
    env: { MQTT_DOCTOR_PASSWORD: 'envpw', XDG_CONFIG_HOME: dir },
  });
  expect(envAndFile.code).toBe(0);
});
