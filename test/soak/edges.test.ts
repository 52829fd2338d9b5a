/**
 * Edge cases with ground truth: a broker ACL that refuses everything (nothing comes back: a finding, not a
 * silent hang), and a --out file on a full disk (/dev/full: ENOSPC) that must not crash the soak.
 */
import { afterEach, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMosquitto, cleanup, type Mosquitto } from '../helpers/mosquitto.js';
import { openJsonlWriter } from '../../src/measure/soak/jsonl-writer.js';
import { soakFindings } from '../../src/analyze/soak/thresholds.js';
import { plainConnection, soakAgainst, sleep, tempDir } from './helpers.js';

let broker: Mosquitto | undefined;
afterEach(async () => {
  if (broker) {
    await broker.stop();
    cleanup(broker);
    broker = undefined;
  }
});

test('an ACL that allows nothing: every message lost, finding "no message came back"', async () => {
  const acl = join(tempDir('mqd-soak-acl-'), 'acl');
  writeFileSync(acl, '# nothing allowed\n');
  broker = await startMosquitto({ globalConfig: [`acl_file ${acl}`] });
  const h = await soakAgainst(broker.url, { ratePerS: 20, drainMs: 300 });
  await sleep(1500);
  h.abort.abort();
  const { summary } = await h.run.done;
  expect(summary.connections.disconnects).toBe(0);
  expect(summary.messages.sent).toBeGreaterThan(10);
  expect(summary.messages.received).toBe(0);
  expect(summary.messages.lost).toBe(summary.messages.sent);
  expect(soakFindings(summary).find((f) => f.id === 'no-echo')).toMatchObject({ status: 'fail' });
});

test('a full disk stops the --out file with one note, without throwing', () => {
  const errors: string[] = [];
  const w = openJsonlWriter('/dev/full', (e) => errors.push((e as NodeJS.ErrnoException).code ?? e.message));
  expect(() => {
    w.write({ type: 'client', t: 0, client: 0, clientId: 'a' });
    w.write({ type: 'client', t: 1, client: 1, clientId: 'b' });
  }).not.toThrow();
  w.close();
  expect(errors).toEqual(['ENOSPC']);
});

test('over WebSocket (ws://, path /mqtt): the same accounting', async () => {
  const { soakMqttOptions } = await import('../../src/measure/soak/mqtt-options.js');
  broker = await startMosquitto({ websockets: true });
  const { url, options } = soakMqttOptions(plainConnection(`ws://127.0.0.1:${broker.wsPort}`, '3.1.1'), {
    clean: true,
    sessionExpiryS: undefined,
  });
  expect(url).toBe(`ws://127.0.0.1:${broker.wsPort}/mqtt`);
  const h = await soakAgainst(url, { ratePerS: 20, drainMs: 1000, mqttOptions: options });
  await sleep(1500);
  h.abort.abort();
  const { summary } = await h.run.done;
  expect(summary.connections.connects).toBe(1);
  expect(summary.messages.sent).toBeGreaterThan(10);
  expect(summary.messages.lost).toBe(0);
});
