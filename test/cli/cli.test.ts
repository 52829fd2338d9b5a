/**
 * The CLI as a user meets it: help, version, JSON on stdout with progress on stderr, colour rules, one-line
 * errors with distinct exit codes and no stack trace, secrets never printed, Ctrl-C keeps the report.
 * Runs the built bin/mqtt-doctor.js in a child process, except where no process of its own is needed (usage
 * errors run in-process through main, see test/helpers/cli.ts runMain). The tests that start a process run at once
 * (each waits on its child far more than it computes: one after the other, the file took ~30 s); the in-process
 * ones run one at a time, as they share this process's exitCode.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, runMain } from '../helpers/cli.js';
import { startFakeServer, type FakeServer } from '../helpers/fake-server.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/ports.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const ANSI = /\u001b\[/;

let auth: Mosquitto;
let silent: FakeServer;
beforeAll(async () => {
  [auth, silent] = await Promise.all([startMosquitto({ users: { alice: 'wonderland' } }), startFakeServer('silent')]);
});
afterAll(async () => {
  await Promise.all([auth?.stop(), silent?.close()]);
});

describe.concurrent('help and version', () => {
  test('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect([r.code, r.stdout.trim()]).toEqual([0, pkg.version]);
  });

  test('--help lists the commands, the exit codes and duration syntax', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/mqtt-doctor probe \[url\]/);
    expect(r.stdout).toMatch(/3 +unreachable/);
    expect(r.stdout).toMatch(/4 +refused/);
    expect(r.stdout).toMatch(/Durations: 500ms, 30s, 5m/);
  });

  test('probe --help shows examples', async () => {
    const r = await runCli(['probe', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/mqtt-doctor probe --embedded/);
    expect(r.stdout).toMatch(/--max-rtt-p99/);
  });
});

describe('bad input: one line, exit 2, no stack trace', () => {
  test.each([
    [[], /name a command/],
    [['probe', '--bogus'], /unknown option --bogus/],
    [['probe', 'http://broker:1883'], /unknown scheme "http:\/\/"/],
    [['probe', 'mqtt://broker:0'], /port 0 is out of range/],
    [['probe', 'mqtt://broker:70000'], /port 70000 is out of range/],
    [['probe', '--count', '-1'], /--count -1 is not a whole number from 0/],
    [['probe', '--count', '1.5'], /--count 1.5 is not a whole number/], // -c 0 is watch mode (probe until Ctrl-C)
    [['probe', '--interval', 'soon'], /--interval: "soon" is not a duration/],
    [['probe', '--qos', '1'], /--qos applies to --method echo only/],
    [['probe', 'mqtt://h', '--ca', '/nonexistent/ca.pem'], /TLS options were given but mqtt:\/\/ is not encrypted/],
    [
      ['probe', 'mqtts://h', '--ca', '/nonexistent/ca.pem'],
      /--ca \/nonexistent\/ca.pem: cannot read the file \(ENOENT\)/,
    ],
    [['probe', '--max-loss', 'lots'], /--max-loss: "lots" is not a percentage/],
  ])('mqtt-doctor %j', async (args, msg) => {
    const r = await runMain(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^mqtt-doctor: /);
    expect(lines[0]).toMatch(msg);
    expect(lines.length).toBeLessThanOrEqual(2); // the message and a hint
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('--verbose adds the stack', async () => {
    const r = await runMain(['probe', 'http://x', '--verbose']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe.concurrent('output channels', () => {
  test('--json: one document on stdout, live probe lines on stderr, no colour', async () => {
    const r = await runCli(['probe', '--embedded', '--json', '-c', '3', '-i', '50ms'], { env: { FORCE_COLOR: '1' } });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      schemaVersion: number;
      command: string;
      verdict: { status: string };
      data: { rtt: { received: number } };
    };
    expect(doc).toMatchObject({
      schemaVersion: 1,
      command: 'probe',
      verdict: { status: 'healthy' },
      data: { rtt: { received: 3 } },
    });
    expect(r.stderr).toMatch(/seq=1 time=/);
    expect(r.stderr).toMatch(/seq=3 time=/);
    expect(r.stdout).not.toMatch(ANSI);
  });

  test.each([
    [{ NO_COLOR: '1', FORCE_COLOR: '1' }, [], false],
    [{ FORCE_COLOR: '1' }, ['--no-color'], false],
    [{ FORCE_COLOR: '1' }, [], true],
    [{}, [], false], // not a TTY
  ])('colour with env %j and flags %j → %s', async (env, flags, coloured) => {
    const r = await runCli(['probe', '--embedded', '-c', '1', ...flags], { env: { NO_COLOR: undefined, ...env } });
    expect(r.code).toBe(0);
    expect(ANSI.test(r.stdout)).toBe(coloured);
  });
});

test.concurrent('--embedded opens cleanly: it says once which protocol the embedded broker speaks, and no refusal', async () => {
  const r = await runCli(['probe', '--embedded', '-c', '1', '--json']);
  expect(r.code).toBe(0);
  expect(r.stderr.match(/speaks MQTT 3\.1\.1/g)).toHaveLength(1);
  expect(r.stderr).not.toMatch(/refused/);
  const doc = JSON.parse(r.stdout) as { checks: Array<{ id: string }> };
  expect(doc.checks.map((c) => c.id)).not.toContain('finding.mqtt5-refused');
});

describe.concurrent('exit codes from real failures', () => {
  test('refused port → 3 with the phase named', async () => {
    const port = await freePort();
    const r = await runCli(['probe', `127.0.0.1:${port}`, '-c', '1']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/TCP connect failed: .*ECONNREFUSED/);
    // text mode too: `probe … > /dev/null` must not fail silently
    expect(r.stderr).toMatch(/^mqtt-doctor: TCP connect failed: .*ECONNREFUSED/m);
    expect(r.stderr.match(/^mqtt-doctor: /gm)?.length).toBe(1);
  });

  test('a server that never sends CONNACK → 4 within --connect-timeout', async () => {
    const r = await runCli(['probe', silent.url, '-c', '1', '--connect-timeout', '1s', '--json']);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).error).toMatchObject({ phase: 'mqtt', code: 'CONNACK_TIMEOUT' });
    expect(r.stderr).toMatch(/^mqtt-doctor: the server accepted the connection but did not speak MQTT: no CONNACK/m);
  });

  test('unresolvable host → 3 at the DNS phase (in an empty network namespace: no query leaves the machine)', async () => {
    const r = await runCli(['probe', 'mqtt://broker.invalid:1883', '-c', '1', '--connect-timeout', '5s', '--json'], {
      wrap: ['unshare', '-n'],
    });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).error).toMatchObject({ phase: 'dns' });
  });
});

describe.concurrent('secrets never appear', () => {
  test.each([
    ['in the URL', [`mqtt://alice:hunter22secret@127.0.0.1:PORT`], {}],
    ['as --password', [`mqtt://127.0.0.1:PORT`, '-u', 'alice', '--password', 'hunter22secret'], {}],
    ['from MQTT_DOCTOR_PASSWORD', [`mqtt://127.0.0.1:PORT`, '-u', 'alice'], { MQTT_DOCTOR_PASSWORD: 'hunter22secret' }],
  ])('password %s: not in text, JSON or errors', async (_how, args, env) => {
    const a = args.map((x) => x.replace('PORT', String(auth.port)));
    for (const extra of [[], ['--json'], ['--verbose']]) {
      const r = await runCli(['probe', ...a, '-c', '1', ...extra], { env });
      expect(r.code).toBe(4); // wrong password → refused
      expect(r.stdout + r.stderr).not.toContain('hunter22secret');
    }
    // also when the failure is a usage error that echoes the target
    const bad = await runCli(['probe', 'mqtt://alice:hunter22secret@bad host:1', '--verbose']);
    expect(bad.code).toBe(2);
    expect(bad.stdout + bad.stderr).not.toContain('hunter22secret');
  });
});

describe.concurrent('Ctrl-C keeps what was gathered', () => {
  test.each([[[]], [['--json']]])('SIGINT mid-run %j: report of the probes so far, exit 130', async (extra) => {
    const r = await runCli(['probe', '--embedded', '-c', '100', '-i', '100ms', ...extra], {
      signal: { name: 'SIGINT', whenStderr: 'seq=3 ' },
    });
    expect(r.code).toBe(130);
    if (extra.length) {
      const doc = JSON.parse(r.stdout) as {
        verdict: { status: string };
        data: { rtt: { sent: number; received: number } };
      };
      expect(doc.verdict.status).toBe('interrupted');
      expect(doc.data.rtt.received).toBeGreaterThanOrEqual(3);
      expect(doc.data.rtt.sent).toBeLessThan(100);
    } else {
      expect(r.stdout).toMatch(/INTERRUPTED/);
      expect(r.stdout).toMatch(/Round trip/);
    }
  });
});
