/**
 * The reconnect scheduler inside a soak client, on vitest's fake clock with a fake MQTT.js client: the delays
 * between attempts must be exactly the policy's, reset on CONNACK, and the stores must be kept across
 * reconnects (MQTT.js's reconnect() without them would forget unacknowledged QoS 1 messages).
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { IClientOptions, MqttClient } from 'mqtt';
import { parseReconnectPolicy } from '../../src/config/reconnect.js';
import { ConnectionTimeline } from '../../src/analyze/soak/connection.js';
import { SeqTracker } from '../../src/analyze/soak/sequence.js';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { SoakClient } from '../../src/measure/soak/client.js';

class FakeMqtt extends EventEmitter {
  connected = false;
  incomingStore = { name: 'in' };
  outgoingStore = { name: 'out' };
  reconnects: Array<{ at: number; opts: unknown }> = [];
  reconnect(opts: unknown) {
    this.reconnects.push({ at: Date.now(), opts });
    return this;
  }
  subscribe(_t: string, _o: unknown, cb: (err?: Error) => void) {
    cb();
  }
  publish() {}
  end(_f: boolean, cb: () => void) {
    cb();
  }
  refuse() {
    this.emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    this.emit('close');
  }
  accept() {
    this.connected = true;
    this.emit('connect', { sessionPresent: false });
  }
  drop() {
    this.connected = false;
    this.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    this.emit('close');
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

function client(policy: string) {
  const fake = new FakeMqtt();
  const events: SoakEvent[] = [];
  const timeline = new ConnectionTimeline(0, Date.now());
  const c = new SoakClient({
    index: 0,
    clientId: 'c0',
    topic: 't',
    runId: '0123456789abcdef',
    url: 'mqtt://127.0.0.1:1',
    mqttOptions: {} as IClientOptions,
    qos: 1,
    intervalMs: 0,
    payloadBytes: 64,
    payloadFormat: 'json',
    clean: true,
    policy: parseReconnectPolicy(policy),
    random: () => 0.5,
    now: () => Date.now(),
    connect: () => fake as unknown as MqttClient,
    seq: new SeqTracker(),
    timeline,
    onEvent: (e) => events.push(e),
    onArrival: () => {},
  });
  c.start();
  return { fake, events, timeline, c };
}

describe('soak client reconnect scheduling (fake clock)', () => {
  test.each([
    ['fixed:2s', [2000, 4000, 6000, 8000, 10_000]],
    ['schedule:1,3,5', [1000, 4000, 9000, 14_000, 15_000]],
    ['exp:1s..4s', [1000, 3000, 7000, 11_000, 12_000]],
    // random() = 0.5 → jitter factor 1.0 (the spread itself is tested in reconnect.test.ts)
    ['exp:1s..4s+jitter', [1000, 3000, 7000, 11_000, 12_000]],
  ])('%s: 3 refused retries, success on the 4th, then a new loss starts again at delay(0)', async (policy, want) => {
    const { fake, events } = client(policy);
    const t0 = Date.now();
    fake.accept();
    fake.drop();
    for (let i = 0; i < 3; i += 1) {
      await vi.advanceTimersToNextTimerAsync();
      fake.refuse();
    }
    await vi.advanceTimersToNextTimerAsync();
    fake.accept();
    fake.drop();
    await vi.advanceTimersToNextTimerAsync();
    expect(fake.reconnects.map((r) => r.at - t0)).toEqual(want);
    // The stores survive every reconnect.
    for (const r of fake.reconnects)
      expect(r.opts).toEqual({ incomingStore: fake.incomingStore, outgoingStore: fake.outgoingStore });
    expect(
      events
        .filter((e) => e.type === 'connect-failed')
        .map((e) => (e.type === 'connect-failed' ? [e.attempt, e.cause] : [])),
    ).toEqual([
      [1, 'refused'],
      [2, 'refused'],
      [3, 'refused'],
    ]);
    expect(events.filter((e) => e.type === 'disconnect').map((e) => (e.type === 'disconnect' ? e.cause : ''))).toEqual([
      'reset',
      'reset',
    ]);
    const connects = events.filter((e): e is Extract<SoakEvent, { type: 'connect' }> => e.type === 'connect');
    expect(connects.map((e) => e.attempt)).toEqual([0, 4]);
  });

  test('a failed first connect retries after delay(0), not delay(1)', async () => {
    const { fake } = client('schedule:1,30');
    const t0 = Date.now();
    fake.refuse();
    await vi.advanceTimersToNextTimerAsync();
    expect(fake.reconnects.map((r) => r.at - t0)).toEqual([1000]);
  });

  test('stop() cancels a pending retry', async () => {
    const { fake, c } = client('fixed:5s');
    fake.accept();
    fake.drop();
    await c.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.reconnects).toEqual([]);
  });
});

test('a reconnect during the end-of-run drain does not start publishing again', async () => {
  const fake = new FakeMqtt();
  const published: number[] = [];
  fake.publish = () => void published.push(Date.now());
  const c = new SoakClient({
    index: 0,
    clientId: 'c0',
    topic: 't',
    runId: '0123456789abcdef',
    url: 'mqtt://127.0.0.1:1',
    mqttOptions: {} as IClientOptions,
    qos: 1,
    intervalMs: 100,
    payloadBytes: 64,
    payloadFormat: 'json',
    clean: true,
    policy: parseReconnectPolicy('fixed:1s'),
    random: () => 0.5,
    now: () => Date.now(),
    connect: () => fake as unknown as MqttClient,
    seq: new SeqTracker(),
    timeline: new ConnectionTimeline(0, Date.now()),
    onEvent: () => {},
    onArrival: () => {},
  });
  c.start();
  fake.accept();
  await vi.advanceTimersByTimeAsync(1000);
  const before = published.length;
  expect(before).toBeGreaterThan(5);
  fake.drop();
  c.quiesce();
  await vi.advanceTimersByTimeAsync(1000);
  fake.accept();
  await vi.advanceTimersByTimeAsync(2000);
  expect(published.length).toBe(before);
});

describe('an error that does not end the connection', () => {
  // MQTT.js emits some errors and stays connected (handlers/ack.js "Protocol error: … does not answer …",
  // handlers/publish.js reason codes). The next real disconnect, much later, must carry its own time and
  // cause, not the stale error's: otherwise the outage is dated back to the error and its cause is wrong.
  test.each([
    ['1 min later', 60_000],
    ['1 h later', 3_600_000],
  ])('a reset %s is dated and classified by itself', async (_n, laterMs) => {
    const { fake, events } = client('fixed:1s');
    fake.accept();
    fake.emit('error', new Error('Protocol error: PUBREC does not answer the publish pending on message id 7'));
    await vi.advanceTimersByTimeAsync(laterMs);
    const dropAt = Date.now();
    fake.drop();
    const d = events.find((e): e is Extract<SoakEvent, { type: 'disconnect' }> => e.type === 'disconnect');
    expect(d).toMatchObject({ t: dropAt, cause: 'reset' });
  });
});
