/**
 * A capture and a soak of the same fault say the same thing (issue 14): each fault is injected ONCE while soak
 * runs (through the impair proxy where the fault needs it) against a real mosquitto and tcpdump records the
 * client leg; then every connection soak lost is matched with the recorded connection that ended nearest in time,
 * and both must name the fault injected, in the one vocabulary (analyze/close-cause.ts; soak's names through
 * soakCauseOf).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { startImpairProxy } from '../../src/lab/impair/proxy.js';
import { noFaults } from '../../src/config/impair.js';
import type { Cause } from '../../src/analyze/close-cause.js';
import { soakCauseOf, type DisconnectCause } from '../../src/analyze/soak/causes.js';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { startMosquitto, cleanup, type Mosquitto } from '../helpers/mosquitto.js';
import { soakAgainst, until } from '../soak/helpers.js';
import {
  analyze,
  HAS_TCPDUMP,
  onPort,
  SKIP_REASON,
  startTcpdump,
  captureFolder,
  captured,
  warmMqttPacket,
  type AnalyzedConnection,
} from './record.js';

const file = captureFolder();

if (!HAS_TCPDUMP) console.warn(`test/analyze/same-fault.test.ts skipped: ${SKIP_REASON}`);

type Recorded = AnalyzedConnection & { startAt: string };
type Lost = Extract<SoakEvent, { type: 'disconnect' }>;

const endOf = (c: Recorded): number => Date.parse(c.startAt) + c.durationMs;
const lostOf = (events: SoakEvent[]): Lost[] => events.filter((e): e is Lost => e.type === 'disconnect');

/**
 * Each connection soak lost, with the recorded connection that ended nearest to it (soak hears of a close a little
 * after it is on the wire; the nearest end is the same connection, and no recorded one is used twice). Soak loses
 * only sessions it had, so only recorded connections the broker accepted (CONNACK 0) are candidates: a retry that
 * was refused or never answered ends near the same moment under load and is not one of them. Nor is a connection
 * that ended after the test asked soak to stop (`abortedAt`, wall clock like the capture's): soak saw every loss
 * before that, and its own end closes the connections it still had, which under load can end nearer a loss
 * soak heard of late than the lost connection did.
 */
function pair(lost: Lost[], recorded: Recorded[], abortedAt: number): Array<{ soak: Lost; wire: Recorded }> {
  const free = candidates(recorded).filter((c) => endOf(c) <= abortedAt);
  return lost.map((l) => {
    let best = 0;
    for (let i = 1; i < free.length; i++)
      if (Math.abs(endOf(free[i]!) - l.t) < Math.abs(endOf(free[best]!) - l.t)) best = i;
    const [wire] = free.splice(best, 1);
    if (!wire)
      throw new Error(
        `no recorded connection left for soak's disconnect at ${l.t} (client ${l.client}); soak lost ` +
          `${JSON.stringify(lost.map((x) => [x.client, x.t, x.cause]))}; the capture held ` +
          JSON.stringify(recorded.map((c) => [c.clientId, c.startAt, c.durationMs, c.how, c.cause, c.connack?.code])),
      );
    return { soak: l, wire };
  });
}

/** Recorded sessions that could be one soak lost: accepted by the broker (CONNACK 0) and closed on the wire. */
const candidates = (recorded: Recorded[]): Recorded[] =>
  recorded.filter((c) => c.how !== 'open' && c.connack?.code === 0);

/** Both observers name `wireCause` (soak in its own words) for every connection soak lost. */
function expectSameCause(pairs: Array<{ soak: Lost; wire: Recorded }>, wireCause: Cause): void {
  const soakCause: DisconnectCause | undefined = soakCauseOf(wireCause);
  expect(soakCause).toBeDefined();
  // On a mismatch, each pair's times and the wire's reading of the close: enough to tell a wrong pairing from a
  // wrong cause.
  const seen = pairs.map((p) => [p.soak.t, p.soak.cause, endOf(p.wire), p.wire.endedBy, p.wire.how, p.wire.cause]);
  expect(
    pairs.map((p) => [p.soak.cause, p.wire.cause]),
    JSON.stringify(seen),
  ).toEqual(pairs.map(() => [soakCause, wireCause]));
  for (const p of pairs) expect(soakCauseOf(p.wire.cause as Cause)).toBe(p.soak.cause);
}

describe.skipIf(!HAS_TCPDUMP)('the same fault, watched by soak and recorded for analyze', () => {
  let m: Mosquitto | undefined;
  afterAll(async () => {
    await m?.stop();
    if (m) cleanup(m);
  });

  test('takeover: two soak clients share one client id; the broker closes the older each time', async () => {
    warmMqttPacket();
    m = await startMosquitto();
    const f = file('takeover');
    const rec = await startTcpdump(f, [m.port]);
    const h = await soakAgainst(`mqtt://127.0.0.1:${m.port}`, {
      clients: 2,
      clientIds: ['same-fault-twin', 'same-fault-twin'],
      ratePerS: 0,
      reconnect: 'fixed:300ms',
    });
    await until(() => lostOf(h.events).length >= 3, 20_000, 'three takeovers');
    const abortedAt = Date.now();
    h.abort.abort();
    await h.run.done;
    await rec.stop();
    const lost = lostOf(h.events);
    const { json } = await analyze(f, ['--port', String(m.port)]);
    const wire = onPort(json, m.port) as Recorded[];
    const pairs = pair(lost, wire, abortedAt);
    expectSameCause(pairs, 'takeover');
    for (const p of pairs) expect(p.wire).toMatchObject({ clientId: 'same-fault-twin', endedBy: 'server' });
    expect(json.data.findings.map((x) => x.id)).toContain('cause.takeover');
  });

  test('NAT idle drop (impair): the idle flow is forgotten, the ping goes unanswered, the client gives up', async () => {
    m ??= await startMosquitto();
    const natIdleMs = 1500;
    const proxy = await startImpairProxy({
      targetHost: '127.0.0.1',
      targetPort: m.port,
      faults: { ...noFaults(), natIdleMs, natMode: 'drop' },
    });
    const f = file('nat-drop');
    const rec = await startTcpdump(f, [proxy.port]);
    // Keepalive 2 s: the first ping comes after more than the NAT's 1.5 s of silence.
    const h = await soakAgainst(`mqtt://127.0.0.1:${proxy.port}`, {
      clients: 1,
      ratePerS: 0,
      reconnect: 'fixed:200ms',
      mqttOptions: { keepalive: 2 },
    });
    await until(() => lostOf(h.events).length >= 2, 30_000, 'two connections lost to the NAT');
    const abortedAt = Date.now();
    h.abort.abort();
    await h.run.done;
    await rec.stop();
    await proxy.close();
    const lost = lostOf(h.events);
    const { json } = await analyze(f, ['--port', String(proxy.port)]);
    const pairs = pair(lost, onPort(json, proxy.port) as Recorded[], abortedAt);
    expectSameCause(pairs, 'idle-drop');
    for (const p of pairs) {
      expect(p.wire.endedBy).toBe('client');
      // The idle before the unanswered ping is at least the NAT's timeout.
      expect(p.wire.idleMs!).toBeGreaterThanOrEqual(natIdleMs);
    }
  });

  test('broker killed: every connection soak had is closed by the broker at once', async () => {
    m ??= await startMosquitto();
    const f = file('broker-killed');
    const rec = await startTcpdump(f, [m.port]);
    const h = await soakAgainst(`mqtt://127.0.0.1:${m.port}`, { clients: 3, ratePerS: 0, reconnect: 'fixed:5s' });
    await until(() => h.events.filter((e) => e.type === 'connect').length >= 3, 10_000, 'three connects');
    await m.kill();
    await until(() => lostOf(h.events).length >= 3, 10_000, 'three connections lost');
    const abortedAt = Date.now();
    h.abort.abort();
    await h.run.done;
    const lost = lostOf(h.events);
    // Soak heard of each close after it was on the wire: let the recorder catch up with every one of them.
    await captured(
      f,
      ['--port', String(m.port)],
      (j) => candidates(onPort(j, m!.port) as Recorded[]).length >= lost.length,
    );
    await rec.stop();
    const { json } = await analyze(f, ['--port', String(m.port)]);
    const pairs = pair(lost, onPort(json, m.port) as Recorded[], abortedAt);
    expectSameCause(pairs, 'broker-closed');
    for (const p of pairs) expect(p.wire.endedBy).toBe('server');
  });
});
