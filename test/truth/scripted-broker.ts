/**
 * A scripted MQTT server for the truth suite: it answers CONNACK, PINGRESP, SUBACK and PUBACK after exactly
 * the delay a test asks for, and records, on its own clock, when it read each request and when it wrote each
 * answer. On loopback the client's window (its write → its read) contains the server's (its read → its write),
 * so the server's recorded hold is a lower bound of what any honest client can measure.
 *
 * Misbehaviours a real broker cannot be made to show: unsolicited PINGRESPs (one before any request, two per
 * request, a flood), and "Nagle" mode, which reproduces on purpose a broker with Nagle's algorithm on meeting
 * a client that delays its ACKs (RFC 896; RFC 1122 §4.2.3.2, 40 ms on Linux): a reply waits while an earlier
 * reply is unacknowledged, and the client acknowledges with its next request or when its delayed-ACK timer
 * fires. Frames are parsed by their fixed header (MQTT 3.1.1 §2.2, 5.0 §2.1).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ScriptedOptions {
  connackDelayMs?: number;
  pingrespDelayMs?: number;
  pubackDelayMs?: number;
  /** Extra PINGRESPs: 'before' sends one with CONNACK, 'double' answers each PINGREQ twice, 'flood' sends 200. */
  unsolicited?: 'before' | 'double' | 'flood';
  /**
   * Nagle at the server, delayed ACK (this many ms; Linux 40–200 ms) at the client, zero transit; the first
   * PINGRESP is late by `firstLateMs`, which is what lets the lock set in (two requests in flight at once).
   * Once in, a reply is released only by the next request (or the delayed-ACK timer): RTT ≈ the interval.
   */
  nagle?: { delayedAckMs: number; firstLateMs: number };
  /** Close a connection whose CONNECT carries a Will this long after reading it (a keepalive cut). */
  cutWillAfterMs?: number;
}

export interface Hold {
  kind: 'connack' | 'pingresp' | 'puback' | 'cut';
  /** Server clock: request read → answer written, ms. */
  heldMs: number;
}

export interface ScriptedBroker {
  port: number;
  url: string;
  holds: Hold[];
  close(): Promise<void>;
}

const CONNACK_311 = Buffer.from([0x20, 0x02, 0x00, 0x00]);
const CONNACK_5 = Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]);
const PINGRESP = Buffer.from([0xd0, 0x00]);

/** Split a byte stream into MQTT frames (fixed header + remaining length). */
function frames(onFrame: (type: number, body: Buffer, first: number) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      let len = 0;
      let mul = 1;
      let i = 1;
      for (; i < Math.min(buf.length, 5); i += 1) {
        const b = buf[i]!;
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) break;
      }
      if (i >= buf.length || buf.length < i + 1 + len) return;
      const first = buf[0]!;
      onFrame(first >> 4, buf.subarray(i + 1, i + 1 + len), first);
      buf = buf.subarray(i + 1 + len);
    }
  };
}

export async function startScriptedBroker(o: ScriptedOptions = {}): Promise<ScriptedBroker> {
  const holds: Hold[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, f: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
  };
  const answer = (s: Socket, kind: Hold['kind'], bytes: Buffer, delayMs: number) => {
    const readAt = performance.now();
    const write = () => {
      const at = performance.now();
      s.write(bytes);
      holds.push({ kind, heldMs: at - readAt });
    };
    if (delayMs > 0) later(delayMs, write);
    else write();
  };
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.setNoDelay(true);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let version = 4;
    let topicOfSub = '';
    // Nagle model state: replies queued behind an unacknowledged one.
    let unacked = false;
    let ackTimer: NodeJS.Timeout | undefined;
    const queue: Array<{ readAt: number }> = [];
    let pings = 0;
    const nagleSend = () => {
      const now = performance.now();
      const n = queue.length;
      for (const q of queue.splice(0)) holds.push({ kind: 'pingresp', heldMs: now - q.readAt });
      s.write(Buffer.concat(Array.from({ length: n }, () => PINGRESP)));
      unacked = true;
      clearTimeout(ackTimer);
      ackTimer = setTimeout(() => acked(), o.nagle!.delayedAckMs);
    };
    const acked = () => {
      unacked = false;
      clearTimeout(ackTimer);
      if (queue.length > 0) nagleSend();
    };
    s.on('close', () => clearTimeout(ackTimer));
    s.on(
      'data',
      frames((type, body, first) => {
        switch (type) {
          case 1: {
            // CONNECT: protocol level is byte 6 of the variable header (after the "MQTT" name).
            version = body[6] ?? 4;
            answer(s, 'connack', version === 5 ? CONNACK_5 : CONNACK_311, o.connackDelayMs ?? 0);
            // Connect flags (byte 7): bit 2 is the Will flag (MQTT 3.1.1 §3.1.2.5).
            if (o.cutWillAfterMs !== undefined && ((body[7] ?? 0) & 0x04) !== 0) {
              const readAt = performance.now();
              later(o.cutWillAfterMs, () => {
                holds.push({ kind: 'cut', heldMs: performance.now() - readAt });
                s.destroy();
              });
            }
            if (o.unsolicited === 'before') s.write(PINGRESP);
            if (o.unsolicited === 'flood') s.write(Buffer.concat(Array.from({ length: 200 }, () => PINGRESP)));
            return;
          }
          case 12: {
            pings += 1;
            if (o.nagle) {
              const readAt = performance.now();
              // This request carries the client's ACK of every reply written before it arrived.
              if (unacked) acked();
              const push = () => {
                queue.push({ readAt });
                if (!unacked) nagleSend();
              };
              if (pings === 1 && o.nagle.firstLateMs > 0) later(o.nagle.firstLateMs, push);
              else push();
              return;
            }
            answer(s, 'pingresp', PINGRESP, o.pingrespDelayMs ?? 0);
            if (o.unsolicited === 'double') s.write(PINGRESP);
            return;
          }
          case 8: {
            // SUBSCRIBE: remember the topic, grant QoS 1.
            const id = body.readUInt16BE(0);
            let at = 2;
            if (version === 5) at += 1 + (body[2] ?? 0);
            const tlen = body.readUInt16BE(at);
            topicOfSub = body.subarray(at + 2, at + 2 + tlen).toString('utf8');
            s.write(
              version === 5
                ? Buffer.from([0x90, 0x04, id >> 8, id & 0xff, 0x00, 0x01])
                : Buffer.from([0x90, 0x03, id >> 8, id & 0xff, 0x01]),
            );
            return;
          }
          case 3: {
            // PUBLISH: echo it back to the subscriber at once (QoS 0 copy), PUBACK after the delay at QoS 1.
            const qos = (first >> 1) & 3;
            const tlen = body.readUInt16BE(0);
            const topic = body.subarray(2, 2 + tlen).toString('utf8');
            let at = 2 + tlen;
            const id = qos > 0 ? body.readUInt16BE(at) : 0;
            if (qos > 0) at += 2;
            if (version === 5) at += 1 + (body[at] ?? 0);
            const payload = body.subarray(at);
            if (topic === topicOfSub) {
              const vh = Buffer.alloc(2 + tlen);
              vh.writeUInt16BE(tlen, 0);
              vh.write(topic, 2, 'utf8');
              const rest = Buffer.concat([vh, ...(version === 5 ? [Buffer.from([0])] : []), payload]);
              s.write(Buffer.concat([Buffer.from([0x30, rest.length]), rest]));
            }
            if (qos === 1) answer(s, 'puback', Buffer.from([0x40, 0x02, id >> 8, id & 0xff]), o.pubackDelayMs ?? 0);
            return;
          }
          case 14:
            s.end();
            return;
          default:
            return;
        }
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    holds,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
