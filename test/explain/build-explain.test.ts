import { describe, expect, test } from 'vitest';
import { explainText } from '../../src/analyze/explain.js';
import { analyzeLog } from '../../src/analyze/log-timeline.js';
import {
  buildExplainLogReport,
  buildExplainReport,
  type ExplainLogData,
  type ExplainTextData,
} from '../../src/report/build-explain.js';

const common = { version: '0.0.0', startedAt: new Date(0), finishedAt: new Date(5) };
const titles = (r: { view?: Array<{ title: string }> }) => (r.view ?? []).map((s) => s.title);

describe('buildExplainReport', () => {
  test.each([
    ['113', true, 0, 'Ambiguous: 2 readings, most likely first'],
    ['ECONNRESET', false, 0, 'Explanation'],
    ['no such thing', false, 1, 'Nearest known entries'],
  ] as const)('%s → ambiguous %s, exit %i, section "%s"', (text, ambiguous, exit, section) => {
    const r = buildExplainReport(explainText(text), common);
    expect((r.data as ExplainTextData).ambiguous).toBe(ambiguous);
    expect(r.verdict.exitCode).toBe(exit);
    expect(titles(r)).toContain(section);
    expect(r.command).toBe('explain-error');
  });
  test('--client adds the library setting', () => {
    const r = buildExplainReport(explainText('0x8D', { client: 'paho-go' }), { ...common, client: 'paho-go' });
    expect((r.data as ExplainTextData).candidates[0]?.clientFix).toMatch(/SetKeepAlive/);
    const todo = r.view?.find((s) => s.title === 'What to do');
    expect(todo?.kind === 'pairs' && todo.pairs.map(([k]) => k)).toContain('Fix in paho-go');
  });
});

describe('buildExplainLogReport', () => {
  test('findings go to data and the Timeline section (no check table); routine causes get no advice', () => {
    const log = Array.from(
      { length: 4 },
      (_, i) => `${1_700_000_000 + i * 2}: Client cam already connected, closing old connection.`,
    ).join('\n');
    const r = buildExplainLogReport(analyzeLog(log), 'x.log', common);
    expect(r.checks).toEqual([]);
    expect((r.data as ExplainLogData).findings).toMatchObject([{ kind: 'takeover-loop', clientId: 'cam', count: 4 }]);
    expect(titles(r)).toContain('Timeline');
    expect((r.data as ExplainLogData).groups[0]).toMatchObject({
      id: 'mosquitto.takeover',
      count: 4,
      clients: ['cam'],
    });
    expect(r.verdict.exitCode).toBe(0);
  });
  test('a bare code whose writer the log does not name: its other readings in data and in the cause column', () => {
    const log = [
      '10:00:00 [WARN] Connection refuse, reason code: 5',
      '10:00:05 [WARN] Connection refuse, reason code: 5',
    ];
    const r = buildExplainLogReport(analyzeLog(log.join('\n')), 'x.log', common);
    const g = (r.data as ExplainLogData).groups[0];
    expect(g).toMatchObject({ id: 'connack311.5', count: 2 });
    expect(g?.readings?.length).toBeGreaterThan(0);
    const table = r.view?.find((s) => s.kind === 'table');
    expect(table?.kind === 'table' && table.rows[0]?.[2]).toContain(`also read as ${g?.readings?.[0] ?? ''}`);
  });
  test('nothing recognised → exit 1', () => {
    const r = buildExplainLogReport(analyzeLog('foo\nbar\nbaz\nqux\nquux'), 'stdin', common);
    expect(r.verdict.exitCode).toBe(1);
    expect((r.data as ExplainLogData).unrecognised).toBe(5);
    expect(r.verdict.summary).toBe('none of the 5 lines in stdin is in the knowledge base');
  });
  test('one line is "1 line", and an interrupted read says so with exit 130', () => {
    const r = buildExplainLogReport(
      analyzeLog('1700000000: Client a has exceeded timeout, disconnecting.'),
      'stdin',
      common,
      { interrupted: true },
    );
    expect(r.verdict).toMatchObject({ status: 'interrupted', exitCode: 130 });
    expect(r.verdict.summary).toMatch(/1 of 1 line explained in 1 cause so far/);
  });
});
