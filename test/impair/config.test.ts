import { describe, expect, test } from 'vitest';
import { describeFaults, isNoFaults, parseImpairSpec, parseListen } from '../../src/config/impair.js';
import { findProfile, MIDDLEBOXES, PROFILES } from '../../src/kb/profiles.js';
import { profileByName } from '../../src/config/keepalive-tune.js';
import { UsageError } from '../../src/errors.js';

describe('parseImpairSpec', () => {
  test.each([
    ['latency=50ms', { latencyMs: 50 }],
    ['latency=50ms,jitter=10ms', { latencyMs: 50, jitterMs: 10 }],
    ['bandwidth=256kbit', { bandwidthBps: 256_000 }],
    ['stall=1%:300ms', { stall: { pct: 1, ms: 300 } }],
    ['nat-idle=30s,nat-mode=reset', { natIdleMs: 30_000, natMode: 'reset' }],
    ['blackhole-after=60s', { blackholeAfterMs: 60_000 }],
    ['reset-after=1m', { resetAfterMs: 60_000 }],
    ['outage=20s@1m', { outages: [{ atMs: 60_000, durationMs: 20_000 }] }],
    [
      'outage=10s@5m,20s@1m,outage-mode=hang',
      {
        outages: [
          { atMs: 60_000, durationMs: 20_000 },
          { atMs: 300_000, durationMs: 10_000 },
        ],
        outageMode: 'hang',
      },
    ],
    ['4g', { latencyMs: 30, jitterMs: 15, natIdleMs: 300_000, natMode: 'drop', profile: '4g' }],
    ['4g,latency=80ms', { latencyMs: 80, jitterMs: 15, profile: '4g' }],
    ['aws-nat', { natIdleMs: 350_000, natMode: 'reset', natResetOn: 'use', profile: 'aws-nat' }],
    ['azure-lb-reset', { natIdleMs: 240_000, natMode: 'reset', natResetOn: undefined }],
    ['nat-idle=1s,nat-mode=reset,nat-reset-on=use', { natIdleMs: 1000, natMode: 'reset', natResetOn: 'use' }],
    ['aws-nat,nat-reset-on=expiry', { natMode: 'reset', natResetOn: 'expiry' }],
    ['aws-nat,4g', { natIdleMs: 300_000, natMode: 'drop', natResetOn: undefined }],
    [
      'satellite-geo,azure-lb',
      { latencyMs: 300, natIdleMs: 240_000, natMode: 'drop', profile: 'satellite-geo+azure-lb' },
    ],
    ['azure-lb,satellite-geo', { latencyMs: 300, natIdleMs: 240_000, profile: 'azure-lb+satellite-geo' }],
  ])('%s', (spec, want) => {
    expect(parseImpairSpec(spec)).toMatchObject(want);
  });

  test.each([
    ['latency=fast', '--latency: "fast" is not a duration'],
    ['wobble=3', 'unknown key "wobble"'],
    ['moon', 'unknown network profile "moon"'],
    ['nat-mode=explode', '--nat-mode: "explode" is not one of drop, reset'],
    ['stall=5%', '--stall: "5%" is not PERCENT:DELAY'],
    ['outage=20s', '--outage: "20s" is not DURATION@START'],
    ['nat-idle=0s', '--nat-idle must be greater than 0'],
    ['bandwidth=lots', '--bandwidth: "lots" is not a bit rate'],
    ['nat-idle=1s,nat-reset-on=use', '--nat-reset-on needs --nat-mode reset'],
    ['nat-mode=reset,nat-reset-on=later', '--nat-reset-on: "later" is not one of expiry, use'],
  ])('%s → UsageError', (spec, message) => {
    expect(() => parseImpairSpec(spec)).toThrow(UsageError);
    expect(() => parseImpairSpec(spec)).toThrow(message);
  });

  test('an empty spec means no faults', () => {
    expect(isNoFaults(parseImpairSpec(''))).toBe(true);
    expect(isNoFaults(parseImpairSpec('latency=1ms'))).toBe(false);
  });

  test('describeFaults names the profile and each fault', () => {
    expect(describeFaults(parseImpairSpec('4g,bandwidth=256kbit,stall=1%:300ms'))).toBe(
      '4g: latency 30.0 ms ±15.0 ms each way, bandwidth 256 kbit/s, stall 1% × 300.0 ms, nat-idle 5m 00s (drop)',
    );
  });
});

describe('profiles', () => {
  test.each(PROFILES.map((p) => [p.name, p] as const))('%s is consistent and sourced', (_n, p) => {
    expect(p.rttMs.min).toBeLessThanOrEqual(p.rttMs.typical);
    expect(p.rttMs.typical).toBeLessThanOrEqual(p.rttMs.max + 1e-9);
    // Injected RTT range 2·(L ± J) stays inside the reference range.
    expect(p.rttMs.typical - 2 * p.jitterMs).toBeGreaterThanOrEqual(p.rttMs.min - 1e-9);
    expect(p.rttMs.typical + 2 * p.jitterMs).toBeLessThanOrEqual(p.rttMs.max + 1e-9);
    expect(p.stallMs).toBeGreaterThanOrEqual(200);
    expect(p.source.length).toBeGreaterThan(20);
  });

  test('every link type the issues ask for has a profile', () => {
    expect(PROFILES.map((p) => p.name)).toEqual([
      'lan',
      'broadband',
      '4g',
      '5g',
      'satellite-geo',
      'satellite-leo',
      'nb-iot',
      'international',
    ]);
  });

  test.each(MIDDLEBOXES.map((m) => [m.name, m.idleS] as const))('middlebox %s idles out at %s s', (_n, s) => {
    expect(s).toBeGreaterThanOrEqual(60);
  });

  test('kb answers unknown for a typo; the command names the valid profiles', () => {
    expect(findProfile('4G ')?.name).toBe('4g');
    expect(findProfile('6g')).toBeUndefined();
    expect(() => profileByName('6g')).toThrow(UsageError);
    try {
      profileByName('6g');
    } catch (e) {
      expect((e as UsageError).hint).toContain('lan, broadband, 4g');
    }
  });
});

describe('parseListen', () => {
  test.each([
    ['127.0.0.1:1884', { host: '127.0.0.1', port: 1884 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['[::1]:1884', { host: '::1', port: 1884 }],
    ['localhost:1884', { host: 'localhost', port: 1884 }],
    ['1884', { host: '127.0.0.1', port: 1884 }],
  ])('%s', (text, want) => {
    expect(parseListen(text)).toEqual(want);
  });

  test.each(['', 'host', 'host:', ':1884x', '1.2.3.4:70000', '::1:1884'])('%j → UsageError', (text) => {
    expect(() => parseListen(text)).toThrow(UsageError);
  });
});
