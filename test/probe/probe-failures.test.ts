/**
 * Every way a probe can fail, each attributed to its phase with a likely cause and the documented exit code.
 * Real mosquitto for what it can produce (TLS variants, wrong protocol on a port); scripted servers only for
 * silence, garbage, HTTP, a malformed CONNACK and a session that dies mid-run.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { startFakeServer, type FakeServer } from '../helpers/fake-server.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';
import { startSynDropper } from '../helpers/syn-dropper.js';
import { ExitCode } from '../../src/errors.js';
import { conn, probe } from './helpers.js';

let certs: CertSet;
let mosq: Mosquitto;
let mtls: Mosquitto;

beforeAll(async () => {
  certs = makeCerts();
  [mosq, mtls] = await Promise.all([
    startMosquitto({
      tls: { ...certs.valid },
      extraTls: [certs.expired, certs.wrongName, certs.unknownCa],
      wss: { ...certs.valid },
      websockets: true,
    }),
    startMosquitto({ tls: { ...certs.valid, caFile: certs.caFile, requireCertificate: true } }),
  ]);
});
afterAll(async () => {
  await Promise.all([mosq?.stop(), mtls?.stop()]);
});

describe('TLS against mosquitto with generated certificates', () => {
  test('valid certificate with --ca: verified, certificate described', async () => {
    const { result, report } = await probe(conn(`mqtts://localhost:${mosq.tlsPort}`, { ca: certs.caFile }), {
      count: 2,
    });
    expect(result.dial.tls).toMatchObject({ verified: true, insecure: false, servername: 'localhost' });
    expect(result.dial.tls?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(result.dial.tls?.certificate?.subjectAltNames).toEqual(['DNS:localhost', 'IP Address:127.0.0.1']);
    expect(result.dial.tls?.certificate?.daysToExpiry).toBeGreaterThan(300);
    expect(report.verdict.exitCode).toBe(0);
    expect(report.insecure).toBeUndefined();
  });

  test.each([
    ['expired', 0, 'CERT_HAS_EXPIRED', /expired/i],
    ['wrong name', 1, 'ERR_TLS_CERT_ALTNAME_INVALID', /not in the certificate|altname/i],
    ['unknown CA', 2, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', /chain|issuer|CA/i],
  ])('%s certificate → TLS phase fails, exit 3, nothing sent', async (_name, idx, code, explanation) => {
    const { result, report } = await probe(conn(`mqtts://localhost:${mosq.extraTlsPorts[idx]}`, { ca: certs.caFile }));
    expect(result.failure).toMatchObject({ phase: 'tls', code });
    expect(result.connack).toBeUndefined();
    expect(report.verdict.exitCode).toBe(ExitCode.unreachable);
    const tls = report.checks.find((c) => c.id === 'tls');
    expect(tls?.status).toBe('fail');
    expect(tls?.explanation).toMatch(explanation);
    // The certificate that failed is still described, so the user sees why.
    expect(result.dial.tls?.certificate?.subject).toContain('CN=');
  });

  test('wss://: TLS then the WebSocket upgrade, each timed', async () => {
    const { result, report } = await probe(conn(`wss://localhost:${mosq.wssPort}`, { ca: certs.caFile }), { count: 2 });
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['dns', 'pass'],
      ['tcp', 'pass'],
      ['tls', 'pass'],
      ['ws', 'pass'],
      ['connack', 'pass'],
      ['rtt', 'pass'],
    ]);
    expect(result.dial.ws).toMatchObject({ status: 101, subprotocol: 'mqtt' });
  });

  test('mutual TLS: the client certificate is accepted, and without it the handshake is refused', async () => {
    const url = `mqtts://localhost:${mtls.tlsPort}`;
    const withCert = await probe(
      conn(url, { ca: certs.caFile, cert: certs.client.certFile, key: certs.client.keyFile }),
      { count: 1 },
    );
    expect(withCert.report.verdict.exitCode).toBe(0);
    const without = await probe(conn(url, { ca: certs.caFile }), { count: 1 });
    // TLS 1.3 sends the "certificate required" alert after the client's Finished, so it arrives during
    // CONNECT; it is still reported as the TLS phase failing, with alert 116 named.
    expect(without.result.connack).toBeUndefined();
    expect(without.result.failure).toMatchObject({ phase: 'tls', code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
    expect(without.result.failure?.message).toMatch(/certificate required \(TLS alert 116\)/);
    expect(without.report.verdict.exitCode).toBe(ExitCode.unreachable);
    expect(without.report.checks.find((c) => c.id === 'tls')?.explanation).toMatch(/client certificate/i);
  });

  test('expired certificate with --insecure connects, and the report says verification was off', async () => {
    const { result, report } = await probe(conn(`mqtts://localhost:${mosq.extraTlsPorts[0]}`, { insecure: true }), {
      count: 1,
    });
    expect(result.connack?.reasonCode).toBe(0);
    expect(report.insecure).toBe(true);
    expect(report.checks.find((c) => c.id === 'tls')?.status).toBe('warn');
    expect(report.checks.find((c) => c.id === 'finding.tls-insecure')?.summary).toMatch(
      /would have failed: CERT_HAS_EXPIRED/,
    );
  });

  test('TLS to the plaintext port: TLS phase fails and the port is found to speak plain MQTT', async () => {
    const { result, report } = await probe(conn(`mqtts://127.0.0.1:${mosq.port}`, { ca: certs.caFile }));
    expect(result.failure?.phase).toBe('tls');
    expect(result.crossCheck).toEqual({ tried: 'mqtt', answered: true });
    expect(report.verdict.exitCode).toBe(ExitCode.unreachable);
    expect(report.error?.hint).toBe(`use mqtt://127.0.0.1:${mosq.port} (or the broker's TLS port, often 8883)`);
  });

  test('plaintext to the TLS port: cut off after CONNECT, and the port is found to speak TLS', async () => {
    const { result, report } = await probe(conn(`mqtt://127.0.0.1:${mosq.tlsPort}`));
    expect(result.failure?.phase).toBe('mqtt');
    expect(result.crossCheck).toEqual({ tried: 'tls', answered: true });
    expect(report.verdict.exitCode).toBe(ExitCode.refused);
    expect(report.error?.hint).toBe(`use mqtts://127.0.0.1:${mosq.tlsPort}`);
  });

  test('ws:// to the plain MQTT port: the upgrade is cut off, and the port is found to speak plain MQTT', async () => {
    const { result, report } = await probe(conn(`ws://127.0.0.1:${mosq.port}/mqtt`));
    expect(result.failure?.phase).toBe('ws');
    expect(result.crossCheck).toMatchObject({ tried: 'mqtt', answered: true });
    expect(report.error?.hint).toBe(`use mqtt://127.0.0.1:${mosq.port}`);
    expect(report.checks.find((c) => c.id === 'ws')?.explanation).toMatch(/speaks plain MQTT, not WebSocket/);
  });

  test('mqtt:// to the WebSocket port: no MQTT answer, and the port is found to upgrade to WebSocket', async () => {
    const { result, report } = await probe(conn(`mqtt://127.0.0.1:${mosq.wsPort}`));
    expect(result.failure?.phase).toBe('mqtt');
    expect(result.crossCheck).toMatchObject({ tried: 'ws', answered: true, path: '/mqtt' });
    expect(report.error?.hint).toBe(`use ws://127.0.0.1:${mosq.wsPort}/mqtt`);
  });
});

describe('credentials refused with the codes mosquitto does not send (scripted CONNACK)', () => {
  test.each([
    ['3.1.1', [0x20, 0x02, 0x00, 0x04], 4, /bad user ?name or password/i],
    ['5', [0x20, 0x03, 0x00, 0x86, 0x00], 0x86, /bad user ?name or password/i],
  ])('MQTT %s CONNACK %j → reason %d named, exit 4', async (v, bytes, rc, meaning) => {
    const fake = await startFakeServer((s) => s.once('data', () => s.write(Buffer.from(bytes))));
    try {
      const { result, report } = await probe(conn(fake.url, { mqttVersion: v, username: 'u', password: 'sekrit-pw' }));
      expect(result.failure).toMatchObject({ phase: 'mqtt', code: 'CONNACK_REFUSED', reasonCode: rc });
      expect(report.verdict.exitCode).toBe(ExitCode.refused);
      expect(report.verdict.summary).toMatch(meaning);
      expect(JSON.stringify(report)).not.toContain('sekrit-pw');
    } finally {
      await fake.close();
    }
  });
});

describe('transport failures', () => {
  test('refused port → TCP phase, ECONNREFUSED, exit 3', async () => {
    const port = await freePort();
    const { result, report } = await probe(conn(`mqtt://127.0.0.1:${port}`));
    expect(result.failure).toMatchObject({ phase: 'tcp', code: 'ECONNREFUSED' });
    expect(report.verdict).toMatchObject({ status: 'failed', exitCode: ExitCode.unreachable });
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['dns', 'pass'],
      ['tcp', 'fail'],
      ['connack', 'skip'],
    ]);
    expect(report.checks[1]?.explanation).toMatch(/refused/i);
  });

  test('nothing answering (SYN dropped) → bounded by --connect-timeout, exit 3', async () => {
    const dropper = await startSynDropper();
    try {
      const { result, report, ms } = await probe(conn(`mqtt://127.0.0.1:${dropper.port}`, { connectTimeout: '1s' }));
      expect(result.failure).toMatchObject({ phase: 'tcp', code: 'ETIMEDOUT' });
      expect(report.verdict.exitCode).toBe(ExitCode.unreachable);
      expect(ms).toBeGreaterThanOrEqual(950);
      expect(ms).toBeLessThan(3000);
    } finally {
      dropper.close();
    }
  });
});

describe('servers that are not (good) MQTT brokers', () => {
  const cases: Array<[string, Parameters<typeof startFakeServer>[0], string, RegExp]> = [
    ['accepts TCP and never sends CONNACK', 'silent', 'CONNACK_TIMEOUT', /no CONNACK|not an MQTT listener/],
    ['sends garbage', 'garbage', 'MALFORMED_PACKET', /not MQTT/],
    ['is an HTTP server', 'http', 'HTTP_SERVER', /HTTP server/],
    ['sends a malformed CONNACK', 'bad-connack', 'MALFORMED_PACKET', /not MQTT/],
  ];
  test.each(cases)('a server that %s → MQTT phase, exit 4', async (_name, behaviour, code, msg) => {
    const fake = await startFakeServer(behaviour);
    try {
      const { result, report, ms } = await probe(conn(fake.url, { connectTimeout: '1s' }));
      expect(result.failure).toMatchObject({ phase: 'mqtt', code });
      expect(`${result.failure?.message} ${report.checks.find((c) => c.id === 'connack')?.explanation}`).toMatch(msg);
      expect(report.verdict.exitCode).toBe(ExitCode.refused);
      expect(ms).toBeLessThan(3000);
    } finally {
      await fake.close();
    }
  });
});

test('a WebSocket upgrade answered 404 → WS phase, exit 3, wrong path named', async () => {
  const { createServer } = await import('node:http');
  const http = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const port = (http.address() as { port: number }).port;
  try {
    const { result, report } = await probe(conn(`ws://127.0.0.1:${port}/mqtt`));
    expect(result.failure).toMatchObject({ phase: 'ws', code: 'HTTP_404' });
    expect(report.verdict.exitCode).toBe(ExitCode.unreachable);
    expect(report.checks.find((c) => c.id === 'ws')?.explanation).toMatch(/path/);
  } finally {
    http.close();
  }
});

/** A scripted broker: CONNACK, then answer PINGREQs through `onPing(n, socket)`. */
async function scriptedBroker(onPing: (n: number, s: Socket) => void): Promise<FakeServer> {
  return startFakeServer((s) => {
    let connected = false;
    let pings = 0;
    s.on('data', (d: Buffer) => {
      if (!connected) {
        connected = true;
        s.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
        return;
      }
      for (let i = 0; i + 1 < d.length; i += 2) if (d[i] === 0xc0 && d[i + 1] === 0x00) onPing(++pings, s);
    });
  });
}

describe('during the RTT run', () => {
  test('a session that dies mid-run: probes so far kept, the rest not sent, exit 1', async () => {
    const fake = await scriptedBroker((n, s) => (n <= 2 ? s.write(Buffer.from([0xd0, 0x00])) : s.destroy()));
    try {
      const { result, report } = await probe(conn(fake.url, { mqttVersion: '3.1.1' }), { count: 6, intervalMs: 30 });
      expect(result.samples.map((x) => x.rttMs !== null)).toEqual([true, true, false]);
      expect(result.sessionLostAfterSeq).toBe(3);
      expect(report.verdict.exitCode).toBe(ExitCode.finding);
      expect(report.checks.find((c) => c.id === 'rtt')?.status).toBe('fail');
    } finally {
      await fake.close();
    }
  });

  test('a late PINGRESP is matched to its own probe (FIFO), not credited to the next', async () => {
    const fake = await scriptedBroker((n, s) => {
      const reply = () => s.write(Buffer.from([0xd0, 0x00]));
      if (n === 1) setTimeout(reply, 300);
      else reply();
    });
    try {
      const { result, report } = await probe(conn(fake.url, { mqttVersion: '3.1.1' }), {
        count: 3,
        intervalMs: 400,
        timeoutMs: 150,
      });
      const [first, second, third] = result.samples;
      expect(first?.rttMs).toBeNull();
      expect(first?.lateMs).toBeGreaterThanOrEqual(290);
      expect(second?.rttMs).toBeLessThan(100);
      expect(third?.rttMs).toBeLessThan(100);
      expect(report.data.rtt).toMatchObject({ sent: 3, received: 2, late: 1 });
      expect(report.data.rtt.lossPct).toBeCloseTo(33.33, 1);
      expect(report.verdict.status).toBe('degraded');
    } finally {
      await fake.close();
    }
  });

  test('thresholds fail the run with the check named', async () => {
    const fake = await scriptedBroker((n, s) => (n === 2 ? undefined : s.write(Buffer.from([0xd0, 0x00]))));
    try {
      const { report } = await probe(
        conn(fake.url, { mqttVersion: '3.1.1' }),
        { count: 3, timeoutMs: 200 },
        { maxLossPct: 0, maxConnectMs: 2000 },
      );
      expect(report.verdict.exitCode).toBe(ExitCode.finding);
      expect(report.verdict.summary).toMatch(/threshold failed: max-loss \(33\.3% > 0%\)/);
      expect(report.checks.find((c) => c.id === 'threshold.max-connect')?.status).toBe('pass');
    } finally {
      await fake.close();
    }
  });
});

test('echo against a broker that never answers SUBSCRIBE → MQTT phase failure, exit 4 (not an internal error)', async () => {
  const fake = await startFakeServer((s) => {
    s.once('data', () => s.write(Buffer.from([0x20, 0x02, 0x00, 0x00]))); // CONNACK, then silence
  });
  try {
    const { result, report } = await probe(conn(fake.url, { mqttVersion: '3.1.1' }), {
      method: 'echo',
      timeoutMs: 200,
    });
    expect(result.failure).toMatchObject({ phase: 'mqtt', code: 'SUBACK_TIMEOUT' });
    expect(report.verdict.exitCode).toBe(ExitCode.refused);
    expect(report.verdict.summary).toMatch(/^MQTT session failed: SUBSCRIBE to mqtt-doctor\/probe\/.* got no SUBACK/);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['dns', 'pass'],
      ['tcp', 'pass'],
      ['connack', 'pass'],
      ['subscribe', 'fail'],
    ]);
  } finally {
    await fake.close();
  }
});
