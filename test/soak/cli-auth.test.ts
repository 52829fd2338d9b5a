/**
 * soak with credentials through the built CLI against mosquitto with a password file: the password never
 * reaches stdout, stderr or the JSONL file, and a wrong password is a CONNACK refusal (exit 4), named.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { startMosquitto, cleanup, type Mosquitto } from '../helpers/mosquitto.js';
import type { SoakData } from '../../src/report/build-soak.js';
import type { Report } from '../../src/report/model.js';
import { tempDir } from './helpers.js';

const SECRET = 'sekrit-Pa55word';
let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto({ users: { dev: SECRET } });
});
afterAll(async () => {
  await broker.stop();
  cleanup(broker);
});

test.each([
  ['right password: connects', SECRET, 0],
  ['wrong password: CONNACK refused, exit 4', 'nope-wrong-pw', 4],
])('%s, and no password anywhere in the output or the file', async (_n, password, code) => {
  const file = join(tempDir('mqd-soak-auth-'), 'soak.jsonl');
  const r = await runCli(
    [
      'soak',
      `mqtt://dev:${password}@127.0.0.1:${broker.port}`,
      '-d',
      '1500ms',
      '-V',
      '3.1.1',
      '--reconnect',
      'fixed:300ms',
      '--out',
      file,
      '--json',
    ],
    { timeoutMs: 15_000 },
  );
  expect(r.code).toBe(code);
  const all = r.stdout + r.stderr + readFileSync(file, 'utf8');
  expect(all).not.toContain(password);
  const rep = JSON.parse(r.stdout) as Report<SoakData>;
  expect(rep.target?.passwordSet).toBe(true);
  if (code === 4) {
    expect(Object.keys(rep.data.summary.connections.byCause)).toEqual(['connack-refused']);
    expect(rep.data.recentDisconnects[0]?.detail).toMatch(/CONNACK 0x0[45]/);
  }
});
