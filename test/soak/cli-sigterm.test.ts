/**
 * The built CLI end to end: SIGTERM mid-run (with a broker restart in the middle) must leave a JSONL file
 * whose every line parses, and `report` on that file must reproduce the counts soak printed. A SIGKILLed run
 * must still be reportable from its last checkpoint. Runs dist/: `npm test` builds first.
 * Each test has its own broker and waits on its own run's output, so the tests run concurrently.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { mosquittoPool, type Mosquitto } from '../helpers/mosquitto.js';
import type { SoakData } from '../../src/report/build-soak.js';
import type { Report } from '../../src/report/model.js';
import { CLEAN_VERDICT_LINE, countType, linesOf, sleep, spawnCli, tempDir, until } from './helpers.js';

// Each test has its own broker (the tests run concurrently); set_tcp_nodelay as in the other soak files.
const brokers = mosquittoPool({ globalConfig: ['set_tcp_nodelay true'] });
afterAll(() => brokers.stopAll());
const startBroker = (): Promise<Mosquitto> => brokers.start();

describe.concurrent('soak CLI', () => {
  test('SIGTERM mid-run: final report printed, JSONL parses, report reproduces the counts', async () => {
    const broker = await startBroker();
    const file = join(tempDir('mqd-soak-cli-'), 'soak.jsonl');
    // Each step waits for the run's own output (its JSONL file), not for a guess of how long startup takes.
    const running = await spawnCli([
      'soak',
      broker.url,
      '-V',
      '3.1.1',
      '-n',
      '2',
      '--rate',
      '20/s',
      '--reconnect',
      'fixed:200ms',
      '--out',
      file,
      '--checkpoint',
      '500ms',
      '--json',
    ]);
    await until(() => countType(file, 'connect') >= 2, 20_000, 'both clients connected');
    await sleep(500);
    await broker.kill();
    await sleep(800);
    await broker.start();
    await until(() => countType(file, 'connect') >= 4, 20_000, 'both clients back');
    const checkpoints = countType(file, 'checkpoint');
    await until(() => countType(file, 'checkpoint') >= Math.max(5, checkpoints + 2), 20_000, 'two more checkpoints');
    running.child.kill('SIGTERM');
    const soak = await running.done;
    expect(soak.code).toBe(130);
    const live = JSON.parse(soak.stdout) as Report<SoakData>;
    expect(live.data.end).toBe('signal');
    expect(live.data.summary.connections.reconnects).toBe(2);

    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const parsed = lines.map((l) => JSON.parse(l) as { type: string });
    expect(parsed[0]?.type).toBe('start');
    expect(parsed.at(-1)?.type).toBe('end');
    expect(parsed.filter((e) => e.type === 'checkpoint').length).toBeGreaterThanOrEqual(5);

    const rep = await runCli(['report', file, '--json'], { timeoutMs: 10_000 });
    expect(rep.code).toBe(0);
    const fromFile = JSON.parse(rep.stdout) as Report<SoakData>;
    const pick = (r: Report<SoakData>) => ({
      connects: r.data.summary.connections.connects,
      reconnects: r.data.summary.connections.reconnects,
      disconnects: r.data.summary.connections.disconnects,
      byCause: r.data.summary.connections.byCause,
      downtime: Math.round(r.data.summary.connections.worstClientDowntimeMs),
      sent: r.data.summary.messages.sent,
      received: r.data.summary.messages.received,
      lost: r.data.summary.messages.lost,
      duplicates: r.data.summary.messages.duplicates,
      perClient: r.data.summary.perClient.map((c) => [c.client, c.reconnects, c.sent, c.received, c.lost]),
    });
    expect(pick(fromFile)).toEqual(pick(live));
    expect(fromFile.data.source?.complete).toBe(true);
  });

  test('SIGKILLed run: report works from the last checkpoint and says the run did not finish', async () => {
    const broker = await startBroker();
    const file = join(tempDir('mqd-soak-cli-'), 'soak.jsonl');
    const running = await spawnCli([
      'soak',
      broker.url,
      '-n',
      '1',
      '--rate',
      '20/s',
      '--out',
      file,
      '--checkpoint',
      '300ms',
    ]);
    await until(
      () => linesOf(file).some((e) => e.type === 'checkpoint' && (e.summary?.messages.sent ?? 0) > 10),
      20_000,
      'a checkpoint with 10 messages',
    );
    running.child.kill('SIGKILL');
    const soak = await running.done;
    expect(soak.signal).toBe('SIGKILL');
    const rep = await runCli(['report', file, '--json', '--max-loss', '0%'], { timeoutMs: 10_000 });
    const r = JSON.parse(rep.stdout) as Report<SoakData>;
    expect(r.data.end).toBe('killed');
    expect(r.data.source?.complete).toBe(false);
    expect(r.data.summary.connections.connects).toBe(1);
    expect(r.data.summary.messages.sent).toBeGreaterThan(10);
    expect(r.verdict.summary).toMatch(/did not finish/);
    expect(rep.code).toBe(0);
  });

  test('thresholds fail with exit 1 naming what failed, and --junit writes a failure', async () => {
    const broker = await startBroker();
    const dir = tempDir('mqd-soak-cli-');
    const junit = join(dir, 'soak.xml');
    const file = join(dir, 'soak.jsonl');
    const running = await spawnCli([
      'soak',
      broker.url,
      '-d',
      '8s',
      '--rate',
      '10/s',
      '--reconnect',
      'fixed:200ms',
      '--max-reconnects',
      '0',
      '--max-loss',
      '100%',
      '--junit',
      junit,
      '--out',
      file,
    ]);
    await until(() => countType(file, 'connect') >= 1, 20_000, 'connected');
    await broker.kill();
    await sleep(500);
    await broker.start();
    const soak = await running.done;
    expect(soak.code).toBe(1);
    expect(soak.stdout).toMatch(/threshold failed: --max-reconnects \(reconnects 1 > 0/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(
      /<testcase classname="mqtt-doctor\.soak\.threshold\.max-reconnects" name="--max-reconnects">\s*<failure/,
    );
    expect(xml).toMatch(/failures="1"/);
  });
});

test.concurrent('SIGUSR1 prints the running summary on stderr and the run goes on', async () => {
  const file = join(tempDir('mqd-soak-usr1-'), 'soak.jsonl');
  const running = await spawnCli(['soak', '--embedded', '--rate', '10/s', '-d', '6s', '--out', file]);
  await until(() => countType(file, 'connect') >= 1, 20_000, 'connected');
  await sleep(300);
  running.child.kill('SIGUSR1');
  const { code, stderr, stdout } = await running.done;
  // The plain (non-TTY) status prints once at start; SIGUSR1 adds the running summary mid-run.
  // Elapsed is whatever it was when the signal came (ms below a second): only the shape is asserted.
  expect(stderr).toMatch(/soak [\d.]+ (ms|s) of 6(\.00)? s · 1\/1 connected · 0 reconnects · 0 lost of \d+/);
  expect(stderr).toMatch(/disconnects 0, downtime 0 s worst client/);
  expect(code).toBe(0);
  expect(stdout).toMatch(CLEAN_VERDICT_LINE);
});
