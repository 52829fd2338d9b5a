/**
 * The idle search must not mistake the broker's own keepalive cut for a middlebox idle timeout. A broker that
 * caps keepalive (mosquitto max_keepalive → MQTT 5 Server Keep Alive; 3.1.1 rc 2 from 2.0.12: mosquitto ChangeLog 2.0.12)
 * drops a silent probe after 1.5 × the capped value, so silences beyond the cap say nothing about the path.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { idleSearchBounds } from '../../src/measure/idle-discovery.js';
import { verifyWaitMs } from '../../src/measure/verify-broker.js';
import { brokerCapS } from '../../src/measure/keepalive-tune.js';
import { findBroker } from '../../src/kb/brokers.js';
import { runCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

describe('idleSearchBounds', () => {
  test.each([
    // maxIdleMs, broker max keepalive, → probe keepalive, searchable silence, capped by broker
    [20_000, undefined, 60, 20_000, undefined],
    [1_800_000, undefined, 1800, 1_800_000, undefined],
    [1_800_000, 65535, 1800, 1_800_000, undefined],
    [1_800_000, 300, 300, 300_000, 300],
    [20_000, 6, 6, 6000, 6],
    [20_000, 100, 60, 20_000, undefined],
    [5 * 3_600_000, undefined, 18_000, 5 * 3_600_000, undefined],
  ] as const)(
    'max-idle %i ms, broker max %s s → keepalive %i s, silence ≤ %i ms',
    (maxIdleMs, brokerMax, k, idle, cap) => {
      const b = idleSearchBounds(maxIdleMs, brokerMax);
      expect(b.keepaliveS).toBe(k);
      expect(b.maxIdleMs).toBe(idle);
      expect(b.cappedByBrokerS).toBe(cap);
      // every planned silence stays within the keepalive the broker enforces, so only a middlebox can cut it
      expect(b.maxIdleMs).toBeLessThanOrEqual(b.keepaliveS * 1000);
    },
  );
});

describe('brokerCapS: the lowest known keepalive cap bounds the idle search', () => {
  test.each([
    ['nothing known', {}, undefined],
    ['AWS IoT documented 1200 s (clamps v3 clients silently)', { limits: findBroker('aws-iot')! }, 1200],
    ['Azure IoT Hub documented 1177 s', { limits: findBroker('azure-iot-hub')! }, 1177],
    ['measured below documented', { limits: findBroker('mosquitto')!, maxAcceptedS: 10 }, 10],
    ['measured only', { maxAcceptedS: 300 }, 300],
  ] as const)('%s → %s', (_n, broker, cap) => {
    expect(brokerCapS({ broker, power: 'mains', transport: 'tcp' })).toBe(cap);
  });
});

describe('--discover-idle against a broker that caps keepalive (no middlebox on the path)', () => {
  let capped: Mosquitto;
  beforeAll(async () => {
    capped = await startMosquitto({ globalConfig: ['max_keepalive 10'] /* mosquitto refuses values below 10 */ });
  });
  afterAll(async () => {
    await capped?.stop();
  });

  test('MQTT 5: reports no idle timeout up to the cap instead of the broker cut at ~1.5 × 10 s', async () => {
    const r = await runCli(
      ['keepalive-tune', capped.url, '-V', '5', '--discover-idle', '--max-idle', '24s', '--samples', '2', '--json'],
      { timeoutMs: 30_000 },
    );
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout).data;
    expect(data.measured.limits.maxAcceptedS).toBe(10);
    const d = data.measured.discovery;
    expect(d.aboveMax).toBe(true); // nothing on the path died
    expect(d.maxIdleMs).toBeLessThanOrEqual(10_000);
    expect(d.cappedByBrokerS).toBe(10);
    expect(d.tookMs).toBeLessThan(10_000 + 4000);
    expect(data.inputs.idle?.source).not.toBe('discovered');
    expect(r.stderr).toMatch(/max(imum)? keepalive|caps keepalive/i);
  }, 35_000);
});

describe('verifyWaitMs: --verify-broker waits for the keepalive the broker actually uses', () => {
  // MQTT 5 §3.2.2.3.14: Server Keep Alive replaces the client's value and may be larger (EMQX server_keepalive
  // is sent to every MQTT 5 client). Waiting only for the requested K would report "never cut" wrongly.
  test.each([
    [5, undefined, 45_000],
    [5, 5, 45_000],
    [5, 60, 155_000],
    [60, 10, 155_000],
  ] as const)('requested %i s, Server Keep Alive %s → wait %i ms', (req, ska, ms) => {
    expect(verifyWaitMs(req, ska)).toBe(ms);
  });
});
