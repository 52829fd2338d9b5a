/**
 * A permanent refusal is not retried for ever when nothing ever connected (exit 4, bounded attempts;
 * --retry-refused keeps going); Ctrl-C/SIGTERM while clients are still connecting is exit 130; clean reports
 * say only what matters (no all-zero client table, "1 connect", elapsed of total in the status line).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startMosquitto, cleanup, type Mosquitto } from '../helpers/mosquitto.js';
import { startFakeServer } from '../helpers/fake-server.js';
import { runCli } from '../helpers/cli.js';
import type { Report } from '../../src/report/model.js';
import type { SoakData } from '../../src/report/build-soak.js';
import { soakStatusLine } from '../../src/ui/soak-status.js';
import { runMain as runInProcess } from '../helpers/cli.js';
import { CLEAN_VERDICT_LINE } from './helpers.js';

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto({ users: { dev: 'right-pw' }, globalConfig: ['set_tcp_nodelay true'] });
});
afterAll(async () => {
  await broker.stop();
  cleanup(broker);
});

describe('permanent refusals', () => {
  test('wrong password, nothing ever connected: stops after 3 attempts with exit 4, long before -d', async () => {
    const t0 = Date.now();
    const r = await runInProcess([
      'soak',
      `mqtt://dev:wrong@127.0.0.1:${broker.port}`,
      '-V',
      '3.1.1',
      '-d',
      '60s',
      '--reconnect',
      'fixed:100ms',
      '--json',
      '-q',
    ]);
    const rep = JSON.parse(r.stdout) as Report<SoakData>;
    expect(r.code).toBe(4);
    expect(rep.data.end).toBe('refused');
    expect(rep.data.summary.connections.connectFailures).toBe(3);
    expect(rep.verdict.summary).toMatch(/stopped retrying/);
    expect(Date.now() - t0).toBeLessThan(30_000);
  }, 40_000);

  test('--retry-refused keeps retrying until -d', async () => {
    const r = await runInProcess([
      'soak',
      `mqtt://dev:wrong@127.0.0.1:${broker.port}`,
      '-V',
      '3.1.1',
      '-d',
      '3s',
      '--reconnect',
      'fixed:100ms',
      '--retry-refused',
      '--json',
      '-q',
    ]);
    const rep = JSON.parse(r.stdout) as Report<SoakData>;
    expect(r.code).toBe(4);
    expect(rep.data.end).toBe('duration');
    expect(rep.data.summary.connections.connectFailures).toBeGreaterThan(3);
  }, 20_000);
});

describe('signals while connecting', () => {
  test('SIGTERM while the only client is still connecting (a silent server): exit 130, interrupted', async () => {
    const server = await startFakeServer('silent');
    try {
      const r = await runCli(['soak', server.url, '-V', '3.1.1', '-d', '60s'], {
        signal: { name: 'SIGTERM', whenStderr: 'soak: starting' },
        timeoutMs: 20_000,
      });
      expect(r.code).toBe(130);
      expect(r.stdout).toMatch(/INTERRUPTED|interrupted/);
      expect(r.stdout).toMatch(/before any client connected/);
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('clean reports say only what matters', () => {
  test('a clean two-client run: no per-client table of zeros, "1 connect" grammar only where it is one', async () => {
    const r = await runInProcess([
      'soak',
      `mqtt://dev:right-pw@127.0.0.1:${broker.port}`,
      '-V',
      '3.1.1',
      '-d',
      '1500ms',
      '-n',
      '2',
      '--rate',
      '5/s',
      '-q',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/Worst|Per client|Clients with problems/);
    expect(r.stdout).toMatch(/2 connects, 0 reconnects/);
    expect(r.stdout).not.toMatch(/│ time │|\btime\s+result/);
    expect(r.stdout).toMatch(CLEAN_VERDICT_LINE);
  }, 20_000);

  test('status line: elapsed of the total, singular and plural', () => {
    const summary = {
      elapsedMs: 8000,
      clients: 1,
      connections: { connectedNow: 1, reconnects: 1 },
      messages: { lost: 0, sent: 8, lossPct: 0, latencyMs: null },
    } as unknown as Parameters<typeof soakStatusLine>[0];
    expect(soakStatusLine(summary, 15_000)).toMatch(/^soak 8(\.00)? s of 15(\.0)? s · 1\/1 connected · 1 reconnect · /);
    expect(soakStatusLine(summary, null)).toMatch(/^soak 8(\.00)? s · /);
  });
});
