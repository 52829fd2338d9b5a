/**
 * A soak worker's lines reach the parent in batches (event-batcher.ts): in the order written, within BATCH_MS,
 * at most BATCH_MAX to a message, and a checkpoint or end line at once. Fake timers; pure.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { BATCH_MAX, BATCH_MS, EventBatcher } from '../../src/measure/soak/event-batcher.js';

const client = (i: number): SoakEvent => ({ type: 'client', t: 1000 + i, client: i, clientId: `c-${i}` });
const checkpoint = (t: number) => ({ type: 'checkpoint', t, summary: {} }) as unknown as SoakEvent;

describe('EventBatcher', () => {
  let sent: SoakEvent[][];
  let b: EventBatcher;
  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    b = new EventBatcher((evs) => sent.push(evs));
  });
  afterEach(() => vi.useRealTimers());

  test('lines written within BATCH_MS leave as one message, in order, once BATCH_MS has passed', () => {
    for (let i = 0; i < 5; i++) b.add(client(i));
    vi.advanceTimersByTime(BATCH_MS - 1);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent.map((m) => m.map((e) => (e as { client: number }).client))).toEqual([[0, 1, 2, 3, 4]]);
    vi.advanceTimersByTime(10 * BATCH_MS);
    expect(sent).toHaveLength(1);
  });

  test('a checkpoint goes at once, with the lines before it', () => {
    b.add(client(0));
    b.add(checkpoint(2000));
    expect(sent.map((m) => m.map((e) => e.type))).toEqual([['client', 'checkpoint']]);
    b.add(client(1));
    vi.advanceTimersByTime(BATCH_MS);
    expect(sent.map((m) => m.length)).toEqual([2, 1]);
  });

  test('no message holds more than BATCH_MAX lines; none is lost or reordered', () => {
    const n = 2 * BATCH_MAX + 7;
    for (let i = 0; i < n; i++) b.add(client(i));
    expect(sent.map((m) => m.length)).toEqual([BATCH_MAX, BATCH_MAX]);
    b.flush();
    expect(sent.map((m) => m.length)).toEqual([BATCH_MAX, BATCH_MAX, 7]);
    expect(sent.flat().map((e) => (e as { client: number }).client)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  test('flush with nothing waiting sends nothing', () => {
    b.flush();
    vi.advanceTimersByTime(BATCH_MS);
    expect(sent).toEqual([]);
  });
});
