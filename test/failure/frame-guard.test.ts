/**
 * FrameGuard, the header check MqttWire runs on every chunk before mqtt-packet parses it: one row per packet
 * header, in one chunk and again one byte at a time (a trickling server).
 */
import { expect, test } from 'vitest';
import { FrameGuard, describeFrameProblem } from '../../src/transport/mqtt-wire.js';

const LIMIT = 64 * 1024;

function check(bytes: number[], version: 4 | 5, byteAtATime: boolean): string {
  const g = new FrameGuard(LIMIT, version);
  const chunks = byteAtATime ? bytes.map((b) => Buffer.from([b])) : [Buffer.from(bytes)];
  for (const c of chunks) {
    const p = g.feed(c);
    if (p) return describeFrameProblem(p);
  }
  return 'ok';
}

test.each([
  // bytes, version, expected
  [[0x20, 0x02, 0x00, 0x00, 0xd0, 0x00], 4, 'ok'],
  [[0x20, 0x03, 0x00, 0x00, 0x00], 5, 'ok'],
  [[0x20, 0x03, 0x00, 0x00, 0x00], 4, 'CONNACK with Remaining Length 3 (must be 2)'],
  [[0x20, 0x01, 0x00], 5, 'CONNACK with Remaining Length 1 (must be at least 2)'],
  [[0xd0, 0x01, 0x00], 4, 'PINGRESP with Remaining Length 1 (must be 0)'],
  [[0xdf, 0x00], 5, 'PINGRESP with forbidden header flags 0xf'],
  [[0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01], 4, 'PUBLISH with forbidden header flags 0x6'],
  [[0x32, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01], 4, 'ok'],
  [[0x62, 0x02, 0x00, 0x01], 4, 'ok'],
  [[0x60, 0x02, 0x00, 0x01], 4, 'PUBREL with forbidden header flags 0x0'],
  [[0x90, 0x02, 0x00, 0x01], 4, 'SUBACK with Remaining Length 2 (must be at least 3)'],
  [[0x30, 0x80, 0x80, 0x80, 0x01], 4, 'packet of 2097157 bytes exceeds our limit of 65536 bytes'],
  [[0x30, 0xfe, 0xff, 0x03], 5, 'packet of 65538 bytes exceeds our limit of 65536 bytes'],
  [[0x30, 0xfc, 0xff, 0x03], 5, 'ok'],
  [[0x00, 0xd0, 0x00], 4, 'packet type 0 (reserved), which a server never sends'],
  [[0xc0, 0x00], 5, 'packet type 12 (PINGREQ), which a server never sends'],
  [[0xf0, 0x00], 4, 'packet type 15 (AUTH), which a server never sends'],
  [[0xf0, 0x00], 5, 'ok'],
] as const)('%j at MQTT %i: %s', (bytes, version, expected) => {
  expect(check([...bytes], version, false)).toBe(expected);
  expect(check([...bytes], version, true)).toBe(expected);
});

test('a packet body is skipped, not read: the header after a 60 KB PUBLISH is still checked', () => {
  const g = new FrameGuard(LIMIT, 4);
  const body = 60_000;
  const pub = Buffer.concat([Buffer.from([0x30, 0xe0, 0xd4, 0x03]), Buffer.alloc(body)]);
  expect(g.feed(pub.subarray(0, 1000))).toBeUndefined();
  expect(g.feed(pub.subarray(1000))).toBeUndefined();
  expect(g.feed(Buffer.from([0xd0, 0x02]))).toMatchObject({ kind: 'bad-length', type: 13 });
});
