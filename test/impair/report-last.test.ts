/**
 * The report is the last thing impair writes: a connection still open when the proxy stops is closed first, its
 * `closed` event comes before the report, and the report's counters include it. Stopped by SIGINT once the
 * proxy has reported the connection (no sleeps: each step waits for the process's own output).
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { spawnImpair, startEcho, type EchoServer } from './net.js';

let echo: EchoServer;
beforeAll(async () => {
  echo = await startEcho();
});
afterAll(async () => {
  await echo.close();
});

test.each([
  { mode: 'json', flags: ['--json'] },
  { mode: 'text', flags: [] as string[] },
])(
  'impair ($mode): events, then the report, nothing after it',
  async ({ flags }) => {
    const run = spawnImpair(['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${echo.port}`, ...flags]);
    let client: Socket | undefined;
    try {
      client = connect({ host: '127.0.0.1', port: await run.port() });
      client.on('error', () => undefined);
      await run.until(() => /opened/.test(run.stdout()), 'the opened event');
      run.kill('SIGINT');
      expect(await run.exited).toBe(130);
    } finally {
      client?.destroy();
      run.kill('SIGKILL');
    }
    const lines = run.stdout().trimEnd().split('\n');
    if (flags.includes('--json')) {
      const events = lines.filter((l) => l.startsWith('{"type"')).map((l) => JSON.parse(l) as { type: string });
      expect(events.map((e) => e.type)).toEqual(['opened', 'closed']);
      // Every event line comes before the report document, which runs to the end of stdout.
      const report = JSON.parse(lines.slice(events.length).join('\n')) as {
        command: string;
        data: { counters: Record<string, number> };
      };
      expect(report.command).toBe('impair');
      expect(report.data.counters).toMatchObject({ opened: 1, closed: 1, active: 0 });
    } else {
      const closedAt = lines.findIndex((l) => /#1 closed/.test(l));
      const verdictAt = lines.findIndex((l) => /^INTERRUPTED|^OK/.test(l));
      expect(closedAt).toBeGreaterThan(-1);
      expect(closedAt).toBeLessThan(verdictAt);
      expect(verdictAt).toBe(lines.length - 1);
    }
  },
  40_000,
);
