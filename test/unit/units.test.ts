import { describe, expect, test } from 'vitest';
import { parseBitRate, parseBytes, parseDurationMs, parsePercent, parseRate, formatDuration } from '../../src/config/units.js';
import { UsageError } from '../../src/errors.js';

describe('parseDurationMs', () => {
  test.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['250ms', 250],
    ['1m30s', 90_000],
    ['60', 60_000],
    ['0.5s', 500],
    ['2d', 172_800_000],
  ])('%s → %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  test('bare numbers honour the default unit', () => expect(parseDurationMs('20', 'x', 'ms')).toBe(20));

  test.each(['', 'abc', '10 parsecs', '5s junk', '-3s'])('"%s" is a usage error naming the option', (text) => {
    expect(() => parseDurationMs(text, 'interval')).toThrow(UsageError);
    expect(() => parseDurationMs(text, 'interval')).toThrow(/--interval/);
  });
});

describe('other quantities', () => {
  test.each([
    ['0%', 0],
    ['0.1%', 0.1],
    ['5', 5],
  ])('percent %s', (t, v) => expect(parsePercent(t)).toBe(v));
  test('percent above 100 is rejected', () => expect(() => parsePercent('120%')).toThrow(UsageError));
  test.each([
    ['64', 64],
    ['1kb', 1024],
    ['2mb', 2 * 1024 * 1024],
  ])('bytes %s', (t, v) => expect(parseBytes(t)).toBe(v));
  test.each([
    ['256kbit', 256_000],
    ['10mbit', 10_000_000],
  ])('bit rate %s', (t, v) => expect(parseBitRate(t)).toBe(v));
  test.each([
    ['1/s', 1],
    ['6/m', 0.1],
    ['100/s', 100],
  ])('rate %s', (t, v) => expect(parseRate(t)).toBeCloseTo(v));
  test.each([
    [0.42, '0.420 ms'],
    [12.34, '12.3 ms'],
    [4200, '4.20 s'],
    [185_000, '3m 05s'],
  ])('formatDuration(%d)', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
