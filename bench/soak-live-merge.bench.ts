/**
 * `soak --workers`: the parent's CPU per status tick as a run grows long. A real run of 2 workers × 200 clients
 * against mosquitto writes a checkpoint every 100 ms (MQD_LIVE_MERGE_CHECKPOINT) for 40 s (MQD_LIVE_MERGE_SECONDS),
 * so its file holds as many checkpoints as hours of a run at the default 30 s. Its lines are then fed to the
 * parent's live merge one at a time, as the workers' IPC delivers them; after 10, 100 and every later
 * checkpoint count in MARKS, one status tick is timed (CPU, median of 7) both ways:
 *  - baseline: what the parent did before (mergeShards over every line so far, the live summaries appended);
 *  - LiveMerge.summary(), plus the CPU of taking in the lines since the previous mark, per checkpoint.
 * The figure is the ratio at the longest mark; the notes give every mark, so the growth is visible.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.js';
import { checkBuilt } from './product.js';
import { parseSoakLines, type SoakEvent } from '../src/analyze/soak/events.js';
import { mergeShards, type ShardStream } from '../src/analyze/soak/merge.js';
import { LiveMerge } from '../src/measure/soak/workers.js';

const BIN = fileURLToPath(new URL('../bin/mqtt-doctor.js', import.meta.url));
const MARKS = [10, 100, 300, 600];
const WORKERS = 2;

/** CPU ms of `fn`, median of 7. */
function cpuMs(fn: () => void): number {
  const r: number[] = [];
  for (let i = 0; i < 7; i++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    r.push((c.user + c.system) / 1000);
  }
  return r.sort((a, b) => a - b)[3]!;
}

interface Mark {
  checkpoints: number;
  lines: number;
  oldMs: number;
  newMs: number;
  intakeMs: number;
}

/** Replay the file's lines as the parent receives them, timing a status tick at each mark. */
function measure(events: readonly SoakEvent[]): Mark[] {
  const clients = events.reduce((n, e) => (e.type === 'start' ? e.info.clients : n), 0);
  const streams: Array<ShardStream | undefined> = Array.from({ length: WORKERS }, () => undefined);
  const live = new LiveMerge(WORKERS, clients);
  const marks: Mark[] = [];
  let checkpoints = 0;
  let intakeMs = 0;
  let since = 0;
  for (const ev of events) {
    const w = typeof ev.shard === 'number' ? ev.shard : (ev.shard?.index ?? 0);
    if (ev.type === 'start') {
      const shard = { index: w, count: WORKERS };
      const start = { ...ev, shard, info: { ...ev.info, clients } };
      streams[w] = { runId: ev.runId, shard, start, events: [start], file: `worker ${w}` };
    } else streams[w]?.events.push({ ...ev, shard: w });
    const c0 = process.cpuUsage();
    live.add(w, ev);
    const c = process.cpuUsage(c0);
    intakeMs += (c.user + c.system) / 1000;
    if (ev.type !== 'checkpoint') continue;
    checkpoints += 1;
    live.setLive(w, ev.summary);
    if (!MARKS.includes(checkpoints)) continue;
    const now = (s: ShardStream): ShardStream => ({
      ...s,
      events: [...s.events, { type: 'checkpoint', t: ev.t, summary: ev.summary, shard: s.shard?.index }],
    });
    marks.push({
      checkpoints,
      lines: streams.reduce((n, s) => n + (s?.events.length ?? 0), 0),
      oldMs: cpuMs(() => mergeShards(streams.flatMap((s) => (s ? [now(s)] : [])))),
      newMs: cpuMs(() => live.summary()),
      intakeMs: intakeMs / (checkpoints - since),
    });
    intakeMs = 0;
    since = checkpoints;
  }
  return marks;
}

export default async function liveMergeBench(): Promise<BenchResult[]> {
  checkBuilt();
  const { startMosquitto, cleanup } = await import('../test/helpers/mosquitto.js');
  const broker = await startMosquitto();
  const out = join(mkdtempSync(join(tmpdir(), 'mqd-live-merge-')), 'run.jsonl');
  try {
    execFileSync(
      process.execPath,
      [
        BIN,
        'soak',
        broker.url,
        '-n',
        '400',
        '--ramp',
        '0',
        '--rate',
        '2/s',
        '--workers',
        String(WORKERS),
        '--checkpoint',
        process.env.MQD_LIVE_MERGE_CHECKPOINT ?? '100ms',
        '-d',
        `${process.env.MQD_LIVE_MERGE_SECONDS ?? 40}s`,
        '--out',
        out,
        '-q',
      ],
      { stdio: 'ignore', timeout: 180_000 },
    );
  } catch {
    // A degraded verdict exits non-zero; the file is what is measured.
  } finally {
    await broker.stop();
    cleanup(broker);
  }
  const marks = measure(parseSoakLines(readFileSync(out, 'utf8')).events);
  const last = marks.at(-1);
  if (!last) throw new Error('live-merge bench: the run wrote fewer checkpoints than the first mark');
  return [
    {
      name: `soak --workers parent status tick after ${last.checkpoints} checkpoints`,
      metric: 'CPU ms per status tick, live merge',
      value: last.newMs + last.intakeMs,
      baseline: last.oldMs,
      baselineName: 're-merging every line',
      ratio: (last.newMs + last.intakeMs) / last.oldMs,
      notes: marks
        .map(
          (m) =>
            `${m.checkpoints} checkpoints (${m.lines} lines): ${m.oldMs.toFixed(2)} → ${m.newMs.toFixed(2)} ms + ${m.intakeMs.toFixed(3)} ms intake`,
        )
        .join('; '),
    },
  ];
}
