/**
 * A synthetic fleet with known truth for the shard tests: one history generated once (seeded), written as
 * one unsharded file or as the files of N shards, with the real record shapes.
 */
import type { SoakEvent, SoakRunInfo } from '../../src/analyze/soak/events.js';
import { parseSoakLines } from '../../src/analyze/soak/events.js';
import { MergeableHistogram } from '../../src/analyze/soak/histogram.js';
import { tagShard } from '../../src/analyze/soak/merge.js';
import { summarizeConnections, type ClientRow, type SoakSummary } from '../../src/analyze/soak/summary.js';
import { shardSlice } from '../../src/config/soak.js';

export const T0 = Date.UTC(2026, 11, 2, 8, 0, 0);

export function info(clients: number): SoakRunInfo {
  return {
    target: 'mqtt://127.0.0.1:1883',
    clients,
    qos: 1,
    ratePerS: 10,
    payloadBytes: 64,
    keepaliveS: 60,
    clean: true,
    mqttVersion: 4,
    reconnect: 'fixed:1s',
    durationMs: 60_000,
    checkpointMs: 20_000,
    flapThresholdMs: 10_000,
    lossGraceMs: 10_000,
  };
}

/** A seeded generator (mulberry32), so every run of the test sees the same fleet. */
export function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ClientTruth {
  client: number;
  /** Connection events (client, connect, disconnect…). */
  events: SoakEvent[];
  /** Per checkpoint (0, 1, 2 = end): message counts and latency samples in that window. */
  windows: Array<{ sent: number; received: number; lost: number; duplicates: number; latencies: number[] }>;
}

/** One client's made-up history: a connect, maybe outages with a failed retry, messages with latencies. */
export function clientTruth(client: number, r: () => number): ClientTruth {
  const events: SoakEvent[] = [
    { type: 'client', t: T0 + client, client, clientId: `c-${client}` },
    { type: 'connect', t: T0 + 5 + client, client, attempt: 0, sessionPresent: false, sessionExpected: false },
  ];
  let t = T0 + 1000;
  const outages = Math.floor(r() * 3);
  for (let k = 0; k < outages; k++) {
    t += 5000 + Math.floor(r() * 10_000);
    events.push({ type: 'disconnect', t, client, cause: 'broker-closed', detail: 'socket closed by the broker' });
    if (r() < 0.5) {
      t += 1000;
      events.push({
        type: 'connect-failed',
        t,
        client,
        attempt: 1,
        cause: 'refused',
        detail: 'ECONNREFUSED',
      });
    }
    t += 1000 + Math.floor(r() * 5000);
    events.push({ type: 'connect', t, client, attempt: 2, sessionPresent: false, sessionExpected: false });
  }
  const windows = [0, 1, 2].map(() => {
    const sent = 150 + Math.floor(r() * 50);
    const lost = r() < 0.3 ? Math.floor(r() * 5) : 0;
    const latencies = Array.from({ length: sent - lost }, () => 0.5 + r() * r() * 200);
    return { sent, received: sent - lost, lost, duplicates: r() < 0.1 ? 1 : 0, latencies };
  });
  return { client, events, windows };
}

/** The checkpoint/end lines a runner holding `clients` would write (summaries add up its clients). */
export function summaryLines(clients: readonly ClientTruth[], fleetClients: number, askedPerS: number): SoakEvent[] {
  const out: SoakEvent[] = [];
  for (const w of [0, 1, 2]) {
    const t = T0 + 20_000 * (w + 1);
    const lat = new MergeableHistogram();
    const connack = new MergeableHistogram();
    const rows: ClientRow[] = [];
    const m = { sent: 0, received: 0, lost: 0, duplicates: 0 };
    for (const c of clients) {
      for (const x of c.windows[w]?.latencies ?? []) lat.record(x);
      connack.record(1 + c.client / 10);
      const row = { client: c.client, sent: 0, received: 0, lost: 0, duplicates: 0 };
      for (const win of c.windows.slice(0, w + 1)) {
        row.sent += win.sent;
        row.received += win.received;
        row.lost += win.lost;
        row.duplicates += win.duplicates;
      }
      m.sent += row.sent;
      m.received += row.received;
      m.lost += row.lost;
      m.duplicates += row.duplicates;
      rows.push({ ...row, connects: 0, reconnects: 0, downtimeMs: 0, outOfOrder: 0, p99Ms: null, connected: true });
    }
    const summary: SoakSummary = {
      atMs: t,
      startedMs: T0,
      elapsedMs: t - T0,
      clients: fleetClients,
      connections: summarizeConnections([], t, 10_000),
      messages: {
        ...m,
        outOfOrder: 0,
        late: 0,
        skippedOffline: 0,
        sentOffline: 0,
        deliveredOffline: 0,
        inflightAtDisconnect: 0,
        recoveredAfterReconnect: 0,
        foreign: 0,
        lossPct: m.sent === 0 ? 0 : (100 * m.lost) / m.sent,
        latencyMs: null,
      },
      perClient: rows,
      fleet: { connackMs: null, askedPerS, firstConnects: clients.length, achievedPerS: null },
      window: { fromMs: t - 20_000, toMs: t, latency: lat.toJSON(), connack: connack.toJSON() },
    };
    out.push(w < 2 ? { type: 'checkpoint', t, summary } : { type: 'end', t, reason: 'duration', summary });
  }
  return out;
}

/** A file's lines: start, the clients' events by time, the summaries. */
export function runLines(
  runId: string,
  fleet: number,
  clients: readonly ClientTruth[],
  shard?: { index: number; count: number },
): SoakEvent[] {
  const start: SoakEvent = { type: 'start', v: 2, t: T0, runId, info: info(fleet) };
  const body = [...clients.flatMap((c) => c.events), ...summaryLines(clients, clients.length, 100)].sort(
    (a, b) => a.t - b.t,
  );
  const lines = [start, ...body];
  return shard ? lines.map((ev) => tagShard(ev, shard)) : lines;
}

/** Through JSON text and the reader, as report reads files. */
export const roundTrip = (events: readonly SoakEvent[]): SoakEvent[] =>
  parseSoakLines(events.map((e) => JSON.stringify(e)).join('\n')).events;

export function fleet(n: number, seed = 7): ClientTruth[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => clientTruth(i, r));
}

export function shardFiles(truth: readonly ClientTruth[], count: number, runId = 'run-a') {
  return Array.from({ length: count }, (_, index) => {
    const { from, to } = shardSlice(truth.length, { index, count });
    return {
      file: `soak-${index}.jsonl`,
      events: roundTrip(runLines(runId, truth.length, truth.slice(from, to), { index, count })),
    };
  });
}
