import { describe, expect, test } from 'vitest';
import { describeReconnectPolicy, parseReconnectPolicy, reconnectDelayMs } from '../../src/config/reconnect.js';
import { UsageError } from '../../src/errors.js';

describe('parseReconnectPolicy', () => {
  test.each([
    ['fixed:1s', { kind: 'fixed', delayMs: 1000 }],
    ['fixed:250ms', { kind: 'fixed', delayMs: 250 }],
    ['exp:1s..120s', { kind: 'exp', minMs: 1000, maxMs: 120_000, jitter: false }],
    ['exp:500ms..2m+jitter', { kind: 'exp', minMs: 500, maxMs: 120_000, jitter: true }],
    [
      'schedule:1,3,5,10,30,60,300',
      { kind: 'schedule', delaysMs: [1000, 3000, 5000, 10_000, 30_000, 60_000, 300_000] },
    ],
    ['schedule:200ms,1s', { kind: 'schedule', delaysMs: [200, 1000] }],
  ])('%s', (spec, want) => {
    expect(parseReconnectPolicy(spec)).toEqual(want);
  });

  test.each(['', 'fixed', 'fixed:x', 'exp:1s', 'exp:10s..1s', 'exp:0s..1s', 'schedule:', 'linear:1s', 'schedule:1,,x'])(
    'rejects %j',
    (spec) => {
      expect(() => parseReconnectPolicy(spec)).toThrow(UsageError);
    },
  );
});

describe('reconnectDelayMs', () => {
  const sched = parseReconnectPolicy('schedule:1,3,5,10,30,60,300');
  const exp = parseReconnectPolicy('exp:1s..120s');
  const jit = parseReconnectPolicy('exp:1s..120s+jitter');
  test.each([
    ['fixed, any attempt', parseReconnectPolicy('fixed:2s'), 7, 0.5, 2000],
    ['schedule first', sched, 0, 0.5, 1000],
    ['schedule 4th', sched, 3, 0.5, 10_000],
    ['schedule last repeats', sched, 50, 0.5, 300_000],
    ['exp first', exp, 0, 0.5, 1000],
    ['exp doubles', exp, 3, 0.5, 8000],
    ['exp capped', exp, 7, 0.5, 120_000],
    ['exp huge attempt stays capped', exp, 5000, 0.5, 120_000],
    ['jitter low end (random 0)', jit, 2, 0, 3000],
    ['jitter middle (random 0.5)', jit, 2, 0.5, 4000],
    ['jitter high end (random→1)', jit, 2, 0.999_999, 5000],
  ])('%s', (_name, policy, attempt, r, want) => {
    expect(reconnectDelayMs(policy, attempt, () => r)).toBe(want);
  });

  test('describe names the policy', () => {
    expect(describeReconnectPolicy(jit)).toMatch(/exponential 1\.00 s doubling to 2m 00s with ±25% jitter/);
  });
});
