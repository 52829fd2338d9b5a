/**
 * The report is the last thing impair writes: a connection still open when the proxy stops is closed first, its
 * `closed` event comes before the report, and the report's counters include it. Stopped by SIGINT once the
 * proxy has reported the connection (no sleeps: each step waits for the process's own output).
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { startEcho, type EchoServer } from './net.js';

let echo: EchoServer;
beforeAll(async () => {
  echo = await startEcho();
});
afterAll(async () => {
  await echo.close();
});

function until(check: () => boolean, what: string, maxMs = 20_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() - t0 > maxMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

test.each([{ mode: 'json', flags: ['--json'] }, { mode: 'text', flags: [] as string[] }])('impair ($mode): events, then the report, nothing after it', async ({ flags }) => {
  const child = spawn(process.execPath, [BIN, 'impair', '--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`, ...flags], {
    env: { ...process.env, NO_COLOR: '1', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  let client: Socket | undefined;
  try {
    await until(() => /impair: 127\.0\.0\.1:(\d+)/.test(stderr), 'the proxy to listen');
    const port = Number(/impair: 127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
    client = connect({ host: '127.0.0.1', port });
    client.on('error', () => undefined);
    await until(() => /opened/.test(stdout), 'the opened event');
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
  } finally {
    client?.destroy();
    child.kill('SIGKILL');
  }
  const lines = stdout.trimEnd().split('\n');
  if (flags.includes('--json')) {
    const events = lines.filter((l) => l.startsWith('{"type"')).map((l) => JSON.parse(l) as { type: string });
    expect(events.map((e) => e.type)).toEqual(['opened', 'closed']);
    // Every event line comes before the report document, which runs to the end of stdout.
    const report = JSON.parse(lines.slice(events.length).join('\n')) as { command: string; data: { counters: Record<string, number> } };
    expect(report.command).toBe('impair');
    expect(report.data.counters).toMatchObject({ opened: 1, closed: 1, active: 0 });
  } else {
    const closedAt = lines.findIndex((l) => /#1 closed/.test(l));
    const verdictAt = lines.findIndex((l) => /^INTERRUPTED|^OK/.test(l));
    expect(closedAt).toBeGreaterThan(-1);
    expect(closedAt).toBeLessThan(verdictAt);
    expect(verdictAt).toBe(lines.length - 1);
  }
}, 40_000);
