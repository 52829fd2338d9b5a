import { describe, expect, test } from 'vitest';
import {
  MAX_TIMER_MS,
  parseBitRate,
  parseBytes,
  parseDurationMs,
  parsePercent,
  parseRate,
  formatDuration,
} from '../../src/config/units.js';
import { UsageError } from '../../src/errors.js';
import { formatHostPort, formatTarget, parseTarget } from '../../src/config/target.js';

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

  test('one unit rule: a bare number is seconds; where milliseconds are usual it is refused as ambiguous', () => {
    expect(parseDurationMs('20', 'interval')).toBe(20_000);
    expect(parseDurationMs('0', 'latency', 'ms')).toBe(0);
    expect(() => parseDurationMs('20', 'latency', 'ms')).toThrow(/--latency: a bare "20" is ambiguous/);
    expect(() => parseDurationMs(50, 'max-p99', 'ms')).toThrow(UsageError);
    expect(parseDurationMs('20ms', 'latency', 'ms')).toBe(20);
  });

  // https://nodejs.org/api/timers.html: a delay above 2^31 - 1 ms becomes 1 ms.
  test.each(['connect-timeout', 'timeout', 'interval', 'checkpoint', 'loss-grace', 'nat-idle', 'reconnect'])(
    '--%s 30d feeds one timer: refused with one line',
    (option) => {
      expect(() => parseDurationMs('30d', option)).toThrow(
        new RegExp(`--${option}: 30d is longer than a timer can wait`),
      );
      expect(parseDurationMs('24d', option)).toBe(24 * 86_400_000);
      expect(() => parseDurationMs(String(MAX_TIMER_MS / 1000 + 1), option)).toThrow(UsageError);
    },
  );

  test.each(['duration', 'session-expiry', 'max-downtime'])(
    '--%s runs long (re-armed or not a timer): 90d is fine',
    (option) => {
      expect(parseDurationMs('90d', option)).toBe(90 * 86_400_000);
    },
  );

  test('a caller whose --duration is a single timer asks for the limit', () => {
    expect(() => parseDurationMs('30d', 'duration', 's', 'timer')).toThrow(/longer than a timer can wait/);
  });

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

describe('host:port', () => {
  test.each([
    ['::1', 1883, '[::1]:1883'],
    ['fe80::1%eth0', 8883, '[fe80::1%eth0]:8883'],
    ['127.0.0.1', 1883, '127.0.0.1:1883'],
    ['broker.local', 80, 'broker.local:80'],
    ['[::1]', 1, '[::1]:1'],
  ])('%s %d → %s', (host, port, want) => expect(formatHostPort(host, port)).toBe(want));

  test('an IPv6 target prints in brackets', () => {
    expect(formatTarget(parseTarget('mqtt://[::1]:1884'))).toBe('mqtt://[::1]:1884');
  });
});
