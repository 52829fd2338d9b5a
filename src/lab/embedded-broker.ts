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

interface OutgoingStore {
  outgoingUpdate(
    client: unknown,
    packet: { cmd?: string; messageId?: number; brokerId?: string },
    ...rest: unknown[]
  ): unknown;
}

/**
 * aedes 1.2.0 with its default in-memory persistence (aedes-persistence 11) loses QoS 2 deliveries to a
 * persistent session (clean session 0) whenever two are in flight: `handlePubrec` stores a PUBREL that carries
 * no `brokerId`, and `outgoingUpdate` (aedes-persistence `asyncPersistence.js`) matches a stored packet to the
 * update first by `brokerId`/`brokerCounter`, so the second PUBREL's update matches the first stored PUBREL
 * (undefined === undefined) and rewrites its packet id. The broker then sends PUBREL for the second id twice and
 * never for the first, and that message is never delivered (a soak of the embedded broker at QoS 2 --no-clean
 * lost half its messages to it). Giving each PUBREL an identity of its own (its packet id, which is unique among
 * a session's in-flight messages, MQTT 3.1.1 §2.3.1) makes the update match by packet id as intended. Sources:
 * https://github.com/moscajs/aedes/blob/main/lib/handlers/pubrec.js and
 * https://github.com/moscajs/aedes-persistence/blob/main/asyncPersistence.js; tested in
 * test/lab/embedded-broker.test.ts.
 */
function keepPubrelsApart(store: OutgoingStore): void {
  const update = store.outgoingUpdate.bind(store);
  store.outgoingUpdate = (client, packet, ...rest) => {
    if (packet.cmd === 'pubrel' && packet.brokerId === undefined) packet.brokerId = `pubrel:${packet.messageId}`;
    return update(client, packet, ...rest);
  };
}

export async function startEmbeddedBroker(opts: { host?: string; port?: number } = {}): Promise<EmbeddedBroker> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  keepPubrelsApart((broker as unknown as { persistence: OutgoingStore }).persistence);
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
