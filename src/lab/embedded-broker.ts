/**
 * The embedded default broker: aedes in-process on 127.0.0.1, port 0, so a newcomer sees mqtt-doctor work
 * with no broker installed (`probe --embedded`), and tests have a second, independent broker implementation.
 * aedes speaks MQTT 3.1.1 (it refuses 5 with rc 1, which exercises probe's fallback path).
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface EmbeddedBroker {
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
