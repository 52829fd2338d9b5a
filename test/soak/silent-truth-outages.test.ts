/**
 * Ground truth for soak's outage figures: an idle flow dropped by a NAT (the impair proxy) is bracketed between
 * the last byte received and the first unanswered send, and messages not published while mosquitto was down are
 * counted as skipped. Margins come from the injection and from this run's own timer lateness (the NAT's expiry
 * time against its due time). The silent-drop start times are in silent-truth.test.ts, which runs beside this
 * file.
 */
import { describe, expect, test } from 'vitest';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { soakFindings } from '../../src/analyze/soak/thresholds.js';
import { renderText } from '../../src/report/render-text.js';
import { brokerPerTest, type SeenImpairEvent } from './behind-proxy.js';
import { IDLE_RUN_INFO, reportOf, soakAgainst, sleep, until } from './helpers.js';

const { brokerBehind, broker: startBroker } = brokerPerTest();

type Disconnect = Extract<SoakEvent, { type: 'disconnect' }>;

describe('an idle link through a NAT: the outage is a range, from the last byte to the first unanswered send', () => {
  test('each drop is bracketed by the two bounds; uptime, downtime and the reconnect loop say so', async () => {
    const seen: SeenImpairEvent[] = [];
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
    const broker = await startBroker();
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
