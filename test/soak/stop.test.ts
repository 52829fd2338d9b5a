/**
 * Ground truth for the end of a run: a broker that takes QoS 1 publishes but never acknowledges them (aedes
 * whose publish authorisation never answers: no PUBACK). MQTT.js's graceful end() then waits for an
 * 'outgoingEmpty' that never comes; soak's stop must still close the socket within its 1 s fallback, not
 * leave it open until the keepalive gives up (1.5 × 60 s), which keeps the process from exiting.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { soakAgainst, until } from './helpers.js';

let closeAll: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeAll?.();
  closeAll = undefined;
});

async function silentPubackBroker(): Promise<{ url: string; open: () => number }> {
  const { Aedes } = await import('aedes');
  // Never calling back leaves every publish unauthorised and unacknowledged.
  const broker = await Aedes.createBroker({ authorizePublish: () => {} });
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    broker.handle(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  closeAll = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
  };
  return { url: `mqtt://127.0.0.1:${port}`, open: () => sockets.size };
}

test.each([
  ['QoS 1', 1],
  ['QoS 2', 2],
] as const)(
  '%s publishes never acknowledged: stop closes the socket, not the keepalive 90 s later',
  async (_n, qos) => {
    const b = await silentPubackBroker();
    const h = await soakAgainst(b.url, { qos, ratePerS: 20, drainMs: 200, mqttOptions: { keepalive: 60 } });
    await until(() => h.run.connectedNow() === 1, 5000, 'connected');
    await until(() => h.events.length > 0 && b.open() === 1, 2000, 'socket open');
    await new Promise((r) => setTimeout(r, 500));
    h.abort.abort();
    const { summary } = await h.run.done;
    expect(summary.messages.sent).toBeGreaterThan(3);
    expect(summary.messages.received).toBe(0);
    // stop() destroys the socket after its 1 s fallback, before done resolves; the broker here hears of it in this
    // very process. The bound tells that from the failure (open until the keepalive gives up, 1.5 × 60 s): loaded,
    // 2.5 s after done was once too short for this process to run the broker's close.
    await until(() => b.open() === 0, 15_000, 'the broker to see the socket close');
  },
  30_000,
);
