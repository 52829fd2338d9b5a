/**
 * Records real error text into fixtures/errors/ from real runs on 127.0.0.1: mosquitto 2 logs (keepalive
 * timeouts, takeover loop, restart with a reconnect burst, bad credentials), MQTT.js error messages, Node TLS
 * errors, `openssl s_client` failures and a `ws` upgrade refusal. Run: `npx tsx test/explain/record-fixtures.ts`.
 * Every scenario is bounded in time (about 45 s in total). The matcher tests read the recorded files.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import WebSocket from 'ws';
import { startMosquitto, cleanup } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';

const OUT = join(import.meta.dirname, '..', '..', 'fixtures', 'errors');
mkdirSync(OUT, { recursive: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lines: string[] = [];
const note = (kind: string, text: string) => lines.push(`${kind}\t${text.replace(/\s*\n\s*/g, ' ').trim()}`);

/** A raw MQTT 3.1.1 client that connects with a keepalive and then never sends anything (like umqtt.simple). */
function silentClient(port: number, clientId: string, keepalive: number): Promise<Socket> {
  return new Promise((resolve) => {
    const s = netConnect({ port, host: '127.0.0.1' }, () => {
      s.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId,
          keepalive,
        }),
      );
      resolve(s);
    });
    s.on('error', () => undefined);
    // Read (and drop) what the broker sends, so its close is noticed.
    s.resume();
  });
}

async function keepaliveScenario(): Promise<void> {
  // keepalive 2 s → mosquitto cuts after > 3 s, checked about every 5 s; the client reconnects at once (~30 s).
  const m = await startMosquitto();
  const until = Date.now() + 30_000;
  let sock: Socket | undefined;
  while (Date.now() < until) {
    sock = await silentClient(m.port, 'sensor-7', 2);
    await new Promise<void>((r) => {
      const t = setTimeout(r, Math.max(0, until - Date.now()));
      sock?.once('close', () => (clearTimeout(t), r()));
    });
  }
  sock?.destroy();
  await m.stop();
  writeFileSync(join(OUT, 'mosquitto-keepalive-timeout.log'), m.log());
  cleanup(m);
}

async function takeoverScenario(): Promise<void> {
  const m = await startMosquitto();
  const opts = { clientId: 'dup-device', reconnectPeriod: 400, protocolVersion: 5 as const };
  const a = mqtt.connect(m.url, opts);
  const b = mqtt.connect(m.url, opts);
  a.on('disconnect', (p) => note('mqttjs-disconnect-packet', `disconnect reasonCode ${p.reasonCode ?? ''}`));
  a.on('error', () => undefined);
  b.on('error', () => undefined);
  await sleep(4000);
  a.end(true);
  b.end(true);
  await sleep(200);
  await m.stop();
  writeFileSync(join(OUT, 'mosquitto-takeover-loop.log'), m.log());
  cleanup(m);
}

async function restartScenario(): Promise<void> {
  const m = await startMosquitto();
  const clients = Array.from({ length: 8 }, (_, i) =>
    mqtt.connect(m.url, { clientId: `fleet-${i}`, reconnectPeriod: 1000 }),
  );
  for (const c of clients) c.on('error', () => undefined);
  await sleep(1500);
  await m.restart();
  await sleep(3500);
  for (const c of clients) c.end(true);
  await sleep(200);
  await m.stop();
  writeFileSync(join(OUT, 'mosquitto-restart-storm.log'), m.log());
  cleanup(m);
}

async function connectError(url: string, opts: mqtt.IClientOptions): Promise<string> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 3000, ...opts });
    const done = (s: string) => (c.end(true), resolve(s));
    c.once('error', (e: Error & { code?: unknown }) =>
      done(`${e.message}${e.code !== undefined ? ` (code ${String(e.code)})` : ''}`),
    );
    c.once('connect', () => done('connected'));
    setTimeout(() => done('no error within 4 s'), 4000);
  });
}

async function authAndTransportScenario(): Promise<void> {
  const m = await startMosquitto({ users: { alice: 'correct-horse' } });
  note('mqttjs-error', await connectError(m.url, { username: 'alice', password: 'wrong', protocolVersion: 4 }));
  note('mqttjs-error', await connectError(m.url, { username: 'alice', password: 'wrong', protocolVersion: 5 }));
  note('mqttjs-error', await connectError(m.url, { protocolVersion: 4 }));
  const closed = await freePort();
  note('mqttjs-error', await connectError(`mqtt://127.0.0.1:${closed}`, {}));
  note('mqttjs-error', await connectError('mqtt://no-such-host.invalid:1883', {}));
  note('mqttjs-error', await connectError(`mqtts://127.0.0.1:${m.port}`, {}));
  await sleep(200);
  await m.stop();
  writeFileSync(join(OUT, 'mosquitto-bad-auth.log'), m.log());
  cleanup(m);
}

function run(cmd: string, args: string[], input = ''): Promise<string> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => c.kill('SIGKILL'), 8000);
    c.on('close', () => (clearTimeout(t), resolve(out)));
    c.stdin.end(input);
  });
}

async function tlsScenario(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  const m = await startMosquitto({ tls: { certFile: cert, keyFile: key } });
  const tlsUrl = `mqtts://127.0.0.1:${m.tlsPort}`;
  note('mqttjs-error', await connectError(tlsUrl, {}));
  const { readFileSync } = await import('node:fs');
  note('mqttjs-error', await connectError(tlsUrl, { ca: readFileSync(cert) }));
  note('mqttjs-error', await connectError(`mqtts://localhost:${m.port}`, { ca: readFileSync(cert) }));
  const sclient = (port: number, extra: string[]) =>
    run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-verify_return_error', ...extra], 'Q\n');
  for (const l of (await sclient(m.port, [])).split('\n'))
    if (/error|errno|verify/i.test(l) && !/\(ok\)/.test(l)) note('openssl-s_client', l);
  for (const l of (await sclient(m.tlsPort ?? 0, ['-servername', 'localhost'])).split('\n'))
    if (/error|verify/i.test(l) && !/\(ok\)/.test(l)) note('openssl-s_client', l);
  await sleep(300);
  await m.stop();
  writeFileSync(join(OUT, 'mosquitto-tls.log'), m.log());
  cleanup(m);
}

async function wsScenario(): Promise<void> {
  const server = createServer((_req, res) => ((res.statusCode = 404), res.end('not found')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const msg = await new Promise<string>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'mqtt');
    ws.on('error', (e) => resolve(e.message));
    ws.on('open', () => resolve('open'));
  });
  note('ws-error', msg);
  // TLS to a server that answers in plain text (here HTTP): the classic "wrong version number".
  note('mqttjs-error', await connectError(`mqtts://127.0.0.1:${port}`, {}));
  for (const l of (await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`], 'Q\n')).split('\n')) {
    if (/error/i.test(l)) note('openssl-s_client', l);
  }
  server.close();
}

const only = process.argv[2];
const scenarios: Record<string, () => Promise<void>> = {
  keepalive: keepaliveScenario,
  takeover: takeoverScenario,
  restart: restartScenario,
  auth: authAndTransportScenario,
  tls: tlsScenario,
  ws: wsScenario,
};
for (const [name, fn] of Object.entries(scenarios)) {
  if (only && only !== name) continue;
  process.stderr.write(`recording ${name}…\n`);
  await fn();
}
if (lines.length)
  writeFileSync(join(OUT, only ? `client-errors-${only}.tsv` : 'client-errors.tsv'), lines.join('\n') + '\n');
process.exit(0);
