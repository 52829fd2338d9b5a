/**
 * Certificates for TLS tests, generated with the openssl command at test time: a CA, a valid server cert for
 * localhost/127.0.0.1, an expired one, one for the wrong name, one from an unknown CA, and a client cert.
 * Seven RSA keys took seconds of CPU on a busy 2-core machine (a file's beforeAll timed out at 30 s under load),
 * so test/helpers/global-setup.ts generates one set per run and `makeCerts()` hands each caller its own copy.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The directory of the run's certificate set (generateCerts), when the global setup made one. */
    certsDir?: string;
  }
}

export interface CertSet {
  dir: string;
  caFile: string;
  valid: { certFile: string; keyFile: string };
  expired: { certFile: string; keyFile: string };
  wrongName: { certFile: string; keyFile: string };
  unknownCa: { certFile: string; keyFile: string };
  client: { certFile: string; keyFile: string };
}

/**
 * Every key is EC P-256: generating one takes ~10 ms where an RSA 2048 key took 0.1–0.3 s of CPU, and the run's
 * certificate set is made before any test file starts. TLS stacks verify either kind the same way (mosquitto,
 * Node's tls), and no test depends on the key type.
 */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A minimal `openssl ca` setup, needed because `openssl x509 -req` cannot set dates in the past. */
function caConfig(dir: string, name: string): string {
  const conf = join(dir, `${name}.cnf`);
  writeFileSync(join(dir, `${name}.index`), '');
  writeFileSync(join(dir, `${name}.serial`), '1000\n');
  writeFileSync(
    conf,
    `[ ca ]
default_ca = local
[ local ]
dir = ${dir}
database = ${dir}/${name}.index
serial = ${dir}/${name}.serial
new_certs_dir = ${dir}
certificate = ${dir}/${name}.pem
private_key = ${dir}/${name}.key
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
`,
  );
  return conf;
}

function makeCa(dir: string, name: string): string {
  openssl(
    [
      'req',
      '-x509',
      ...NEW_KEY,
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '3650',
      '-subj',
      `/CN=${name}`,
    ],
    dir,
  );
  return caConfig(dir, name);
}

function leaf(
  dir: string,
  ca: string,
  conf: string,
  name: string,
  cn: string,
  san: string,
  dates: [string, string] | undefined,
  client = false,
) {
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=${client ? 'clientAuth' : 'serverAuth'}\n`);
  openssl(
    [
      'req',
      ...NEW_KEY,
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      csr,
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=${san}`,
    ],
    dir,
  );
  const certFile = join(dir, `${name}.pem`);
  const dateArgs = dates ? ['-startdate', dates[0], '-enddate', dates[1]] : ['-days', '365'];
  openssl(
    [
      'ca',
      '-batch',
      '-config',
      conf,
      '-name',
      'local',
      '-in',
      csr,
      '-out',
      certFile,
      '-notext',
      ...dateArgs,
      '-extfile',
      ext,
    ],
    dir,
  );
  void ca;
  return { certFile, keyFile };
}

/** The run's certificate set, copied into a directory of the caller's own (a test may delete it). */
export function makeCerts(): CertSet {
  const shared = inject('certsDir');
  if (shared === undefined) return generateCerts();
  const dir = mkdtempSync(join(tmpdir(), 'mqd-certs-'));
  cpSync(shared, dir, { recursive: true });
  return certSetIn(dir);
}

function certSetIn(dir: string): CertSet {
  const pair = (name: string) => ({ certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`) });
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    valid: pair('server'),
    expired: pair('expired'),
    wrongName: pair('wrong-name'),
    unknownCa: pair('unknown-ca'),
    client: pair('client'),
  };
}

export function generateCerts(): CertSet {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-certs-'));
  const caConf = makeCa(dir, 'ca');
  const otherConf = makeCa(dir, 'other-ca');
  const san = 'DNS:localhost,IP:127.0.0.1';
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    valid: leaf(dir, 'ca', caConf, 'server', 'localhost', san, undefined),
    expired: leaf(dir, 'ca', caConf, 'expired', 'localhost', san, ['20200101000000Z', '20200201000000Z']),
    wrongName: leaf(dir, 'ca', caConf, 'wrong-name', 'broker.example.net', 'DNS:broker.example.net', undefined),
    unknownCa: leaf(dir, 'other-ca', otherConf, 'unknown-ca', 'localhost', san, undefined),
    client: leaf(dir, 'ca', caConf, 'client', 'device-1', 'DNS:device-1', undefined, true),
  };
}
