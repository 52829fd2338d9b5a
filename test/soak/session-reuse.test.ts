/**
 * Ground truth: a fixed --client-id with --no-clean finds the session of an earlier run on the broker
 * (session present = 1 on the very first CONNACK). That session subscribes the earlier run's topic, not this
 * run's (the topic carries the run id), so soak must still subscribe its own topic; otherwise every message
 * of the new run is reported lost although the broker is healthy.
 */
import { afterEach, expect, test } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/lab/embedded-broker.js';
import type { SoakEvent } from '../../src/analyze/soak/events.js';
import { soakAgainst, sleep, until } from './helpers.js';

let broker: EmbeddedBroker | undefined;
afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

test.each([
  ['MQTT 3.1.1, QoS 1', 1],
  ['MQTT 3.1.1, QoS 2', 2],
] as const)(
  '%s: a second --no-clean run with the same client id still receives its own messages',
  async (_name, qos) => {
    broker = await startEmbeddedBroker();
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
