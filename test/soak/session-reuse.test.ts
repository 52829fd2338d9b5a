/**
 * Ground truth: a fixed --client-id with --no-clean finds the session of an earlier run on the broker
 * (session present = 1 on the very first CONNACK). That session subscribes the earlier run's topic, not this
 * run's (the topic carries the run id), so soak must still subscribe its own topic; otherwise every message
 * of the new run is reported lost although the broker is healthy.
 *
 * Both brokers: mosquitto, and the embedded aedes. With two QoS 2 deliveries in flight to one persistent
 * session (a timer firing late sends two messages at once, as it must to keep the rate), stock aedes 1.2.0 sent
 * the second's PUBREL twice and never the first's (packet log of this test under load: `< pubrel 61151 |
 * < pubrel 61151`, none for 61150), so that message was really lost; src/lab/embedded-broker.ts now keeps the
 * PUBRELs apart (test/lab/embedded-broker.test.ts), so the embedded broker must pass this too.
 */
import { afterEach, expect, test } from 'vitest';
import { startMosquitto, cleanup, type Mosquitto } from '../helpers/mosquitto.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/lab/embedded-broker.js';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { soakAgainst, sleep, until } from './helpers.js';

let broker: Mosquitto | undefined;
let embedded: EmbeddedBroker | undefined;
afterEach(async () => {
  if (broker) {
    await broker.stop();
    cleanup(broker);
  }
  broker = undefined;
  await embedded?.close();
  embedded = undefined;
});

async function start(kind: 'mosquitto' | 'aedes'): Promise<string> {
  if (kind === 'aedes') {
    embedded = await startEmbeddedBroker();
    return embedded.url;
  }
  broker = await startMosquitto();
  return broker.url;
}

test.each([
  ['mosquitto', 'MQTT 3.1.1, QoS 1', 1],
  ['mosquitto', 'MQTT 3.1.1, QoS 2', 2],
  ['aedes', 'MQTT 3.1.1, QoS 1', 1],
  ['aedes', 'MQTT 3.1.1, QoS 2', 2],
] as const)(
  '%s, %s: a second --no-clean run with the same client id still receives its own messages',
  async (kind, _name, qos) => {
    const url = await start(kind);
    for (const run of ['first', 'second']) {
      const h = await soakAgainst(url, {
        clean: false,
        qos,
        ratePerS: 20,
        clientIds: ['mqd-fixed-id'],
        drainMs: 1000,
      });
      await until(() => h.run.connectedNow() === 1, 5000, `${run} run connected`);
      await sleep(800);
      h.abort.abort();
      const { summary } = await h.run.done;
      const connect = h.events.find((e): e is Extract<SoakEvent, { type: 'connect' }> => e.type === 'connect');
      // Ground truth: the broker kept the first run's session, so the second run's first CONNACK says so.
      expect(connect?.sessionPresent).toBe(run === 'second');
      expect(summary.messages.sent).toBeGreaterThan(5);
      expect(summary.messages.received).toBe(summary.messages.sent);
      expect(summary.messages.lost).toBe(0);
    }
  },
);
