/**
 * The analyze page, rendered from reports built in-process from the small captures in fixtures/captures/
 * (recorded by test/analyze/faults*.test.ts): a lane per connection, one end mark per connection in its cause's
 * colour, hostile capture text escaped, and the worst-ended lanes kept when there are too many to draw.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { CaptureAnalyzer } from '../../src/analyze/capture/capture.js';
import { diagnose } from '../../src/analyze/capture/diagnose.js';
import { buildAnalyzeReport, type ConnectionData } from '../../src/report/build-analyze.js';
import { analyzeHtmlInput, MAX_LANES, pickLanes, renderAnalyzeHtml } from '../../src/report/html/analyze.js';

const F = (name: string): string => new URL(`../../fixtures/captures/${name}`, import.meta.url).pathname;

function reportOf(name: string) {
  const a = new CaptureAnalyzer();
  a.push(readFileSync(F(name)));
  const result = a.finish();
  return buildAnalyzeReport({
    source: name,
    compressed: false,
    interrupted: false,
    stats: result.stats,
    connections: result.connections,
    diagnosis: diagnose(result.connections),
    startedAt: new Date(0),
    finishedAt: new Date(0),
    version: 'test',
  });
}

const count = (html: string, re: RegExp): number => html.match(re)?.length ?? 0;

describe('one lane and one end mark per connection, coloured by its cause', () => {
  test.each(['takeover.pcap', 'nat-idle-reset.pcap', 'keepalive-cut.pcap', 'blackhole.pcap'])('%s', (name) => {
    const report = reportOf(name);
    const conns = report.data.connections;
    expect(conns.length).toBeGreaterThan(0);
    const html = renderAnalyzeHtml(analyzeHtmlInput(report));
    expect(count(html, /<g class="lane"/g)).toBe(conns.length);
    expect(count(html, /class="end-mark /g)).toBe(conns.length);
    for (const c of conns) {
      expect(html).toContain(`class="end-mark ae-${c.cause}"`);
      // The end is named next to its lane, with the side that closed.
      expect(html).toContain(c.cause.replace(/-/g, ' ') + ` · ${c.how.toUpperCase()} by ${c.endedBy}`);
    }
    // Every FIN/RST the analyser recorded is a mark on its lane.
    const closes = conns.reduce((n, c) => n + c.events.filter((e) => e.kind === 'fin' || e.kind === 'rst').length, 0);
    expect(count(html, /class="am-(fin|rst)"/g)).toBe(closes);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });
});

test('client ids, SNI and findings from the capture are escaped', () => {
  const report = reportOf('takeover.pcap');
  const evil = '<img src=x onerror=alert(1)>"&\'';
  for (const c of report.data.connections) {
    c.clientId = evil;
    for (const e of c.events) if (e.kind === 'connect') (e as unknown as { clientId: string }).clientId = evil;
  }
  report.checks[0]!.explanation = `client id ${evil}`;
  const html = renderAnalyzeHtml(analyzeHtmlInput(report));
  expect(html).not.toContain('<img');
  expect(html).not.toContain('onerror=alert(1)>"');
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
});

test(`more than ${MAX_LANES} connections: the worst-ended are drawn, the rest counted by cause`, () => {
  const base = reportOf('takeover.pcap').data.connections;
  const good = base.find((c) => c.severity === 'ok')!;
  const bad = base.find((c) => c.severity === 'warn')!;
  const conns: ConnectionData[] = [];
  for (let i = 0; i < 100; i++) conns.push({ ...(i % 10 === 3 ? bad : good), id: i + 1 });
  const { lanes, rest } = pickLanes(conns);
  expect(lanes).toHaveLength(MAX_LANES);
  expect(rest).toHaveLength(100 - MAX_LANES);
  expect(lanes.filter((c) => c.severity === 'warn')).toHaveLength(10);
  expect(rest.every((c) => c.severity === 'ok')).toBe(true);
  const report = reportOf('takeover.pcap');
  report.data.connections = conns;
  const html = renderAnalyzeHtml(analyzeHtmlInput(report));
  expect(count(html, /<g class="lane"/g)).toBe(MAX_LANES);
  expect(html).toContain(`The other ${100 - MAX_LANES} connections, by how they ended`);
});

test('a client id with bidi overrides and control characters is shown as escapes, and a huge one is cut', () => {
  const report = reportOf('takeover.pcap');
  const tricky = `admin\u202egnp.exe\u0000${'x'.repeat(70_000)}`;
  for (const c of report.data.connections) {
    c.clientId = tricky;
    c.explanation = `closed "${tricky}"`;
    for (const e of c.events) if (e.kind === 'connect') (e as unknown as { clientId: string }).clientId = tricky;
  }
  report.checks[0]!.explanation = `client id ${tricky}`;
  const html = renderAnalyzeHtml(analyzeHtmlInput(report));
  expect(html).not.toMatch(/[\u202e\u0000]/);
  expect(html).toContain('admin\\u202egnp.exe\\u0000');
  expect(html.length).toBeLessThan(60_000);
});
