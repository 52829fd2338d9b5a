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
import { seededRandom } from '../../src/lab/impair/faults.js';

export type Hostile =
  | 'silence'
  | 'random-bytes'
  | 'bad-length'
  | 'http'
  | 'connack-cut'
  | 'refused'
  | 'tls'
  | 'closed-port';

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

/**
 * A broker that answers CONNACK and then announces a PUBLISH of `announcedBytes` (Remaining Length up to
 * 268,435,455, MQTT 3.1.1 §2.2.3) and trickles its body, `chunkBytes` every `everyMs`, for as long as the
 * connection lives. A client that buffers packets whole keeps growing; one that reads the length stops at once.
 */
export function hugePublish(announcedBytes: number, chunkBytes = 64 * 1024, everyMs = 5): FakeBehaviour {
  return (s: Socket) =>
    s.once('data', (chunk: Buffer) => {
      const v5 = chunk[8] === 5;
      s.write(v5 ? Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]) : Buffer.from([0x20, 0x02, 0x00, 0x00]));
      const header = [0x30];
      let n = announcedBytes;
      do {
        let b = n % 128;
        n = Math.floor(n / 128);
        if (n > 0) b |= 0x80;
        header.push(b);
      } while (n > 0);
      // Topic "t", then payload bytes.
      s.write(Buffer.from([...header, 0x00, 0x01, 0x74]));
      const body = Buffer.alloc(chunkBytes, 0x61);
      let sent = 0;
      const timer = setInterval(() => {
        if (s.destroyed || sent >= announcedBytes) return clearInterval(timer);
        s.write(body);
        sent += body.length;
      }, everyMs);
      s.on('close', () => clearInterval(timer));
    });
}

/** Deterministic PRNG (mulberry32, the one `impair --seed` uses) so a fuzz case is replayed from its seed alone. */
export const prng = seededRandom;

/** Ways a fuzzed broker's replies go wrong; every one of them is a violation a client must not call healthy. */
export const MUTATIONS = [
  'header-flags', // fixed-header flags of CONNACK/SUBACK/PINGRESP must be 0 (3.1.1 §2.2.2, 5.0 §2.1.3)
  'ack-flags', // CONNACK acknowledge-flag bits 7-1 are reserved, 0 (3.1.1 §3.2.2.1, 5.0 §3.2.2.1)
  'bad-length', // Remaining Length that disagrees with the packet type's fixed size
  'reserved-type', // packet type 0 is reserved and forbidden (3.1.1 §2.2.1, 5.0 §2.1.2)
  'truncate', // the reply cut short, then FIN
  'truncate-silent', // the reply cut short, then nothing
  'bad-properties', // MQTT 5 property length running past the packet / unknown property id
  'wrong-packet', // a valid packet of the wrong type instead of the expected reply
  'flood', // thousands of unsolicited PINGRESPs instead of the reply
  'trickle', // the mutated reply one byte at a time
  'huge', // a PUBLISH announced at 200 MB instead of the reply
] as const;
export type Mutation = (typeof MUTATIONS)[number];

export interface FuzzPlan {
  seed: number;
  mutation: Mutation;
  /**
   * Which reply misbehaves: 0 = the CONNACK, 1 = the first reply after it (SUBACK, PINGRESP, echoed PUBLISH);
   * Infinity = none (a well-behaved broker).
   */
  at: number;
}

export function fuzzPlan(seed: number): FuzzPlan {
  const r = prng(seed);
  const mutation = MUTATIONS[Math.floor(r() * MUTATIONS.length)] ?? 'truncate';
  return { seed, mutation, at: r() < 0.6 ? 0 : 1 };
}

/** The valid reply to `req` (a whole client packet), or undefined when none is due (DISCONNECT, PUBACK). */
function validReply(req: Buffer, v5: boolean): Buffer | undefined {
  const type = (req[0] ?? 0) >> 4;
  switch (type) {
    case 1: // CONNECT → CONNACK accepted
      return v5 ? Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]) : Buffer.from([0x20, 0x02, 0x00, 0x00]);
    case 8: {
      // SUBSCRIBE → SUBACK granting QoS 0 to each filter: packet id is after the length bytes.
      const off = lengthEnd(req);
      const id = req.subarray(off, off + 2);
      return v5 ? Buffer.from([0x90, 0x04, ...id, 0x00, 0x00]) : Buffer.from([0x90, 0x03, ...id, 0x00]);
    }
    case 12: // PINGREQ → PINGRESP
      return Buffer.from([0xd0, 0x00]);
    case 3: // PUBLISH → the same PUBLISH back at QoS 0 (the echo a subscriber gets); QoS 1 also gets PUBACK
      return echoPublish(req, v5);
    default:
      return undefined;
  }
}

function lengthEnd(p: Buffer): number {
  let i = 1;
  while (i < 5 && ((p[i] ?? 0) & 0x80) !== 0) i += 1;
  return i + 1;
}

function echoPublish(req: Buffer, v5: boolean): Buffer {
  const qos = ((req[0] ?? 0) >> 1) & 3;
  const off = lengthEnd(req);
  const topicLen = req.readUInt16BE(off);
  const topic = req.subarray(off, off + 2 + topicLen);
  let rest = off + 2 + topicLen;
  const id = qos > 0 ? req.subarray(rest, rest + 2) : Buffer.alloc(0);
  if (qos > 0) rest += 2;
  if (v5) rest += 1 + (req[rest] ?? 0); // skip the properties (short ones only: ours are empty)
  const payload = req.subarray(rest);
  const body = Buffer.concat([topic, v5 ? Buffer.from([0x00]) : Buffer.alloc(0), payload]);
  const pub = Buffer.concat([Buffer.from([0x30, ...varint(body.length)]), body]);
  if (qos === 0) return pub;
  const ack = v5 ? Buffer.from([0x40, 0x03, ...id, 0x00]) : Buffer.from([0x40, 0x02, ...id]);
  return Buffer.concat([ack, pub]);
}

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Apply `m` to a valid reply; `then` is what happens to the socket afterwards. */
function mutate(m: Mutation, good: Buffer, v5: boolean, r: () => number): { bytes: Buffer; then: 'stay' | 'end' } {
  const b = Buffer.from(good);
  const pick = (n: number) => Math.floor(r() * n);
  switch (m) {
    case 'header-flags':
      b[0] = ((b[0] ?? 0) & 0xf0) | (1 + pick(15));
      // PUBLISH flags are legitimate (dup, QoS, retain); QoS 3 is the one forbidden value (3.1.1 §3.3.1.2).
      if ((b[0] & 0xf0) === 0x30) b[0] = 0x36;
      return { bytes: b, then: 'stay' };
    case 'ack-flags':
      if ((b[0] ?? 0) >> 4 === 2) b[2] = (b[2] ?? 0) | (2 << pick(7));
      else b[0] = ((b[0] ?? 0) & 0xf0) | 0x0f;
      return { bytes: b, then: 'stay' };
    case 'bad-length': {
      // A CONNACK/PINGRESP/SUBACK length that no valid one of that type has, with that many random bytes.
      const type = (b[0] ?? 0) >> 4;
      const lens = type === 13 ? [1, 2, 3, 7] : type === 2 ? (v5 ? [0, 1] : [0, 1, 3, 9]) : [0, 1];
      const len = lens[pick(lens.length)] ?? 0;
      const body = Buffer.alloc(len);
      for (let i = 0; i < len; i++) body[i] = pick(256);
      return { bytes: Buffer.concat([Buffer.from([b[0] ?? 0, len]), body]), then: 'stay' };
    }
    case 'reserved-type':
      b[0] = (b[0] ?? 0) & 0x0f;
      return { bytes: b, then: 'stay' };
    case 'truncate':
    case 'truncate-silent':
      return { bytes: b.subarray(0, 1 + pick(Math.max(1, b.length - 1))), then: m === 'truncate' ? 'end' : 'stay' };
    case 'bad-properties': {
      if ((b[0] ?? 0) >> 4 !== 2 || !v5) return mutate('bad-length', good, v5, r);
      // Properties length 5 announced in a packet that carries 1 byte of them, or an id no CONNACK may carry.
      return {
        bytes:
          pick(2) === 0
            ? Buffer.from([0x20, 0x04, 0x00, 0x00, 0x05, 0x21])
            : Buffer.from([0x20, 0x05, 0x00, 0x00, 0x02, 0x7f, 0x00]),
        then: 'stay',
      };
    }
    case 'wrong-packet':
      // An UNSUBACK (11) where no UNSUBSCRIBE was sent.
      return { bytes: Buffer.from([0xb0, 0x02, 0x00, 0x07]), then: 'stay' };
    case 'flood': {
      const n = 2000 + pick(3000);
      return { bytes: Buffer.alloc(2 * n, Buffer.from([0xd0, 0x00])), then: 'stay' };
    }
    case 'trickle':
      return mutate(MUTATIONS[pick(4)] ?? 'header-flags', good, v5, r);
    case 'huge':
      return { bytes: Buffer.from([0x30, ...varint(200 * 1024 * 1024), 0x00, 0x01, 0x74]), then: 'stay' };
  }
}

/**
 * A broker that answers every client packet correctly except the `plan.at`-th reply, which is mutated by
 * `plan.mutation` (seeded: the same seed gives the same bytes). After the mutation it keeps answering validly,
 * so a client that shrugs the bad reply off would go on to look healthy: the test says it must not.
 */
export function fuzzBehaviour(plan: FuzzPlan): FakeBehaviour {
  return (s: Socket) => {
    const r = prng(plan.seed ^ 0x9e3779b9);
    let buf = Buffer.alloc(0);
    let replies = 0;
    let v5 = false;
    const timers = new Set<NodeJS.Timeout>();
    s.on('close', () => timers.forEach((t) => clearInterval(t)));
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length < 2) return;
        const end = lengthEnd(buf);
        let len = 0;
        for (let i = 1, m = 1; i < end; i++, m *= 128) len += ((buf[i] ?? 0) & 0x7f) * m;
        if (buf.length < end + len) return;
        const req = buf.subarray(0, end + len);
        buf = buf.subarray(end + len);
        if ((req[0] ?? 0) >> 4 === 1) v5 = req[8] === 5;
        const good = validReply(req, v5);
        if (!good || s.destroyed) continue;
        if (replies++ !== plan.at) {
          s.write(good);
          continue;
        }
        const { bytes, then } = mutate(plan.mutation, good, v5, r);
        if (plan.mutation === 'trickle') {
          let i = 0;
          const t = setInterval(() => {
            if (s.destroyed || i >= bytes.length) return clearInterval(t);
            s.write(bytes.subarray(i, i + 1));
            i += 1;
          }, 150);
          timers.add(t);
        } else if (then === 'end') s.end(bytes);
        else s.write(bytes);
      }
    });
  };
}

/** A broker that answers every packet correctly (CONNACK, SUBACK, PINGRESP, the echo): the fuzzer's baseline. */
export function wellBehaved(): FakeBehaviour {
  return fuzzBehaviour({ seed: 0, mutation: 'truncate', at: Number.POSITIVE_INFINITY });
}

export async function startFuzzServer(plan: FuzzPlan): Promise<HostileServer> {
  const s = await startFakeServer(fuzzBehaviour(plan));
  return {
    url: s.url,
    get connections() {
      return s.connections;
    },
    close: () => s.close(),
  };
}

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
