import { describe, expect, test } from 'vitest';
import { soakPlan, type SoakPlanArgs } from '../../src/config/soak.js';
import { UsageError } from '../../src/errors.js';

const base: SoakPlanArgs = {
  clients: 1,
  duration: undefined,
  ramp: '100/s',
  rate: '1/s',
  qos: 1,
  'payload-size': '64',
  reconnect: 'fixed:1s',
  checkpoint: '30s',
  'loss-grace': '10s',
  'flap-threshold': '10s',
  'session-expiry': '1h',
  'same-client-id': false,
  clientId: undefined,
  maxReconnects: undefined,
  maxLoss: undefined,
  maxDowntime: undefined,
  maxP99: undefined,
  junit: undefined,
};

describe('soak options', () => {
  test('defaults', () => {
    expect(soakPlan(base)).toMatchObject({
      durationMs: undefined,
      rampPerS: 100,
      ratePerS: 1,
      payloadBytes: 64,
      checkpointMs: 30_000,
      lossGraceMs: 10_000,
      sessionExpiryS: 3600,
      qos: 1,
      policy: { kind: 'fixed', delayMs: 1000 },
      thresholds: {},
    });
  });

  test('a field run of 30 days is allowed (the runner re-arms its timer)', () => {
    expect(soakPlan({ ...base, duration: '30d' }).durationMs).toBe(30 * 86_400_000);
  });

  test('thresholds parse to ms and percent', () => {
    const p = soakPlan({ ...base, maxReconnects: 3, maxLoss: '0.1%', maxDowntime: '30s', maxP99: '500ms' });
    expect(p.thresholds).toEqual({ maxReconnects: 3, maxLossPct: 0.1, maxDowntimeMs: 30_000, maxP99Ms: 500 });
  });

  test.each([
    ['clients 0', { clients: 0 }, /--clients/],
    ['clients not whole', { clients: 1.5 }, /--clients/],
    ['duration 0', { duration: '0s' }, /--duration/],
    ['rate too high', { rate: '50000/s' }, /--rate/],
    ['bad rate', { rate: 'fast' }, /--rate/],
    ['huge payload', { 'payload-size': '300mb' }, /256 MB/],
    ['bad policy', { reconnect: 'linear:1s' }, /--reconnect/],
    ['checkpoint too short', { checkpoint: '10ms' }, /--checkpoint/],
    // a Node timer holds at most 2^31 − 1 ms (24.8 days); longer ones would fire every millisecond
    ['checkpoint beyond a timer', { checkpoint: '30d' }, /--checkpoint/],
    ['fixed reconnect beyond a timer', { reconnect: 'fixed:30d' }, /--reconnect/],
    ['exp reconnect cap beyond a timer', { reconnect: 'exp:1s..30d' }, /--reconnect/],
    ['schedule beyond a timer', { reconnect: 'schedule:1,3,2592000' }, /--reconnect/],
    ['session expiry too long', { 'session-expiry': '200000d' }, /--session-expiry/],
    ['same id without id', { 'same-client-id': true }, /--client-id/],
    ['negative max reconnects', { maxReconnects: -1 }, /--max-reconnects/],
    ['bad max loss', { maxLoss: 'lots' }, /--max-loss/],
    ['publish offline at QoS 0', { 'publish-offline': true, qos: 0 }, /--qos 1/],
    ['publish offline when idle', { 'publish-offline': true, rate: '0' }, /--rate/],
  ] as Array<[string, Partial<SoakPlanArgs>, RegExp]>)('%s is a usage error', (_n, over, msg) => {
    const run = () => soakPlan({ ...base, ...over });
    expect(run).toThrow(UsageError);
    expect(run).toThrow(msg);
  });
});
