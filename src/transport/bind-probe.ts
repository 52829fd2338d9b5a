/**
 * The bind probe of `soak --local-address`, apart from the connection code in source-address.ts: that module
 * imports MQTT.js, and the parent of `soak --workers`, which checks the addresses but connects nothing, loaded
 * MQTT.js for this alone (10-12 MB of its RSS).
 */
import { createServer } from 'node:net';

/**
 * Whether this host owns `address` (a bind to it succeeds). On Linux every 127.0.0.0/8 address is local
 * without any set-up (the `local 127.0.0.0/8 dev lo` route); an address of another host fails with
 * EADDRNOTAVAIL. Returns the error code, or undefined when the address is usable.
 */
export function bindProbe(address: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    server.listen({ host: address, port: 0, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
