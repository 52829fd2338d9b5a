/**
 * The embedded aedes delivers every QoS 2 message to a persistent session even when several are in flight at
 * once (aedes 1.2.0's own in-memory persistence lost half of them: src/lab/embedded-broker.ts
 * keepPubrelsApart). Ground truth is what this test published; the receiving client is bare MQTT.js.
 */
import { afterEach, expect, test } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/lab/embedded-broker.js';

let broker: EmbeddedBroker | undefined;
const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await broker?.close();
  broker = undefined;
});

async function connect(url: string, clientId: string, clean: boolean): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId, clean, protocolVersion: 4, reconnectPeriod: 0 });
  clients.push(c);
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

test.each([
  ['one client publishing to itself', false],
  ['a separate publisher', true],
] as const)(
  'QoS 2 to a clean-session-0 subscriber, 10 in flight at once (%s): every message arrives, once',
  async (_name, separatePublisher) => {
    broker = await startEmbeddedBroker();
    const sub = await connect(broker.url, 'mqd-q2-sub', false);
    const pub = separatePublisher ? await connect(broker.url, 'mqd-q2-pub', false) : sub;
    await sub.subscribeAsync('mqd/q2', { qos: 2 });
    const received: string[] = [];
    sub.on('message', (_topic, payload) => received.push(payload.toString()));
    const sent: string[] = [];
    for (let burst = 0; burst < 20; burst++) {
      const batch = Array.from({ length: 10 }, (_, k) => String(burst * 10 + k));
      sent.push(...batch);
      await Promise.all(batch.map((m) => pub.publishAsync('mqd/q2', m, { qos: 2 })));
    }
    // Every publish above completed its PUBCOMP; the broker's deliveries follow within its own exchanges.
    const deadline = Date.now() + 10_000;
    while (received.length < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(received.length).toBe(sent.length);
    expect(new Set(received)).toEqual(new Set(sent));
  },
);
