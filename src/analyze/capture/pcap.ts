/**
 * A push-based reader for capture files: classic pcap (either byte order, micro- or nanosecond timestamps) and
 * pcapng (several sections and interfaces, per-interface timestamp resolution). Pure: bytes in, records out;
 * the file/stdin I/O lives in measure/capture-source.ts. It keeps only the bytes of one unfinished record
 * between pushes, so memory stays flat whatever the file size.
 *
 * Formats:
 * - pcap: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html (§4 file header, §5 record header;
 *   magic 0xA1B2C3D4 = µs, 0xA1B23C4D = ns).
 * - pcapng: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html (§4.1 SHB, §4.2 IDB with
 *   if_tsresol (option 9) and if_tsoffset (option 14), §4.3 EPB, §4.4 SPB, Appendix A obsolete Packet Block).
 *
 * Why our own reader: the npm packages found (pcap-parser 0.2.1, last release 2012, classic pcap only;
 * pcap-ng-parser 1.0.0, Ethernet only; pcap-decoder, classic pcap only) cover neither pcapng interfaces with
 * their timestamp resolutions nor the link types tcpdump writes on Linux (SLL/SLL2).
 */

export interface CaptureRecord {
  /** Capture time, ms since the Unix epoch (fractional; µs precision kept). */
  tsMs: number;
  linkType: number;
  /** Captured bytes (a view into the pushed chunk: copy what must outlive the callback). */
  data: Buffer;
  /** Length on the wire; larger than data.length when the snap length cut the packet. */
  origLen: number;
  /** pcapng interface index (0 for classic pcap). */
  iface: number;
}

export type CaptureFormat = 'pcap' | 'pcap-ns' | 'pcapng';

/** Thrown on bytes that are not a capture. `name` is what the I/O edge checks (it imports nothing from here). */
export class CaptureFormatError extends Error {
  override name = 'CaptureFormatError';
}

interface Iface {
  linkType: number;
  /** Units per second of the interface's timestamps. */
  unitsPerSec: number;
  offsetS: number;
}

/** How much of a new chunk is joined to a record left over from the previous one. */
const HEAD_BYTES = 256 * 1024;

/** Largest block/record we accept: anything larger means a corrupt file, not a packet. */
const MAX_RECORD = 256 * 1024 * 1024;

export class CaptureReader {
  format: CaptureFormat | undefined;
  /** Bytes consumed (whole records) since the start. */
  offset = 0;
  records = 0;
  private pending: Buffer | undefined;
  private le = true;
  private linkType = 0;
  private nsResolution = false;
  private ifaces: Iface[] = [];
  private headerDone = false;

  constructor(private readonly onRecord: (r: CaptureRecord) => void) {}

  /** Feed the next chunk; calls onRecord for each complete record. Throws CaptureFormatError on garbage. */
  push(chunk: Buffer): void {
    let start = 0;
    const pending = this.pending;
    if (pending && pending.length > 0) {
      this.pending = undefined;
      // Finish the record cut at the previous chunk's end from a bounded head of this chunk, so the common
      // case copies kilobytes, not the whole chunk.
      const head = Buffer.concat([pending, chunk.subarray(0, Math.min(chunk.length, HEAD_BYTES))]);
      const used = this.parse(head);
      if (used >= pending.length && chunk.length > HEAD_BYTES) {
        start = used - pending.length;
      } else if (chunk.length <= HEAD_BYTES) {
        if (used < head.length) this.pending = Buffer.from(head.subarray(used));
        return;
      } else {
        // A record larger than the head: fall back to joining everything.
        const all = Buffer.concat([head.subarray(used), chunk.subarray(HEAD_BYTES)]);
        const u = this.parse(all);
        if (u < all.length) this.pending = Buffer.from(all.subarray(u));
        return;
      }
    }
    const buf = start > 0 ? chunk.subarray(start) : chunk;
    const used = this.parse(buf);
    if (used < buf.length) this.pending = Buffer.from(buf.subarray(used));
  }

  /** Read whole records from `buf`; returns the bytes used. */
  private parse(buf: Buffer): number {
    if (!this.headerDone && this.format === undefined) {
      if (buf.length < 4) return 0;
      this.detect(buf);
    }
    const pos = this.format === 'pcapng' ? this.readPcapng(buf, 0) : this.readPcap(buf, 0);
    this.offset += pos;
    return pos;
  }

  /** Bytes left over at the end of input: non-zero means the file stops inside a record. */
  get leftover(): number {
    return this.pending?.length ?? 0;
  }

  private detect(buf: Buffer): void {
    const be = buf.readUInt32BE(0);
    const le = buf.readUInt32LE(0);
    if (be === 0x0a0d0d0a) {
      this.format = 'pcapng';
      return;
    }
    if (be === 0xa1b2c3d4 || le === 0xa1b2c3d4) {
      this.format = 'pcap';
      this.le = le === 0xa1b2c3d4;
      return;
    }
    if (be === 0xa1b23c4d || le === 0xa1b23c4d) {
      this.format = 'pcap-ns';
      this.nsResolution = true;
      this.le = le === 0xa1b23c4d;
      return;
    }
    throw new CaptureFormatError(`not a pcap or pcapng file (starts with ${buf.subarray(0, 4).toString('hex')})`);
  }

  private u32(b: Buffer, o: number): number {
    return this.le ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }

  private u16(b: Buffer, o: number): number {
    return this.le ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }

  private readPcap(buf: Buffer, start: number): number {
    let pos = start;
    if (!this.headerDone) {
      if (buf.length - pos < 24) return pos;
      // §4: magic, version 2.4, reserved ×2, snaplen, then link type in the low 16 bits (FCS bits above).
      this.linkType = this.u32(buf, pos + 20) & 0x0fffffff;
      this.headerDone = true;
      pos += 24;
    }
    const div = this.nsResolution ? 1e6 : 1e3;
    while (buf.length - pos >= 16) {
      const sec = this.u32(buf, pos);
      const frac = this.u32(buf, pos + 4);
      const capLen = this.u32(buf, pos + 8);
      const origLen = this.u32(buf, pos + 12);
      if (capLen > MAX_RECORD)
        throw new CaptureFormatError(
          `corrupt pcap record at byte ${this.offset + pos - start}: captured length ${capLen}`,
        );
      if (buf.length - pos < 16 + capLen) break;
      this.records++;
      this.onRecord({
        tsMs: sec * 1000 + frac / div,
        linkType: this.linkType,
        data: buf.subarray(pos + 16, pos + 16 + capLen),
        origLen,
        iface: 0,
      });
      pos += 16 + capLen;
    }
    return pos;
  }

  private readPcapng(buf: Buffer, start: number): number {
    let pos = start;
    while (buf.length - pos >= 12) {
      const rawType = buf.readUInt32BE(pos);
      if (rawType === 0x0a0d0d0a) {
        // Section Header Block: the byte-order magic decides this section's endianness.
        const bom = buf.readUInt32LE(pos + 8);
        if (bom === 0x1a2b3c4d) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else throw new CaptureFormatError(`corrupt pcapng section header at byte ${this.offset + pos - start}`);
      } else if (!this.headerDone) {
        throw new CaptureFormatError('pcapng file does not start with a section header');
      }
      const type = this.u32(buf, pos);
      const len = this.u32(buf, pos + 4);
      if (len < 12 || len % 4 !== 0 || len > MAX_RECORD) {
        throw new CaptureFormatError(`corrupt pcapng block at byte ${this.offset + pos - start}: length ${len}`);
      }
      if (buf.length - pos < len) break;
      this.block(type, buf, pos, len);
      pos += len;
    }
    return pos;
  }

  private block(type: number, buf: Buffer, pos: number, len: number): void {
    const body = pos + 8;
    const end = pos + len - 4;
    switch (type) {
      case 0x0a0d0d0a:
        this.headerDone = true;
        this.ifaces = [];
        return;
      case 1:
        this.ifaces.push(this.interfaceBlock(buf, body, end));
        return;
      case 6:
      case 2:
        this.packetBlock(type, buf, pos, body, end);
        return;
      case 3:
        this.simplePacketBlock(buf, body, end);
        return;
      default:
        return; // name resolution, statistics, custom blocks: nothing we need
    }
  }

  /** Interface Description Block: link type, reserved, snaplen, then options (timestamp resolution and offset). */
  private interfaceBlock(buf: Buffer, body: number, end: number): Iface {
    const iface: Iface = { linkType: this.u16(buf, body), unitsPerSec: 1e6, offsetS: 0 };
    let o = body + 8;
    while (o + 4 <= end) {
      const code = this.u16(buf, o);
      const olen = this.u16(buf, o + 2);
      if (code === 0) break;
      if (code === 9 && olen >= 1) {
        const v = buf[o + 4]!;
        iface.unitsPerSec = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
      } else if (code === 14 && olen >= 8) {
        iface.offsetS = this.u32(buf, o + 4 + (this.le ? 4 : 0)) * 2 ** 32 + this.u32(buf, o + 4 + (this.le ? 0 : 4));
      }
      o += 4 + olen + ((4 - (olen % 4)) % 4);
    }
    return iface;
  }

  /**
   * Enhanced Packet Block (type 6); the obsolete Packet Block (type 2) is the same but for a 16-bit interface id
   * followed by a 16-bit drops count.
   */
  private packetBlock(type: number, buf: Buffer, pos: number, body: number, end: number): void {
    const ifIdx = type === 6 ? this.u32(buf, body) : this.u16(buf, body);
    const iface = this.iface(ifIdx);
    const units = this.u32(buf, body + 4) * 2 ** 32 + this.u32(buf, body + 8);
    const capLen = this.u32(buf, body + 12);
    const origLen = this.u32(buf, body + 16);
    if (body + 20 + capLen > end)
      throw new CaptureFormatError(`corrupt pcapng packet block at byte ${this.offset + pos}`);
    this.records++;
    this.lastTs = (iface.offsetS + units / iface.unitsPerSec) * 1000;
    this.onRecord({
      tsMs: this.lastTs,
      linkType: iface.linkType,
      data: buf.subarray(body + 20, body + 20 + capLen),
      origLen,
      iface: ifIdx,
    });
  }

  /** Simple Packet Block: interface 0, no timestamp (we reuse the previous one: NaN would poison sums). */
  private simplePacketBlock(buf: Buffer, body: number, end: number): void {
    const iface = this.iface(0);
    const origLen = this.u32(buf, body);
    const capLen = Math.min(origLen, end - body - 4);
    this.records++;
    this.onRecord({
      tsMs: this.lastTs,
      linkType: iface.linkType,
      data: buf.subarray(body + 4, body + 4 + capLen),
      origLen,
      iface: 0,
    });
  }

  private lastTs = 0;

  private iface(i: number): Iface {
    const f = this.ifaces[i];
    if (!f) throw new CaptureFormatError(`pcapng packet refers to interface ${i}, which has no description block`);
    return f;
  }
}
