/**
 * `report FILE…|DIR` over shard files: one merged report, thresholds and JUnit once over the whole, missing
 * and killed shards named with exit 1, files of different runs or the same shard twice a usage error.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { UsageError } from '../../src/errors.js';
import { buildSoakFromFiles } from '../../src/report/build-soak.js';
import { runCli } from '../helpers/cli.js';
import { fleet, roundTrip, runLines, shardFiles } from './shard-fixtures.js';
import { tempDir } from './helpers.js';

const text = (events: readonly SoakEvent[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';
const truth = fleet(9, 11);
const files = shardFiles(truth, 3).map((f) => ({ file: f.file, text: text(f.events) }));
const singleText = text(runLines('run-a', 9, truth));

describe('buildSoakFromFiles', () => {
  test('the shards of a run give the single run its figures and verdict', () => {
    const merged = buildSoakFromFiles(files, { maxLossPct: 0 }, 'test').report;
    const single = buildSoakFromFiles([{ file: 'one.jsonl', text: singleText }], { maxLossPct: 0 }, 'test').report;
    expect(merged.data.shards).toMatchObject({
      count: 3,
      list: [{ state: 'finished' }, { state: 'finished' }, { state: 'finished' }],
    });
    expect(single.data.shards).toBeUndefined();
    expect(merged.data.summary.connections).toEqual(single.data.summary.connections);
    expect(merged.data.summary.messages.sent).toBe(single.data.summary.messages.sent);
    expect(merged.data.summary.messages.lost).toBe(single.data.summary.messages.lost);
    // The threshold is checked once, over the whole run.
    const t = merged.checks.filter((c) => c.id === 'threshold.max-loss');
    expect(t).toHaveLength(1);
    expect(t[0]?.metrics).toEqual(single.checks.find((c) => c.id === 'threshold.max-loss')?.metrics);
    expect(merged.verdict.exitCode).toBe(single.verdict.exitCode);
    expect(merged.data.source?.file).toBe('soak-0.jsonl, soak-1.jsonl, soak-2.jsonl');
  });

  test('a missing shard: named, exit 1', () => {
    const r = buildSoakFromFiles([files[0]!, files[2]!], {}, 'test').report;
    expect(r.verdict.exitCode).toBe(1);
    expect(r.verdict.summary).toContain('shard 1/3 (clients 3–5)');
    expect(r.checks.find((c) => c.id === 'finding.shard-missing')?.status).toBe('fail');
  });

  test('a killed shard: named, exit 1', () => {
    const cut = files[1]!.text.split('\n').filter((l) => !l.includes('"type":"end"'));
    const r = buildSoakFromFiles(
      [files[0]!, { file: 'soak-1.jsonl', text: cut.join('\n') }, files[2]!],
      {},
      'test',
    ).report;
    expect(r.verdict.exitCode).toBe(1);
    expect(r.checks.find((c) => c.id === 'finding.shard-unfinished')?.summary).toMatch(/shard 1\/3 \(clients 3–5\)/);
  });

  test.each([
    [
      'different run ids',
      () => [
        files[0]!,
        { file: 'other.jsonl', text: text(roundTrip(runLines('run-b', 9, truth.slice(3, 6), { index: 1, count: 3 }))) },
      ],
      /2 different runs: run-a \(soak-0.jsonl\); run-b \(other.jsonl\)/,
    ],
    [
      'the same shard twice',
      () => [files[0]!, { ...files[0]!, file: 'copy.jsonl' }],
      /shard 0 of run run-a is in more than one file: soak-0.jsonl, copy.jsonl/,
    ],
    [
      'no soak file',
      () => [
        { file: 'a.jsonl', text: '{}\n' },
        { file: 'b.jsonl', text: '' },
      ],
      /a.jsonl, b.jsonl: not a soak file/,
    ],
  ])('%s is a usage error', (_name, given, message) => {
    expect(() => buildSoakFromFiles(given(), {}, 'test')).toThrow(UsageError);
    expect(() => buildSoakFromFiles(given(), {}, 'test')).toThrow(message);
  });
});

describe('mqtt-doctor report DIR (built CLI)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('mqd-shard-report-');
    mkdirSync(join(dir, 'run'));
    for (const f of files) writeFileSync(join(dir, 'run', f.file), f.text);
    writeFileSync(join(dir, 'run', 'notes.txt'), 'not a shard');
  });

  test('a folder merges every *.jsonl; JUnit holds each check once; --html draws the merged run', async () => {
    const junit = join(dir, 'soak.xml');
    const html = join(dir, 'soak.html');
    const r = await runCli(
      ['report', join(dir, 'run'), '--json', '--max-reconnects', '100', '--junit', junit, '--html', html],
      {
        timeoutMs: 30_000,
      },
    );
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { data: { shards: { count: number }; summary: { clients: number } } };
    expect(report.data.shards.count).toBe(3);
    expect(report.data.summary.clients).toBe(9);
    const xml = readFileSync(junit, 'utf8');
    const cases = [...xml.matchAll(/<testcase classname="([^"]+)"/g)].map((m) => m[1]);
    // One test case per check of the merged report: never one per shard.
    expect(cases.filter((c) => c === 'mqtt-doctor.report.threshold.max-reconnects')).toHaveLength(1);
    expect(cases.filter((c) => c === 'mqtt-doctor.report.connections')).toHaveLength(1);
    expect(readFileSync(html, 'utf8')).toContain('run run-a');
  });

  test('files of two runs: exit 2, one line naming them', async () => {
    const other = join(dir, 'other.jsonl');
    writeFileSync(other, text(roundTrip(runLines('run-b', 9, truth.slice(0, 3), { index: 0, count: 3 }))));
    const r = await runCli(['report', join(dir, 'run', 'soak-1.jsonl'), other], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2 different runs: run-a \(.*soak-1.jsonl\); run-b \(.*other.jsonl\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('a folder without shard files is a usage error', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const r = await runCli(['report', empty], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no \*\.jsonl file in this folder/);
  });
});
