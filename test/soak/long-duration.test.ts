/**
 * Field runs last days: `--duration 30d` is 2,592,000,000 ms, above the 2^31 − 1 ms a Node timer can hold
 * (Node then fires after 1 ms with a TimeoutOverflowWarning). On vitest's fake clock the run must end at
 * exactly the requested duration, not at once and not never.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import type { MqttClient } from 'mqtt';
import { parseReconnectPolicy } from '../../src/config/reconnect.js';
import type { SoakRunInfo } from '../../src/analyze/soak/events.js';
import { startSoak } from '../../src/measure/soak/runner.js';

class IdleFakeMqtt extends EventEmitter {
  connected = false;
  reconnect() {
    return this;
  }
  end(_f: boolean, cb: () => void) {
    cb();
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const DAY = 86_400_000;

test.each([
  ['1 h', 3_600_000],
  ['24.8 days (the largest a Node timer holds)', 2 ** 31 - 1],
  ['30 days', 30 * DAY],
  ['90 days', 90 * DAY],
])('--duration %s ends the run exactly then', async (_n, durationMs) => {
  const info = { clients: 1, durationMs } as unknown as SoakRunInfo;
  const run = await startSoak({
    url: 'mqtt://127.0.0.1:1',
    mqttOptions: {},
    runId: '0123456789abcdef',
    clients: 1,
    clientIds: ['c0'],
    rampPerS: 0,
    qos: 1,
    ratePerS: 0,
    payloadBytes: 64,
    payloadFormat: 'json',
    clean: true,
    policy: parseReconnectPolicy('fixed:1s'),
    durationMs,
    checkpointMs: DAY,
    lossGraceMs: 10_000,
    flapThresholdMs: 10_000,
    drainMs: 0,
    info,
    signal: new AbortController().signal,
    onEvent: () => {},
    now: () => Date.now(),
    connect: () => new IdleFakeMqtt() as unknown as MqttClient,
  });
  let ended: number | undefined;
  void run.done.then(() => (ended = Date.now()));
  await vi.advanceTimersByTimeAsync(durationMs - 1000);
  expect(ended).toBeUndefined();
  await vi.advanceTimersByTimeAsync(2000);
  expect(ended).toBeDefined();
  expect(ended! - 1_000_000).toBeGreaterThanOrEqual(durationMs);
  expect(ended! - 1_000_000).toBeLessThanOrEqual(durationMs + 1000);
});
