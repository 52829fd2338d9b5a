/**
 * From a captured frame to a TCP segment: link layer (Ethernet with VLAN tags, Linux cooked SLL and SLL2, raw
 * IP, BSD null/loopback), IPv4 / IPv6, TCP. Pure. Link type numbers: https://www.tcpdump.org/linktypes.html.
 * Frames that are not TCP (ARP, UDP, ICMP, IP fragments after the first) return undefined.
 */

export interface TcpSegment {
  tsMs: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Payload bytes captured (may be shorter than payloadLen when the snap length cut the frame). */
  payload: Buffer;
  /** Payload length on the wire, from the IP header. */
  payloadLen: number;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Link types we decode (names from tcpdump.org/linktypes.html). */
export const LINK_TYPES: Record<number, string> = {
  0: 'NULL (BSD loopback)',
  1: 'ETHERNET',
  12: 'RAW (IP)',
  14: 'RAW (IP, OpenBSD)',
  101: 'RAW',
  108: 'LOOP (OpenBSD loopback)',
  113: 'LINUX_SLL',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2',
};

export type DecodeNote = 'not-tcp' | 'unsupported-link' | 'truncated-header' | 'ip-fragment';

/** Offset and IP version of the network-layer packet inside a frame, or a reason it has none. */
function ipStart(linkType: number, d: Buffer): { off: number; ethertype: number } | DecodeNote {
  switch (linkType) {
    case 1: {
      let off = 12;
      if (d.length < 14) return 'truncated-header';
      let et = d.readUInt16BE(off);
      // 802.1Q / 802.1ad / QinQ tags: 4 bytes each, possibly stacked.
      while ((et === 0x8100 || et === 0x88a8 || et === 0x9100) && d.length >= off + 6) {
        off += 4;
        et = d.readUInt16BE(off);
      }
      return { off: off + 2, ethertype: et };
    }
    case 113:
      // SLL: packet type, ARPHRD, addr len, 8 address bytes, protocol (16 bytes).
      if (d.length < 16) return 'truncated-header';
      return { off: 16, ethertype: d.readUInt16BE(14) };
    case 276:
      // SLL2: protocol first, then reserved, ifindex, ARPHRD, type, addr len, 8 address bytes (20 bytes).
      if (d.length < 20) return 'truncated-header';
      return { off: 20, ethertype: d.readUInt16BE(0) };
    case 0:
    case 108: {
      // 4-byte address family, host byte order for NULL (either, since the writer's order is unknown),
      // network order for LOOP. AF_INET = 2; AF_INET6 = 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
      if (d.length < 4) return 'truncated-header';
      const fam =
        linkType === 108 ? d.readUInt32BE(0) : d.readUInt32LE(0) > 0xffff ? d.readUInt32BE(0) : d.readUInt32LE(0);
      if (fam === 2) return { off: 4, ethertype: 0x0800 };
      if (fam === 10 || fam === 24 || fam === 28 || fam === 30) return { off: 4, ethertype: 0x86dd };
      return 'not-tcp';
    }
    case 12:
    case 14:
    case 101:
    case 228:
    case 229: {
      if (d.length < 1) return 'truncated-header';
      const v = d[0]! >> 4;
      return { off: 0, ethertype: v === 4 ? 0x0800 : v === 6 ? 0x86dd : 0 };
    }
    default:
      return 'unsupported-link';
  }
}

function ipv6Text(d: Buffer, o: number): string {
  // An IPv4-mapped address (::ffff:0:0/96) ends in dotted decimal (RFC 5952 §5): ::ffff:192.0.2.1.
  if (d.readUInt32BE(o) === 0 && d.readUInt32BE(o + 4) === 0 && d.readUInt32BE(o + 8) === 0xffff)
    return `::ffff:${d[o + 12]}.${d[o + 13]}.${d[o + 14]}.${d[o + 15]}`;
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(d.readUInt16BE(o + i).toString(16));
  // Compress the longest run of zero groups (RFC 5952 §4.2), enough for readable output.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

/** Address strings are reused, not rebuilt per packet: the flow table hashes them once. */
const V4_NAMES = new Map<number, string>();
const V6_NAMES = new Map<string, string>();
const MAX_NAMES = 65_536;

function v4Name(d: Buffer, o: number): string {
  const n = d.readUInt32BE(o);
  let s = V4_NAMES.get(n);
  if (s === undefined) {
    if (V4_NAMES.size >= MAX_NAMES) V4_NAMES.clear();
    s = `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
    V4_NAMES.set(n, s);
  }
  return s;
}

function v6Name(d: Buffer, o: number): string {
  const raw = d.toString('latin1', o, o + 16);
  let s = V6_NAMES.get(raw);
  if (s === undefined) {
    if (V6_NAMES.size >= MAX_NAMES) V6_NAMES.clear();
    s = ipv6Text(d, o);
    V6_NAMES.set(raw, s);
  }
  return s;
}

/** Where an IP packet's TCP header starts and its bytes end, and its addresses. */
interface IpHeader {
  src: string;
  dst: string;
  tcpOff: number;
  /** End of the IP packet in the frame; MAX_SAFE_INTEGER when the header gives no length (TSO). */
  ipEnd: number;
}

export function decodeFrame(linkType: number, tsMs: number, d: Buffer): TcpSegment | DecodeNote {
  const start = ipStart(linkType, d);
  if (typeof start === 'string') return start;
  const ip =
    start.ethertype === 0x0800
      ? ipv4Header(d, start.off)
      : start.ethertype === 0x86dd
        ? ipv6Header(d, start.off)
        : 'not-tcp';
  if (typeof ip === 'string') return ip;
  return tcpSegment(d, tsMs, ip);
}

function ipv4Header(d: Buffer, o: number): IpHeader | DecodeNote {
  if (d.length < o + 20) return 'truncated-header';
  const ihl = (d[o]! & 0x0f) * 4;
  if (d[o + 9] !== 6) return 'not-tcp';
  const frag = d.readUInt16BE(o + 6);
  if ((frag & 0x1fff) !== 0) return 'ip-fragment';
  const total = d.readUInt16BE(o + 2);
  return {
    src: v4Name(d, o + 12),
    dst: v4Name(d, o + 16),
    tcpOff: o + ihl,
    // total 0 happens with TSO on the capturing host: trust the frame length then.
    ipEnd: total === 0 ? Number.MAX_SAFE_INTEGER : o + total,
  };
}

function ipv6Header(d: Buffer, start: number): IpHeader | DecodeNote {
  let o = start;
  if (d.length < o + 40) return 'truncated-header';
  let next = d[o + 6]!;
  const plen = d.readUInt16BE(o + 4);
  const src = v6Name(d, o + 8);
  const dst = v6Name(d, o + 24);
  const ipEnd = plen === 0 ? Number.MAX_SAFE_INTEGER : o + 40 + plen;
  o += 40;
  // Extension headers: hop-by-hop 0, routing 43, destination options 60 (8-octet units); fragment 44.
  for (let i = 0; i < 8 && next !== 6; i++) {
    if (next === 0 || next === 43 || next === 60) {
      if (d.length < o + 2) return 'truncated-header';
      const n = d[o]!;
      o += (d[o + 1]! + 1) * 8;
      next = n;
    } else if (next === 44) {
      if (d.length < o + 8) return 'truncated-header';
      if ((d.readUInt16BE(o + 2) & 0xfff8) !== 0) return 'ip-fragment';
      next = d[o]!;
      o += 8;
    } else {
      return 'not-tcp';
    }
  }
  if (next !== 6) return 'not-tcp';
  return { src, dst, tcpOff: o, ipEnd };
}

function tcpSegment(d: Buffer, tsMs: number, ip: IpHeader): TcpSegment | DecodeNote {
  const { tcpOff, ipEnd } = ip;
  if (d.length < tcpOff + 20) return 'truncated-header';
  const dataOff = (d[tcpOff + 12]! >> 4) * 4;
  const payStart = tcpOff + dataOff;
  const wireEnd = ipEnd === Number.MAX_SAFE_INTEGER ? d.length : ipEnd;
  const payloadLen = Math.max(0, wireEnd - payStart);
  // Ethernet pads short frames to 60 bytes: the IP length, not the frame length, bounds the payload.
  const capEnd = Math.min(d.length, wireEnd);
  return {
    tsMs,
    src: ip.src,
    dst: ip.dst,
    srcPort: d.readUInt16BE(tcpOff),
    dstPort: d.readUInt16BE(tcpOff + 2),
    seq: d.readUInt32BE(tcpOff + 4),
    ack: d.readUInt32BE(tcpOff + 8),
    flags: d[tcpOff + 13]!,
    window: d.readUInt16BE(tcpOff + 14),
    payload: payStart < capEnd ? d.subarray(payStart, capEnd) : d.subarray(0, 0),
    payloadLen,
  };
}
