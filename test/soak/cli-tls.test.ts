/**
 * soak over TLS through the built CLI (dist/): the TLS options reach every client, and a certificate the
 * client does not trust is classified as a TLS failure (exit 3, never connected), not as a network drop.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { runCli } from '../helpers/cli.js';
import { startMosquitto, cleanup, type Mosquitto } from '../helpers/mosquitto.js';
import type { SoakData } from '../../src/report/build-soak.js';
import type { Report } from '../../src/report/model.js';
import { isCleanVerdict } from './helpers.js';

let broker: Mosquitto;
let certs: CertSet;
beforeAll(async () => {
  certs = makeCerts();
  broker = await startMosquitto({ tls: { certFile: certs.valid.certFile, keyFile: certs.valid.keyFile } });
});
afterAll(async () => {
  await broker.stop();
  cleanup(broker);
});

test.each([
  // Healthy, or degraded by this machine's load alone (helpers.ts isCleanVerdict).
  ['trusted CA: connects, healthy', ['--ca'], 0, 'healthy'],
  ['no CA given: TLS failure, never connected, exit 3', [], 3, 'failed'],
] as const)('%s', async (_n, caFlag, code, status) => {
  const url = `mqtts://127.0.0.1:${broker.tlsPort}`;
  const args = [
    'soak',
    url,
    '-d',
    '2s',
    '--rate',
    '5/s',
    '--reconnect',
    'fixed:300ms',
    '--json',
    ...(caFlag.length ? [caFlag[0], certs.caFile] : []),
  ];
  const r = await runCli(args, { timeoutMs: 15_000 });
  const rep = JSON.parse(r.stdout) as Report<SoakData>;
  expect(r.code).toBe(code);
  if (status === 'healthy') expect(isCleanVerdict(rep), rep.verdict.summary).toBe(true);
  else expect(rep.verdict.status).toBe(status);
  if (code === 0) {
    expect(rep.data.summary.connections.connects).toBe(1);
    expect(rep.data.summary.messages.received).toBeGreaterThan(3);
  } else {
    expect(Object.keys(rep.data.summary.connections.byCause)).toEqual(['tls']);
    expect(rep.verdict.summary).toMatch(/no client ever connected: TLS failed: .*\(TLS failure: \d+ attempts?\)/);
  }
});
