/**
 * Packet marks of one connection, in bounded memory: the time, side and type of the first MARK_HEAD and the last
 * MARK_TAIL MQTT packets exactly, and every packet between them counted per time bucket (per side). Pure.
 *
 * Why first and last rather than a reservoir sample: a connection's story sits at its ends (CONNECT, the first
 * pings, then the cadence and silence before the close the diagnosis is about), a random sample would drop
 * exactly those and differ from run to run; the middle is summarised truthfully by counts, and a reader (the
 * HTML page, a jq script) is told how many packets were not listed one by one.
 *
 * Memory: two typed arrays of MARK_HEAD + MARK_TAIL slots (9 bytes each) and, only once a packet falls out of
 * the tail, MARK_BUCKETS × 2 counters. The bucket width starts at 10 ms and doubles (pairs merged) when a
 * packet lands past the last bucket, so any connection length fits in the same counters.
 */

export const MARK_HEAD = 24;
export const MARK_TAIL = 24;
export const MARK_BUCKETS = 32;
const FIRST_BUCKET_MS = 10;

/** MQTT control packet type names by their number (MQTT 5 §2.1.2 Table 2-1); 0 is reserved. */
export const PACKET_TYPES = [
  'reserved',
  'connect',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'pingreq',
  'pingresp',
  'disconnect',
  'auth',
] as const;
export type PacketType = (typeof PACKET_TYPES)[number];

const TYPE_CODE: Record<string, number> = Object.fromEntries(PACKET_TYPES.map((n, i) => [n, i]));
/** Bit set in a mark's code when the server sent it. */
const SERVER = 0x10;

/** What a finished connection keeps: its marks, trimmed to what was filled. */
export interface PacketMarks {
  /** MQTT packets the connection carried (both sides). */
  total: number;
  /** Kept packets in time order: capture time (ms since the epoch) … */
  atMs: Float64Array;
  /** … and packet type number | 0x10 when the server sent it. */
  code: Uint8Array;
  /** The packets between the kept head and tail, counted per bucket; absent when none was left out. */
  middle?: { fromMs: number; bucketMs: number; client: Uint32Array; server: Uint32Array };
}

export function markSide(code: number): 'client' | 'server' {
  return code & SERVER ? 'server' : 'client';
}

export function markType(code: number): PacketType {
  return PACKET_TYPES[code & 0x0f]!;
}

export class MarkLog {
  total = 0;
  private atMs: Float64Array | undefined;
  private code: Uint8Array | undefined;
  /** Tail ring (slots MARK_HEAD…): index of its oldest entry, and its length. */
  private ring0 = 0;
  private ringLen = 0;
  private mid: { fromMs: number; bucketMs: number; c: Uint32Array } | undefined;

  add(atMs: number, type: string, side: 'client' | 'server'): void {
    const code = (TYPE_CODE[type] ?? 0) | (side === 'server' ? SERVER : 0);
    if (!this.atMs || !this.code) {
      this.atMs = new Float64Array(MARK_HEAD + MARK_TAIL);
      this.code = new Uint8Array(MARK_HEAD + MARK_TAIL);
    }
    const n = this.total++;
    if (n < MARK_HEAD) {
      this.atMs[n] = atMs;
      this.code[n] = code;
      return;
    }
    let slot: number;
    if (this.ringLen < MARK_TAIL) {
      slot = MARK_HEAD + ((this.ring0 + this.ringLen) % MARK_TAIL);
      this.ringLen++;
    } else {
      // The oldest of the tail is now a middle packet: count it, reuse its slot.
      slot = MARK_HEAD + this.ring0;
      this.count(this.atMs[slot]!, this.code[slot]!);
      this.ring0 = (this.ring0 + 1) % MARK_TAIL;
    }
    this.atMs[slot] = atMs;
    this.code[slot] = code;
  }

  private count(atMs: number, code: number): void {
    const m = (this.mid ??= { fromMs: atMs, bucketMs: FIRST_BUCKET_MS, c: new Uint32Array(MARK_BUCKETS * 2) });
    // Captures can step back in time a little (several interfaces, clock steps): such a packet joins bucket 0.
    let i = Math.max(0, Math.floor((atMs - m.fromMs) / m.bucketMs));
    while (i >= MARK_BUCKETS) {
      // Double the width: bucket k takes old buckets 2k and 2k+1 (both sides).
      for (let k = 0; k < MARK_BUCKETS; k++) {
        for (const s of [0, MARK_BUCKETS]) {
          const a = 2 * k < MARK_BUCKETS ? m.c[s + 2 * k]! + m.c[s + 2 * k + 1]! : 0;
          m.c[s + k] = a;
        }
      }
      m.bucketMs *= 2;
      i = Math.floor((atMs - m.fromMs) / m.bucketMs);
    }
    m.c[(code & SERVER ? MARK_BUCKETS : 0) + i]!++;
  }

  /**
   * The marks in time order, trimmed (the log itself can be dropped after this). All four arrays are views on one
   * ArrayBuffer: a finished connection keeps one backing store, not four (issue 14: memory on big captures).
   */
  finish(): PacketMarks {
    const head = Math.min(this.total, MARK_HEAD);
    const kept = head + this.ringLen;
    const m = this.mid;
    let used = 0;
    if (m) for (let k = 0; k < MARK_BUCKETS; k++) if (m.c[k]! + m.c[MARK_BUCKETS + k]! > 0) used = k + 1;
    // Float64 first (aligned at 0), then the Uint32 counters (aligned at a multiple of 8), then the Uint8 codes.
    const buf = new ArrayBuffer(kept * 8 + used * 8 + kept);
    const atMs = new Float64Array(buf, 0, kept);
    const client = new Uint32Array(buf, kept * 8, used);
    const server = new Uint32Array(buf, kept * 8 + used * 4, used);
    const code = new Uint8Array(buf, kept * 8 + used * 8, kept);
    if (this.atMs && this.code) {
      atMs.set(this.atMs.subarray(0, head));
      code.set(this.code.subarray(0, head));
      for (let j = 0; j < this.ringLen; j++) {
        const slot = MARK_HEAD + ((this.ring0 + j) % MARK_TAIL);
        atMs[head + j] = this.atMs[slot]!;
        code[head + j] = this.code[slot]!;
      }
    }
    if (m) {
      client.set(m.c.subarray(0, used));
      server.set(m.c.subarray(MARK_BUCKETS, MARK_BUCKETS + used));
    }
    return {
      total: this.total,
      atMs,
      code,
      ...(m ? { middle: { fromMs: m.fromMs, bucketMs: m.bucketMs, client, server } } : {}),
    };
  }
}

/** Header of packed marks: total, fromMs, bucketMs (f64), kept, used, has-middle (u32), 4 bytes of padding. */
const PACK_HEAD = 40;

/** Bytes writeMarks takes for `m`. */
export function packedMarksSize(m: PacketMarks): number {
  return PACK_HEAD + m.atMs.length * 9 + (m.middle ? m.middle.client.length * 8 : 0);
}

/** `m` as bytes at `at` of `buf`, its arrays laid out as finish() lays out its buffer; returns the end. */
export function writeMarks(m: PacketMarks, buf: Buffer, at: number): number {
  const kept = m.atMs.length;
  const used = m.middle?.client.length ?? 0;
  buf.writeDoubleLE(m.total, at);
  buf.writeDoubleLE(m.middle?.fromMs ?? 0, at + 8);
  buf.writeDoubleLE(m.middle?.bucketMs ?? 0, at + 16);
  buf.writeUInt32LE(kept, at + 24);
  buf.writeUInt32LE(used, at + 28);
  buf.writeUInt32LE(m.middle ? 1 : 0, at + 32);
  buf.writeUInt32LE(0, at + 36);
  let o = at + PACK_HEAD;
  const put = (a: Float64Array | Uint32Array | Uint8Array): void => {
    buf.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o += a.byteLength;
  };
  put(m.atMs);
  if (m.middle) {
    put(m.middle.client);
    put(m.middle.server);
  }
  put(m.code);
  return o;
}

/** Where the marks writeMarks wrote at `at` end. */
export function marksEnd(buf: Buffer, at: number): number {
  return at + PACK_HEAD + buf.readUInt32LE(at + 24) * 9 + buf.readUInt32LE(at + 28) * 8;
}

/**
 * The marks writeMarks wrote at `at`. With `at` a multiple of 8 in a Buffer that starts its ArrayBuffer at a
 * multiple of 8 (ByteArena's do), the arrays are views on those bytes, not copies: the report reads the marks of
 * every connection once, and a fresh ArrayBuffer each left MBs of backing stores waiting for the collector (issue
 * 14). Read them; a caller that changes them changes the stored marks. Otherwise they are copied.
 */
export function readMarks(buf: Buffer, at: number): PacketMarks {
  const total = buf.readDoubleLE(at);
  const kept = buf.readUInt32LE(at + 24);
  const used = buf.readUInt32LE(at + 28);
  const hasMiddle = buf.readUInt32LE(at + 32) === 1;
  const bytes = kept * 9 + used * 8;
  let ab: ArrayBufferLike;
  let o: number;
  if ((buf.byteOffset + at) % 8 === 0) {
    ab = buf.buffer;
    o = buf.byteOffset + at + PACK_HEAD;
  } else {
    ab = new ArrayBuffer(bytes);
    new Uint8Array(ab).set(buf.subarray(at + PACK_HEAD, at + PACK_HEAD + bytes));
    o = 0;
  }
  return {
    total,
    atMs: new Float64Array(ab, o, kept),
    code: new Uint8Array(ab, o + kept * 8 + used * 8, kept),
    ...(hasMiddle
      ? {
          middle: {
            fromMs: buf.readDoubleLE(at + 8),
            bucketMs: buf.readDoubleLE(at + 16),
            client: new Uint32Array(ab, o + kept * 8, used),
            server: new Uint32Array(ab, o + kept * 8 + used * 4, used),
          },
        }
      : {}),
  };
}
