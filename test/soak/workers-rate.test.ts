/**
 * Per-client publish rate above the timer's ~1 ms resolution: each timer firing sends what is due since
 * publishing began. On vitest's fake clock the count is exact; a stall sends at most a second's worth on
 * waking. Against mosquitto, one client passes what one message per timer firing ever could.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { IClientOptions, MqttClient } from 'mqtt';
import { parseReconnectPolicy } from '../../src/config/reconnect.js';
import { ConnectionTimeline } from '../../src/analyze/soak/connection.js';
import { SeqTracker } from '../../src/analyze/soak/sequence.js';
import { SoakClient } from '../../src/measure/soak/client.js';
import { runCli, runMain } from '../helpers/cli.js';
import { cleanup, startMosquitto } from '../helpers/mosquitto.js';

class FakeMqtt extends EventEmitter {
  connected = false;
  published = 0;
  subscribe(_t: string, _o: unknown, cb: (err?: Error) => void) {
    cb();
  }
  publish() {
    this.published += 1;
  }
  end(_f: boolean, cb: () => void) {
    cb();
  }
}

afterEach(() => {
  vi.useRealTimers();
});

function publisher(ratePerS: number) {
  const fake = new FakeMqtt();
  const seq = new SeqTracker();
  const c = new SoakClient({
    index: 0,
    clientId: 'c0',
    topic: 't',
    runId: '0123456789abcdef',
    url: 'mqtt://127.0.0.1:1',
    mqttOptions: {} as IClientOptions,
    qos: 0,
    intervalMs: 1000 / ratePerS,
    payloadBytes: 64,
    payloadFormat: 'json',
    clean: true,
    policy: parseReconnectPolicy('fixed:1s'),
    random: () => 0.5,
    now: () => Date.now(),
    connect: () => fake as unknown as MqttClient,
    seq,
    timeline: new ConnectionTimeline(0, Date.now()),
    onEvent: () => {},
    onArrival: () => {},
  });
  c.start();
  fake.connected = true;
  fake.emit('connect', { sessionPresent: false });
  return { fake, seq, c };
}

describe('publish rate (fake clock)', () => {
  test.each([
    [1, 10_000, 11],
    [50, 10_000, 501],
    [1000, 1000, 1001],
    [3000, 1000, 3001],
    [20_000, 500, 10_001],
  ])('%i/s for %i ms sends %i (the first at once)', async (rate, ms, want) => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { fake, seq, c } = publisher(rate);
    await vi.advanceTimersByTimeAsync(ms);
    expect(fake.published).toBe(want);
    expect(seq.sent).toBe(want);
    await c.stop();
  });

  test('a 5 s stall of this process sends one second’s worth on waking, not five', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { fake, c } = publisher(1000);
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.published).toBe(101);
    // The clock jumps while no timer runs (a blocked event loop), then the next firing catches up.
    vi.setSystemTime(Date.now() + 5000);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.published).toBe(101 + 1000);
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.published).toBe(101 + 1000 + 100);
    await c.stop();
  });
});

describe('publish rate against mosquitto', () => {
  test('one client at 5000/s sends more than one message per timer firing could, and loses none', async () => {
    const m = await startMosquitto({ globalConfig: ['max_queued_messages 100000'] });
    try {
      const r = await runCli(
        ['soak', m.url, '--rate', '5000/s', '--qos', '1', '-d', '2s', '--payload-format', 'binary', '--json'],
        { timeoutMs: 30_000 },
      );
      const rep = JSON.parse(r.stdout) as {
        data: { summary: { elapsedMs: number; messages: { sent: number; received: number; lost: number } } };
      };
      const msg = rep.data.summary.messages;
      // A timer fires at most ~1000 times a second: over the whole run (publishing is shorter) that caps
      // one-message-per-firing at 1000 × elapsed.
      expect(msg.sent).toBeGreaterThan((1000 * rep.data.summary.elapsedMs) / 1000);
      expect(msg.received).toBe(msg.sent);
      expect(msg.lost).toBe(0);
    } finally {
      await m.stop();
      cleanup(m);
    }
  });

  test.each([
    ['20000/s', 0],
    ['20001/s', 2],
  ])('--rate %s → exit %i', async (rate, code) => {
    // Port 9 is closed: the accepted rate then fails at connecting (3), the refused one before (2).
    const r = await runMain(['soak', 'mqtt://127.0.0.1:9', '--rate', rate, '-d', '100ms']);
    if (code === 2) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/above 20000\/s per client/);
    } else expect(r.stderr).not.toMatch(/per client/);
  });
});
