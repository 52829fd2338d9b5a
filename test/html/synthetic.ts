/**
 * A synthetic soak event stream for size and speed checks: N clients over a given duration, most of them
 * dropping a few times, the worst 1 % in a NAT-idle loop (every few minutes), checkpoints with cumulative
 * message counts and latency. Deterministic (seeded PRNG), so the bench and the tests see the same file.
 */
import type { DisconnectCause } from '../../src/analyze/soak/causes.js';
import type { SoakEvent, SoakRunInfo } from '../../src/analyze/soak/events.js';
import { summarizeConnections, type SoakSummary } from '../../src/analyze/soak/summary.js';
import { seededRandom } from '../../src/lab/impair/faults.js';

export interface Synthetic {
  events: SoakEvent[];
  text: string;
  disconnects: number;
}

export function syntheticSoak(clients: number, durationMs: number, seed = 7): Synthetic {
  const rnd = seededRandom(seed);
  const t0 = Date.UTC(2026, 0, 1);
  const end = t0 + durationMs;
  const checkpointMs = 30_000;
  const info: SoakRunInfo = {
    target: 'mqtt://broker.example:1883',
    clients,
    qos: 1,
    ratePerS: 0.1,
    payloadBytes: 64,
    keepaliveS: 60,
    clean: true,
    mqttVersion: 4,
    reconnect: 'exp:1s..120s+jitter',
    durationMs,
    checkpointMs,
    flapThresholdMs: 10_000,
    lossGraceMs: 10_000,
  };
  const conn: SoakEvent[] = [];
  const causes: DisconnectCause[] = ['keepalive-timeout', 'reset', 'broker-closed'];
  let disconnects = 0;
  for (let c = 0; c < clients; c += 1) {
    const start = t0 + c * 10;
    conn.push({ type: 'client', t: start, client: c, clientId: `c-${c}` });
    let t = start + 20;
    conn.push({ type: 'connect', t, client: c, attempt: 0, sessionPresent: false, sessionExpected: false });
    const worst = c % 100 === 7;
    const meanUpMs = worst ? 5 * 60_000 : 10 * 3600_000;
    for (;;) {
      t += -Math.log(1 - rnd()) * meanUpMs;
      if (t >= end - 60_000) break;
      const cause = worst ? 'keepalive-timeout' : causes[Math.floor(rnd() * causes.length)]!;
      conn.push({
        type: 'disconnect',
        t,
        client: c,
        cause,
        detail: cause === 'keepalive-timeout' ? 'Keepalive timeout' : 'read ECONNRESET',
      });
      disconnects += 1;
      const fails = rnd() < 0.2 ? 1 + Math.floor(rnd() * 3) : 0;
      for (let a = 1; a <= fails; a += 1) {
        t += 1000 * a;
        conn.push({
          type: 'connect-failed',
          t,
          client: c,
          attempt: a,
          cause: 'refused',
          detail: 'connect ECONNREFUSED',
        });
      }
      t += 300 + rnd() * 5000;
      conn.push({ type: 'connect', t, client: c, attempt: fails + 1, sessionPresent: false, sessionExpected: false });
    }
  }
  conn.sort((a, b) => a.t - b.t);
  const events: SoakEvent[] = [{ type: 'start', v: 1, t: t0, runId: 'synthetic0000000', info }];
  let i = 0;
  let sent = 0;
  let lost = 0;
  let count = 0;
  for (let cp = t0 + checkpointMs; cp <= end; cp += checkpointMs) {
    while (i < conn.length && conn[i]!.t <= cp) events.push(conn[i++]!);
    const n = Math.round(clients * 0.1 * (checkpointMs / 1000));
    sent += n;
    count += n;
    if (rnd() < 0.05) lost += Math.ceil(rnd() * 20);
    const p50 = 20 + 5 * Math.sin((cp - t0) / 3600_000);
    const summary = checkpointSummary(t0, cp, clients, sent, lost, count, p50);
    events.push(
      cp + checkpointMs > end
        ? { type: 'end', t: cp, reason: 'duration', summary }
        : { type: 'checkpoint', t: cp, summary },
    );
  }
  return { events, text: events.map((e) => JSON.stringify(e)).join('\n') + '\n', disconnects };
}

function checkpointSummary(
  t0: number,
  at: number,
  clients: number,
  sent: number,
  lost: number,
  count: number,
  p50: number,
): SoakSummary {
  return {
    atMs: at,
    startedMs: t0,
    elapsedMs: at - t0,
    clients,
    // Connection accounting is replayed from the events by `report`; an empty one keeps checkpoints small here.
    connections: summarizeConnections([], at, 10_000),
    messages: {
      sent,
      received: sent - lost,
      lost,
      duplicates: 0,
      outOfOrder: 0,
      late: 0,
      skippedOffline: 0,
      sentOffline: 0,
      deliveredOffline: 0,
      inflightAtDisconnect: 0,
      recoveredAfterReconnect: 0,
      foreign: 0,
      lossPct: (100 * lost) / sent,
      latencyMs: { count, avg: p50 * 1.2, p50, p90: p50 * 2, p99: p50 * 4, max: p50 * 10 },
    },
    perClient: [],
  };
}
