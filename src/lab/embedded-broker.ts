/**
 * The embedded default broker: aedes in-process on 127.0.0.1, port 0, so a newcomer sees mqtt-doctor work
 * with no broker installed (`probe --embedded`), and tests have a second, independent broker implementation.
 * aedes 1.x speaks MQTT 3.1.1 only (it refuses 5 with rc 1; MQTT 5 is tracked in
 * https://github.com/moscajs/aedes/issues/194 and only a 2.0.0 beta exists on npm), so `--embedded` connects
 * with 3.1.1 from the start (config/connection.ts) and says so once, instead of opening with a refusal.
 * mosca, the other in-process broker on npm, is unmaintained and 3.1.1 only as well.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { EMBEDDED_MQTT_VERSION } from '../config/connection.js';

export interface EmbeddedBroker {
  /** The MQTT version it speaks, for the one line that introduces it. */
  protocol: typeof EMBEDDED_MQTT_VERSION;
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(opts: { host?: string; port?: number } = {}): Promise<EmbeddedBroker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    protocol: EMBEDDED_MQTT_VERSION,
    host,
    port,
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
