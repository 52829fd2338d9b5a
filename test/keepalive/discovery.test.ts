import { describe, expect, test } from 'vitest';
import { narrow, planProbes, type ProbeResultAt } from '../../src/measure/idle-discovery.js';
import { parseNatIdle } from '../../src/config/keepalive-tune.js';

const r = (idleMs: number, alive: boolean): ProbeResultAt => ({ idleMs, alive, how: alive ? 'pingresp' : 'timeout' });

describe('planProbes', () => {
  test.each([
    [0, 20_000, 8, [2500, 5000, 7500, 10_000, 12_500, 15_000, 17_500, 20_000]],
    [5000, 7500, 5, [5500, 6000, 6500, 7000, 7500]],
    [0, 1_800_000, 4, [450_000, 900_000, 1_350_000, 1_800_000]],
  ])('(%i, %i] in %i points', (lo, hi, n, expected) => {
    expect(planProbes(lo, hi, n)).toEqual(expected);
  });
});

describe('narrow', () => {
  test.each([
    ['all alive', [r(2500, true), r(5000, true)], { lowMs: 5000, highMs: 20_000, sawDead: false }],
    ['alive then dead', [r(2500, true), r(5000, true), r(7500, false)], { lowMs: 5000, highMs: 7500, sawDead: true }],
    [
      'closed while silent gives the close time',
      [r(5000, true), { idleMs: 7010, alive: false, how: 'closed' as const }],
      { lowMs: 5000, highMs: 7010, sawDead: true },
    ],
    [
      'non-monotonic answers never invert the bracket',
      [r(8000, true), r(6000, false)],
      { lowMs: 6000, highMs: 6000, sawDead: true },
    ],
  ])('%s', (_name, results, expected) => {
    expect(narrow(0, 20_000, results)).toEqual(expected);
  });
});

describe('--nat-idle', () => {
  test.each([
    ['350s', 'flag', 350_000],
    ['5m', 'flag', 300_000],
    ['aws-nat', 'middlebox', 350_000],
    ['azure-lb', 'middlebox', 240_000],
    ['gcp-nat', 'middlebox', 1_200_000],
  ])('%s → %s %i ms', (text, source, ms) => {
    const idle = parseNatIdle(text);
    expect([idle.source, idle.lowMs, idle.highMs]).toEqual([source, ms, ms]);
  });

  test.each([['soon'], ['1s']])('%s is refused with a usage error', (text) => {
    expect(() => parseNatIdle(text)).toThrow(/nat-idle/);
  });
});
