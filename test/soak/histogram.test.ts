/**
 * The checkpoint histograms: serialisable, mergeable, accurate to the bucket width (2 %), and the windows of
 * a real run add up to the run's total.
 */
import { describe, expect, test } from 'vitest';
import { MergeableHistogram, HISTOGRAM_BASE } from '../../src/analyze/soak/histogram.js';
import { percentile } from '../../src/analyze/stats.js';
import { startMosquitto, cleanup } from '../helpers/mosquitto.js';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { validateSoakEvent } from '../../src/analyze/soak/events.js';
import { soakAgainst, sleep } from './helpers.js';

/** A deterministic spread of latencies, 0.05 ms to ~2 s (no Math.random: the test must be repeatable). */
function samples(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return 0.05 * Math.exp((x / 2 ** 31) * 10.6);
  });
}

describe('MergeableHistogram', () => {
  test.each([50, 90, 99, 99.9])('p%s within the bucket width of the exact value', (p) => {
    const xs = samples(20_000, 7);
    const h = new MergeableHistogram();
    for (const x of xs) h.record(x);
    const exact = percentile(
      [...xs].sort((a, b) => a - b),
      p,
    );
    expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThanOrEqual(HISTOGRAM_BASE - 1 + 1e-9);
  });

  test('merging two JSON round-tripped halves equals recording all', () => {
    const a = samples(5000, 1);
    const b = samples(7000, 2);
    const all = new MergeableHistogram();
    for (const x of [...a, ...b]) all.record(x);
    const ha = new MergeableHistogram();
    const hb = new MergeableHistogram();
    for (const x of a) ha.record(x);
    for (const x of b) hb.record(x);
    const merged = MergeableHistogram.from(JSON.parse(JSON.stringify(ha.toJSON()))).merge(
      JSON.parse(JSON.stringify(hb.toJSON())),
    );
    expect(merged.toJSON().buckets).toEqual(all.toJSON().buckets);
    expect(merged.count).toBe(12_000);
    expect(merged.percentile(99)).toBe(all.percentile(99));
  });

  test('an empty histogram serialises with nulls and a foreign scheme is refused', () => {
    expect(new MergeableHistogram().toJSON()).toMatchObject({ count: 0, minMs: null, maxMs: null, buckets: [] });
    expect(() =>
      new MergeableHistogram().merge({
        base: 2,
        unit: 'us',
        count: 0,
        sumMs: 0,
        minMs: null,
        maxMs: null,
        buckets: [],
      }),
    ).toThrow();
  });
});

test('checkpoint windows of a real run add up to its total and validate against the file schema', async () => {
  const broker = await startMosquitto({ globalConfig: ['set_tcp_nodelay true'] });
  try {
    const h = await soakAgainst(broker.url, { ratePerS: 20, checkpointMs: 300, drainMs: 500 });
    await sleep(2000);
    h.abort.abort();
    const { summary } = await h.run.done;
    const lines = h.events.filter(
      (e): e is Extract<SoakEvent, { type: 'checkpoint' | 'end' }> => e.type === 'checkpoint' || e.type === 'end',
    );
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const merged = new MergeableHistogram();
    let connacks = 0;
    for (const l of lines) {
      expect(validateSoakEvent(JSON.parse(JSON.stringify(l)))).toBeDefined();
      merged.merge(l.summary.window!.latency);
      connacks += l.summary.window!.connack.count;
    }
    expect(merged.count).toBe(summary.messages.latencyMs!.count);
    expect(connacks).toBe(summary.connections.connects);
    // Windows tile the run: each starts where the previous ended.
    for (let i = 1; i < lines.length; i += 1)
      expect(lines[i]!.summary.window!.fromMs).toBe(lines[i - 1]!.summary.window!.toMs);
  } finally {
    await broker.stop();
    cleanup(broker);
  }
});
