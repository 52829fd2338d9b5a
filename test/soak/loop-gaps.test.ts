/**
 * soak's loop-delay windows (src/measure/soak/loop-gaps.ts) on a hand-moved clock: a stall is counted in the
 * window that closes it wherever it falls, including the two places Node's reset histogram lost it.
 */
import { describe, expect, test } from 'vitest';
import { LoopGaps } from '../../src/measure/soak/loop-gaps.js';

/** A LoopGaps on a clock the test moves; `at(t)` sets the clock and returns the gaps. */
function onClock(periodMs: number) {
  let t = 0;
  const gaps = new LoopGaps(periodMs, () => t);
  return { gaps, at: (ms: number) => ((t = ms), gaps) };
}

describe('LoopGaps', () => {
  test('a loop that turns on time reads as no delay', () => {
    const { at } = onClock(20);
    for (let ms = 20; ms <= 1000; ms += 20) at(ms).tick();
    expect(at(1000).take()).toBe(0);
  });

  test('a stall before the first tick is counted (the histogram had no previous tick to measure from)', () => {
    const { at } = onClock(20);
    at(700).tick(); // the first tick, after a 700 ms stall that began as the watch did
    at(720).tick();
    expect(at(1000).take()).toBe(700 - 20);
  });

  test('a stall that starts just after a window closes lands in the next window, whole', () => {
    const { at } = onClock(20);
    at(1000).take();
    at(1705).tick(); // stalled from 1001
    expect(at(2000).take()).toBe(705 - 20);
  });

  test('a stall still open when the window closes counts there, and not again in the next window', () => {
    const { at } = onClock(20);
    at(300).tick();
    expect(at(1000).take()).toBe(700 - 20); // the sample itself came late: the gap is closed by it
    at(1010).tick(); // the tick that was held up by the same stall
    expect(at(2000).take()).toBe(990 - 20); // no tick from 1010 to 2000: a stall of its own
  });

  test('the longest gap of the window counts, and the next window starts afresh', () => {
    const { at } = onClock(20);
    at(100).tick();
    at(400).tick(); // 300
    at(450).tick(); // 50
    expect(at(460).take()).toBe(280);
    at(480).tick();
    expect(at(500).take()).toBe(0);
  });
});
