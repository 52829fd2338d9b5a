/**
 * explain-error against real text from public threads (fixtures/errors/real/, each row with its source URL and
 * the cause the thread established). Rows are data: a miss here is fixed in the knowledge base or the reader,
 * never by matching the one line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { explainText } from '../../src/analyze/explain.js';
import { analyzeLog } from '../../src/analyze/log-timeline.js';
import { entryById } from '../../src/kb/catalog.js';

const DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'errors', 'real');
const table = (file: string) =>
  readFileSync(join(DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'));

// The line is the last column and may itself hold a tab (a log line copied verbatim), so it takes the rest.
const lines = table('lines.tsv').map(
  ([expected, emitter, source, , ...line]) => [line.join('\t'), expected ?? '', emitter ?? '', source ?? ''] as const,
);

describe('real error lines: the first candidate is the established reading', () => {
  test.each(lines)('%s → %s (%s, %s)', (line, expected) => {
    expect(explainText(line).candidates[0]?.entry.id).toBe(expected);
  });
  test('the line shape names the emitter the thread names', () => {
    const wrong = lines.filter(([line, , emitter]) => {
      const got = explainText(line).emitter?.id ?? '-';
      // '-': the text is another library's string (OpenSSL, mbedTLS) with nothing of the program that printed it.
      // paho-java lines are Java exceptions too, Paho Go wraps Go's crypto/x509 errors: either reading is right.
      return !(
        got === emitter ||
        (emitter === 'paho-java' && got === 'java') ||
        (emitter === 'java' && got === 'paho-java') ||
        (emitter === 'paho-go' && got === 'go') ||
        (emitter === 'go' && got === 'paho-go')
      );
    });
    expect(wrong.map(([l, , e]) => `${e}: ${l}`)).toEqual([]);
  });
});

/** Routine groups (connects, broker start/stop) carry no cause; the finding is the largest other group. */
const ROUTINE = new Set(['connect', 'broker-start', 'broker-stop']);

describe('real logs: the largest cause group is the established cause', () => {
  test.each(
    table('logs.tsv').map(
      ([file, source, , , expected, finding]) => [file ?? '', expected ?? '', finding ?? '', source ?? ''] as const,
    ),
  )('%s → %s %s (%s)', (file, expected, finding) => {
    const a = analyzeLog(readFileSync(join(DIR, file), 'utf8'));
    const cause = a.groups.find((g) => !ROUTINE.has(entryById(g.entryId)?.event ?? ''));
    expect(cause?.entryId).toBe(expected);
    // Where the log's pattern over time is the finding (refused every 5 s, denied, dropped), log mode names it.
    if (finding) expect(a.findings.map((f) => f.kind)).toContain(finding);
  });
  test('a bare code in a line that does not say who wrote it is kept with its other readings', () => {
    const a = analyzeLog(readFileSync(join(DIR, 'esp32-mqtt-reason-code-5.log'), 'utf8'));
    expect(a.groups[0]).toMatchObject({ entryId: 'connack311.5', count: 3 });
    expect(a.groups[0]?.readings?.length).toBeGreaterThan(0);
    // Named writer (Tasmota's "MQT: … rc 5"): read in its numbering, nothing else listed.
    const t = analyzeLog(readFileSync(join(DIR, 'tasmota-8.1-rc-5.log'), 'utf8'));
    expect(t.groups[0]?.readings).toBeUndefined();
  });
});

/**
 * Held out: lines collected in the sixth wave (heldout.tsv) and a fresh seventh-wave batch (heldout2.tsv), their
 * causes written before the tool was run on them (fixtures/errors/real/README.md). The first try on them was 13 of
 * 22 and 25 of 30; the floors are the figures after the classes they exposed were fixed, so they are no longer
 * unseen text: a change that reads fewer of them is a regression.
 */
const HELD_OUT: Array<[file: string, floor: number]> = [
  ['heldout.tsv', 20],
  ['heldout2.tsv', 30],
];
describe.each(HELD_OUT)('held-out real lines (%s)', (file, floor) => {
  const held = table(file).map(([expected, , source, , ...line]) => [line.join('\t'), expected ?? '', source] as const);
  test(`at least ${floor} of ${held.length} have the established reading first`, () => {
    const right = held.filter(([line, expected]) => explainText(line).candidates[0]?.entry.id === expected);
    expect(right.length).toBeGreaterThanOrEqual(floor);
  });
});
