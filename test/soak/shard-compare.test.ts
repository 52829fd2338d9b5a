/**
 * `report before --compare after`: the same figures side by side with the change, in text and JSON; the
 * verdict, thresholds and JUnit are the after run's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compareSummaries } from '../../src/analyze/soak/compare.js';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { buildSoakFromFiles, withComparison } from '../../src/report/build-soak.js';
import { runCli } from '../helpers/cli.js';
import { fleet, shardFiles } from './shard-fixtures.js';
import { tempDir } from './helpers.js';

const text = (events: readonly SoakEvent[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';
// Two fleets with different histories (seeds); each one shard of one ("--shard 0/1"), so the summary's
// latency comes from the checkpoint histograms the fixture writes.
const beforeText = text(shardFiles(fleet(6, 1), 1, 'before')[0]!.events);
const afterText = text(shardFiles(fleet(6, 2), 1, 'after')[0]!.events);
const read = (file: string, t: string, max?: number) =>
  buildSoakFromFiles([{ file, text: t }], max === undefined ? {} : { maxReconnects: max }, 'test').report;

describe('compareSummaries', () => {
  const before = read('b.jsonl', beforeText).data.summary;
  const after = read('a.jsonl', afterText).data.summary;
  const rows = compareSummaries(before, after);
  const row = (id: string) => rows.find((r) => r.id === id)!;

  test.each([
    ['reconnects', (s: typeof before) => s.connections.reconnects],
    ['lost', (s: typeof before) => s.messages.lost],
    ['sent', (s: typeof before) => s.messages.sent],
    ['latencyP99Ms', (s: typeof before) => s.messages.latencyMs!.p99],
    ['worstClientDowntimeMs', (s: typeof before) => s.connections.worstClientDowntimeMs],
  ])("%s: both runs' figures and the change", (id, get) => {
    const r = row(id);
    expect(r.before).toBe(get(before));
    expect(r.after).toBe(get(after));
    expect(r.change).toBe(get(after) - get(before));
    if (get(before) !== 0) expect(r.changePct).toBeCloseTo((100 * (get(after) - get(before))) / get(before), 9);
  });

  test.each([
    // [figure, which way is good, the after run's change, verdict]
    ['reconnects', 'lower', -2, 'better'],
    ['reconnects', 'lower', 3, 'worse'],
    ['lost', 'lower', -5, 'better'],
    ['lost', 'lower', 5, 'worse'],
  ] as const)('%s (%s is good) changed by %i: %s', (id, better, delta, verdict) => {
    const moved =
      id === 'reconnects'
        ? { ...before, connections: { ...before.connections, reconnects: before.connections.reconnects + delta } }
        : { ...before, messages: { ...before.messages, lost: before.messages.lost + 5 + delta } };
    const base =
      id === 'reconnects' ? before : { ...before, messages: { ...before.messages, lost: before.messages.lost + 5 } };
    const r = compareSummaries(base, moved).find((x) => x.id === id)!;
    expect(r).toMatchObject({ better, change: delta, verdict });
    // A run against itself: everything the same.
    for (const x of compareSummaries(before, before)) expect([null, 'same']).toContain(x.verdict);
  });

  test('context figures have no verdict; a figure unknown on one side has no change', () => {
    expect(row('clients')).toMatchObject({ before: 6, after: 6, change: 0, verdict: null });
    // How many messages are sent and received follows from -n, --rate and -d: context, not better or worse.
    expect(row('sent')).toMatchObject({ better: null, verdict: null });
    expect(row('received')).toMatchObject({ better: null, verdict: null });
    const noLatency = { ...after, messages: { ...after.messages, latencyMs: null } };
    expect(compareSummaries(before, noLatency).find((r) => r.id === 'latencyP50Ms')).toMatchObject({
      after: null,
      change: null,
      changePct: null,
      verdict: null,
    });
  });

  test("the report: after run's checks and verdict, before run named, rows in the view", () => {
    const after = read('a.jsonl', afterText, 0);
    const r = withComparison(after, read('b.jsonl', beforeText));
    expect(r.verdict).toEqual(after.verdict);
    expect(r.checks).toEqual(after.checks);
    expect(r.data.compare?.before).toEqual({
      runId: 'before',
      file: 'b.jsonl',
      end: 'duration',
      verdict: expect.any(String),
    });
    expect(r.data.compare?.settingsDiffer).toEqual([]);
    const table = r.view?.[0];
    expect(table).toMatchObject({
      kind: 'table',
      title: 'Before (run before) → after (run after)',
      head: ['figure', 'before', 'after', 'change'],
    });
  });
});

describe('runs started with different settings', () => {
  test('are named setting by setting, before the figures, in text and JSON', () => {
    const smaller = text(shardFiles(fleet(4, 3), 1, 'smaller')[0]!.events);
    const r = withComparison(read('a.jsonl', afterText), read('s.jsonl', smaller));
    expect(r.data.compare?.settingsDiffer).toEqual([{ setting: 'clients', before: 4, after: 6 }]);
    expect(r.view?.[0]).toEqual({
      kind: 'lines',
      title: 'The runs were started with different settings: their figures are not like for like',
      lines: ['clients: 4 → 6'],
    });
    expect(r.view?.[1]).toMatchObject({ kind: 'table', head: ['figure', 'before', 'after', 'change'] });
  });
});

describe('mqtt-doctor report --compare (built CLI)', () => {
  test("JSON: data.compare with both runs' figures; text: the side-by-side table; shards on either side", async () => {
    const dir = tempDir('mqd-compare-');
    writeFileSync(join(dir, 'before.jsonl'), beforeText);
    // The after run as 3 shard files in a folder.
    const shards = join(dir, 'after');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(shards);
    for (const f of shardFiles(fleet(6, 2), 3, 'after')) writeFileSync(join(shards, f.file), text(f.events));
    const j = await runCli(
      ['report', join(dir, 'before.jsonl'), '--compare', shards, '--json', '--max-reconnects', '100'],
      {
        timeoutMs: 30_000,
      },
    );
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout) as {
      data: {
        runId: string;
        compare: { before: { runId: string }; figures: Array<{ id: string; before: number; after: number }> };
      };
      checks: Array<{ id: string }>;
    };
    expect(doc.data.runId).toBe('after');
    expect(doc.data.compare.before.runId).toBe('before');
    const single = read('a.jsonl', afterText).data.summary;
    expect(doc.data.compare.figures.find((f) => f.id === 'reconnects')).toMatchObject({
      before: read('b.jsonl', beforeText).data.summary.connections.reconnects,
      after: single.connections.reconnects,
    });
    expect(doc.checks.filter((c) => c.id === 'threshold.max-reconnects')).toHaveLength(1);
    const t = await runCli(['report', join(dir, 'before.jsonl'), '--compare', shards], { timeoutMs: 30_000 });
    expect(t.stdout).toContain('Before (run before) → after (run after)');
    expect(t.stdout).toMatch(/│ messages sent +│ \d+ +│ \d+ +│/);
  });
});
