import { describe, expect, test } from 'vitest';
import { fitColumns, renderSection, renderText, wrapWords } from '../../src/report/render-text.js';
import type { Report } from '../../src/report/model.js';
import { Chalk } from 'chalk';

describe('pairs at 80 columns', () => {
  test.each([
    ['fits', 'p50 1.13 ms', 20, ['p50 1.13 ms']],
    [
      'breaks between words, never inside one',
      'p50 1.13 ms, max 35.9 ms (38)',
      16,
      ['p50 1.13 ms, max', '35.9 ms (38)'],
    ],
    ['never parts a number from its unit', 'K 2 s cut after 3.0 s', 4, ['K', '2 s', 'cut', 'after', '3.0 s']],
    ['keeps blank sparkline columns', '  ▇██ all 5', 8, ['  ▇██', 'all 5']],
  ])('%s', (_name, value, width, lines) => expect(wrapWords(value, width)).toEqual(lines));

  test('a long value continues under its value column and no line passes the width', () => {
    const value = 'p50 75.5 ms, p90 94.8 ms, p99 102.2 ms, max 103.0 ms (5 connects, socket up → CONNACK)';
    const out = renderSection(
      { kind: 'pairs', title: 'Fleet connects', pairs: [['CONNACK time', value]] },
      new Chalk({ level: 0 }),
      80,
    );
    const lines = out.split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[2]).toMatch(/^ {16}\S/);
    expect(
      lines
        .slice(1)
        .map((l) => l.slice(16))
        .join(' '),
    ).toBe(value);
  });
});

describe('fitColumns', () => {
  test('a table that fits keeps its natural widths', () => {
    expect(
      fitColumns(
        [
          ['a', 'bb'],
          ['ccc', 'd'],
        ],
        80,
      ),
    ).toBeUndefined();
  });

  test.each([60, 80, 120])('a wide table is squeezed to %d columns, narrow columns untouched', (width) => {
    const rows = [['id', 'x'.repeat(200), 'y'.repeat(90)]];
    const w = fitColumns(rows, width)!;
    expect(w.reduce((a, b) => a + b, 0) + w.length + 1).toBeLessThanOrEqual(width);
    expect(w[0]).toBe(4); // 'id' + padding
  });
});

describe('renderText', () => {
  const report: Report = {
    schemaVersion: 1,
    tool: { name: 'mqtt-doctor', version: 't' },
    command: 'probe',
    startedAt: '',
    finishedAt: '',
    checks: [
      { id: 'x', title: 'Check', status: 'fail', summary: 's'.repeat(300), explanation: 'why', hint: 'do this' },
    ],
    data: {},
    verdict: { status: 'failed', exitCode: 1, summary: 'bad' },
    view: [{ kind: 'table', title: 'T', head: ['a', 'b'], rows: [['1', 'w '.repeat(150)]] }],
  };

  test('no line is wider than the width, and the verdict and hint are printed', () => {
    const text = renderText(report, { colorLevel: 0, width: 80 });
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(text).toMatch(/FAILED {2}bad/);
    expect(text).toMatch(/→ do this/);
  });

  test('colour level 0 prints no escape codes, level 1 does', () => {
    expect(renderText(report, { colorLevel: 0 })).not.toMatch(/\u001b\[/);
    expect(renderText(report, { colorLevel: 1 })).toMatch(/\u001b\[/);
  });
});

test("a finding's explanation and hint wrap between words at the width, indented under their text", () => {
  const explanation = 'the broker closed (FIN) after the client was silent 4.93 s = 4.93 × its keepalive 1s, '.repeat(
    3,
  );
  const report: Report = {
    schemaVersion: 1,
    tool: { name: 'mqtt-doctor', version: '0' },
    command: 'analyze',
    startedAt: '',
    finishedAt: '',
    checks: [
      {
        id: 'x',
        title: 'Broker keepalive cut',
        status: 'warn',
        summary: 's',
        explanation,
        hint: 'make the client ping: a keepalive it can keep and a network loop that is not blocked '.repeat(2),
      },
    ],
    verdict: { status: 'degraded', exitCode: 1, summary: 'v' },
  } as unknown as Report;
  const out = renderText(report, { colorLevel: 0, width: 80 });
  const tail = out.slice(out.indexOf('! Broker keepalive cut:'));
  for (const l of tail.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
  expect(tail).toMatch(/\n {2}\S/);
  expect(tail).toMatch(/\n {4}\S/);
  expect(tail.replace(/\n +/g, ' ')).toContain(explanation.trim());
});

test('prose lines wrap under their own indent, a code snippet never wraps', () => {
  const c = new Chalk({ level: 0 });
  const prose = '  → The client sends nothing within 1.5 × its keepalive (2 s): it does not ping, its loop is blocked.';
  const wrapped = renderSection({ kind: 'lines', title: 'Timeline', lines: [prose] }, c, 60).split('\n');
  for (const l of wrapped) expect(l.length).toBeLessThanOrEqual(60);
  expect(wrapped[2]).toMatch(/^ {6}\S/);
  const code = '  // MQTT.js leaves TCP keepalive off; Node then probes every 1 s, 10 times, after the idle delay.';
  expect(renderSection({ kind: 'lines', title: 'MQTT.js', lines: [code], code: true }, c, 60)).toBe(
    `MQTT.js\n  ${code}`,
  );
});
