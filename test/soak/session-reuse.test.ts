/**
 * Ground truth: a fixed --client-id with --no-clean finds the session of an earlier run on the broker
 * (session present = 1 on the very first CONNACK). That session subscribes the earlier run's topic, not this
 * run's (the topic carries the run id), so soak must still subscribe its own topic; otherwise every message
 * of the new run is reported lost although the broker is healthy.
 *
 * The broker is mosquitto, not the embedded aedes: with two QoS 2 deliveries in flight to one client (a timer
 * firing late sends two messages at once, as it must to keep the rate), aedes 1.2.0 sends the PUBREL of the
 * second twice and never the first's, so MQTT.js never releases that message (seen in a packet log of this
 * test under load: `< pubrel 61151 | < pubrel 61151`, none for 61150) and soak rightly counted it lost.
 */
import { afterEach, expect, test } from 'vitest';
import { startMosquitto, cleanup, type Mosquitto } from '../helpers/mosquitto.js';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { soakAgainst, sleep, until } from './helpers.js';

let broker: Mosquitto | undefined;
afterEach(async () => {
  if (broker) {
    await broker.stop();
    cleanup(broker);
  }
  broker = undefined;
});

test.each([
  ['MQTT 3.1.1, QoS 1', 1],
  ['MQTT 3.1.1, QoS 2', 2],
] as const)(
  '%s: a second --no-clean run with the same client id still receives its own messages',
  async (_name, qos) => {
    broker = await startMosquitto();
    for (const run of ['first', 'second']) {
      const h = await soakAgainst(broker.url, {
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
