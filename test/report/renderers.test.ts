import { describe, expect, test } from 'vitest';
import { reportEnvelope, type Report } from '../../src/report/model.js';
import { FORMATS, loadRenderer, type FormatName } from '../../src/report/renderers.js';

/** Each format's module is loaded when it is picked. */
const rendererFor = async (format: FormatName) => (await loadRenderer(format)).render;

const report: Report = {
  ...reportEnvelope({
    command: 'probe',
    version: '9.9.9',
    startedAt: new Date('2026-01-01T00:00:00Z'),
    finishedAt: '2026-01-01T00:00:01.000Z',
    target: { url: 'mqtt://[::1]:1883', scheme: 'mqtt', host: '::1', port: 1883, passwordSet: false },
  }),
  checks: [{ id: 'tcp', title: 'TCP connect', status: 'fail', summary: 'ECONNREFUSED' }],
  data: { n: 1 },
  verdict: { status: 'failed', exitCode: 3, summary: 'TCP connect failed' },
  view: [{ kind: 'lines', title: 'only for people', lines: ['x'] }],
};

describe('one envelope for every report', () => {
  test('fields in schema order; insecure only when true; times as ISO strings', () => {
    expect(Object.keys(report).slice(0, 6)).toEqual([
      'schemaVersion',
      'tool',
      'command',
      'startedAt',
      'finishedAt',
      'target',
    ]);
    expect(report).toMatchObject({
      schemaVersion: 1,
      tool: { name: 'mqtt-doctor', version: '9.9.9' },
      startedAt: '2026-01-01T00:00:00.000Z',
    });
    expect('insecure' in report).toBe(false);
    expect(
      reportEnvelope({ command: 'x', version: '1', startedAt: 'a', finishedAt: 'b', insecure: true }).insecure,
    ).toBe(true);
    expect('target' in reportEnvelope({ command: 'x', version: '1', startedAt: 'a', finishedAt: 'b' })).toBe(false);
  });
});

describe('renderers are a table chosen by name', () => {
  test('the formats today', () => expect(FORMATS).toEqual(['text', 'json', 'junit']));

  test.each(FORMATS)('%s renders the model to text that names the command', async (format) => {
    const out = (await rendererFor(format))(report, { colorLevel: 0, width: 80 });
    expect(out).toMatch(/probe/);
  });

  test('json leaves out the human-only view; text shows it; junit makes the failed check a <failure>', async () => {
    expect(JSON.parse((await rendererFor('json'))(report, { colorLevel: 0 }))).not.toHaveProperty('view');
    expect((await rendererFor('text'))(report, { colorLevel: 0 })).toMatch(/only for people/);
    expect((await rendererFor('junit'))(report, { colorLevel: 0 })).toMatch(/<failure message="ECONNREFUSED"/);
  });
});
