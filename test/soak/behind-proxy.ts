/**
 * A real mosquitto per test, behind the impair proxy when asked, stopped after each test (afterEach). Impair events
 * are stamped on soak's own clock (`idleMs` of a NAT expiry kept), so they compare with soak's event times.
 */
import { afterEach } from 'vitest';
import { startMosquitto, cleanup, type Mosquitto } from '../helpers/mosquitto.js';
import { parseImpairSpec } from '../../src/config/impair.js';
import { startImpairProxy, type ImpairProxy, type ImpairEvent } from '../../src/lab/impair/proxy.js';
import { wallClockMs } from '../../src/measure/soak/runner.js';

export type SeenImpairEvent = { type: ImpairEvent['type']; t: number; idleMs?: number; sinceToClientMs?: number };

export function brokerPerTest(): {
  /** mosquitto behind the impair proxy with the faults of `spec`; its events go to `seen`. Returns the URL to dial. */
  brokerBehind: (spec: string, seen: SeenImpairEvent[]) => Promise<string>;
  /** mosquitto alone (the test may kill and restart it). */
  broker: () => Promise<Mosquitto>;
} {
  let broker: Mosquitto | undefined;
  let proxy: ImpairProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    if (broker) {
      await broker.stop();
      cleanup(broker);
      broker = undefined;
    }
  });
  const start = async () => {
    broker = await startMosquitto({ globalConfig: ['set_tcp_nodelay true'] });
    return broker;
  };
  return {
    broker: start,
    brokerBehind: async (spec, seen) => {
      const target = await start();
      proxy = await startImpairProxy({
        targetHost: '127.0.0.1',
        targetPort: target.port,
        faults: parseImpairSpec(spec),
        onEvent: (e) =>
          seen.push({
            type: e.type,
            t: wallClockMs(),
            ...(e.type === 'mapping-expired' ? { idleMs: e.idleMs } : {}),
            ...(e.type === 'blackholed' && e.sinceToClientMs !== undefined
              ? { sinceToClientMs: e.sinceToClientMs }
              : {}),
          }),
      });
      return `mqtt://127.0.0.1:${proxy.port}`;
    },
  };
}
