/**
 * `soak --workers K --html FILE`: the page is written and draws the merged run, the same charts `report --html`
 * draws from the run's --out file (which merges the workers' lines as shards), with every worker's clients in it.
 * The fault is real: the impair proxy's NAT forgets idle flows, so every client loses its connection.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

test('2 workers: the live page draws the merged run, as report --html of its file does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-workers-html-'));
  const live = join(dir, 'live.html');
  const out = join(dir, 'live.jsonl');
  const r = await runCli(
    [
      'soak',
      '--embedded',
      '-n',
      '4',
      '--workers',
      '2',
      '-d',
      '5s',
      '--rate',
      '1/s',
      '--checkpoint',
      '1s',
      '--reconnect',
      'fixed:300ms',
      '--impair',
      'nat-idle=600ms,nat-mode=reset',
      '--out',
      out,
      '--html',
      live,
      '--json',
    ],
    { timeoutMs: 60_000 },
  );
  const report = JSON.parse(r.stdout) as {
    data: { summary: { clients: number; connections: { disconnects: number } } };
  };
  expect(report.data.summary.clients).toBe(4);
  // Ground truth: the NAT drops idle flows (a message a second, idle 600 ms), so connections were lost.
  expect(report.data.summary.connections.disconnects).toBeGreaterThanOrEqual(4);
  const page = readFileSync(live, 'utf8');
  // Both workers' clients (worker 0: 0–1, worker 1: 2–3) have a lane.
  expect(page.match(/<g class="lane[^"]*"/g)).toHaveLength(4);
  const fromFile = join(dir, 'from-file.html');
  const merged = await runCli(['report', out, '--html', fromFile, '--json'], { timeoutMs: 30_000 });
  const fromReport = JSON.parse(merged.stdout) as typeof report;
  expect(fromReport.data.summary.connections.disconnects).toBe(report.data.summary.connections.disconnects);
  const figures = (html: string) =>
    [...html.matchAll(/<figure class="chart[^"]*" id="([^"]+)">[\s\S]*?<\/figure>/g)].map((m) => [m[1], m[0]]);
  const a = figures(page);
  expect(a.map(([id]) => id)).toEqual([
    'connected',
    'timeline',
    'latency',
    'messages',
    'causes',
    'reconnect-hist',
    'connected-hist',
  ]);
  expect(a).toEqual(figures(readFileSync(fromFile, 'utf8')));
});
