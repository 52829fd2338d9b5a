/**
 * What keeps analyze's memory flat on big captures (issue 14) without changing a byte of its output: the report's
 * connections are built when read (lazyArray), a finished flow's 4-tuple is forgotten two TIME_WAITs later, and a
 * finished connection's events and marks are bytes in a ByteArena, read back as they were.
 */
import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { CaptureAnalyzer } from '../../src/analyze/capture/capture.js';
import { diagnose } from '../../src/analyze/capture/diagnose.js';
import { CaptureReader } from '../../src/analyze/capture/pcap.js';
import { ByteArena } from '../../src/analyze/capture/arena.js';
import { Packer, Unpackable } from '../../src/analyze/capture/pack.js';
import {
  MarkLog,
  markType,
  packedMarksSize,
  readMarks,
  writeMarks,
  type PacketMarks,
} from '../../src/analyze/capture/marks.js';
import { buildAnalyzeReport, lazyArray } from '../../src/report/build-analyze.js';
import { renderJson, renderJsonPieces } from '../../src/report/render-json.js';
import { createOutput } from '../../src/ui/output.js';
import { Conv, healthySession, pcapFile, records, type Seg } from './synth.js';

const SERVER = { ip: '10.9.0.1', port: 1883 };

function analyze(segs: Seg[]) {
  const a = new CaptureAnalyzer();
  a.push(pcapFile(1, records('ethernet', segs)));
  const r = a.finish();
  const diagnosis = diagnose(r.connections);
  return buildAnalyzeReport({
    source: 'synthetic',
    compressed: false,
    interrupted: false,
    stats: r.stats,
    connections: r.connections,
    diagnosis,
    startedAt: new Date(0),
    finishedAt: new Date(0),
    version: 'test',
  });
}

test.each([0, 1, 255, 256, 1000])('lazyArray(%i) reads, slices, iterates and stringifies like an array', (n) => {
  const eager = Array.from({ length: n }, (_, i) => ({ i, sq: i * i }));
  const lazy = lazyArray(n, (i) => ({ i, sq: i * i }));
  expect(Array.isArray(lazy)).toBe(true);
  expect(lazy.length).toBe(n);
  expect(JSON.stringify(lazy, null, 2)).toBe(JSON.stringify(eager, null, 2));
  expect([...lazy]).toEqual(eager);
  expect(lazy.slice(0, 3)).toEqual(eager.slice(0, 3));
  expect(lazy.map((x) => x.sq)).toEqual(eager.map((x) => x.sq));
  expect(Object.keys(lazy)).toEqual(Object.keys(eager));
  expect(lazy[n]).toBeUndefined();
});

test('a 300-connection report: connections built when read, the JSON pieces equal the whole document', () => {
  const segs = Array.from({ length: 300 }, (_, i) =>
    healthySession({ ip: `10.1.${i >> 8}.${i & 255}`, port: 40000 + i }, SERVER, 1_764_000_000_000 + i * 5, `d-${i}`),
  )
    .flatMap((c) => c.segs)
    .sort((a, b) => a.tsMs - b.tsMs);
  const report = analyze(segs);
  expect(report.data.connections).toHaveLength(300);
  expect(report.data.connections.map((c) => c.clientId)).toEqual(Array.from({ length: 300 }, (_, i) => `d-${i}`));
  expect(report.data.connections.every((c) => c.cause === 'clean-disconnect')).toBe(true);
  expect([...renderJsonPieces(report)].join('')).toBe(renderJson(report));
});

test('--json to a slow reader: emit waits for drain, so the stream never holds more than its buffer and a piece', async () => {
  const segs = Array.from({ length: 300 }, (_, i) =>
    healthySession({ ip: `10.3.${i >> 8}.${i & 255}`, port: 40000 + i }, SERVER, 1_764_000_000_000 + i * 5, `s-${i}`),
  )
    .flatMap((c) => c.segs)
    .sort((a, b) => a.tsMs - b.tsMs);
  const report = analyze(segs);
  const whole = renderJson(report);
  const chunks: string[] = [];
  let maxBuffered = 0;
  // A reader that takes each chunk on a later turn of the event loop, like a pipe whose reader is slower.
  const stdout = new Writable({
    highWaterMark: 16 * 1024,
    decodeStrings: false,
    write(chunk: string, _enc, done) {
      chunks.push(chunk);
      setImmediate(done);
    },
  });
  const watched = stdout.write.bind(stdout);
  stdout.write = ((chunk: string) => {
    const ok = watched(chunk);
    maxBuffered = Math.max(maxBuffered, stdout.writableLength);
    return ok;
  }) as typeof stdout.write;
  const stderr = new Writable({ write: (_c, _e, done) => done() });
  const out = await createOutput({ json: true, verbose: false, colorLevel: 0, interactive: false, stdout, stderr });
  await out.emit(report);
  await new Promise<void>((resolve) => stdout.end(resolve));
  expect(chunks.join('')).toBe(whole);
  const biggestPiece = Math.max(...[...renderJsonPieces(report)].map((p) => p.length));
  // Without waiting, the whole document (hundreds of KB) would sit in the stream's buffer at once.
  expect(whole.length).toBeGreaterThan(10 * (16 * 1024 + biggestPiece));
  expect(maxBuffered).toBeLessThanOrEqual(16 * 1024 + biggestPiece);
});

test.each([
  [30_000, 1],
  [200_000, 2],
])('a stray ACK %i ms after both FINs on the same 4-tuple: %i connection(s)', (afterMs, expected) => {
  const c = healthySession({ ip: '10.2.0.1', port: 41000 }, SERVER, 1_764_000_000_000);
  const stray: Seg = { ...c.segs[c.segs.length - 1]!, tsMs: c.t + afterMs };
  // Another flow's packet in between moves the capture's clock past the close.
  const other = new Conv({ ip: '10.2.0.2', port: 41001 }, SERVER, c.t + afterMs - 1).handshake();
  const report = analyze([...c.segs, ...other.segs.slice(0, 1), stray]);
  const mine = report.data.connections.filter((x) => x.client === '10.2.0.1:41000');
  // Within two TIME_WAITs a trailing ACK belongs to the finished connection; long after, it is a new flow.
  expect(mine).toHaveLength(expected);
  expect(mine[0]!.cause).toBe('clean-disconnect');
});

test('a finished connection gives its events back from their packed bytes: the same values, a fresh array per read', () => {
  const t0 = 1_764_000_000_000.25;
  const c = healthySession({ ip: '10.4.0.1', port: 42000 }, SERVER, t0, 'packed');
  const file = pcapFile(1, records('ethernet', c.segs));
  const a = new CaptureAnalyzer();
  a.push(file);
  const [conn] = a.finish().connections;
  const events = conn!.events;
  expect(events.map((e) => `${e.kind} ${e.side}`)).toEqual([
    'syn client',
    'syn-ack server',
    'connect client',
    'connack server',
    'disconnect client',
    'fin client',
    'fin server',
  ]);
  // Times come back as the very doubles the reader gave for the records (fractional ms, µs steps).
  const recordTimes: number[] = [];
  new CaptureReader((r) => recordTimes.push(r.tsMs)).push(file);
  expect(events.every((e) => recordTimes.includes(e.atMs))).toBe(true);
  expect(events[0]!.atMs).toBe(recordTimes[0]);
  expect(events[0]!.atMs % 1).not.toBe(0);
  expect(events[2]).toMatchObject({ clientId: 'packed', keepaliveS: 60, protocolVersion: 4, clean: true, will: false });
  // Each read parses again: a caller's edit stays its own.
  events.length = 0;
  expect(conn!.events).toHaveLength(7);
  expect(conn!.events).not.toBe(conn!.events);
});

test.each([
  [0, 1],
  [30, 5],
  [5000, 0.25],
])('%i marks %f ms apart, many logs in one ByteArena: each reads back as finish() gave it', (n, step) => {
  const arena = new ByteArena();
  const kept: Array<{ ref: number; want: PacketMarks }> = [];
  // Enough logs to fill several of the arena's chunks, each a little different.
  for (let k = 0; k < 400; k++) {
    const log = new MarkLog();
    for (let i = 0; i < n + k; i++)
      log.add(1_764_000_000_000.125 + i * step, i % 3 ? 'publish' : 'puback', i % 2 ? 'server' : 'client');
    const want = log.finish();
    const { ref, buf, at } = arena.alloc(packedMarksSize(want));
    expect(writeMarks(want, buf, at)).toBe(at + packedMarksSize(want));
    kept.push({ ref, want });
  }
  for (const { ref, want } of kept) {
    const { buf, at } = arena.at(ref);
    const got = readMarks(buf, at);
    expect(got).toEqual(want);
    expect(Object.keys(got)).toEqual(Object.keys(want));
  }
});

test('events with a non-ASCII client id read back from the arena unchanged', () => {
  const id = 'café-Ω-😀-\u00a0x';
  const c = healthySession({ ip: '10.5.0.1', port: 43000 }, SERVER, 1_764_000_000_000.5, id);
  const a = new CaptureAnalyzer();
  a.push(pcapFile(1, records('ethernet', c.segs)));
  const [conn] = a.finish().connections;
  const connect = conn!.events.find((e) => e.kind === 'connect');
  expect(connect).toMatchObject({ clientId: id });
  expect(conn!.mqtt?.clientId).toBe(id);
  expect(conn!.marks.total).toBe(conn!.marks.atMs.length);
  expect(markType(conn!.marks.code[0]!)).toBe('connect');
});

test('marks stored at an unaligned place read back as copies with the same values', () => {
  const log = new MarkLog();
  for (let i = 0; i < 200; i++) log.add(1_764_000_000_000.5 + i * 3, 'publish', i % 2 ? 'server' : 'client');
  const want = log.finish();
  const buf = Buffer.alloc(packedMarksSize(want) + 16);
  // Offset 3: a Float64Array cannot view it in place.
  writeMarks(want, buf, 3);
  const got = readMarks(buf, 3);
  expect(got).toEqual(want);
  expect(got.atMs.buffer).not.toBe(buf.buffer);
});

test.each<[string, unknown]>([
  ['integers at the varint edges', [0, 1, -1, 63, 64, -64, -65, 2 ** 30 - 1, -(2 ** 30) + 1, 2 ** 30, -(2 ** 30)]],
  [
    'doubles, -0 and the non-finite',
    [1_764_000_000_000.125, 0.1, -0, NaN, Infinity, -Infinity, Number.MAX_VALUE, 5e-324],
  ],
  ['strings: empty, non-ASCII, a NUL, a lone surrogate', ['', 'café-Ω-😀', 'a\u0000b', 'x'.repeat(5000)]],
  [
    'nested objects keep key order, undefined values and null',
    { b: 1, a: { z: undefined, y: null, x: [true, false] } },
  ],
  ['integer-like keys, as JS orders them', { 10: 'ten', 2: 'two', b: 'b', a: 'a' }],
  ['an own __proto__ key stays a key', JSON.parse('{"__proto__":{"polluted":1},"k":2}') as unknown],
  [
    'arrays of objects sharing a shape',
    Array.from({ length: 50 }, (_, i) => ({ kind: 'fin', atMs: i + 0.5, side: 'client' })),
  ],
])('Packer: %s read back as written', (_name, value) => {
  const p = new Packer();
  // Written after other values, at an offset, as the arena holds them.
  p.pack({ other: 'shape', n: 1 });
  const bytes = Buffer.concat([Buffer.alloc(3), p.pack(value)]);
  const back = p.unpack(bytes, 3);
  expect(back).toStrictEqual(value);
  if (value && typeof value === 'object') expect(Object.keys(back as object)).toEqual(Object.keys(value));
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
});

test.each<[string, unknown]>([
  ['a Buffer', { b: Buffer.from('x') }],
  ['a Date', [new Date(0)]],
  ['a function', { f: () => 1 }],
  ['a bigint', 1n],
])('Packer refuses %s (the connection then keeps its objects)', (_name, value) => {
  expect(() => new Packer().pack(value)).toThrow(Unpackable);
});

test('a finished connection reads back every field the tracker filled, from the arena', () => {
  const segs = Array.from({ length: 3 }, (_, i) =>
    healthySession({ ip: `10.6.0.${i + 1}`, port: 44000 + i }, SERVER, 1_764_000_000_000.375 + i * 7, `f-${i}`),
  )
    .flatMap((c) => c.segs)
    .sort((a, b) => a.tsMs - b.tsMs);
  const conns = new CaptureAnalyzer();
  conns.push(pcapFile(1, records('ethernet', segs)));
  const got = conns.finish().connections;
  expect(got.map((c) => c.mqtt?.clientId)).toEqual(['f-0', 'f-1', 'f-2']);
  for (const [i, c] of got.entries()) {
    expect(c.client).toEqual({ ip: `10.6.0.${i + 1}`, port: 44000 + i });
    expect(c.server).toEqual(SERVER);
    expect(c.transport).toBe('mqtt');
    expect(c.end).toMatchObject({ kind: 'fin', side: 'client' });
    expect(Object.keys(c.closes)).toEqual(['client', 'server']);
    expect(c.dir.client.mqtt).toMatchObject({ connect: 1, disconnect: 1 });
    expect(c.dir.server.mqtt).toMatchObject({ connack: 1 });
    expect(c.dir.client.firstMs! % 1).not.toBe(0);
    expect(c.lastMs).toBeGreaterThan(c.firstMs);
    expect(c.ping.unanswered).toBe(0);
    expect(c.pendingAcks).toEqual({ client: 0, server: 0 });
    expect(c.notes).toEqual([]);
  }
  // Reading one connection and then another gives each its own fields (the read-back cache holds one).
  expect(got[0]!.client.ip).toBe('10.6.0.1');
  expect(got[2]!.client.ip).toBe('10.6.0.3');
  expect(got[0]!.mqtt?.clientId).toBe('f-0');
});
