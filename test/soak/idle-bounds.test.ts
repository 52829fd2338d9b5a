/**
 * A silent outage's start as a range, on a fake clock: the last byte received (earliest) and the first send that
 * went unanswered (latest). Downtime, uptime and connected periods carry both bounds; replay from JSONL agrees.
 */
import { describe, expect, test } from 'vitest';
import { ConnectionTimeline } from '../../src/analyze/soak/connection.js';
import { replaySoak, validateSoakEvent, type SoakEvent } from '../../src/analyze/soak/events.js';
import { summarizeConnections } from '../../src/analyze/soak/summary.js';

/** Up at 0 (CONNACK, the last byte), pinged unanswered at 30 s, found dead at 45 s, back at 46 s; run ends at 100 s. */
const idleDrop = (tl: ConnectionTimeline, unanswered?: number) => {
  tl.connect(0, false, false);
  tl.disconnect(45_000, 'keepalive-timeout', 0, unanswered);
  tl.connect(46_000, false, false);
};

describe('silent outage bounds', () => {
  test('downtime between the two bounds, connected periods both ways, uptime as a range', () => {
    const tl = new ConnectionTimeline(0, 0);
    idleDrop(tl, 30_000);
    expect(tl.downtimeMs(100_000)).toBe(46_000);
    expect(tl.downtimeMinMs(100_000)).toBe(16_000);
    const c = summarizeConnections([tl], 100_000, 10_000);
    expect(c).toMatchObject({ worstClientDowntimeMs: 46_000, worstClientDowntimeMinMs: 16_000 });
    expect(c.uptimePct).toBeCloseTo(54, 6);
    expect(c.uptimeMaxPct).toBeCloseTo(84, 6);
    expect(c.connectedMs).toMatchObject({ p50: 0 });
    expect(c.connectedUpToMs).toMatchObject({ p50: 30_000 });
    expect(c.longestOutage).toMatchObject({ fromMs: 0, latestFromMs: 30_000, toMs: 46_000 });
  });

  test('an outage still open at the end counts from each bound', () => {
    const tl = new ConnectionTimeline(0, 0);
    tl.connect(0, false, false);
    tl.disconnect(45_000, 'keepalive-timeout', 0, 30_000);
    expect(tl.downtimeMs(60_000)).toBe(60_000);
    expect(tl.downtimeMinMs(60_000)).toBe(30_000);
  });

  test('without an unanswered send the bounds agree (the start is exact)', () => {
    const tl = new ConnectionTimeline(0, 0);
    idleDrop(tl);
    const c = summarizeConnections([tl], 100_000, 10_000);
    expect(c.worstClientDowntimeMinMs).toBe(c.worstClientDowntimeMs);
    expect(c.uptimeMaxPct).toBe(c.uptimePct);
    expect(c.longestOutage).not.toHaveProperty('latestFromMs');
  });

  test('an unanswered send after detection cannot stretch the range past it', () => {
    const tl = new ConnectionTimeline(0, 0);
    tl.connect(0, false, false);
    tl.disconnect(45_000, 'keepalive-timeout', 0, 90_000);
    expect(tl.downtimeMinMs(60_000)).toBe(15_000);
  });

  test('JSONL: the field replays, and a non-number is a bad line', () => {
    const base = { type: 'disconnect', t: 45_000, client: 0, cause: 'keepalive-timeout', detail: 'Keepalive timeout' };
    const events = [
      { type: 'client', t: 0, client: 0, clientId: 'c' },
      { type: 'connect', t: 0, client: 0, attempt: 0, sessionPresent: false, sessionExpected: false },
      { ...base, silentSinceMs: 0, unansweredSendMs: 30_000 },
    ].map((e) => validateSoakEvent(e)) as SoakEvent[];
    expect(events.every(Boolean)).toBe(true);
    const [tl] = replaySoak(events).timelines;
    expect(tl!.downtimeMinMs(60_000)).toBe(30_000);
    expect(validateSoakEvent({ ...base, unansweredSendMs: 'soon' })).toBeUndefined();
  });
});
