/**
 * Ground truth for soak's silent-failure figures (issue: a NAT that silently dropped a flow measured 3.0 s of
 * downtime against 39.6 s injected; a drop in the last keepalive window was not reported; messages not
 * published during an outage showed up nowhere). The impair proxy reports when it blackholed a flow or let a
 * NAT mapping expire; a real mosquitto is killed and restarted. Margins come from the injection: the message
 * interval (the last byte before a blackhole is at most one interval old) and the loopback round trip.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { startMosquitto, cleanup, type Mosquitto } from '../helpers/mosquitto.js';
import { parseImpairSpec } from '../../src/config/impair.js';
import { startImpairProxy, type ImpairProxy, type ImpairEvent } from '../../src/lab/impair/proxy.js';
import { wallClockMs } from '../../src/measure/soak/runner.js';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { soakFindings } from '../../src/analyze/soak/thresholds.js';
import { renderText } from '../../src/report/render-text.js';
import { IDLE_RUN_INFO, reportOf, soakAgainst, sleep, until } from './helpers.js';

let broker: Mosquitto | undefined;
let proxy: ImpairProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  if (broker) {
    await broker.stop();
    cleanup(broker);
    broker = undefined;
  }
});

/** mosquitto behind the impair proxy; proxy events stamped on soak's own clock (`idleMs` of a NAT expiry). */
async function brokerBehind(
  spec: string,
  seen: Array<{ type: ImpairEvent['type']; t: number; idleMs?: number }>,
): Promise<string> {
  broker = await startMosquitto({ globalConfig: ['set_tcp_nodelay true'] });
  proxy = await startImpairProxy({
    targetHost: '127.0.0.1',
    targetPort: broker.port,
    faults: parseImpairSpec(spec),
    onEvent: (e) =>
      seen.push({ type: e.type, t: wallClockMs(), ...(e.type === 'mapping-expired' ? { idleMs: e.idleMs } : {}) }),
  });
  return `mqtt://127.0.0.1:${proxy.port}`;
}

type Disconnect = Extract<SoakEvent, { type: 'disconnect' }>;
type Connect = Extract<SoakEvent, { type: 'connect' }>;

describe('silent failures: downtime from the last byte received', () => {
  test('blackhole: the outage starts within one message interval of the injected blackhole, not 1.5 × K later', async () => {
    const seen: Array<{ type: ImpairEvent['type']; t: number }> = [];
    const url = await brokerBehind('blackhole-after=2s', seen);
    const ratePerS = 10;
    const intervalMs = 1000 / ratePerS;
    const h = await soakAgainst(url, { qos: 1, ratePerS, drainMs: 300, mqttOptions: { keepalive: 2 } });
    // The second connection is also blackholed 2 s after it opens: wait for the reconnect after the first.
    await until(() => h.events.filter((e) => e.type === 'connect').length >= 2, 15_000, 'the reconnect');
    h.abort.abort();
    const { summary } = await h.run.done;
    const hole = seen.find((e) => e.type === 'blackholed');
    const lost = h.events.find((e): e is Disconnect => e.type === 'disconnect');
    const back = h.events.filter((e): e is Connect => e.type === 'connect')[1];
    expect(hole && lost && back).toBeTruthy();
    expect(lost!.cause).toBe('keepalive-timeout');
    // Detection came about 1.5 × K after the blackhole; the outage is dated from the last byte received.
    expect(lost!.t - hole!.t).toBeGreaterThan(1000);
    const margin = 2 * intervalMs + 100;
    expect(Math.abs(lost!.silentSinceMs! - hole!.t)).toBeLessThanOrEqual(margin);
    const injectedMs = back!.t - hole!.t;
    expect(Math.abs(summary.connections.timeToReconnectMs!.max - injectedMs)).toBeLessThanOrEqual(margin);
    expect(summary.connections.silent).toMatchObject({ outages: 1 });
    expect(summary.connections.silent!.detectionDelayMaxMs).toBeGreaterThan(1000);
  }, 30_000);

  test('a NAT drop in the last keepalive window is reported, with the outage open at the end', async () => {
    const seen: Array<{ type: ImpairEvent['type']; t: number }> = [];
    // Keepalive 6 s: MQTT.js would not notice for 9 s; the run ends after 2.5 s, 1.5 s after the NAT forgot,
    // and the end-of-run PINGREQ waits half a keepalive (3 s) for an answer that cannot come.
    const url = await brokerBehind('nat-idle=1s', seen);
    const h = await soakAgainst(url, { ratePerS: 0, durationMs: 2500, drainMs: 1000, mqttOptions: { keepalive: 6 } });
    const { summary } = await h.run.done;
    const expired = seen.find((e) => e.type === 'mapping-expired');
    expect(expired).toBeDefined();
    const lost = h.events.find((e): e is Disconnect => e.type === 'disconnect');
    expect(lost).toMatchObject({ cause: 'keepalive-timeout' });
    expect(lost!.detail).toMatch(/end of the run/);
    // The last byte was the CONNACK; the NAT forgot the idle flow 1 s (its idle timeout) after it.
    expect(expired!.t - lost!.silentSinceMs!).toBeGreaterThanOrEqual(1000 - 50);
    expect(expired!.t - lost!.silentSinceMs!).toBeLessThanOrEqual(1000 + 300);
    // Downtime runs from the last byte to the end of the run, still open.
    expect(summary.connections.longestOutage).toMatchObject({ toMs: null, cause: 'keepalive-timeout' });
    expect(
      Math.abs(summary.connections.worstClientDowntimeMs - (summary.atMs - lost!.silentSinceMs!)),
    ).toBeLessThanOrEqual(1);
    expect(summary.connections.connectedNow).toBe(0);
  }, 30_000);
});

describe('an idle link through a NAT: the outage is a range, from the last byte to the first unanswered send', () => {
  test('each drop is bracketed by the two bounds; uptime, downtime and the reconnect loop say so', async () => {
    const seen: Array<{ type: ImpairEvent['type']; t: number; idleMs?: number }> = [];
    // NAT forgets an idle flow after 1 s; keepalive 2 s: MQTT.js pings at 2 s (unanswered) and gives up at 3 s.
    // The last byte each time is the CONNACK, a whole second before the NAT drop.
    const natIdleMs = 1000;
    const url = await brokerBehind(`nat-idle=${natIdleMs}ms`, seen);
    const h = await soakAgainst(url, { ratePerS: 0, drainMs: 300, mqttOptions: { keepalive: 2 } });
    const lost = () => h.events.filter((e): e is Disconnect => e.type === 'disconnect');
    await until(() => lost().length >= 2, 25_000, 'two NAT drops');
    h.abort.abort();
    const { summary } = await h.run.done;
    const expired = seen.filter((e) => e.type === 'mapping-expired');
    expect(expired.length).toBeGreaterThanOrEqual(2);
    for (const [i, d] of lost().slice(0, 2).entries()) {
      const drop = expired[i]!;
      expect(d.cause).toBe('keepalive-timeout');
      // How late this run's timers fire, from the NAT's own: it expired idleMs after the flow's last packet,
      // due at natIdleMs. The PINGREQ and the expiry are timers of the same process.
      const margin = 50 + 2 * Math.max(0, drop.idleMs! - natIdleMs);
      // Lower bound: the last byte is the CONNACK the proxy forwarded, idleMs before it dropped the flow.
      expect(Math.abs(d.silentSinceMs! - (drop.t - drop.idleMs!))).toBeLessThanOrEqual(margin);
      // The injected drop lies between the bounds, and the bounds differ by about the idle time to the ping.
      expect(d.silentSinceMs!).toBeLessThanOrEqual(drop.t);
      expect(drop.t).toBeLessThanOrEqual(d.unansweredSendMs! + margin);
      expect(d.unansweredSendMs! - d.silentSinceMs!).toBeGreaterThan(natIdleMs);
      expect(d.unansweredSendMs!).toBeLessThan(d.t);
    }
    const c = summary.connections;
    // Connected periods: ~0 counted to the last byte, about the keepalive counted to the unanswered ping.
    expect(c.connectedMs!.p50).toBeLessThan(natIdleMs);
    expect(c.connectedUpToMs!.p50).toBeGreaterThan(natIdleMs);
    expect(c.uptimeMaxPct).toBeGreaterThan(c.uptimePct + 10);
    expect(c.worstClientDowntimeMinMs).toBeLessThan(c.worstClientDowntimeMs - natIdleMs);
    const report = reportOf(summary, {
      info: { ...IDLE_RUN_INFO, keepaliveS: 2 },
      findings: soakFindings(summary, { ratePerS: 0, end: 'signal' }),
      recentDisconnects: lost(),
    });
    const text = renderText(report, { colorLevel: 0 });
    expect(text).toMatch(/uptime\s+between \d+\.\d{3}% and \d+\.\d{3}%/);
    expect(text).toMatch(/down between \S+Z and \S+Z/);
    expect(text).toMatch(/reconnect loop|keepalive timeouts/);
    expect(text).toMatch(/each after between \S+ (ms|s) and \S+ s connected/);
    expect(text).not.toMatch(/each after ~0/);
  }, 40_000);
});

describe('messages not published during an outage are counted', () => {
  test('mosquitto killed and restarted: skipped while offline matches the outage × rate', async () => {
    broker = await startMosquitto({ globalConfig: ['set_tcp_nodelay true'] });
    const ratePerS = 20;
    const h = await soakAgainst(broker.url, { qos: 1, ratePerS, reconnect: 'fixed:200ms', drainMs: 500 });
    await until(() => h.run.connectedNow() === 1, 10_000, 'connected');
    await sleep(500);
    await broker.kill();
    await sleep(1500);
    await broker.start();
    await until(() => h.events.filter((e) => e.type === 'connect').length >= 2, 10_000, 'the reconnect');
    await sleep(500);
    h.abort.abort();
    const { summary } = await h.run.done;
    const m = summary.messages;
    const downMs = summary.connections.downtimeTotalMs;
    expect(downMs).toBeGreaterThan(1400);
    // Late timers only make fewer ticks: the upper bound is firm; the lower allows a loaded machine half.
    expect(m.skippedOffline).toBeLessThanOrEqual(Math.ceil((downMs / 1000) * ratePerS) + 3);
    expect(m.skippedOffline).toBeGreaterThanOrEqual(Math.floor(0.5 * (downMs / 1000) * ratePerS));
    // Every message the client sent is accounted for.
    expect(m.received + m.lost).toBe(m.sent);
  }, 30_000);
});
