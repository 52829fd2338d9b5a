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
  return soakEncoder(m.run, m.client, format, size)(m.seq, m.sentMs);
}

/**
 * One client's encoder: what never changes in its messages (magic, run id and client index; the JSON prefix) is
 * built once, so each message costs one buffer and the fields that move (a publish per message per client).
 * A new buffer every time: MQTT.js may still hold the last one (queued while offline, or awaiting its PUBACK).
 */
export function soakEncoder(
  run: string,
  client: number,
  format: PayloadFormat,
  size: number,
): (seq: number, sentMs: number) => Buffer {
  if (format === 'binary') {
    const template = Buffer.alloc(Math.max(BINARY_HEADER_BYTES, size));
    template.write('MD', 0, 'latin1');
    template.writeUInt8(1, 2);
    template.write(run.padEnd(16, '0').slice(0, 16), 4, 'hex');
    template.writeUInt32BE(client, 12);
    return (seq, sentMs) => {
      const buf = Buffer.allocUnsafe(template.length);
      template.copy(buf);
      buf.writeUIntBE(seq, 16, 6);
      buf.writeDoubleBE(sentMs, 22);
      return buf;
    };
  }
  const prefix = `{"run":"${run}","client":${client},"seq":`;
  return (seq, sentMs) => {
    const body = `${prefix}${seq},"t":${sentMs}`;
    const pad = size - body.length - 1;
    // Pad with a "pad" field so the message stays valid JSON at the requested size.
    return Buffer.from(pad >= 10 ? `${body},"pad":"${'x'.repeat(pad - 9)}"}` : `${body}}`, 'latin1');
  };
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
