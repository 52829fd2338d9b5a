/**
 * mergeShards on synthetic runs with known truth: one fleet's history is generated once, written as one
 * unsharded file and as the files of N shards; the merge of the shards must give the single file's figures
 * (counts exactly, connection history exactly, latency from the same histogram buckets).
 */
import { describe, expect, test } from 'vitest';
import { parseSoakLines, replaySoak } from '../../src/analyze/soak/events.js';
import { MergeableHistogram } from '../../src/analyze/soak/histogram.js';
import { groupShardStreams, histogramSummary, mergeShards, shardSetProblem } from '../../src/analyze/soak/merge.js';
import { summarizeConnections, type LatencySummary } from '../../src/analyze/soak/summary.js';
import { fleet, roundTrip, runLines, shardFiles } from './shard-fixtures.js';
import { shardSlice } from '../../src/config/soak.js';

/** Same buckets, same percentiles; the mean differs only by the order of a floating-point sum. */
function expectSameLatency(a: LatencySummary | null | undefined, b: LatencySummary | null | undefined): void {
  expect(a).not.toBeNull();
  expect({ ...a, avg: 0 }).toEqual({ ...b, avg: 0 });
  expect(a?.avg).toBeCloseTo(b?.avg ?? Number.NaN, 9);
}

describe('mergeShards', () => {
  const truth = fleet(13);
  const single = mergeShards(
    groupShardStreams([{ file: 'one.jsonl', events: roundTrip(runLines('run-a', 13, truth)) }]).streams,
  );

  test.each([1, 2, 4, 13])('%i shards merge to the single run', (count) => {
    const g = groupShardStreams(shardFiles(truth, count));
    expect(g.duplicates).toEqual([]);
    expect(g.orphans).toBe(0);
    expect(shardSetProblem(g.streams)).toBeUndefined();
    const m = mergeShards(g.streams);
    expect(m.shardCount).toBe(count);
    expect(m.shards.map((s) => s.state)).toEqual(Array(count).fill('finished'));
    expect(m.findings).toEqual([]);
    expect(m.end).toBe('duration');
    // Counts add, exactly.
    expect(m.summary.clients).toBe(13);
    expect(m.summary.connections).toEqual(single.summary.connections);
    expect({ ...m.summary.messages, latencyMs: null }).toEqual({ ...single.summary.messages, latencyMs: null });
    // The same samples in the same buckets: the same percentiles.
    expectSameLatency(m.summary.messages.latencyMs, single.summary.messages.latencyMs);
    expectSameLatency(m.summary.fleet?.connackMs, single.summary.fleet?.connackMs);
    expect(m.summary.fleet?.firstConnects).toBe(13);
    expect(m.summary.fleet?.askedPerS).toBe(100 * count);
    expect(m.summary.perClient.map((r) => r.client).sort((a, b) => a - b)).toEqual([...Array(13).keys()]);
    // Histories interleave by time.
    expect(m.events.every((e, i) => i === 0 || (m.events[i - 1]?.t ?? 0) <= e.t)).toBe(true);
    expect(m.recentDisconnects).toEqual(single.recentDisconnects.map((e) => expect.objectContaining({ ...e })));
  });

  test('the truth itself: sums over the generated clients', () => {
    const sent = truth.reduce((n, c) => n + c.windows.reduce((k, w) => k + w.sent, 0), 0);
    const lost = truth.reduce((n, c) => n + c.windows.reduce((k, w) => k + w.lost, 0), 0);
    const reconnects = truth.reduce((n, c) => n + c.events.filter((e) => e.type === 'connect').length - 1, 0);
    const m = single.summary;
    expect(m.messages.sent).toBe(sent);
    expect(m.messages.lost).toBe(lost);
    expect(m.messages.lossPct).toBeCloseTo((100 * lost) / sent, 12);
    expect(m.connections.reconnects).toBe(reconnects);
    const all = new MergeableHistogram();
    for (const c of truth) for (const w of c.windows) for (const x of w.latencies) all.record(x);
    expectSameLatency(m.messages.latencyMs, histogramSummary(all));
    // Replaying one file by itself gives the same connection accounting.
    const r = replaySoak(roundTrip(runLines('run-a', 13, truth)));
    expect(summarizeConnections(r.timelines, single.atMs, 10_000)).toEqual(m.connections);
  });

  test('one file holding several shards interleaved (the workers of one process) merges the same', () => {
    const files = shardFiles(truth, 4);
    const interleaved = files.flatMap((f) => f.events).sort((a, b) => a.t - b.t);
    const starts = interleaved.filter((e) => e.type === 'start');
    const rest = interleaved.filter((e) => e.type !== 'start');
    const m = mergeShards(groupShardStreams([{ file: 'workers.jsonl', events: [...starts, ...rest] }]).streams);
    expect(m.summary.connections).toEqual(single.summary.connections);
    expect(m.summary.messages).toEqual(mergeShards(groupShardStreams(files).streams).summary.messages);
  });

  test('a missing shard is named and fails; the rest still add up', () => {
    const files = shardFiles(truth, 4).filter((_, i) => i !== 2);
    const m = mergeShards(groupShardStreams(files).streams);
    expect(m.shards[2]).toMatchObject({ index: 2, state: 'missing', clients: { from: 6, to: 9 } });
    expect(m.findings).toEqual([
      expect.objectContaining({ id: 'shard-missing', status: 'fail', summary: 'no lines of shard 2/4 (clients 6–8)' }),
    ]);
    expect(m.summary.clients).toBe(10);
    const kept = truth.filter((c) => c.client < 6 || c.client >= 9);
    expect(m.summary.messages.sent).toBe(kept.reduce((n, c) => n + c.windows.reduce((k, w) => k + w.sent, 0), 0));
  });

  test('a killed shard (no end line) is named; its messages count up to its last checkpoint', () => {
    const files = shardFiles(truth, 2);
    const f1 = files[1];
    if (!f1) throw new Error('no shard 1');
    f1.events = f1.events.filter((e) => e.type !== 'end');
    const m = mergeShards(groupShardStreams(files).streams);
    expect(m.shards.map((s) => s.state)).toEqual(['finished', 'killed']);
    expect(m.findings.map((f) => f.id)).toEqual(['shard-unfinished']);
    expect(m.findings[0]?.summary).toMatch(/^no end line from shard 1\/2 \(clients 6–12\), last line /);
    const { from } = shardSlice(13, { index: 1, count: 2 });
    const expected = truth.reduce(
      (n, c) => n + c.windows.slice(0, c.client < from ? 3 : 2).reduce((k, w) => k + w.sent, 0),
      0,
    );
    expect(m.summary.messages.sent).toBe(expected);
    expect(m.end).toBe('duration');
  });

  test.each([
    [
      'two run ids',
      () => [...shardFiles(truth, 2, 'run-a').slice(0, 1), ...shardFiles(truth, 2, 'run-b').slice(1)],
      /2 different runs: run-a \(soak-0.jsonl\); run-b \(soak-1.jsonl\)/,
    ],
    [
      'shard counts disagree',
      () => [...shardFiles(truth, 2).slice(0, 1), ...shardFiles(truth, 4).slice(1, 2)],
      /disagree on the shard count/,
    ],
  ])('%s: a problem naming the files', (_name, files, message) => {
    const g = groupShardStreams(files());
    expect(shardSetProblem(g.streams)).toMatch(message);
    expect(() => mergeShards(g.streams)).toThrow(message);
  });

  test('the same shard in two files is a duplicate', () => {
    const files = shardFiles(truth, 2);
    const g = groupShardStreams([...files, { file: 'copy.jsonl', events: files[0]?.events ?? [] }]);
    expect(g.duplicates).toEqual([{ runId: 'run-a', index: 0, files: ['soak-0.jsonl', 'copy.jsonl'] }]);
  });

  test('lines of a shard whose start line is elsewhere are orphans, not guesses', () => {
    const files = shardFiles(truth, 2);
    const f1 = files[1];
    if (!f1) throw new Error('no shard 1');
    const g = groupShardStreams([files[0] ?? f1, { file: 'cut.jsonl', events: f1.events.slice(1) }]);
    expect(g.orphans).toBe(f1.events.length - 1);
    expect(g.streams).toHaveLength(1);
  });

  test('tagShard: the start line names the shard, every other line carries its index', () => {
    const lines = runLines('run-a', 13, truth.slice(0, 2), { index: 1, count: 4 });
    expect(lines[0]).toMatchObject({ type: 'start', shard: { index: 1, count: 4 } });
    expect(lines.slice(1).every((e) => e.shard === 1)).toBe(true);
    // Bad tags are bad lines.
    const bad = [
      { ...lines[0], shard: { index: 4, count: 4 } },
      { ...lines[1], shard: 'x' },
      { ...lines[1], shard: -1 },
    ];
    expect(parseSoakLines(bad.map((b) => JSON.stringify(b)).join('\n')).badLines).toBe(3);
  });
});
