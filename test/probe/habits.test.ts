/**
 * Habits users expect from a ping-like tool: `-c 0` probes until Ctrl-C and then prints the summary (exit code
 * from the verdict, not 130), and `--brief` prints one line with the usual exit code.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startFakeServer } from '../helpers/fake-server.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

let mosq: Mosquitto;
beforeAll(async () => {
  mosq = await startMosquitto();
});
afterAll(async () => {
  await mosq?.stop();
});

test('-c 0 probes until Ctrl-C, then prints the summary and exits by the verdict', async () => {
  const r = await runCli(['probe', mosq.url, '-c', '0', '-i', '50ms', '--json'], {
    signal: { name: 'SIGINT', whenStderr: 'seq=4 ' },
    timeoutMs: 20_000,
  });
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as {
    verdict: { status: string };
    data: { rtt: { sent: number; received: number; lost: number } };
  };
  expect(doc.verdict.status).toBe('healthy');
  expect(doc.data.rtt.sent).toBeGreaterThanOrEqual(4);
  // A probe in flight at Ctrl-C is neither answered nor lost.
  expect(doc.data.rtt.lost).toBe(0);
});

test('Ctrl-C before -c 0 has probed anything is still an interruption (130)', async () => {
  const silent = await startFakeServer('silent');
  try {
    const r = await runCli(['probe', silent.url, '-c', '0', '--connect-timeout', '20s'], {
      // Once the server holds our connection: the CLI is up and waiting for a CONNACK that never comes.
      signal: { name: 'SIGINT', when: () => silent.connections > 0 },
      timeoutMs: 25_000,
    });
    expect(r.code).toBe(130);
  } finally {
    await silent.close();
  }
});

test('--brief: one line with verdict, connect time and RTT; exit 0', async () => {
  const r = await runCli(['probe', mosq.url, '-c', '2', '-i', '20ms', '--brief']);
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(r.stderr).not.toMatch(/seq=/); // no per-probe lines around the one line
  expect(lines[0]).toMatch(
    new RegExp(
      `^HEALTHY  ${mosq.url.replace(/[.]/g, '\\.')}  connect [\\d.]+ (ms|µs)  rtt p50 [\\d.]+ (ms|µs) p99 [\\d.]+ (ms|µs)  2/2 replies$`,
    ),
  );
});

test('--brief on an unreachable target: one line, exit 3', async () => {
  const r = await runCli(['probe', 'mqtt://127.0.0.1:1', '-c', '1', '--brief']);
  expect(r.code).toBe(3);
  expect(r.stdout.trim().split('\n')).toHaveLength(1);
  expect(r.stdout).toMatch(/^FAILED {2}mqtt:\/\/127\.0\.0\.1:1 {2}.*ECONNREFUSED/);
});

test('--brief with --json is a usage error', async () => {
  const r = await runCli(['probe', mosq.url, '--brief', '--json']);
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toMatch(/--brief and --json/);
});
