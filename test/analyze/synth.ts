/**
 * Build capture files byte by byte for the reader's unit tests and the benchmark: IPv4/IPv6 TCP segments in
 * any link layer we decode, written as classic pcap (either byte order, µs or ns) or pcapng (several
 * interfaces, any timestamp resolution). Layouts follow the same public specs the reader cites; tshark reads
 * these files too, which is how the tests check the writer and the reader are not wrong together.
 */
import mqttPacket, { type Packet } from 'mqtt-packet';

export interface Seg {
  tsMs: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  payload: Buffer;
}

export const FIN = 1;
export const SYN = 2;
export const RST = 4;
export const PSH = 8;
export const ACK = 16;

function ipv4Bytes(a: string): number[] {
  return a.split('.').map(Number);
}

function ipv6Bytes(a: string): number[] {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':').filter(Boolean) : [];
  const t = tail ? tail.split(':').filter(Boolean) : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}

function tcpHeader(s: Seg): Buffer {
  const t = Buffer.alloc(20);
  t.writeUInt16BE(s.sport, 0);
  t.writeUInt16BE(s.dport, 2);
  t.writeUInt32BE(s.seq >>> 0, 4);
  t.writeUInt32BE(s.ack >>> 0, 8);
  t[12] = 5 << 4;
  t[13] = s.flags;
  t.writeUInt16BE(65535, 14);
  return t;
}

/** IP packet (v4 or v6 by the address form) carrying the segment. Checksums are left 0 (tshark does not verify by default). */
export function ipPacket(s: Seg): Buffer {
  const tcp = Buffer.concat([tcpHeader(s), s.payload]);
  if (s.src.includes(':')) {
    const h = Buffer.alloc(40);
    h[0] = 0x60;
    h.writeUInt16BE(tcp.length > 65535 ? 0 : tcp.length, 4);
    h[6] = 6;
    h[7] = 64;
    Buffer.from(ipv6Bytes(s.src)).copy(h, 8);
    Buffer.from(ipv6Bytes(s.dst)).copy(h, 24);
    return Buffer.concat([h, tcp]);
  }
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  // Above 65535 (a TSO super-segment as captured on the sending host) the length field reads 0.
  h.writeUInt16BE(20 + tcp.length > 65535 ? 0 : 20 + tcp.length, 2);
  h[8] = 64;
  h[9] = 6;
  Buffer.from(ipv4Bytes(s.src)).copy(h, 12);
  Buffer.from(ipv4Bytes(s.dst)).copy(h, 16);
  return Buffer.concat([h, tcp]);
}

export type Link = 'ethernet' | 'vlan' | 'sll' | 'sll2' | 'null' | 'loop' | 'raw';

export const LINKTYPE: Record<Link, number> = {
  ethernet: 1,
  vlan: 1,
  sll: 113,
  sll2: 276,
  null: 0,
  loop: 108,
  raw: 101,
};

/** Wrap an IP packet in a link-layer header. */
export function frame(link: Link, ip: Buffer): Buffer {
  const v6 = ip[0]! >> 4 === 6;
  const et = v6 ? 0x86dd : 0x0800;
  switch (link) {
    case 'ethernet': {
      const h = Buffer.alloc(14);
      h.writeUInt16BE(et, 12);
      return Buffer.concat([h, ip]);
    }
    case 'vlan': {
      const h = Buffer.alloc(18);
      h.writeUInt16BE(0x8100, 12);
      h.writeUInt16BE(42, 14);
      h.writeUInt16BE(et, 16);
      return Buffer.concat([h, ip]);
    }
    case 'sll': {
      const h = Buffer.alloc(16);
      h.writeUInt16BE(772, 2);
      h.writeUInt16BE(et, 14);
      return Buffer.concat([h, ip]);
    }
    case 'sll2': {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(et, 0);
      h.writeUInt32BE(1, 4);
      h.writeUInt16BE(772, 8);
      return Buffer.concat([h, ip]);
    }
    case 'null': {
      const h = Buffer.alloc(4);
      h.writeUInt32LE(v6 ? 30 : 2, 0);
      return Buffer.concat([h, ip]);
    }
    case 'loop': {
      const h = Buffer.alloc(4);
      h.writeUInt32BE(v6 ? 24 : 2, 0);
      return Buffer.concat([h, ip]);
    }
    case 'raw':
      return ip;
  }
}

export interface Rec {
  tsMs: number;
  data: Buffer;
  origLen?: number;
  iface?: number;
}

/** Classic pcap. */
export function pcapFile(
  linkType: number,
  recs: Rec[],
  opts: { bigEndian?: boolean; ns?: boolean; snaplen?: number } = {},
): Buffer {
  const le = !opts.bigEndian;
  const u32 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const u16 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const h = Buffer.alloc(24);
  u32(h, opts.ns ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(h, 2, 4);
  u16(h, 4, 6);
  u32(h, opts.snaplen ?? 262144, 16);
  u32(h, linkType, 20);
  const parts: Buffer[] = [h];
  for (const r of recs) {
    const rh = Buffer.alloc(16);
    const sec = Math.floor(r.tsMs / 1000);
    const frac = opts.ns ? Math.round((r.tsMs - sec * 1000) * 1e6) : Math.round((r.tsMs - sec * 1000) * 1e3);
    u32(rh, sec, 0);
    u32(rh, frac, 4);
    u32(rh, r.data.length, 8);
    u32(rh, r.origLen ?? r.data.length, 12);
    parts.push(rh, r.data);
  }
  return Buffer.concat(parts);
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/** pcapng: one section, interfaces with their link type and if_tsresol byte, EPBs. */
export function pcapngFile(
  ifaces: Array<{ linkType: number; tsresol?: number }>,
  recs: Rec[],
  opts: { bigEndian?: boolean } = {},
): Buffer {
  const le = !opts.bigEndian;
  const u32 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const u16 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const block = (type: number, body: Buffer): Buffer => {
    const len = 12 + body.length;
    const b = Buffer.alloc(len);
    u32(b, type, 0);
    u32(b, len, 4);
    body.copy(b, 8);
    u32(b, len, len - 4);
    return b;
  };
  const shbBody = Buffer.alloc(16);
  u32(shbBody, 0x1a2b3c4d, 0);
  u16(shbBody, 1, 4);
  u16(shbBody, 0, 6);
  shbBody.writeInt32LE(-1, 8);
  shbBody.writeInt32LE(-1, 12);
  const parts = [block(0x0a0d0d0a, shbBody)];
  const units: number[] = [];
  for (const i of ifaces) {
    const opt = i.tsresol !== undefined ? 8 : 0;
    const body = Buffer.alloc(8 + opt + 4);
    u16(body, i.linkType, 0);
    u32(body, 262144, 4);
    if (i.tsresol !== undefined) {
      u16(body, 9, 8);
      u16(body, 1, 10);
      body[12] = i.tsresol;
    }
    // opt_endofopt (zeros) already there
    parts.push(block(1, body));
    const r = i.tsresol ?? 6;
    units.push(r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r);
  }
  for (const r of recs) {
    const iface = r.iface ?? 0;
    const t = Math.round((r.tsMs / 1000) * units[iface]!);
    const body = Buffer.alloc(20 + r.data.length + pad4(r.data.length));
    u32(body, iface, 0);
    u32(body, Math.floor(t / 2 ** 32), 4);
    u32(body, t % 2 ** 32, 8);
    u32(body, r.data.length, 12);
    u32(body, r.origLen ?? r.data.length, 16);
    r.data.copy(body, 20);
    parts.push(block(6, body));
  }
  return Buffer.concat(parts);
}

/** A TCP conversation that keeps sequence numbers for us. */
export class Conv {
  readonly segs: Seg[] = [];
  private seq = { c: 1000, s: 5000 };
  constructor(
    readonly client: { ip: string; port: number },
    readonly server: { ip: string; port: number },
    public t: number,
  ) {}

  private push(from: 'c' | 's', flags: number, payload: Buffer, dtMs: number, seqOverride?: number): Seg {
    this.t += dtMs;
    const other = from === 'c' ? 's' : 'c';
    const [a, b] = from === 'c' ? [this.client, this.server] : [this.server, this.client];
    const seg: Seg = {
      tsMs: this.t,
      src: a.ip,
      dst: b.ip,
      sport: a.port,
      dport: b.port,
      seq: seqOverride ?? this.seq[from],
      ack: this.seq[other],
      flags,
      payload,
    };
    this.segs.push(seg);
    if (seqOverride === undefined)
      this.seq[from] = (this.seq[from] + payload.length + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    return seg;
  }

  handshake(rttMs = 1): this {
    this.push('c', SYN, Buffer.alloc(0), 0);
    this.push('s', SYN | ACK, Buffer.alloc(0), rttMs);
    this.push('c', ACK, Buffer.alloc(0), 0.05);
    return this;
  }

  send(from: 'c' | 's', payload: Buffer, dtMs = 1): Seg {
    return this.push(from, PSH | ACK, payload, dtMs);
  }

  mqtt(from: 'c' | 's', p: Packet, dtMs = 1, v: 4 | 5 = 4): Seg {
    return this.send(from, mqttPacket.generate(p, { protocolVersion: v }), dtMs);
  }

  /** Resend bytes already sent (a retransmission). */
  resend(seg: Seg, dtMs: number): void {
    this.t += dtMs;
    this.segs.push({ ...seg, tsMs: this.t });
  }

  ack(from: 'c' | 's', dtMs = 0.05): void {
    this.push(from, ACK, Buffer.alloc(0), dtMs);
  }

  fin(from: 'c' | 's', dtMs = 1): void {
    this.push(from, FIN | ACK, Buffer.alloc(0), dtMs);
  }

  rst(from: 'c' | 's', dtMs = 1): void {
    this.push(from, RST | ACK, Buffer.alloc(0), dtMs);
  }
}

/** A complete, healthy MQTT session: connect, one QoS 1 publish, a ping, disconnect. */
export function healthySession(
  client: { ip: string; port: number },
  server: { ip: string; port: number },
  t0: number,
  clientId = 'dev-1',
): Conv {
  const c = new Conv(client, server, t0).handshake();
  c.mqtt('c', {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId,
    keepalive: 60,
    clean: true,
  } as Packet);
  c.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
  c.mqtt(
    'c',
    {
      cmd: 'publish',
      topic: 't/1',
      payload: Buffer.from('hello'),
      qos: 1,
      messageId: 7,
      retain: false,
      dup: false,
    } as Packet,
    10,
  );
  c.mqtt('s', { cmd: 'puback', messageId: 7 } as Packet);
  c.mqtt('c', { cmd: 'pingreq' } as Packet, 1000);
  c.mqtt('s', { cmd: 'pingresp' } as Packet, 2);
  c.mqtt('c', { cmd: 'disconnect' } as Packet, 100);
  c.fin('c');
  c.fin('s', 0.1);
  c.ack('c');
  return c;
}

export function records(link: Link, segs: Seg[], iface = 0): Rec[] {
  return segs.map((s) => ({ tsMs: s.tsMs, data: frame(link, ipPacket(s)), iface }));
}
