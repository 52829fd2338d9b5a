/**
 * The soak message: run id, client index, sequence number and send time, as JSON (readable with
 * mosquitto_sub) or a compact binary frame, padded to --payload-size. Decoding accepts both.
 *
 * Binary layout (big endian, 30 bytes before padding):
 *   0  'M' 'D'   magic
 *   2  u8        version (1)
 *   3  u8        reserved (0)
 *   4  8 bytes   run id (16 hex digits)
 *   12 u32       client index
 *   16 u48       sequence number
 *   22 f64       send time, ms since the epoch
 */

export type PayloadFormat = 'json' | 'binary';

export interface SoakMessage {
  run: string;
  client: number;
  seq: number;
  sentMs: number;
}

export const BINARY_HEADER_BYTES = 30;

export function encodeSoakMessage(m: SoakMessage, format: PayloadFormat, size: number): Buffer {
  if (format === 'binary') {
    const buf = Buffer.alloc(Math.max(BINARY_HEADER_BYTES, size));
    buf.write('MD', 0, 'latin1');
    buf.writeUInt8(1, 2);
    buf.write(m.run.padEnd(16, '0').slice(0, 16), 4, 'hex');
    buf.writeUInt32BE(m.client, 12);
    buf.writeUIntBE(m.seq, 16, 6);
    buf.writeDoubleBE(m.sentMs, 22);
    return buf;
  }
  const body = `{"run":"${m.run}","client":${m.client},"seq":${m.seq},"t":${m.sentMs}`;
  const pad = size - body.length - 1;
  // Pad with a "pad" field so the message stays valid JSON at the requested size.
  return Buffer.from(pad >= 10 ? `${body},"pad":"${'x'.repeat(pad - 9)}"}` : `${body}}`, 'latin1');
}

export function decodeSoakMessage(buf: Buffer): SoakMessage | undefined {
  if (buf.length >= BINARY_HEADER_BYTES && buf[0] === 0x4d && buf[1] === 0x44 && buf[2] === 1) {
    return {
      run: buf.toString('hex', 4, 12),
      client: buf.readUInt32BE(12),
      seq: buf.readUIntBE(16, 6),
      sentMs: buf.readDoubleBE(22),
    };
  }
  if (buf[0] !== 0x7b) return undefined;
  try {
    const o = JSON.parse(buf.toString('latin1')) as Record<string, unknown>;
    if (
      typeof o.run !== 'string' ||
      typeof o.client !== 'number' ||
      typeof o.seq !== 'number' ||
      typeof o.t !== 'number'
    )
      return undefined;
    return { run: o.run, client: o.client, seq: o.seq, sentMs: o.t };
  } catch {
    return undefined;
  }
}
