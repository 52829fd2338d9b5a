/** The shard options: `--shard I/N` and its environment form, the slices, `--run-id`, `--start-at`, `{shard}`. */
import { describe, expect, test } from 'vitest';
import {
  parseRunId,
  parseShard,
  parseStartAt,
  shardOutPath,
  shardSlice,
  soakClientIds,
  soakShardPlan,
} from '../../src/config/soak.js';
import { UsageError } from '../../src/errors.js';

const usage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('no UsageError');
};

describe('--shard and the environment form', () => {
  test.each([
    ['0/4', {}, { index: 0, count: 4 }],
    ['3/4', {}, { index: 3, count: 4 }],
    [' 1 / 2 ', {}, { index: 1, count: 2 }],
    ['0/1', {}, { index: 0, count: 1 }],
    // The flag wins over the environment.
    ['1/2', { MQTT_DOCTOR_SHARD_COUNT: '8', JOB_COMPLETION_INDEX: '5' }, { index: 1, count: 2 }],
    [undefined, { MQTT_DOCTOR_SHARD_COUNT: '8', JOB_COMPLETION_INDEX: '5' }, { index: 5, count: 8 }],
    [undefined, { MQTT_DOCTOR_SHARD_COUNT: '8', JOB_COMPLETION_INDEX: '0' }, { index: 0, count: 8 }],
    // JOB_COMPLETION_INDEX alone belongs to some other Job: ignored.
    [undefined, { JOB_COMPLETION_INDEX: '3' }, undefined],
    [undefined, {}, undefined],
  ])('%j with %j → %j', (arg, env, want) => {
    expect(parseShard(arg, env)).toEqual(want);
  });

  test.each([
    ['4/4', {}, /--shard 4\/4: the shard index is not a whole number from 0 to 3/],
    ['1/0', {}, /the shard count is not a whole number from 1/],
    ['-1/4', {}, /--shard -1\/4 is not I\/N/],
    ['1', {}, /is not I\/N/],
    ['a/b', {}, /is not I\/N/],
    [undefined, { MQTT_DOCTOR_SHARD_COUNT: '4' }, /MQTT_DOCTOR_SHARD_COUNT=4 is set but JOB_COMPLETION_INDEX is not/],
    [undefined, { MQTT_DOCTOR_SHARD_COUNT: 'four', JOB_COMPLETION_INDEX: '1' }, /shard count is not a whole number/],
    [
      undefined,
      { MQTT_DOCTOR_SHARD_COUNT: '4', JOB_COMPLETION_INDEX: '4' },
      /shard index is not a whole number from 0 to 3/,
    ],
    [undefined, { MQTT_DOCTOR_SHARD_COUNT: '4', JOB_COMPLETION_INDEX: '1.5' }, /shard index/],
  ])('%j with %j is a usage error', (arg, env, message) => {
    expect(usage(() => parseShard(arg, env))).toMatch(message);
  });
});

describe('slices', () => {
  test.each([
    [
      10,
      4,
      [
        [0, 2],
        [2, 5],
        [5, 7],
        [7, 10],
      ],
    ],
    [
      4,
      4,
      [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
      ],
    ],
    [
      10_000,
      3,
      [
        [0, 3333],
        [3333, 6666],
        [6666, 10_000],
      ],
    ],
  ])('-n %i over %i shards', (n, count, want) => {
    expect(
      Array.from({ length: count }, (_, index) => shardSlice(n, { index, count })).map((s) => [s.from, s.to]),
    ).toEqual(want);
  });

  test('every client in exactly one shard, for many sizes', () => {
    for (let n = 1; n <= 60; n++)
      for (let count = 1; count <= n; count++) {
        const seen: number[] = [];
        for (let index = 0; index < count; index++) {
          const { from, to } = shardSlice(n, { index, count });
          expect(to - from).toBeGreaterThanOrEqual(Math.floor(n / count));
          expect(to - from).toBeLessThanOrEqual(Math.ceil(n / count));
          for (let i = from; i < to; i++) seen.push(i);
        }
        expect(seen).toEqual([...Array(n).keys()]);
      }
  });

  test('client ids come from the global index', () => {
    expect(soakClientIds(10, 'r1', undefined, false, { from: 5, to: 7 })).toEqual(['mqd-r1-5', 'mqd-r1-6']);
    expect(soakClientIds(10, 'r1', 'dev', false, { from: 8, to: 10 })).toEqual(['dev-8', 'dev-9']);
    expect(soakClientIds(10, 'r1', 'dev', true, { from: 8, to: 10 })).toEqual(['dev', 'dev']);
  });

  test('more shards than clients is a usage error', () => {
    expect(
      usage(() =>
        soakShardPlan({ shard: '0/4', clients: 3, 'run-id': undefined, 'start-at': undefined }, {}, 0, () => 'x'),
      ),
    ).toMatch(/4 shards for 3 clients/);
  });
});

describe('--run-id, --start-at, {shard}', () => {
  test('run id: given or random; only characters safe in topics and client ids', () => {
    expect(parseRunId(undefined, () => 'abc')).toBe('abc');
    expect(parseRunId('nightly-2026_12', () => 'abc')).toBe('nightly-2026_12');
    for (const bad of ['', 'a/b', 'a+b', 'a#', 'x'.repeat(65), 'a b'])
      expect(usage(() => parseRunId(bad, () => 'x'))).toMatch(/--run-id .* must be 1 to 64 letters/);
  });

  const now = Date.UTC(2026, 11, 2, 7, 0, 0);
  test.each([
    ['2026-12-02T07:00:30Z', 30_000],
    ['2026-12-02T08:00:00+01:00', 0],
    ['2026-12-02T07:00:00.250Z', 250],
    [String(now + 5000), 5000],
    // In the past: start at once.
    ['2026-12-02T06:00:00Z', 0],
    ['2026-12-03T06:59:59Z', 24 * 3600_000 - 1000],
  ])('--start-at %s waits %i ms', (text, waitMs) => {
    expect(parseStartAt(text, now)?.waitMs).toBe(waitMs);
  });

  test.each([
    ['2026-12-03T07:00:01Z', /more than 24 h ahead/],
    ['2026-12-02 08:00', /not an ISO 8601 time with a zone/],
    ['2026-12-02T08:00:00', /not an ISO 8601 time with a zone/],
    ['tomorrow', /not an ISO 8601/],
    ['2026-13-45T08:00:00Z', /not a valid time/],
  ])('--start-at %s is a usage error', (text, message) => {
    expect(usage(() => parseStartAt(text, now))).toMatch(message);
  });

  test('{shard} in --out', () => {
    expect(shardOutPath('/r/soak-{shard}.jsonl', { index: 3, count: 4 })).toBe('/r/soak-3.jsonl');
    expect(shardOutPath('/r/soak-{shard}.jsonl', undefined)).toBe('/r/soak-0.jsonl');
    expect(shardOutPath('/r/soak.jsonl', { index: 3, count: 4 })).toBe('/r/soak.jsonl');
  });
});
