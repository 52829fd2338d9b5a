/**
 * Hostile scripted servers for the failure table: each accepts TCP on 127.0.0.1 (port 0) and then misbehaves in
 * one way a real broker cannot be made to. Built on test/helpers/fake-server.ts; the TLS one is a real Node TLS
 * server with a certificate from test/helpers/certs.ts.
 */
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import type { CertSet } from '../helpers/certs.js';
import { startFakeServer, type FakeBehaviour, type FakeServer } from '../helpers/fake-server.js';

export type Hostile =
  'silence' | 'random-bytes' | 'bad-length' | 'http' | 'connack-cut' | 'refused' | 'tls' | 'closed-port';

/** 64 bytes that are not MQTT: packet type 0 is reserved and forbidden (MQTT 3.1.1 §2.2.1, 5.0 §2.1.2). */
function randomNonMqtt(): Buffer {
  const b = Buffer.alloc(64);
  let x = 0x2545f491;
  for (let i = 0; i < b.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  b[0] = 0x0f;
  return b;
}

const ON_CONNECT: Record<Exclude<Hostile, 'tls' | 'closed-port'>, FakeBehaviour> = {
  silence: 'silent',
  'random-bytes': (s: Socket) => s.once('data', () => s.write(randomNonMqtt())),
  // CONNACK header whose Remaining Length runs past its 4-byte maximum (3.1.1 §2.2.3, 5.0 §1.5.5).
  'bad-length': (s: Socket) => s.once('data', () => s.write(Buffer.from([0x20, 0xff, 0xff, 0xff, 0xff, 0x01]))),
  http: 'http',
  // A CONNACK announced as 2 bytes, cut after the first, then FIN.
  'connack-cut': (s: Socket) => s.once('data', () => s.end(Buffer.from([0x20, 0x02, 0x00]))),
  // Every CONNECT refused at its own protocol level: 3.1.1 rc 5 "not authorized" (§3.2.2.3), 5.0 0x87 (§3.2.2.2).
  refused: (s: Socket) =>
    s.on('data', (chunk: Buffer) => {
      if (chunk[0] !== 0x10) return;
      s.end(chunk[8] === 5 ? Buffer.from([0x20, 0x03, 0x00, 0x87, 0x00]) : Buffer.from([0x20, 0x02, 0x00, 0x05]));
    }),
};

export interface HostileServer {
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startHostile(kind: Hostile, certs: CertSet): Promise<HostileServer> {
  if (kind === 'tls') return startTls(certs);
  if (kind === 'closed-port') {
    const s = await startFakeServer('silent');
    await s.close();
    return { url: s.url, connections: 0, close: async () => undefined };
  }
  const s: FakeServer = await startFakeServer(ON_CONNECT[kind]);
  return {
    url: s.url,
    get connections() {
      return s.connections;
    },
    close: () => s.close(),
  };
}

/** A TLS listener (what a plaintext mqtt:// client meets on port 8883): completes handshakes, never speaks MQTT. */
async function startTls(certs: CertSet): Promise<HostileServer> {
  const sockets = new Set<TLSSocket | Socket>();
  let connections = 0;
  const server = createTlsServer(
    { cert: readFileSync(certs.valid.certFile), key: readFileSync(certs.valid.keyFile) },
    (s) => s.on('error', () => undefined),
  );
  server.on('connection', (s: Socket) => {
    connections += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
