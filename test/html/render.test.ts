/**
 * Pure parts of the HTML report: bins, buckets, sparklines, escaping of hostile text, and the adapter's
 * accounting against the report built from the same events.
 */
import { describe, expect, test } from 'vitest';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { buildSoakFromFile } from '../../src/report/build-soak.js';
import { logEdges } from '../../src/report/html/charts.js';
import { connectedBuckets, lowestAfterAll } from '../../src/report/html/connected.js';
import { soakHtmlInput } from '../../src/report/html/soak-data.js';
import { renderSoakHtml } from '../../src/report/html/soak.js';
import { rttSparkline } from '../../src/report/html/terminal-spark.js';
import { syntheticSoak } from './synthetic.js';

const fromText = (text: string) => buildSoakFromFile(text, 'x.jsonl', {}, 'test');

describe('logEdges covers [min, max] in 1-2-5 steps', () => {
  test.each([
    [1, 1],
    [308, 1420],
    [0.2, 5],
    [1000, 86_400_000],
    [617, 674],
  ])('min %d, max %d', (min, max) => {
    const e = logEdges(min, max);
    expect(e[0]!).toBeLessThanOrEqual(Math.max(1, min));
    expect(e[e.length - 1]!).toBeGreaterThan(max);
    for (const v of e) expect([1, 2, 5]).toContain(Number((v / 10 ** Math.floor(Math.log10(v))).toPrecision(3)));
  });
});

test('connectedBuckets keeps a dip shorter than a bucket (min), and the count at its end (last)', () => {
  const b = connectedBuckets(
    [
      [0, 1],
      [10, 1],
      [52, -1],
      [55, 1],
    ],
    0,
    100,
    10,
  );
  expect(b[0]).toMatchObject({ min: 0, max: 1, last: 1 });
  expect(b[1]).toMatchObject({ min: 1, max: 2, last: 2 });
  expect(b[5]).toMatchObject({ min: 1, max: 2, last: 2 });
  expect(b[9]).toMatchObject({ min: 2, max: 2, last: 2 });
});

describe('lowestAfterAll ignores the ramp-up', () => {
  test.each([
    [
      'drops after all were up',
      [
        [0, 1],
        [1, 1],
        [5, -1],
        [6, 1],
        [8, -1],
      ],
      2,
      { count: 1, at: 5 },
      2,
    ],
    [
      'never all at once',
      [
        [0, 1],
        [3, -1],
        [4, 1],
      ],
      2,
      undefined,
      1,
    ],
    [
      'all stay up',
      [
        [0, 1],
        [2, 1],
      ],
      2,
      { count: 2, at: 2 },
      2,
    ],
  ] as Array<[string, Array<[number, number]>, number, { count: number; at: number } | undefined, number]>)(
    '%s',
    (_n, changes, clients, low, most) => {
      expect(lowestAfterAll(changes, clients)).toEqual({ lowestAfterAll: low, mostConnected: most });
    },
  );
});

describe('rttSparkline', () => {
  test.each([
    [[0, 7], '▁█'],
    [[7, null, 0], '█×▁'],
    [[null], '×'],
    [[], ''],
  ])('%j → %s', (rtts, want) => expect(rttSparkline(rtts)).toBe(want));
  test('more probes than columns: groups, and a lost probe in a group shows ×', () => {
    const rtts = Array.from({ length: 120 }, (_, i) => (i === 61 ? null : i));
    const s = rttSparkline(rtts, 60);
    expect([...s]).toHaveLength(60);
    expect([...s].indexOf('×')).toBe(30);
  });
});

test('text from the wire (disconnect details) is escaped: no markup gets into the page', () => {
  // Client 7 of the synthetic run is in a NAT-idle loop: it drops every few minutes.
  const syn = syntheticSoak(10, 3600_000, 11);
  const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const events = syn.events.map((e) => (e.type === 'disconnect' ? { ...e, detail: evil } : e));
  const text = events.map((e) => JSON.stringify(e)).join('\n');
  const html = renderSoakHtml(soakHtmlInput(fromText(text), events));
  expect(syn.disconnects).toBeGreaterThan(0);
  expect(html).not.toMatch(/<script|<img/i);
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
});

test('the adapter counts what the report counts; with more clients than lanes it keeps the worst', () => {
  const syn = syntheticSoak(300, 6 * 3600_000, 3);
  const report = fromText(syn.text);
  const c = report.data.summary.connections;
  const all = soakHtmlInput(report, syn.events, { maxLanes: 1000 });
  const some = soakHtmlInput(report, syn.events, { maxLanes: 50 });
  expect(all.disconnects).toBe(c.disconnects);
  expect(all.connectFailures).toBe(c.connectFailures);
  expect(all.lanes).toHaveLength(300);
  expect(all.reconnectMs).toHaveLength(c.timeToReconnectMs?.count ?? 0);
  expect(all.connectedMs).toHaveLength(c.connectedMs?.count ?? 0);
  expect(Math.max(...all.lanes.map((l) => l.downtimeMs))).toBe(c.worstClientDowntimeMs);
  expect(some.lanes).toHaveLength(50);
  expect(some.laneCount).toBe(300);
  const cut = Math.min(...some.lanes.map((l) => l.downtimeMs));
  const shown = new Set(some.lanes.map((l) => l.client));
  for (const l of all.lanes) if (!shown.has(l.client)) expect(l.downtimeMs).toBeLessThanOrEqual(cut);
  // The connected band ends where the replay ends: everyone who reconnected is connected.
  expect(all.connected[all.connected.length - 1]!.last).toBe(c.connectedNow);
});

test('a run with no message (idle) and no disconnect says so instead of drawing empty charts', () => {
  const syn = syntheticSoak(2, 60_000, 5);
  const events: SoakEvent[] = syn.events.map((e) =>
    e.type === 'start' ? { ...e, info: { ...e.info, ratePerS: 0 } } : e,
  );
  const report = fromText(events.map((e) => JSON.stringify(e)).join('\n'));
  const html = renderSoakHtml(soakHtmlInput(report, events));
  expect(html).toContain('Idle run (--rate 0)');
  expect(html).toContain('No disconnect and no failed attempt in this run.');
});

test('report --html into a directory that does not exist: refused before any work with one usage line (exit 2)', async () => {
  const { runMain } = await import('../helpers/cli.js');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'mqd-html-bad-')), 'run.jsonl');
  writeFileSync(file, syntheticSoak(2, 600_000, 1).text);
  const r = await runMain(['report', file, '--html', '/nonexistent-dir/x.html']);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')[0]).toMatch(/--html \/nonexistent-dir\/x\.html/);
});

test('a killed run (no end line) still draws, and the header says the file has no end line', () => {
  const syn = syntheticSoak(10, 3600_000, 2);
  const events = syn.events.filter((e) => e.type !== 'end');
  const report = fromText(events.map((e) => JSON.stringify(e)).join('\n'));
  const input = soakHtmlInput(report, events);
  expect(input.header.pairs).toContainEqual(['source', 'x.jsonl (no end line: killed run)']);
  expect(input.disconnects).toBe(report.data.summary.connections.disconnects);
  expect(input.latency.windows.length).toBeGreaterThan(0);
  expect(renderSoakHtml(input)).toContain('id="timeline"');
});
