/**
 * `soak --workers K` against a real mosquitto: the workers are real processes (their pids differ from the
 * parent's and each other's), their lines land in one --out file that `report` reads back to the same
 * figures, a worker killed with SIGKILL is named and its clients' counts up to its last checkpoint are kept,
 * and SIGTERM to the parent stops every worker and still gives the merged report.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { workerCount } from '../../src/config/workers.js';
import { workerShard } from '../../src/measure/soak/workers.js';
import { BIN, runCli } from '../helpers/cli.js';
import { cleanup, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { tempDir } from './helpers.js';

describe('worker count and shards', () => {
  test.each([
    // asked, clients, cores → count, said
    [undefined, 10, 2, 1, false],
    [undefined, 1999, 8, 1, false],
    [undefined, 2000, 2, 2, true],
    [undefined, 36_000, 4, 4, true],
    [undefined, 36_000, 1, 1, false],
    [3, 10, 2, 3, false],
  ] as const)('--workers %s, -n %i, %i cores → %i', (asked, clients, cores, count, said) => {
    const r = workerCount(asked, clients, cores);
    expect(r.count).toBe(count);
    expect(r.said !== undefined).toBe(said);
  });

  test.each([
    [0, /not a whole number from 1 to 64/],
    [65, /not a whole number from 1 to 64/],
    [1.5, /not a whole number/],
    [11, /leaves workers without a client/],
  ])('--workers %s for 10 clients is refused', (asked, why) => {
    expect(() => workerCount(asked, 10, 2)).toThrow(why);
  });

  test.each([
    // w, K, outer → shard of the run
    [0, 2, undefined, { index: 0, count: 2 }],
    [1, 2, undefined, { index: 1, count: 2 }],
    [0, 2, { index: 1, count: 2 }, { index: 2, count: 4 }],
    [1, 2, { index: 1, count: 2 }, { index: 3, count: 4 }],
    [2, 3, { index: 4, count: 5 }, { index: 14, count: 15 }],
  ])('worker %i of %i in shard %j is shard %j', (w, k, outer, want) => {
    expect(workerShard(w, k, outer)).toEqual(want);
  });
});

interface Line {
  type: string;
  shard?: number | { index: number; count: number };
  summary?: { messages: { sent: number } };
}

const readLines = (file: string): Line[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Line];
          } catch {
            return [];
          }
        })
    : [];

interface SoakJson {
  verdict: { status: string; exitCode: number };
  checks: Array<{ id: string; status: string; summary: string }>;
  data: {
    end: string;
    summary: {
      clients: number;
      connections: { connects: number };
      messages: { sent: number; received: number };
      fleet: { sources?: unknown[] };
    };
    shards: { count: number; list: Array<{ index: number; state: string }> };
  };
}

/** Run the CLI, and call `watch` with its stderr so far on every chunk (to act mid-run). */
function runWatched(args: string[], watch: (stderr: string, pid: number) => void, timeoutMs = 60_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      watch(stderr, child.pid!);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not finish in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const workerPids = (stderr: string): number[] =>
  [...stderr.matchAll(/worker (\d+) pid (\d+) runs/g)].map((m) => Number(m[2]));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const waitFor = async (pred: () => boolean, ms: number, what: string) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('against mosquitto', () => {
  let m: Mosquitto;
  let dir: string;
  beforeAll(async () => {
    m = await startMosquitto();
    dir = tempDir('mqd-workers-');
  });
  afterAll(async () => {
    await m.stop();
    cleanup(m);
  });

  test('2 workers: separate processes, one --out file, one report that `report` reads back the same', async () => {
    const out = join(dir, 'two.jsonl');
    const r = await runCli(
      [
        'soak',
        m.url,
        '-n',
        '6',
        '--workers',
        '2',
        '--rate',
        '5/s',
        '-d',
        '3s',
        '--checkpoint',
        '1s',
        '--out',
        out,
        '--local-address',
        '127.0.0.2,127.0.0.3',
        '--json',
      ],
      { timeoutMs: 60_000 },
    );
    expect(r.code).toBe(0);
    const pids = workerPids(r.stderr);
    expect(pids).toHaveLength(2);
    expect(new Set(pids).size).toBe(2);
    const rep = JSON.parse(r.stdout) as SoakJson;
    expect(rep.data.shards).toMatchObject({ count: 2, list: [{ state: 'finished' }, { state: 'finished' }] });
    expect(rep.data.summary.clients).toBe(6);
    expect(rep.data.summary.connections.connects).toBe(6);
    expect(rep.data.summary.messages.sent).toBeGreaterThan(0);
    expect(rep.data.summary.messages.received).toBe(rep.data.summary.messages.sent);
    // Clients 0, 2, 4 from the first address, 1, 3, 5 from the second, whichever worker runs them.
    expect(rep.data.summary.fleet.sources).toEqual([
      { address: '127.0.0.2', clients: 3, connectedNow: 3, peakConnected: 3 },
      { address: '127.0.0.3', clients: 3, connectedNow: 3, peakConnected: 3 },
    ]);
    // One file, both workers' lines, each tagged with its shard.
    const lines = readLines(out);
    expect(lines.filter((l) => l.type === 'start').map((l) => l.shard)).toEqual(
      expect.arrayContaining([
        { index: 0, count: 2 },
        { index: 1, count: 2 },
      ]),
    );
    expect(lines.filter((l) => l.type === 'end')).toHaveLength(2);
    // The broker saw the six global client ids, once each.
    const runId = (JSON.parse(readFileSync(out, 'utf8').split('\n')[0]!) as { runId: string }).runId;
    const ids = [...m.log().matchAll(new RegExp(`New client connected from \\S+ as (mqd-${runId}-\\d+)`, 'g'))].map(
      (x) => x[1],
    );
    expect(ids.sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `mqd-${runId}-${i}`));
    const back = await runCli(['report', out, '--json']);
    const again = JSON.parse(back.stdout) as SoakJson;
    expect(again.data.summary.messages).toEqual(rep.data.summary.messages);
    expect(again.data.summary.connections.connects).toBe(6);
  });

  test('--shard 1/2 with 2 workers: the workers are shards 2/4 and 3/4 of the run', async () => {
    const out = join(dir, 'composed.jsonl');
    const r = await runCli(
      ['soak', m.url, '-n', '8', '--shard', '1/2', '--workers', '2', '--rate', '0', '-d', '4s', '--out', out],
      { timeoutMs: 60_000 },
    );
    expect(r.stderr).toMatch(/worker 0 pid \d+ runs clients 4–5 \(shard 2\/4\)/);
    expect(r.stderr).toMatch(/worker 1 pid \d+ runs clients 6–7 \(shard 3\/4\)/);
    expect(r.code).toBe(0);
    const starts = readLines(out).filter((l) => l.type === 'start');
    expect(starts.map((l) => l.shard)).toEqual(
      expect.arrayContaining([
        { index: 2, count: 4 },
        { index: 3, count: 4 },
      ]),
    );
  });

  test('kill -9 of one worker: named, not healthy, its clients kept up to its last checkpoint', async () => {
    const out = join(dir, 'killed.jsonl');
    let victim: number | undefined;
    let killedAtSent = 0;
    const r = await runWatched(
      [
        'soak',
        m.url,
        '-n',
        '4',
        '--workers',
        '2',
        '--rate',
        '10/s',
        '-d',
        '5s',
        '--checkpoint',
        '300ms',
        '--out',
        out,
        '--json',
      ],
      (stderr) => {
        const pids = workerPids(stderr);
        if (victim !== undefined || pids.length < 2) return;
        victim = pids[1]!;
        const target = victim;
        // Once worker 1 has written a checkpoint with messages in it, kill it for good.
        void waitFor(
          () =>
            readLines(out).some((l) => l.type === 'checkpoint' && l.shard === 1 && (l.summary?.messages.sent ?? 0) > 0),
          30_000,
          'a checkpoint of worker 1',
        ).then(() => {
          killedAtSent = Math.max(
            ...readLines(out)
              .filter((l) => l.type === 'checkpoint' && l.shard === 1)
              .map((l) => l.summary?.messages.sent ?? 0),
          );
          process.kill(target, 'SIGKILL');
        });
      },
    );
    expect(victim).toBeDefined();
    expect(r.stderr).toMatch(
      new RegExp(`worker 1 \\(pid ${victim}, clients 2–3\\) ended by SIGKILL before its end line`),
    );
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.stdout) as SoakJson;
    expect(rep.verdict.status).not.toBe('healthy');
    expect(rep.data.shards.list.map((s) => s.state)).toEqual(['finished', 'killed']);
    expect(rep.checks.find((c) => c.id === 'finding.shard-unfinished')?.summary).toMatch(/shard 1\/2 \(clients 2–3\)/);
    // Worker 1's counts up to (at least) the checkpoint seen before the kill are in the total.
    const worker0 = readLines(out).find((l) => l.type === 'end' && l.shard === 0)?.summary?.messages.sent ?? 0;
    expect(killedAtSent).toBeGreaterThan(0);
    expect(rep.data.summary.messages.sent).toBeGreaterThanOrEqual(worker0 + killedAtSent);
  });

  test('SIGTERM to the parent stops every worker and still writes the merged report', async () => {
    const out = join(dir, 'term.jsonl');
    let pids: number[] = [];
    let sent = false;
    const r = await runWatched(
      ['soak', m.url, '-n', '4', '--workers', '2', '--rate', '5/s', '-d', '60s', '--out', out, '--json'],
      (stderr, parent) => {
        pids = workerPids(stderr);
        if (sent || pids.length < 2) return;
        sent = true;
        // Wait until every client has connected (connect lines of all four), then stop the parent only.
        void waitFor(
          () => readLines(out).filter((l) => l.type === 'connect').length >= 4,
          30_000,
          'four connects',
        ).then(() => process.kill(parent, 'SIGTERM'));
      },
    );
    expect(r.code).toBe(130);
    const rep = JSON.parse(r.stdout) as SoakJson;
    expect(rep.data.shards.list.map((s) => s.state)).toEqual(['finished', 'finished']);
    expect(rep.data.summary.connections.connects).toBe(4);
    expect(readLines(out).filter((l) => l.type === 'end')).toHaveLength(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});
