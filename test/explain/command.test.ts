/**
 * `mqtt-doctor explain-error` end to end: exit codes, JSON, stdin, --file. explain-error is pure work on its
 * input, so most cases run in-process through main(argv, io) (a node start each was most of this file's time);
 * one case per exit code (0, 1, 2) and the log on stdin run the built CLI as a process, for what only a
 * process shows: its exit status and a real stdin pipe.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, runMain } from '../helpers/cli.js';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures', 'errors');

interface Doc {
  command: string;
  data: {
    mode: string;
    known?: boolean;
    ambiguous?: boolean;
    candidates?: Array<{ id: string; reading: string; clientFix?: string; confirm: string }>;
    suggestions?: Array<{ id: string }>;
    groups?: Array<{ id: string; count: number }>;
    findings?: Array<{ kind: string; lifetimeS?: number; clientId?: string }>;
  };
  verdict: { exitCode: number };
}
const json = (s: string) => JSON.parse(s) as Doc;

describe('mqtt-doctor explain-error', () => {
  test.each([
    [['5'], 0, 'connack311.5'],
    [['113', '--client', 'esp32'], 0, 'errno.ECONNABORTED'],
    [['0x87', '--client', 'mqttjs'], 0, 'mqtt5.0x87'],
    [['2', '-V', '3.1.1'], 0, 'connack311.2'],
    [['connect', 'ECONNREFUSED', '127.0.0.1:1883'], 0, 'errno.ECONNREFUSED'],
  ] as const)('%j → exit %i, %s', async (args, code, id) => {
    // The first row as a process (exit 0 from the built CLI), the rest in-process.
    const run = args[0] === '5' ? runCli : runMain;
    const r = await run(['explain-error', ...args, '--json']);
    expect(r.code).toBe(code);
    const doc = json(r.stdout);
    expect(doc.command).toBe('explain-error');
    expect(doc.data.candidates?.[0]?.id).toBe(id);
  });

  // `--` is how a shell user passes text that starts with a dash; the words after it are the text, not stdin.
  test.each([
    [['--json', '--', '-4078'], 'errno.ECONNREFUSED'],
    [['--json', '--', '-3008'], 'errno.ENOTFOUND'],
    [['--json', '--client', 'umqtt', '--', 'OSError:', '-1'], 'umqtt.oserror-minus1'],
  ] as const)('%j: text after -- is explained', async (args, id) => {
    const r = await runMain(['explain-error', ...args], { input: '' });
    expect(r.code).toBe(0);
    expect(json(r.stdout).data.candidates?.[0]?.id).toBe(id);
  });

  test('library-specific fix with --client, target filled into the confirm command', async () => {
    const r = await runMain(['explain-error', 'read ECONNRESET', '--client', 'paho-python', '--json']);
    expect(json(r.stdout).data.candidates?.[0]?.clientFix).toMatch(/keepalive=30/);
    const t = await runMain(['explain-error', 'connect ECONNREFUSED 10.1.2.3:8883', '--json']);
    expect(json(t.stdout).data.candidates?.[0]?.confirm).toBe('mqtt-doctor probe tcp://10.1.2.3:8883');
  });

  test('text output names layer, causes, confirm and fix', async () => {
    const r = await runMain(['explain-error', 'CERT_HAS_EXPIRED']);
    expect(r.code).toBe(0);
    for (const s of [
      'Layer',
      'tls',
      'Likely causes',
      'device clock',
      'Confirm',
      'mqtt-doctor probe mqtts://HOST:8883 --ca ca.pem',
      'Fix',
    ])
      expect(r.stdout).toContain(s);
  });

  test('unknown input: exit 1 with nearest entries (a process)', async () => {
    const r = await runCli(['explain-error', 'ECONNREFUSD', '--json']);
    expect(r.code).toBe(1);
    const doc = json(r.stdout);
    expect(doc.data.known).toBe(false);
    expect(doc.data.suggestions?.map((s) => s.id)).toContain('errno.ECONNREFUSED');
  });

  test.each([
    [['explain-error'], 'nothing to explain'],
    [['explain-error', '--file', '/nonexistent/x.log'], 'cannot read --file'],
    [['explain-error', 'x', '--file', 'y'], 'either text or --file'],
    [['explain-error', '5', '--client', 'nokia'], '--client: "nokia" is not one of'],
  ])('%j → exit 2', async (args, msg) => {
    // One usage error as a process (exit 2 from the built CLI, nothing on stdin), the rest in-process.
    const r = args.length === 1 ? await runCli(args) : await runMain(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(msg);
  });

  test('one line on stdin is explained as text', async () => {
    const r = await runMain(['explain-error', '--json'], { input: 'Error: Keepalive timeout\n' });
    expect(r.code).toBe(0);
    expect(json(r.stdout).data.candidates?.[0]?.id).toBe('mqttjs.keepalive-timeout');
  });

  test('a recorded mosquitto log on stdin is analysed in log mode (a process, a real pipe)', async () => {
    const { readFileSync } = await import('node:fs');
    const r = await runCli(['explain-error', '--json'], {
      input: readFileSync(join(FIX, 'mosquitto-takeover-loop.log'), 'utf8'),
    });
    const doc = json(r.stdout);
    expect(r.code).toBe(0);
    expect(doc.data.mode).toBe('log');
    expect(doc.data.findings?.[0]).toMatchObject({ kind: 'takeover-loop', clientId: 'dup-device' });
  });

  test('--file: keepalive log names the interval in text output', async () => {
    const r = await runMain(['explain-error', '--file', join(FIX, 'mosquitto-keepalive-timeout.log')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sensor-7 disconnected \d+ times, every ~6 s/);
    expect(r.stdout).toContain('Timeline');
  });

  test('--help lists examples', async () => {
    const r = await runMain(['explain-error', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--client');
    expect(r.stdout).toContain('explain-error 113 --client esp32');
  });
});
