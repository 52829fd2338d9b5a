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
    table('logs.tsv').map(([file, source, , , expected]) => [file ?? '', expected ?? '', source ?? ''] as const),
  )('%s → %s (%s)', (file, expected) => {
    const a = analyzeLog(readFileSync(join(DIR, file), 'utf8'));
    const cause = a.groups.find((g) => !ROUTINE.has(entryById(g.entryId)?.event ?? ''));
    expect(cause?.entryId).toBe(expected);
  });
});
