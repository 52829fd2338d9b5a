/**
 * The impair proxy's faults on real sockets (127.0.0.1): NAT idle expiry (drop, reset, reset on use), per-connection
 * fates and outage windows. NAT idle and fates are checked at instants well clear of the boundary they depend on,
 * with margins of tens of milliseconds (a busy machine's timer delay); outage attempts are judged against the edges
 * the proxy itself reported (its events, seen on the test's clock in the same thread), so a late timer moves the
 * edge rather than failing the test. This file runs with the fault files in `serial`; the millisecond-margin
 * latency, jitter and bandwidth checks stay in proxy.test.ts, which runs alone.
 */
import { describe, expect, test } from 'vitest';
import { performance } from 'node:perf_hooks';
import type { ImpairEvent } from '../../src/lab/impair/proxy.js';
import { freePort } from '../helpers/ports.js';
import { openClient, proxiesForFile, sleep, startEcho, tryConnect } from './net.js';

const PINGREQ = Buffer.from([0xc0, 0x00]);

const { echo: echoServer, proxyTo } = proxiesForFile();

describe('nat-idle 1 s', () => {
  test('drop: silent for T + 1 s → no answer, no RST; active every 0.5 s → flow kept; reset → RST', async () => {
    const dropEvents: ImpairEvent[] = [];
    const keepEvents: ImpairEvent[] = [];
    const resetEvents: ImpairEvent[] = [];
    const [drop, keep, reset] = await Promise.all([
      proxyTo(echoServer().port, 'nat-idle=1s,nat-mode=drop', dropEvents),
      proxyTo(echoServer().port, 'nat-idle=1s,nat-mode=drop', keepEvents),
      proxyTo(echoServer().port, 'nat-idle=1s,nat-mode=reset', resetEvents),
    ]);
    const silentDrop = async () => {
      const c = await openClient(drop.port);
      expect(await c.roundTrip(PINGREQ, 500)).toBeDefined();
      await sleep(2000);
      const after = await c.roundTrip(PINGREQ, 800);
      return { after, events: [...c.events], c };
    };
    const active = async () => {
      const c = await openClient(keep.port);
      const answers: Array<number | undefined> = [];
      for (let i = 0; i < 7; i++) {
        answers.push(await c.roundTrip(PINGREQ, 400));
        await sleep(500);
      }
      c.socket.destroy();
      return answers;
    };
    const silentReset = async () => {
      const c = await openClient(reset.port);
      expect(await c.roundTrip(PINGREQ, 500)).toBeDefined();
      await sleep(2000);
      return { code: c.errorCode(), answer: await c.roundTrip(PINGREQ, 300) };
    };
    const [d, k, r] = await Promise.all([silentDrop(), active(), silentReset()]);

    expect(d.after).toBeUndefined();
    expect(d.events).toEqual([]); // no FIN, no RST, no close
    expect(dropEvents.map((e) => e.type)).toEqual(['opened', 'mapping-expired']);
    const expired = dropEvents[1];
    expect(expired?.type === 'mapping-expired' && expired.idleMs).toBeGreaterThanOrEqual(1000);
    expect(drop.counters().bytesDropped).toBe(2);
    d.c.socket.destroy();

    expect(k.every((a) => a !== undefined)).toBe(true);
    expect(keepEvents.some((e) => e.type === 'mapping-expired')).toBe(false);

    expect(r.code).toBe('ECONNRESET');
    expect(r.answer).toBeUndefined();
    expect(resetEvents.map((e) => e.type).slice(0, 3)).toEqual(['opened', 'mapping-expired', 'reset']);
  });
});

test('drop: after the mapping is lost a FIN from the target is lost too; the proxy releases both sockets', async () => {
  const own = await startEcho();
  const events: ImpairEvent[] = [];
  const p = await proxyTo(own.port, 'nat-idle=300ms,nat-mode=drop', events);
  const c = await openClient(p.port);
  expect(await c.roundTrip(PINGREQ, 300)).toBeDefined();
  for (let i = 0; i < 75 && events.length < 2; i++) await sleep(20);
  expect(events.map((e) => e.type)).toEqual(['opened', 'mapping-expired']);
  own.endAll();
  await sleep(300);
  expect(c.events).toEqual([]); // the client never hears of it
  c.socket.end();
  const deadline = Date.now() + 1000;
  while (p.counters().closed < 1 && Date.now() < deadline) await sleep(20);
  expect(p.counters()).toMatchObject({ closed: 1, active: 0 });
  expect(events.at(-1)?.type).toBe('closed');
  await own.close();
});

test('a target that refuses: the client gets a reset, the proxy counts it', async () => {
  const closedPort = await freePort();
  const events: ImpairEvent[] = [];
  const p = await proxyTo(closedPort, 'latency=5ms', events);
  const c = await openClient(p.port);
  for (let i = 0; i < 50 && !c.closed(); i++) await sleep(20);
  expect(c.errorCode()).toBe('ECONNRESET');
  expect(p.counters().upstreamErrors).toBe(1);
  expect(events.find((e) => e.type === 'reset')).toMatchObject({ reason: 'peer', detail: 'target ECONNREFUSED' });
});

test('reset on use (AWS NAT gateway): silent past T nothing happens; the next sender gets an RST, the other end nothing', async () => {
  const own = await startEcho();
  const events: ImpairEvent[] = [];
  const p = await proxyTo(own.port, 'nat-idle=300ms,nat-mode=reset,nat-reset-on=use', events);
  const c = await openClient(p.port);
  expect(await c.roundTrip(PINGREQ, 300)).toBeDefined();
  for (let i = 0; i < 75 && events.length < 2; i++) await sleep(20);
  expect(events[1]).toMatchObject({ type: 'mapping-expired', mode: 'reset', resetOn: 'use' });
  await sleep(100);
  expect(c.events).toEqual([]); // no RST until the client uses the flow
  expect(await c.roundTrip(PINGREQ, 300)).toBeUndefined();
  expect(c.errorCode()).toBe('ECONNRESET');
  expect(events.find((e) => e.type === 'reset')).toMatchObject({
    reason: 'nat-idle',
    detail: 'client sent after the mapping expired',
  });
  // The target side heard nothing: its socket is still open (the broker would find out by keepalive).
  expect(p.counters().active).toBe(1);
  expect(own.received).toEqual([2]);
  await own.close();
});

describe('per-connection fates', () => {
  test.each([
    ['blackhole-after=400ms', undefined, 'blackholed'],
    ['reset-after=400ms', 'ECONNRESET', 'reset'],
  ])('%s', async (spec, code, eventType) => {
    const events: ImpairEvent[] = [];
    const p = await proxyTo(echoServer().port, spec, events);
    const c = await openClient(p.port);
    expect(await c.roundTrip(PINGREQ, 300)).toBeDefined();
    await sleep(700);
    expect(await c.roundTrip(PINGREQ, 500)).toBeUndefined();
    expect(c.errorCode()).toBe(code);
    const fate = events.find((e) => e.type === eventType);
    // Never early; late by at most a busy machine's timer delay.
    expect(fate?.atMs).toBeGreaterThanOrEqual(400);
    expect(fate?.atMs).toBeLessThan(400 + 150);
    c.socket.destroy();
  });
});

describe('outages (window 300–700 ms on the proxy clock)', () => {
  const START_MS = 300;
  const END_MS = 700;
  const PACE_MS = 50;
  type Outcome = 'ok' | 'refused' | 'hung' | 'reset' | 'other';
  /**
   * One attempt on the test's clock: planned at `plannedMs`, issued at `whenMs`, and the loop turn it was issued in
   * (whose poll phase accepts it at the proxy, the same process) over by `turnEndMs`.
   */
  interface Tried {
    plannedMs: number;
    whenMs: number;
    turnEndMs: number;
    outcome: Outcome;
  }
  /**
   * One connection attempt: does a PINGREQ come back? A connection the proxy reported hanging (`hungBy`: its
   * 'hung' events, by the client's address) never answers, so 150 ms of silence says so. One it let through
   * answers within a round trip through this process, but a busy machine once took longer than 150 ms (idle
   * suite, 94 ms after the window): it is given up to 2 s before its silence counts.
   */
  async function attempt(port: number, hungBy: (peer: string) => boolean): Promise<Outcome> {
    const r = await tryConnect(port);
    if (r.kind !== 'open') return r.kind;
    const s = r.socket;
    const answered = await new Promise<boolean>((resolve) => {
      const giveUp = () => resolve(false);
      let t = setTimeout(() => {
        if (!hungBy(`${s.localAddress}:${s.localPort}`)) t = setTimeout(giveUp, 2000 - 150);
        else giveUp();
      }, 150);
      s.once('data', () => {
        clearTimeout(t);
        resolve(true);
      });
      s.once('error', () => {
        clearTimeout(t);
        resolve(false);
      });
      s.write(PINGREQ);
    });
    s.destroy();
    return answered ? 'ok' : 'hung';
  }
  /** An attempt every PACE_MS from 0 to 1,000 ms after `t0`. */
  async function attemptsFrom(port: number, t0: number, hungBy: (peer: string) => boolean): Promise<Tried[]> {
    const tried: Tried[] = [];
    const pending: Array<Promise<void>> = [];
    for (let plannedMs = 0; plannedMs <= 1000; plannedMs += PACE_MS) {
      await sleep(Math.max(0, plannedMs - (performance.now() - t0)));
      const whenMs = performance.now() - t0;
      const outcome = attempt(port, hungBy);
      await new Promise((resolve) => setImmediate(resolve));
      const turnEndMs = performance.now() - t0;
      pending.push(outcome.then((o) => void tried.push({ plannedMs, whenMs, turnEndMs, outcome: o })));
    }
    await Promise.all(pending);
    return tried.sort((a, b) => a.whenMs - b.whenMs);
  }

  /**
   * Refuse mode: the listener closes when the start timer fires and listens again when the end timer fires (both
   * seen on the test's clock, same thread); a connection accepted after the nominal start, before a late close, is
   * reset by the proxy. Attempts on those boundaries are not judged.
   */
  function refuseVerdict(t: Tried, closedAt: number, reopenedAt: number, offset: number): Outcome | undefined {
    if (t.whenMs > closedAt && t.whenMs < reopenedAt) return 'refused';
    if (t.whenMs > reopenedAt) return 'ok';
    if (t.turnEndMs < closedAt && t.turnEndMs - offset < START_MS) return 'ok';
    return undefined;
  }

  /** Hang mode: the proxy decides when it accepts, on its own clock, between an attempt's issue and its turn's end. */
  function hangVerdict(t: Tried, offset: number): Outcome | undefined {
    const [issued, accepted] = [t.whenMs - offset, t.turnEndMs - offset];
    if (issued >= START_MS && accepted < END_MS) return 'hung';
    if (accepted < START_MS || issued >= END_MS) return 'ok';
    return undefined;
  }

  test.each([
    ['refuse', 'refused'],
    ['hang', 'hung'],
  ] as const)('%s: every attempt inside the window is %s, every one outside works', async (mode, inside) => {
    const seen: Array<{ event: ImpairEvent; atMs: number }> = [];
    const t0 = performance.now();
    const spec = `outage=${END_MS - START_MS}ms@${START_MS}ms,outage-mode=${mode}`;
    const p = await proxyTo(echoServer().port, spec, (event) => seen.push({ event, atMs: performance.now() - t0 }));
    const hungBy = (peer: string) => seen.some((s) => s.event.type === 'hung' && s.event.detail === peer);
    const tried = await attemptsFrom(p.port, t0, hungBy);

    // Each event reads the proxy clock as it is emitted: the smallest gap is where the proxy clock starts.
    const offset = Math.min(...seen.map((s) => s.atMs - s.event.atMs));
    const start = seen.find((s) => s.event.type === 'outage-start');
    const end = seen.find((s) => s.event.type === 'outage-end');
    expect(start && end).toBeTruthy();
    // Never early; late by no more than the test's own timers were, plus the one pacing interval they may miss.
    const timerLateness = Math.max(...tried.map((t) => t.whenMs - t.plannedMs));
    for (const [edge, nominal] of [
      [start!, START_MS],
      [end!, END_MS],
    ] as const) {
      expect(edge.event.atMs).toBeGreaterThanOrEqual(nominal);
      expect(edge.event.atMs - nominal).toBeLessThan(timerLateness + PACE_MS + 5);
    }

    const verdicts = tried.map((t) => ({
      t,
      expected: mode === 'refuse' ? refuseVerdict(t, start!.atMs, end!.atMs, offset) : hangVerdict(t, offset),
    }));
    const judged = verdicts.filter((v) => v.expected !== undefined);
    expect(judged.filter((v) => v.expected === inside).length).toBeGreaterThanOrEqual(5);
    expect(judged.filter((v) => v.expected === 'ok').length).toBeGreaterThanOrEqual(8);
    for (const { t, expected } of judged) expect([t.whenMs, t.outcome]).toEqual([t.whenMs, expected]);
    expect(p.counters().outages).toBe(1);
  });
});
