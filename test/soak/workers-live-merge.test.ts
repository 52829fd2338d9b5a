/**
 * The live merge of `soak --workers` (LiveMerge): fed the workers' lines one at a time, its summary at any
 * moment is the full merge (mergeShards) of the lines so far, and each line is replayed once however often
 * the status line asks, so a status tick's work does not grow with the run's length.
 */
import { serialize } from 'node:v8';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ConnectionTimeline } from '../../src/analyze/soak/connection.js';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { groupShardStreams, mergeShards } from '../../src/analyze/soak/merge.js';
import type { SoakSummary } from '../../src/analyze/soak/summary.js';
import { LiveMerge } from '../../src/measure/soak/workers.js';
import { PackedLines } from '../../src/measure/soak/packed-lines.js';
import { fleet, shardFiles } from './shard-fixtures.js';

/** Every line of every worker, by time (workers' lines interleave on the parent's IPC channels). */
function arrivals(count: number, clients = 13): Array<{ w: number; ev: SoakEvent }> {
  return shardFiles(fleet(clients), count)
    .flatMap((f, w) => f.events.map((ev) => ({ w, ev })))
    .sort((a, b) => a.ev.t - b.ev.t);
}

/** A mean sums its samples in merge order: the same to 12 digits, not to the last bit. */
const mean = <T extends { avg: number } | null | undefined>(l: T) => l && { ...l, avg: Number(l.avg.toPrecision(12)) };

/** The figures a status line and /metrics read. */
const figures = (s: SoakSummary) => ({
  atMs: s.atMs,
  startedMs: s.startedMs,
  clients: s.clients,
  connections: s.connections,
  messages: { ...s.messages, latencyMs: mean(s.messages.latencyMs) },
  perClient: s.perClient,
  fleet: s.fleet && { ...s.fleet, connackMs: mean(s.fleet.connackMs) },
});

afterEach(() => vi.restoreAllMocks());

describe('LiveMerge', () => {
  test.each([1, 2, 4])('%i workers: after every line, the same figures as merging all lines so far', (count) => {
    const lines = arrivals(count);
    const live = new LiveMerge(count, 13);
    const seen: Array<{ w: number; ev: SoakEvent }> = [];
    for (const line of lines) {
      live.add(line.w, line.ev);
      seen.push(line);
      const files = Array.from({ length: count }, (_, w) => ({
        file: `soak-${w}.jsonl`,
        events: seen.filter((x) => x.w === w).map((x) => x.ev),
      }));
      const streams = groupShardStreams(files).streams;
      // Before every worker's start line a full merge names the others missing; the live merge has no such case.
      if (streams.length < count) continue;
      expect(figures(live.summary())).toEqual(figures(mergeShards(streams).summary));
    }
  });

  test('each line is replayed once, however many status ticks read the summary', () => {
    const connect = vi.spyOn(ConnectionTimeline.prototype, 'connect');
    const lines = arrivals(2);
    const live = new LiveMerge(2, 13);
    for (const line of lines) {
      live.add(line.w, line.ev);
      // Ten status ticks per line.
      for (let k = 0; k < 10; k++) live.summary();
    }
    expect(connect).toHaveBeenCalledTimes(lines.filter((x) => x.ev.type === 'connect').length);
  });

  test("a worker's live summary counts while it runs, its last checkpoint once it is gone", () => {
    const lines = arrivals(2).filter((x) => x.ev.type !== 'end');
    const live = new LiveMerge(2, 13);
    for (const line of lines) live.add(line.w, line.ev);
    const before = live.summary();
    const later = before.atMs + 5000;
    const w0 = { ...before, atMs: later, messages: { ...before.messages, sent: before.messages.sent + 1000 } };
    live.setLive(0, w0);
    expect(live.summary().messages.sent).toBeGreaterThan(before.messages.sent);
    expect(live.summary().atMs).toBe(later);
    live.exited(0);
    expect(live.summary().messages).toEqual(before.messages);
  });
});

describe('PackedLines (what the parent keeps of a worker for the final merge)', () => {
  test.each([1, 7, 1000])('lines packed in batches of %i come back the same, in order, and merge the same', (size) => {
    const files = shardFiles(fleet(13), 2);
    const streams = groupShardStreams(files).streams;
    const packed = streams.map((s) => {
      const p = new PackedLines();
      const rest = s.events.slice(1);
      for (let i = 0; i < rest.length; i += size) p.push(rest.slice(i, i + size));
      p.push([]);
      expect(p.length).toBe(rest.length);
      expect(p.unpack()).toEqual(rest);
      return { ...s, events: [s.start, ...p.unpack()] };
    });
    expect(mergeShards(packed)).toEqual(mergeShards(streams));
  });

  test("a ramp's lines take about 9 bytes each packed (77 serialized): their keys and id prefix repeat", () => {
    const p = new PackedLines();
    const t0 = Date.UTC(2026, 11, 3);
    const lines = Array.from({ length: 2000 }, (_, i): SoakEvent[] => [
      { type: 'client', t: t0 + i * 2.137, client: i, clientId: `mqd-abfbc617551a6484-${i}` },
      {
        type: 'connect',
        t: t0 + i * 2.137 + 1.3,
        client: i,
        attempt: 1,
        sessionPresent: false,
        sessionExpected: false,
      },
    ]).flat();
    for (let i = 0; i < lines.length; i += 100) p.push(lines.slice(i, i + 100));
    expect(p.unpack()).toEqual(lines);
    expect(p.bytes / lines.length).toBeLessThan(20);
    expect(serialize(lines).length / lines.length).toBeGreaterThan(60);
  });

  test('each unpack is a fresh copy passed through the map; the packed lines stay as they were', () => {
    const [s] = groupShardStreams(shardFiles(fleet(3), 1)).streams;
    const p = new PackedLines();
    p.push(s!.events.slice(1));
    const tagged = p.unpack((ev) => ({ ...ev, shard: 9 }) as SoakEvent);
    expect(tagged.every((ev) => ev.shard === 9)).toBe(true);
    expect(p.unpack()).toEqual(s!.events.slice(1));
  });
});
