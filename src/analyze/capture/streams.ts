/**
 * Byte-stream decoders for one direction of a TCP connection: MQTT framing (control packets handed to
 * mqtt-packet's parser, which reads 3.1.1 and 5), WebSocket frames carrying MQTT (RFC 6455 §5.2), and the
 * TLS record layer (RFC 8446 §5.1; ClientHello SNI/ALPN, alerts). Pure: bytes in, callbacks out. A capture
 * gap inside a packet whose length is known is skipped exactly; anything else loses sync, and decoding
 * resumes at the next segment that starts with a plausible packet.
 */
import mqttPacket, { type Packet } from 'mqtt-packet';
import { PACKET_TYPES } from './marks.js';

/** What one MQTT packet in the capture looked like, whether mqtt-packet could read all of it or not. */
export interface MqttSeen {
  cmd: string;
  /** The parsed packet, when every byte was captured. */
  packet?: Packet;
  qos: number;
  messageId?: number;
  /** Bytes on the wire (fixed header + remaining length). */
  size: number;
  /** True when part of it was not captured (snap length, capture gap). */
  partial: boolean;
}

/** Packet type names by number (marks.ts holds the one table). */
const CMD: readonly string[] = PACKET_TYPES;

/** Larger packets are not buffered whole: their first bytes are kept for the header fields, the rest skipped. */
const MAX_BUFFERED_PACKET = 256 * 1024;
const PEEK_BYTES = 1024;

export interface StreamSink {
  mqtt(m: MqttSeen): void;
  /** Decoding lost the thread (garbage, or a gap across packet boundaries). */
  desync(reason: string): void;
}

/**
 * One mqtt-packet parser for every stream: the framer hands it whole packets only, so nothing is left in it
 * between calls, and a capture of 10,000 connections does not build (and leave for the garbage collector) two
 * parsers per connection (issue 14: memory). A parser that failed is replaced, so no state survives an error.
 */
class WholePacketParser {
  private parser = this.fresh();
  private parsed: Packet | undefined;
  private error: string | undefined;

  private fresh(): ReturnType<typeof mqttPacket.parser> {
    const p = mqttPacket.parser({ protocolVersion: 4 });
    p.on('packet', (x: Packet) => (this.parsed = x));
    p.on('error', (e: Error) => (this.error = e.message));
    return p;
  }

  /** The packet in `bytes` (exactly one, whole), or the parser's complaint. */
  parse(bytes: Buffer, protocolVersion: number): { packet?: Packet; error?: string } {
    this.parsed = undefined;
    this.error = undefined;
    (this.parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = protocolVersion;
    this.parser.parse(bytes);
    // Do not keep the packet: its Buffer fields are views into the capture chunk and would pin it in memory.
    const out = { ...(this.parsed ? { packet: this.parsed } : {}), ...(this.error ? { error: this.error } : {}) };
    this.parsed = undefined;
    if (this.error !== undefined) this.parser = this.fresh();
    return out;
  }
}

let sharedParser: WholePacketParser | undefined;

/** MQTT framing over a byte stream (§2.2 fixed header, §1.5.5 variable byte integer). */
export class MqttFramer {
  private buf: Buffer | undefined;
  private version = 4;
  private parser = (sharedParser ??= new WholePacketParser());
  /** Header of the packet being skipped past MAX_BUFFERED_PACKET. */
  private skipping:
    | { type: number; flags: number; size: number; peek: Buffer; left: number; partial: boolean }
    | undefined;
  desynced = false;
  packets = 0;

  constructor(private readonly sink: StreamSink) {}

  setVersion(v: number): void {
    this.version = v;
  }

  /** Bytes of a segment (start = the segment starts here, a resync point after a gap). */
  push(data: Buffer): void {
    if (this.desynced) {
      // Resync only at a segment start that reads as a whole MQTT packet header.
      if (!plausibleStart(data)) return;
      this.desynced = false;
      this.buf = undefined;
      this.skipping = undefined;
    }
    if (this.skipping) {
      const s = this.skipping;
      if (s.peek.length < PEEK_BYTES) s.peek = Buffer.concat([s.peek, data.subarray(0, PEEK_BYTES - s.peek.length)]);
      const take = Math.min(s.left, data.length);
      s.left -= take;
      if (s.left > 0) return;
      this.skipping = undefined;
      this.emitPartial(s.type, s.flags, s.size, s.peek, s.partial);
      data = data.subarray(take);
      if (data.length === 0) return;
    }
    const b = this.buf ? Buffer.concat([this.buf, data]) : data;
    this.buf = undefined;
    let pos = 0;
    while (pos < b.length) {
      const h = readHeader(b, pos);
      if (h === 'short') break;
      if (h === 'bad') {
        this.desync(`not MQTT: byte 0x${b[pos]!.toString(16).padStart(2, '0')} cannot start a packet`);
        return;
      }
      const total = h.headerLen + h.remaining;
      if (total > MAX_BUFFERED_PACKET) {
        const avail = b.length - pos;
        this.skipping = {
          type: h.type,
          flags: h.flags,
          size: total,
          peek: Buffer.from(b.subarray(pos + h.headerLen, pos + Math.min(avail, h.headerLen + PEEK_BYTES))),
          left: total - avail,
          partial: false,
        };
        if (avail >= total) {
          this.skipping = undefined;
          this.emitPartial(
            h.type,
            h.flags,
            total,
            b.subarray(pos + h.headerLen, pos + h.headerLen + PEEK_BYTES),
            false,
          );
          pos += total;
          continue;
        }
        return;
      }
      if (b.length - pos < total) break;
      this.whole(b.subarray(pos, pos + total), h.type, h.flags, h.headerLen);
      pos += total;
    }
    if (pos < b.length) this.buf = Buffer.from(b.subarray(pos));
  }

  /** `n` bytes are missing from the capture here. */
  gap(n: number): void {
    if (this.desynced) return;
    if (this.skipping) {
      if (n <= this.skipping.left) {
        this.skipping.left -= n;
        this.skipping.partial = true;
        if (this.skipping.left === 0) {
          const s = this.skipping;
          this.skipping = undefined;
          this.emitPartial(s.type, s.flags, s.size, s.peek, true);
        }
        return;
      }
      this.desync(`capture gap of ${n} bytes`);
      return;
    }
    const b = this.buf;
    if (b) {
      const h = readHeader(b, 0);
      if (h !== 'short' && h !== 'bad') {
        const total = h.headerLen + h.remaining;
        const missing = total - b.length;
        if (n <= missing) {
          if (n === missing) {
            this.buf = undefined;
            this.emitPartial(h.type, h.flags, total, b.subarray(h.headerLen), true);
          } else {
            this.buf = undefined;
            this.skipping = {
              type: h.type,
              flags: h.flags,
              size: total,
              peek: Buffer.from(b.subarray(h.headerLen)),
              left: missing - n,
              partial: true,
            };
          }
          return;
        }
      }
    }
    this.desync(`capture gap of ${n} bytes`);
  }

  desync(reason: string): void {
    this.desynced = true;
    this.buf = undefined;
    this.skipping = undefined;
    this.sink.desync(reason);
  }

  private whole(bytes: Buffer, type: number, flags: number, headerLen: number): void {
    // The fields we use from PUBLISH, acknowledgements and pings sit in the first bytes: read them directly
    // (the bulk of any capture, and the hot path); mqtt-packet parses the packets whose details matter.
    if (!FULL_PARSE.has(type)) {
      this.emitPartial(type, flags, bytes.length, bytes.subarray(headerLen), false);
      return;
    }
    const { packet: p, error: parseError } = this.parser.parse(bytes, this.version);
    if (p && parseError === undefined) {
      this.packets++;
      this.sink.mqtt({
        cmd: p.cmd,
        packet: p,
        qos: (p as { qos?: number }).qos ?? 0,
        ...((p as { messageId?: number }).messageId !== undefined
          ? { messageId: (p as { messageId?: number }).messageId }
          : {}),
        size: bytes.length,
        partial: false,
      });
      return;
    }
    // mqtt-packet refused it (e.g. reserved flags): still count the frame by its type, but only while the
    // header makes sense; an unparseable CONNECT/CONNACK means this is not MQTT.
    if (type === 1 || type === 2) {
      this.desync(`not MQTT: ${parseError ?? 'unparseable packet'}`);
      return;
    }
    this.emitPartial(type, flags, bytes.length, bytes.subarray(headerLen), false);
  }

  private emitPartial(type: number, flags: number, size: number, body: Buffer, partial: boolean): void {
    this.packets++;
    const qos = type === 3 ? (flags >> 1) & 3 : 0;
    let messageId: number | undefined;
    if (type === 3 && qos > 0 && body.length >= 2) {
      const tl = body.readUInt16BE(0);
      if (body.length >= 4 + tl) messageId = body.readUInt16BE(2 + tl);
    } else if (type >= 4 && type <= 11 && body.length >= 2) {
      messageId = body.readUInt16BE(0);
    }
    this.sink.mqtt({
      cmd: CMD[type] ?? 'reserved',
      qos,
      ...(messageId !== undefined ? { messageId } : {}),
      size,
      partial,
    });
  }
}

/** CONNECT, CONNACK, SUBSCRIBE, SUBACK, DISCONNECT, AUTH: parsed whole by mqtt-packet. */
const FULL_PARSE = new Set([1, 2, 8, 9, 14, 15]);

type Header = { type: number; flags: number; remaining: number; headerLen: number };

function readHeader(b: Buffer, pos: number): Header | 'short' | 'bad' {
  const first = b[pos]!;
  const type = first >> 4;
  if (type === 0) return 'bad';
  let mult = 1;
  let remaining = 0;
  for (let i = 1; i <= 4; i++) {
    if (pos + i >= b.length) return 'short';
    const byte = b[pos + i]!;
    remaining += (byte & 0x7f) * mult;
    if ((byte & 0x80) === 0) return { type, flags: first & 0x0f, remaining, headerLen: 1 + i };
    mult *= 128;
  }
  return 'bad';
}

/** Does this segment start with a plausible MQTT fixed header (a resync point)? */
function plausibleStart(d: Buffer): boolean {
  const h = d.length > 0 ? readHeader(d, 0) : 'short';
  if (h === 'short' || h === 'bad') return false;
  // Fixed flags are required for everything but PUBLISH (§2.2.2 Table 2.2).
  const fixed: Record<number, number> = {
    1: 0,
    2: 0,
    4: 0,
    5: 0,
    6: 2,
    7: 0,
    8: 2,
    9: 0,
    10: 2,
    11: 0,
    12: 0,
    13: 0,
    14: 0,
    15: 0,
  };
  if (h.type !== 3 && fixed[h.type] !== h.flags) return false;
  if ((h.type === 12 || h.type === 13) && h.remaining !== 0) return false;
  return h.type !== 3 || ((h.flags >> 1) & 3) !== 3;
}

// ---------------------------------------------------------------------------------------------------------
// WebSocket (RFC 6455): the HTTP upgrade, then frames; binary/continuation payloads carry MQTT.

export class WsDecoder {
  private http: Buffer | undefined = Buffer.alloc(0);
  private buf: Buffer | undefined;
  upgraded = false;
  status: number | undefined;
  path: string | undefined;
  closeCode: number | undefined;

  constructor(
    private readonly inner: MqttFramer,
    private readonly onUpgrade: (ok: boolean, firstLine: string) => void,
  ) {}

  push(data: Buffer): void {
    if (this.http) {
      const all = Buffer.concat([this.http, data]);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        this.http = all.length > 16384 ? undefined : all;
        if (!this.http) this.inner.desync('HTTP header longer than 16 KB');
        return;
      }
      const head = all.subarray(0, end).toString('latin1');
      const firstLine = head.split('\r\n', 1)[0] ?? '';
      this.http = undefined;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(firstLine);
      if (m) this.status = Number(m[1]);
      const g = /^GET (\S+) HTTP/.exec(firstLine);
      if (g) this.path = g[1];
      this.upgraded = m ? this.status === 101 : true;
      this.onUpgrade(this.upgraded, firstLine);
      data = all.subarray(end + 4);
      if (data.length === 0) return;
    }
    const b = this.buf ? Buffer.concat([this.buf, data]) : data;
    this.buf = undefined;
    let pos = 0;
    while (b.length - pos >= 2) {
      const b0 = b[pos]!;
      const b1 = b[pos + 1]!;
      const opcode = b0 & 0x0f;
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let off = pos + 2;
      if (len === 126) {
        if (b.length - off < 2) break;
        len = b.readUInt16BE(off);
        off += 2;
      } else if (len === 127) {
        if (b.length - off < 8) break;
        len = Number(b.readBigUInt64BE(off));
        off += 8;
      }
      const maskOff = off;
      if (masked) off += 4;
      if (b.length - off < len) break;
      if (opcode === 0x2 || opcode === 0x0 || opcode === 0x1) {
        let payload = b.subarray(off, off + len);
        if (masked) {
          const m = b.subarray(maskOff, maskOff + 4);
          const u = Buffer.allocUnsafe(len);
          for (let i = 0; i < len; i++) u[i] = payload[i]! ^ m[i & 3]!;
          payload = u;
        }
        if (payload.length > 0) this.inner.push(payload);
      } else if (opcode === 0x8 && len >= 2) {
        const c = b.subarray(off, off + 2);
        this.closeCode = masked ? ((c[0]! ^ b[maskOff]!) << 8) | (c[1]! ^ b[maskOff + 1]!) : c.readUInt16BE(0);
      }
      pos = off + len;
    }
    if (pos < b.length) this.buf = Buffer.from(b.subarray(pos));
  }

  gap(n: number): void {
    this.buf = undefined;
    this.http = undefined;
    this.inner.desync(`capture gap of ${n} bytes inside WebSocket frames`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// TLS record layer (RFC 8446 §5.1, §4.1.2 ClientHello, RFC 6066 §3 SNI, RFC 7301 §3.1 ALPN, RFC 8446 §6 alerts).

export const TLS_ALERTS: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  22: 'record_overflow',
  40: 'handshake_failure',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

export interface TlsSink {
  clientHello(sni: string | undefined, alpn: string[]): void;
  serverHello(): void;
  /** Plaintext alert (level 1 warning, 2 fatal); an encrypted one arrives with description undefined. */
  alert(level: number | undefined, description: number | undefined): void;
  appData(): void;
  notTls(firstByte: number): void;
}

export class TlsDecoder {
  private buf: Buffer | undefined;
  private encrypted = false;
  private dead = false;
  records = 0;

  constructor(private readonly sink: TlsSink) {}

  push(data: Buffer): void {
    if (this.dead) return;
    data = this.take(data);
    if (data.length === 0) return;
    const b = this.buf ? Buffer.concat([this.buf, data]) : data;
    this.buf = undefined;
    let pos = 0;
    while (b.length - pos >= 5) {
      const type = b[pos]!;
      if (type < 20 || type > 24 || b[pos + 1] !== 3) {
        this.dead = true;
        this.sink.notTls(type);
        return;
      }
      const len = b.readUInt16BE(pos + 3);
      // Records are at most 2^14 + 256 bytes; keep only what the handshake parse needs.
      if (b.length - pos < 5 + len) {
        if (type !== 22 || len > 64 * 1024) {
          // Not needed whole: note the record type now and skip its body as it streams past.
          this.note(type, b.subarray(pos + 5), len);
          this.skip = 5 + len - (b.length - pos);
          return;
        }
        break;
      }
      this.note(type, b.subarray(pos + 5, pos + 5 + len), len);
      pos += 5 + len;
    }
    if (pos < b.length) this.buf = Buffer.from(b.subarray(pos));
  }

  private skip = 0;

  private take(data: Buffer): Buffer {
    if (this.skip <= 0) return data;
    const n = Math.min(this.skip, data.length);
    this.skip -= n;
    return data.subarray(n);
  }

  gap(_n: number): void {
    this.buf = undefined;
    this.dead = true;
  }

  private note(type: number, body: Buffer, len: number): void {
    this.records++;
    if (type === 20) {
      this.encrypted = true; // ChangeCipherSpec: later handshake/alert records are encrypted (TLS 1.2)
      return;
    }
    if (type === 21) {
      if (!this.encrypted && len === 2 && body.length >= 2) this.sink.alert(body[0], body[1]);
      else this.sink.alert(undefined, undefined);
      return;
    }
    if (type === 23) {
      this.sink.appData();
      return;
    }
    if (type === 22 && !this.encrypted && body.length >= 4) {
      const hs = body[0];
      if (hs === 1) {
        const { sni, alpn } = parseClientHello(body.subarray(4));
        this.sink.clientHello(sni, alpn);
      } else if (hs === 2) {
        this.sink.serverHello();
      }
    }
  }
}

function parseClientHello(b: Buffer): { sni: string | undefined; alpn: string[] } {
  const out: { sni: string | undefined; alpn: string[] } = { sni: undefined, alpn: [] };
  try {
    let o = 2 + 32; // version, random
    o += 1 + b[o]!; // session id
    o += 2 + b.readUInt16BE(o); // cipher suites
    o += 1 + b[o]!; // compression methods
    if (o + 2 > b.length) return out;
    const extEnd = Math.min(b.length, o + 2 + b.readUInt16BE(o));
    o += 2;
    while (o + 4 <= extEnd) {
      const type = b.readUInt16BE(o);
      const len = b.readUInt16BE(o + 2);
      const e = b.subarray(o + 4, o + 4 + len);
      if (type === 0 && e.length >= 5 && e[2] === 0) out.sni = e.subarray(5, 5 + e.readUInt16BE(3)).toString('latin1');
      if (type === 16 && e.length >= 2) {
        let p = 2;
        while (p < e.length) {
          const l = e[p]!;
          out.alpn.push(e.subarray(p + 1, p + 1 + l).toString('latin1'));
          p += 1 + l;
        }
      }
      o += 4 + len;
    }
  } catch {
    // A ClientHello cut by the snap length: keep what was read.
  }
  return out;
}
