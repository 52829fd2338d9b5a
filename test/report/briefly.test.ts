/** A finding's one-line summary in analyze's check table is cut between words, never inside one. */
import { expect, test } from 'vitest';
import { briefly } from '../../src/report/build-analyze.js';

const LONG =
  "the broker closed 3 connections 1.5 × keepalive after the client's last packet (the spec's 1.5 × K rule): the clients did not ping in time and the broker was right to cut them";

test('short text is kept whole', () => {
  expect(briefly('3 connections closed by the broker', 110)).toBe('3 connections closed by the broker');
});

test.each([40, 80, 110])('cut to at most %i characters, after a whole word, with an ellipsis', (max) => {
  const s = briefly(LONG, max);
  expect(s.length).toBeLessThanOrEqual(max);
  expect(s.endsWith('…')).toBe(true);
  const head = s.slice(0, -1);
  expect(LONG.startsWith(head)).toBe(true);
  // The next character of the original is a space or punctuation: no word was cut in two.
  expect(LONG.slice(head.length, head.length + 1)).toMatch(/[\s,;:(]/);
});
