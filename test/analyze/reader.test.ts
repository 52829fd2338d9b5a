/**
 * The capture reader and TCP reassembly on files built byte by byte (test/analyze/synth.ts): every link type,
 * IPv4/IPv6, pcap in both byte orders with µs and ns stamps, pcapng with several interfaces and resolutions;
 * then retransmissions, reordering, capture gaps and snap-length cuts. tshark reads the same files and must
 * agree on frame and MQTT message counts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { CaptureAnalyzer } from '../../src/analyze/capture/capture.js';
import { CaptureFormatError } from '../../src/analyze/capture/pcap.js';
import { diagnose } from '../../src/analyze/capture/diagnose.js';
import { Conv, healthySession, LINKTYPE, pcapFile, pcapngFile, records, type Link } from './synth.js';
import { HAS_TSHARK, tsharkCounts } from './record.js';

const T0 = 1_764_000_000_000; // a fixed epoch ms: timestamps are checked to the µs
const V4 = { c: { ip: '10.1.2.3', port: 50000 }, s: { ip: '10.9.9.9', port: 1883 } };
const V6 = { c: { ip: '2001:db8::1', port: 50001 }, s: { ip: '2001:db8::99', port: 1883 } };

const dir = mkdtempSync(join(tmpdir(), 'mqd-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(buf: Buffer, chunk = 7777, opts: ConstructorParameters<typeof CaptureAnalyzer>[0] = {}) {
  const a = new CaptureAnalyzer(opts);
  // Odd chunk sizes: records and blocks straddle pushes, as they do when streaming a file.
  for (let i = 0; i < buf.length; i += chunk) a.push(buf.subarray(i, i + chunk));
  const r = a.finish();
  return { ...r, diag: diagnose(r.connections) };
}

function mqttCount(c: {
  dir: { client: { mqtt: Record<string, number> }; server: { mqtt: Record<string, number> } };
}): number {
  return [...Object.values(c.dir.client.mqtt), ...Object.values(c.dir.server.mqtt)].reduce((a, b) => a + b, 0);
}

function tsharkAgrees(name: string, buf: Buffer, frames: number, mqtt: number): void {
  if (!HAS_TSHARK) return;
  const f = join(dir, name);
  writeFileSync(f, buf);
  expect(tsharkCounts(f, [1883])).toEqual({ frames, mqtt });
}

describe('capture formats × link types × IP versions', () => {
  const links: Link[] = ['ethernet', 'vlan', 'sll', 'sll2', 'null', 'loop', 'raw'];
  const cases = links.flatMap((link) =>
    (['v4', 'v6'] as const).flatMap((ip) =>
      (['pcap-le-us', 'pcap-be-ns', 'pcapng-us', 'pcapng-ns', 'pcapng-be-2^-20'] as const).map(
        (fmt) => [link, ip, fmt] as const,
      ),
    ),
  );
  test.each(cases)('%s / %s / %s: one healthy session, to the microsecond', (link, ip, fmt) => {
    const ep = ip === 'v4' ? V4 : V6;
    const conv = healthySession(ep.c, ep.s, T0 + 0.123);
    const recs = records(link, conv.segs);
    const lt = LINKTYPE[link];
    const buf =
      fmt === 'pcap-le-us'
        ? pcapFile(lt, recs)
        : fmt === 'pcap-be-ns'
          ? pcapFile(lt, recs, { bigEndian: true, ns: true })
          : fmt === 'pcapng-us'
            ? pcapngFile([{ linkType: lt }], recs)
            : fmt === 'pcapng-ns'
              ? pcapngFile([{ linkType: lt, tsresol: 9 }], recs)
              : pcapngFile([{ linkType: lt, tsresol: 0x80 | 20 }], recs, { bigEndian: true });
    const r = run(buf);
    expect(r.stats.records).toBe(conv.segs.length);
    expect(r.stats.tcpSegments).toBe(conv.segs.length);
    expect(r.connections).toHaveLength(1);
    const c = r.connections[0]!;
    expect(c.client).toEqual(ep.c);
    expect(c.server).toEqual(ep.s);
    expect(c.mqtt?.clientId).toBe('dev-1');
    expect(mqttCount(c)).toBe(7);
    expect(r.diag.connections[0]!.cause).toBe('clean-disconnect');
    // 2^-20 s units round to ~1 µs; everything else is exact to the µs.
    const tol = fmt === 'pcapng-be-2^-20' ? 0.002 : 0.0011;
    expect(Math.abs(c.firstMs - conv.segs[0]!.tsMs)).toBeLessThan(tol);
    // The connection's last packet is the second FIN: the final ACK after it is not part of the record.
    expect(Math.abs(c.lastMs - conv.segs[conv.segs.length - 2]!.tsMs)).toBeLessThan(tol);
  });

  test.skipIf(!HAS_TSHARK)(
    'tshark reads the same synthetic files and agrees on frames and MQTT messages',
    { timeout: 90_000 },
    () => {
      for (const link of ['vlan', 'sll2', 'null', 'raw'] as const) {
        const conv = healthySession(V4.c, V4.s, T0);
        const recs = records(link, conv.segs);
        const buf = pcapngFile([{ linkType: LINKTYPE[link], tsresol: 9 }], recs);
        const r = run(buf);
        tsharkAgrees(`${link}.pcapng`, buf, r.stats.records, mqttCount(r.connections[0]!));
      }
    },
  );

  test('pcapng with two interfaces of different link types and resolutions: one timeline', () => {
    const a = healthySession(V4.c, V4.s, T0, 'on-eth');
    const b = healthySession({ ip: '10.1.2.4', port: 50002 }, V4.s, T0 + 0.5, 'on-sll');
    const recs = [...records('ethernet', a.segs, 0), ...records('sll', b.segs, 1)].sort((x, y) => x.tsMs - y.tsMs);
    const buf = pcapngFile(
      [
        { linkType: 1, tsresol: 6 },
        { linkType: 113, tsresol: 9 },
      ],
      recs,
    );
    const r = run(buf, 100);
    expect(r.connections.map((c) => c.mqtt?.clientId)).toEqual(['on-eth', 'on-sll']);
    expect(r.stats.linkTypes).toEqual({ ETHERNET: a.segs.length, LINUX_SLL: b.segs.length });
    expect(Math.abs(r.connections[1]!.firstMs - (T0 + 0.5))).toBeLessThan(0.0011);
  });
});

describe('TCP reassembly', () => {
  const connect = {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'reasm',
    keepalive: 30,
    clean: true,
  } as Packet;
  const pub = (id: number, size: number) =>
    ({
      cmd: 'publish',
      topic: 'big/t',
      payload: Buffer.alloc(size, id),
      qos: 1,
      messageId: id,
      retain: false,
      dup: false,
    }) as Packet;

  test('a retransmitted segment is counted once and flagged as a retransmission', () => {
    const c = new Conv(V4.c, V4.s, T0).handshake();
    c.mqtt('c', connect);
    c.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
    const p = c.mqtt('c', pub(1, 100));
    c.resend(p, 200);
    c.resend(p, 400);
    c.mqtt('s', { cmd: 'puback', messageId: 1 } as Packet);
    const r = run(pcapFile(1, records('ethernet', c.segs)));
    const conn = r.connections[0]!;
    expect(conn.dir.client.mqtt['publish']).toBe(1);
    expect(conn.dir.client.retransmissions).toBe(2);
    expect(conn.pendingAcks.client).toBe(0);
  });

  test('segments out of order are put back in order', () => {
    const c = new Conv(V4.c, V4.s, T0).handshake();
    c.mqtt('c', connect);
    c.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
    c.mqtt('c', pub(1, 50));
    c.mqtt('c', pub(2, 50));
    c.mqtt('c', pub(3, 50));
    const n = c.segs.length;
    // Swap the last two publishes on the wire.
    [c.segs[n - 1], c.segs[n - 2]] = [c.segs[n - 2]!, c.segs[n - 1]!];
    const r = run(pcapFile(1, records('ethernet', c.segs)));
    expect(r.connections[0]!.dir.client.mqtt).toEqual({ connect: 1, publish: 3 });
    expect(r.connections[0]!.dir.client.gaps).toBe(0);
  });

  test('a capture gap inside a PUBLISH is skipped exactly: the packets after it still decode', () => {
    const c = new Conv(V4.c, V4.s, T0).handshake();
    c.mqtt('c', connect);
    c.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
    // One 3000-byte publish sent as three segments; the capture misses the middle one.
    const bytes = mqttPacket.generate(pub(1, 3000));
    c.send('c', bytes.subarray(0, 1000));
    const missing = c.send('c', bytes.subarray(1000, 2000));
    c.send('c', bytes.subarray(2000));
    c.mqtt('c', { cmd: 'pingreq' } as Packet);
    c.mqtt('s', { cmd: 'pingresp' } as Packet);
    const segs = c.segs.filter((s) => s !== missing);
    const r = run(pcapFile(1, records('ethernet', segs)));
    const conn = r.connections[0]!;
    expect(conn.dir.client.gaps).toBe(1);
    expect(conn.dir.client.gapBytes).toBe(1000);
    expect(conn.dir.client.mqtt).toEqual({ connect: 1, publish: 1, pingreq: 1 });
    expect(conn.ping).toMatchObject({ sent: 1, answered: 1 });
  });

  test('a snap length that cuts payloads: headers still read, the cut bytes reported', () => {
    const c = new Conv(V4.c, V4.s, T0).handshake();
    c.mqtt('c', connect);
    c.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
    c.mqtt('c', pub(9, 2000));
    c.mqtt('s', { cmd: 'puback', messageId: 9 } as Packet);
    c.mqtt('c', { cmd: 'disconnect' } as Packet);
    const snap = 14 + 20 + 20 + 40; // Ethernet + IPv4 + TCP + 40 payload bytes
    const recs = records('ethernet', c.segs).map((x) => ({
      ...x,
      origLen: x.data.length,
      data: x.data.subarray(0, Math.min(x.data.length, snap)),
    }));
    const r = run(pcapFile(1, recs, { snaplen: snap }));
    const conn = r.connections[0]!;
    expect(r.stats.snappedBytes).toBeGreaterThan(1900);
    expect(conn.dir.client.mqtt).toEqual({ connect: 1, publish: 1, disconnect: 1 });
    expect(conn.pendingAcks.client).toBe(0); // the packet id was inside the captured bytes
    expect(r.diag.connections[0]!.cause).toBe('clean-disconnect');
  });

  test('TCP-level blackhole: data retransmitted, never acknowledged, then the client resets', () => {
    const c = new Conv(V4.c, V4.s, T0).handshake();
    c.mqtt('c', connect);
    c.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
    for (let i = 0; i < 5; i++) {
      c.mqtt('c', { cmd: 'pingreq' } as Packet, 300);
      c.mqtt('s', { cmd: 'pingresp' } as Packet, 1);
    }
    const lost = c.mqtt('c', pub(3, 10), 300);
    for (const rto of [200, 400, 800, 1600]) c.resend(lost, rto);
    c.rst('c', 3000);
    const r = run(pcapFile(1, records('ethernet', c.segs)));
    const d = r.diag.connections[0]!;
    expect(d.cause).toBe('blackhole');
    expect(d.explanation).toContain('4 TCP retransmissions never acknowledged');
    expect(r.connections[0]!.pendingAcks.client).toBe(1);
  });

  test('idle drop vs the same silence already survived: the classifier needs a longer silence than any before', () => {
    const build = (survivedMs: number, lastIdleMs: number) => {
      const c = new Conv(V4.c, V4.s, T0).handshake();
      c.mqtt('c', connect);
      c.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
      c.mqtt('c', { cmd: 'pingreq' } as Packet, survivedMs);
      c.mqtt('s', { cmd: 'pingresp' } as Packet, 1);
      c.mqtt('c', { cmd: 'pingreq' } as Packet, lastIdleMs);
      c.fin('c', 5000);
      return run(pcapFile(1, records('ethernet', c.segs))).diag.connections[0]!;
    };
    expect(build(30_000, 350_000)).toMatchObject({
      cause: 'idle-drop',
      matches: ['AWS NAT Gateway (350 s)', 'AWS Network Load Balancer (TLS listener) (350 s)'],
    });
    expect(build(60_000, 60_000).cause).toBe('blackhole');
  });
});

describe('streaming', () => {
  test('records straddling pushes of any size, including a record larger than the join window, read the same', () => {
    const c = new Conv(V4.c, V4.s, T0).handshake();
    c.mqtt('c', {
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: 'jumbo',
      keepalive: 30,
      clean: true,
    } as Packet);
    c.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
    for (let i = 1; i <= 30; i++)
      c.mqtt('c', {
        cmd: 'publish',
        topic: 't',
        payload: Buffer.alloc(i % 3 === 0 ? 400_000 : 900, i),
        qos: 1,
        messageId: i,
        retain: false,
        dup: false,
      } as Packet);
    c.mqtt('c', { cmd: 'disconnect' } as Packet);
    const buf = pcapngFile([{ linkType: 1 }], records('ethernet', c.segs));
    const whole = run(buf, buf.length);
    expect(whole.connections[0]!.dir.client.mqtt).toEqual({ connect: 1, publish: 30, disconnect: 1 });
    for (const chunk of [333, 65_536, 300_000, 1 << 20]) {
      const r = run(buf, chunk);
      expect(r.stats.records).toBe(whole.stats.records);
      expect(r.connections[0]!.dir.client.mqtt).toEqual(whole.connections[0]!.dir.client.mqtt);
      expect(r.stats.truncatedTail).toBe(0);
    }
  });
});

describe('bad input', () => {
  test('garbage is refused at the first bytes', () => {
    const a = new CaptureAnalyzer();
    expect(() => a.push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toThrow(CaptureFormatError);
  });

  test('a file cut inside a record: everything before is read, the leftover reported', () => {
    const conv = healthySession(V4.c, V4.s, T0);
    const full = pcapFile(1, records('ethernet', conv.segs));
    const r = run(full.subarray(0, full.length - 30));
    expect(r.stats.records).toBe(conv.segs.length - 1);
    expect(r.stats.truncatedTail).toBeGreaterThan(0);
    expect(r.connections[0]!.mqtt?.clientId).toBe('dev-1');
  });

  test.skipIf(!HAS_TSHARK)('tshark agrees on the truncated file too', { timeout: 60_000 }, () => {
    const conv = healthySession(V4.c, V4.s, T0);
    const full = pcapFile(1, records('ethernet', conv.segs));
    const cut = full.subarray(0, full.length - 30);
    const f = join(dir, 'cut.pcap');
    writeFileSync(f, cut);
    const frames = spawnSync('tshark', ['-r', f, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n').length;
    expect(frames).toBe(run(cut).stats.records);
  });
});

describe('diagnosis details', () => {
  const connect = (keepalive: number) =>
    ({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'diag', keepalive, clean: true }) as Packet;
  const connack = { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet;

  test('path MTU blackhole: the server certificate flight (large) retransmitted, never acknowledged, in a TLS handshake', () => {
    const c = new Conv({ ip: '10.1.2.3', port: 50010 }, { ip: '10.9.9.9', port: 8883 }, T0).handshake();
    // A ClientHello-shaped record (type 22, TLS 1.0 record version, handshake type 1), small: it gets through.
    const hello = Buffer.alloc(200);
    hello.set([22, 3, 1, 0, 195, 1, 0, 0, 191, 3, 3]);
    c.send('c', hello);
    c.ack('s', 0.2);
    const flight = Buffer.alloc(2800);
    flight.set([22, 3, 3, 10, 235, 2]);
    const big = c.send('s', flight, 1);
    for (const rto of [200, 400, 800, 1600]) c.resend(big, rto);
    c.rst('c', 5000);
    const r = run(pcapFile(1, records('ethernet', c.segs)));
    const d = r.diag.connections[0]!;
    expect(d.cause).toBe('mtu');
    expect(d.explanation).toContain('2800-byte segment 4 times during the TLS handshake');
  });

  test('late pings and publishes left unacknowledged are findings of their own', () => {
    const c = new Conv(V4.c, V4.s, T0).handshake();
    c.mqtt('c', connect(10));
    c.mqtt('s', connack);
    c.mqtt('c', { cmd: 'pingreq' } as Packet, 14_000); // 14 s of silence with keepalive 10 s
    c.mqtt('s', { cmd: 'pingresp' } as Packet, 1);
    c.mqtt(
      'c',
      {
        cmd: 'publish',
        topic: 'x',
        payload: Buffer.from('1'),
        qos: 1,
        messageId: 5,
        retain: false,
        dup: false,
      } as Packet,
      100,
    );
    c.mqtt('c', { cmd: 'disconnect' } as Packet, 1);
    c.fin('c');
    const r = run(pcapFile(1, records('ethernet', c.segs)));
    const ids = r.diag.findings.map((f) => f.id);
    expect(ids).toEqual(expect.arrayContaining(['late-pings', 'unacknowledged']));
    expect(r.diag.findings.find((f) => f.id === 'late-pings')!.explanation).toContain('keepalive 10s');
  });

  test.each([
    [[1000, 1000, 1000, 1000], 'fixed'],
    [[1000, 2000, 4000, 8000, 16000], 'exponential'],
    [[900, 1300, 1100, 800, 1200], 'jittered'],
  ] as const)('reconnect delays %j read as %s', async (intervals, policy) => {
    const { reconnectPolicy } = await import('../../src/analyze/capture/diagnose.js');
    expect(reconnectPolicy([...intervals])).toBe(policy);
  });
});
