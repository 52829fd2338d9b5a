/**
 * Scripted servers for what a real broker can't be made to do: stay silent after accepting, answer garbage,
 * answer HTTP, send a malformed CONNACK. Listens on 127.0.0.1, port 0.
 */
import { createServer, type Server, type Socket } from 'node:net';

export type FakeBehaviour = 'silent' | 'garbage' | 'http' | 'bad-connack' | 'close-on-connect' | ((s: Socket) => void);

export interface FakeServer {
  port: number;
  url: string;
  connections: number;
  close(): Promise<void>;
}

export async function startFakeServer(behaviour: FakeBehaviour, opts: { backlog?: number } = {}): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const handle = (s: Socket) => {
    state.connections += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    if (typeof behaviour === 'function') return behaviour(s);
    switch (behaviour) {
      case 'silent':
        return; // accept, read, never answer
      case 'garbage':
        s.once('data', () => s.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x37])));
        return;
      case 'http':
        s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
        return;
      case 'bad-connack':
        // CONNACK (0x20) with reserved acknowledge-flag bits set, which both 3.1.1 and 5 forbid (§3.2.2.1).
        s.once('data', () => s.write(Buffer.from([0x20, 0x02, 0xfe, 0x00])));
        return;
      case 'close-on-connect':
        s.once('data', () => s.destroy());
        return;
    }
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) =>
    server.listen({ port: 0, host: '127.0.0.1', backlog: opts.backlog ?? 511 }, resolve),
  );
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
