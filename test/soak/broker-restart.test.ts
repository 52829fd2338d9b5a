/**
 * Ground truth: a real mosquitto is killed / stopped and restarted on the same port three times during a
 * soak. Every client must report exactly 3 reconnects, each outage must lie inside the instants the test saw (see
 * expectOutagesInside), and with a kept session (persistence on, SIGTERM stop) QoS 1 must lose nothing.
 * Each test has its own mosquitto and the tests run concurrently (describe.concurrent): they spend their time
 * waiting out outages, and every figure is checked against that test's own broker's down/up instants.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { mosquittoPool, type Mosquitto, type MosquittoOptions } from '../helpers/mosquitto.js';
import { replaySoak, type SoakEvent } from '../../src/analyze/soak/events.js';
import { wallClockMs } from '../../src/measure/soak/runner.js';
import { soakAgainst, sleep, tempDir, until } from './helpers.js';

const brokers = mosquittoPool();
afterAll(() => brokers.stopAll());
const broker = (opts: MosquittoOptions): Promise<Mosquitto> => brokers.start(opts);

const OUTAGE_MS = 1500;
const UP_MS = 1200;
/** Messages per second of each soak client here: one every 50 ms. */
const RATE_PER_S = 20;

/** What the test saw of one outage, on soak's clock (wallClockMs): the stop asked, the broker started again, all back. */
interface Outage {
  down: number;
  restart: number;
  back: number;
}

/**
 * Take the broker down three times. Each outage starts only once `allBack()` says every client reconnected after
 * the one before (then UP_MS of traffic): on a busy machine a reconnect later than UP_MS after the start would
 * otherwise fall into the next outage and merge two outages into one.
 */
async function threeOutages(m: Mosquitto, how: 'kill' | 'stop', allBack: () => boolean): Promise<Outage[]> {
  const outages: Outage[] = [];
  for (let i = 0; i < 3; i += 1) {
    await sleep(UP_MS);
    const down = wallClockMs();
    await (how === 'kill' ? m.kill() : m.stop());
    await sleep(OUTAGE_MS);
    const restart = wallClockMs();
    await m.start();
    await until(allBack, 20_000, `every client back after outage ${i + 1}`);
    outages.push({ down, restart, back: wallClockMs() });
  }
  await sleep(UP_MS);
  return outages;
}

/**
 * Each client's i-th outage lies inside what the test saw of the i-th one. It cannot end before the broker was
 * started again, nor after the test saw every client back; it cannot begin before the stop was asked, less one
 * message interval (an outage noticed by silence counts from the last message). A busy CPU moves the instants
 * soak notices later, never out of these bounds, so they take no margin. Measured from its own disconnect
 * event, the outage still reaches past the restart.
 */
function expectOutagesInside(
  events: SoakEvent[],
  timelines: Array<{ client: number; outagesMs: number[] }>,
  outages: Outage[],
  intervalMs: number,
): void {
  for (const tl of timelines) {
    const lost = events.filter((e) => e.type === 'disconnect' && e.client === tl.client);
    expect(tl.outagesMs).toHaveLength(outages.length);
    tl.outagesMs.forEach((ms, i) => {
      const { down, restart, back } = outages[i]!;
      const noticed = lost[i]!.t;
      expect(noticed).toBeGreaterThanOrEqual(down - intervalMs);
      expect(ms).toBeGreaterThanOrEqual(restart - noticed);
      expect(ms).toBeLessThanOrEqual(back - down + intervalMs);
    });
  }
}

describe.concurrent('soak against a mosquitto that goes away three times', () => {
  test("SIGKILL ×3: 3 reconnects per client, each outage inside the broker's real downtime", async () => {
    const b = await broker({ globalConfig: ['set_tcp_nodelay true'] });
    const h = await soakAgainst(b.url, { clients: 3, qos: 1, ratePerS: RATE_PER_S, reconnect: 'fixed:200ms' });
    await until(() => h.run.connectedNow() === 3, 5000, 'all clients connected');
    const outages = await threeOutages(b, 'kill', () => h.run.connectedNow() === 3);
    h.abort.abort();
    const { summary } = await h.run.done;

    const r = replaySoak(h.events);
    expect(r.timelines).toHaveLength(3);
    for (const tl of r.timelines) {
      expect(tl.reconnects).toBe(3);
      expect(tl.disconnects).toBe(3);
    }
    expectOutagesInside(h.events, r.timelines, outages, 1000 / RATE_PER_S);
    // A killed broker closes its sockets: the client sees FIN or RST (or EPIPE, when it was writing as the RST
    // came), never a keepalive timeout; while the broker is down, reconnects are refused.
    const peerClosed = (e: { cause: string; detail: string }) =>
      ['broker-closed', 'reset', 'refused'].includes(e.cause) || (e.cause === 'unreachable' && e.detail === 'EPIPE');
    const losses = h.events.filter((e) => e.type === 'disconnect' || e.type === 'connect-failed');
    expect(losses.length).toBeGreaterThanOrEqual(9);
    expect(losses.filter((e) => !peerClosed(e))).toEqual([]);
    expect(summary.connections.reconnects).toBe(9);
    // Accounting is closed: everything sent is either received or lost.
    expect(summary.messages.received + summary.messages.lost).toBe(summary.messages.sent);
    expect(summary.messages.sent).toBeGreaterThan(100);
  });

  test.each([
    ['3.1.1', { protocolVersion: 4 as const }],
    // MQTT 5: without a Session Expiry Interval the session ends with the connection (§3.1.2.11.2).
    ['5 with session expiry', { protocolVersion: 5 as const, properties: { sessionExpiryInterval: 300 } }],
  ])(
    'MQTT %s, SIGTERM ×3 with persistence, --no-clean, QoS 1: sessions kept, zero messages lost',
    async (_v, mqttOptions) => {
      const dir = tempDir('mqd-soak-persist-');
      const b = await broker({
        globalConfig: [
          'set_tcp_nodelay true',
          'persistence true',
          `persistence_location ${dir}/`,
          'autosave_interval 1',
        ],
      });
      const h = await soakAgainst(b.url, {
        clients: 2,
        qos: 1,
        ratePerS: RATE_PER_S,
        clean: false,
        reconnect: 'fixed:200ms',
        mqttOptions,
      });
      await until(() => h.run.connectedNow() === 2, 5000, 'all clients connected');
      const outages = await threeOutages(b, 'stop', () => h.run.connectedNow() === 2);
      h.abort.abort();
      const { summary } = await h.run.done;

      const r = replaySoak(h.events);
      for (const tl of r.timelines) expect(tl.reconnects).toBe(3);
      expectOutagesInside(h.events, r.timelines, outages, 1000 / RATE_PER_S);
      expect(summary.connections.sessionsLost).toBe(0);
      const reconnects = h.events.filter((e) => e.type === 'connect' && e.sessionExpected);
      expect(reconnects).toHaveLength(6);
      expect(reconnects.every((e) => e.type === 'connect' && e.sessionPresent)).toBe(true);
      expect(summary.messages.sent).toBeGreaterThan(100);
      expect(summary.messages.lost).toBe(0);
      expect(summary.messages.received).toBe(summary.messages.sent);
    },
  );

  test('SIGKILL without persistence, --no-clean: every reconnect reports the session as lost', async () => {
    const b = await broker({ globalConfig: ['set_tcp_nodelay true'] });
    const h = await soakAgainst(b.url, {
      clients: 1,
      qos: 1,
      ratePerS: RATE_PER_S,
      clean: false,
      reconnect: 'fixed:200ms',
    });
    await until(() => h.run.connectedNow() === 1, 5000, 'client connected');
    await threeOutages(b, 'kill', () => h.run.connectedNow() === 1);
    h.abort.abort();
    const { summary } = await h.run.done;
    expect(summary.connections.reconnects).toBe(3);
    expect(summary.connections.sessionsLost).toBe(3);
    // The client resubscribes on a lost session, so traffic resumes after each restart.
    expect(summary.perClient[0]?.received).toBeGreaterThan(50);
  });

  test.each([
    ['kept session (--no-clean, persistence): every message published while away arrives', false],
    ['clean session: what was queued is published before the subscription is back, and some is lost', true],
  ])('--publish-offline, %s', async (_n, clean) => {
    const dir = tempDir('mqd-soak-offline-');
    const b = await broker({
      globalConfig: ['set_tcp_nodelay true', 'persistence true', `persistence_location ${dir}/`],
    });
    const h = await soakAgainst(b.url, {
      qos: 1,
      ratePerS: RATE_PER_S,
      clean,
      publishOffline: true,
      reconnect: 'fixed:200ms',
    });
    await until(() => h.run.connectedNow() === 1, 5000, 'connected');
    await sleep(1000);
    const down = Date.now();
    const stoppedEvents = h.events.length;
    await b.stop();
    await sleep(1500);
    await b.start();
    // A liveness bound, not a measurement (the client retries every 200 ms): 5 s was missed once in a loaded run,
    // cause unknown; if 15 s is missed too, the client's events since the stop say what it went through.
    await until(
      () => h.run.connectedNow() === 1,
      15_000,
      () => `reconnected; events since the stop: ${JSON.stringify(h.events.slice(stoppedEvents))}`,
    );
    const back = Date.now();
    await sleep(1000);
    h.abort.abort();
    const { summary } = await h.run.done;
    const m = summary.messages;
    expect(summary.connections.reconnects).toBe(1);
    expect(m.sentOffline).toBeGreaterThan(15);
    if (!clean) {
      expect(m.deliveredOffline).toBe(m.sentOffline);
      expect(m.lost).toBe(0);
    } else {
      expect(m.deliveredOffline).toBeLessThan(m.sentOffline);
      expect(m.lost).toBeGreaterThanOrEqual(1);
      // Every loss is one of the queued messages, or one in flight when the broker stopped (its clean session
      // went with it; a loaded machine has more in flight): nothing else goes missing.
      expect(m.lost).toBeGreaterThanOrEqual(m.sentOffline - m.deliveredOffline);
      expect(m.lost).toBe(m.sentOffline - m.deliveredOffline + (m.inflightAtDisconnect - m.recoveredAfterReconnect));
    }
    // Messages sent while connected keep their own latency figures, not inflated by the outage: under 1 s, except
    // a message in flight when the broker stopped and delivered after the reconnect, whose real latency spans the
    // outage (a loaded machine has more in flight: 2018 ms was seen at load 11).
    const outageMs = back - down;
    const bound = m.recoveredAfterReconnect > 0 ? outageMs + 1000 : 1000;
    expect(m.latencyMs?.max ?? Infinity, `recovered ${m.recoveredAfterReconnect}, outage ${outageMs} ms`).toBeLessThan(
      bound,
    );
  });
});
