/**
 * Local mistakes are usage errors (exit 2, one line) found before any connection, never reported as the
 * broker's fault: credentials that are not percent-encoded, over-long MQTT strings, TLS files that do not
 * parse or do not match, output files that cannot be written, options that make no sense for the scheme.
 * The target is a closed port: had anything been dialled, the exit would be 3, not 2.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { runMain } from '../helpers/cli.js';

let certs: CertSet;
let dir: string;
beforeAll(() => {
  certs = makeCerts();
  dir = mkdtempSync(join(tmpdir(), 'mqd-local-'));
  writeFileSync(join(dir, 'garbage.pem'), 'this is not a certificate\n');
  writeFileSync(join(dir, 'cut.pem'), '-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAK\n-----END CERTIFICATE-----\n');
  writeFileSync(join(dir, 'nokey.pem'), 'nothing here\n');
});

const CLOSED = '127.0.0.1:1';

describe('exit 2 before any connection', () => {
  test.each<[string, () => string[], RegExp]>([
    [
      '% in the URL password (probe)',
      () => ['probe', `mqtt://dev:50%off@${CLOSED}`],
      /password in the URL has a "%" that is not percent-encoding/,
    ],
    [
      '% in the URL password (soak)',
      () => ['soak', `mqtt://dev:50%off@${CLOSED}`, '-d', '1s'],
      /password in the URL has a "%"/,
    ],
    [
      '% in the URL user (keepalive-tune)',
      () => ['keepalive-tune', `mqtt://a%zz:x@${CLOSED}`],
      /user name in the URL has a "%"/,
    ],
    [
      'client id over 65,535 bytes',
      () => ['probe', `mqtt://${CLOSED}`, '--client-id', 'é'.repeat(32_768)],
      /--client-id: the client identifier is 65536 bytes/,
    ],
    [
      'garbage --ca',
      () => ['probe', `mqtts://${CLOSED}`, '--ca', join(dir, 'garbage.pem')],
      /--ca .*garbage.pem: no PEM certificate in the file/,
    ],
    [
      'truncated --ca',
      () => ['probe', `mqtts://${CLOSED}`, '--ca', join(dir, 'cut.pem')],
      /--ca .*cut.pem: certificate 1 of 1 does not parse/,
    ],
    [
      '--key that is not a key',
      () => ['probe', `mqtts://${CLOSED}`, '--cert', certs.client.certFile, '--key', join(dir, 'nokey.pem')],
      /--key .*: not a PEM private key/,
    ],
    [
      '--key of another certificate',
      () => ['probe', `mqtts://${CLOSED}`, '--cert', certs.client.certFile, '--key', certs.valid.keyFile],
      /--key .* does not belong to --cert/,
    ],
    [
      '--method echo on tcp://',
      () => ['probe', `tcp://${CLOSED}`, '--method', 'echo'],
      /--method echo needs MQTT; tcp:\/\/ only tests the transport/,
    ],
    [
      '--junit in a missing directory',
      () => ['soak', `mqtt://${CLOSED}`, '-d', '1s', '--junit', '/nonexistent/dir/x.xml'],
      /--junit \/nonexistent\/dir\/x.xml: the directory \/nonexistent\/dir does not exist/,
    ],
    [
      '--junit naming a directory',
      () => ['report', join(dir, 'x.jsonl'), '--junit', dir],
      /--junit .*: is a directory/,
    ],
    // -n 2000 starts workers by default, and that is said in a note: only after the command line is checked.
    [
      'a source address this host does not have, with -n 2000',
      () => ['soak', `mqtt://${CLOSED}`, '-n', '2000', '--local-address', '10.9.9.9', '-d', '1s'],
      /^mqtt-doctor: --local-address 10\.9\.9\.9: not an address of this host/,
    ],
    [
      'a bad --impair value, with -n 2000',
      () => ['soak', `mqtt://${CLOSED}`, '-n', '2000', '--impair', 'latency=abc', '-d', '1s'],
      /^mqtt-doctor: --latency: "abc" is not a duration/,
    ],
  ])('%s', async (_name, args, msg) => {
    const r = await runMain(args());
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(msg);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(r.stderr).not.toContain('50%off');
  });

  test('the right key for the certificate passes the check (and only then is the broker dialled: exit 3)', async () => {
    const r = await runMain([
      'probe',
      `mqtts://${CLOSED}`,
      '-c',
      '1',
      '--ca',
      certs.caFile,
      '--cert',
      certs.client.certFile,
      '--key',
      certs.client.keyFile,
    ]);
    expect(r.code).toBe(3);
  });
});

describe('warnings', () => {
  test('--metrics-host 0.0.0.0 says it listens on every interface', async () => {
    const r = await runMain([
      'soak',
      `mqtt://dev:50%off@${CLOSED}`,
      '--metrics-host',
      '0.0.0.0',
      '--metrics-port',
      '0',
    ]);
    expect(r.stderr).toMatch(/--metrics-host 0.0.0.0 listens on every network interface/);
  });
});
