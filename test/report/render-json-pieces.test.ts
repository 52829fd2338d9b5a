/** JSON written in pieces is the same text as JSON written at once, with long arrays cut between elements. */
import { expect, test } from 'vitest';
import { reportEnvelope, type Report } from '../../src/report/model.js';
import { renderJson, renderJsonPieces } from '../../src/report/render-json.js';

const envelope = reportEnvelope({ command: 'analyze', version: '1', startedAt: 'a', finishedAt: 'b' });
const row = (i: number): unknown => ({
  id: i,
  name: `c"${i}\n`,
  nested: { list: [i, { deep: [] }], empty: {} },
  gone: undefined,
});

test.each([0, 1, 255, 256, 3000])('%i rows: the same text, and no piece cuts inside a row', (n) => {
  const report: Report = {
    ...envelope,
    checks: [],
    data: { rows: Array.from({ length: n }, (_, i) => row(i)), also: Array.from({ length: n }, (_, i) => i), tail: [] },
    verdict: { status: 'healthy', exitCode: 0, summary: 'ok' },
    view: [{ kind: 'lines', title: 'people only', lines: [] }],
  };
  const pieces = [...renderJsonPieces(report)];
  expect(pieces.join('')).toBe(renderJson(report));
  // Every piece but the last ends right after a whole element (a `}` or a number before the next comma).
  for (const p of pieces.slice(0, -1)) expect(p).toMatch(/(\}|\d)$/);
  if (n >= 3000) expect(pieces.length).toBeGreaterThan(1);
});
