/**
 * Record real captures in tests: tcpdump (Debian package) on the loopback interface, filtered on the ports
 * this test run picked, plus a raw MQTT client (mqtt-packet over a socket) whose every write and close we
 * timestamp, so analyze's figures can be checked against what the test actually did.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { runCli, runMain, type CliResult } from '../helpers/cli.js';
import { noFaults, type ImpairFaults } from '../../src/config/impair.js';
import { cleanup, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

export const HAS_TCPDUMP = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;
export const HAS_TSHARK = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
/** Why capture tests skip: only when the tool is genuinely missing (CI installs tcpdump and tshark). */
export const SKIP_REASON = HAS_TCPDUMP
  ? ''
  : 'tcpdump is not installed (apt-get install -y tcpdump): capture tests need it to record';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mqd-analyze-'));
}

/**
 * A file's capture folder: `file(name)` names the next numbered capture in it; the folder is removed after the
 * file's tests unless KEEP_CAPTURES is set (to open the captures in Wireshark).
 */
export function captureFolder(): (name: string) => string {
  const dir = tempDir();
  let n = 0;
  afterAll(() => {
    if (!process.env['KEEP_CAPTURES']) rmSync(dir, { recursive: true, force: true });
  });
  return (name) => join(dir, `${++n}-${name}.pcap`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Recorder {
  file: string;
  stop(): Promise<void>;
}

/**
 * Start tcpdump on `iface` for these TCP ports; resolves once it records.
 *
 * Both ends of a recording are delicate. tcpdump says "listening on" once its filter is set, but a packet sent
 * right then can still miss the file; and it reads packets from a kernel ring, where a SIGINT ends its loop at
 * once: what the ring still holds is neither written nor counted as dropped. On a saturated machine tcpdump lags
 * the wire by far more than any quiet time we could wait for, and could lose the test's last packets that way
 * (the ring's own drops are another hole: see RING_KIB and the check in stop). So the recorder also captures UDP
 * datagrams of its own ({@link CaptureMarker}): the ring is in order, so once a marker is in the file, so is
 * everything sent before it. Start waits for one marker, stop sends another and waits for it before the SIGINT; both records are then
 * taken back out of the file, which holds only what the test did.
 */
export async function startTcpdump(file: string, ports: number[], iface = 'lo'): Promise<Recorder> {
  // A connection still closing as the capture starts (mosquitto's start probe, an earlier test's) would be in the
  // file as a fragment: its last FIN with no CONNECT before it. Loaded, mosquitto closed its side of its own start
  // probe after tcpdump listened, and that fragment read as the test's connection.
  await socketsGone(ports, CLOSING, 3000);
  const marker = await openCaptureMarker();
  const filter = `(tcp and (${ports.map((p) => `port ${p}`).join(' or ')})) or ${marker.filter}`;
  // --immediate-mode: hand over each packet at once (else libpcap batches them in blocks); -U: write each packet
  // at once; -Z root: keep writing into our root-owned temp dir. -B: in immediate mode every slot of the kernel
  // ring is as big as the largest loopback packet (~64 KiB), so the default 2 MiB held ~30 packets: a starved
  // tcpdump lost a WebSocket session's frames mid-connection. 64 MiB holds ~1,000.
  const child: ChildProcess = spawn(
    'tcpdump',
    ['-i', iface, '--immediate-mode', '-U', '-B', String(RING_KIB), '-Z', 'root', '-s', '0', '-w', file, filter],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  const nonces: Buffer[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`tcpdump did not start within 5 s: ${err}`)), 5000);
      child.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`tcpdump exited ${code}: ${err}`));
      });
    });
    nonces.push(...(await marker.mark(file, () => err)));
  } catch (e) {
    child.kill('SIGINT');
    marker.close();
    throw e;
  }
  return {
    file,
    stop: async () => {
      try {
        // A close already under way (a FIN sent, its answer not yet) finishes on the wire first.
        await socketsGone(ports, ['fin-wait-1', 'closing', 'last-ack'], 3000);
        if (child.exitCode !== null) throw new Error(`tcpdump ended before it was stopped: ${err}`);
        nonces.push(...(await marker.mark(file, () => err)));
        // 'close', not 'exit': the summary on stderr may still be on its way when the process has exited.
        const exited = new Promise<void>((r) => child.once('close', () => r()));
        child.kill('SIGINT');
        await exited;
        // tcpdump's summary on exit: a packet the kernel dropped is a hole in the capture, not a finding.
        const dropped = /(\d+) packets? dropped by kernel/.exec(err);
        if (dropped && Number(dropped[1]) > 0) throw new Error(`tcpdump lost packets: ${err}`);
        removeRecordsHolding(file, nonces);
        if (process.env['DEBUG_TCPDUMP']) console.error(`${err}markers sent: ${nonces.length}`);
      } finally {
        marker.close();
      }
    },
  };
}

/** The kernel ring tcpdump reads from, in KiB. */
const RING_KIB = 64 * 1024;

/** How long a marker may take to reach the file (a saturated machine needs seconds, not more). */
const MARKER_WAIT_MS = 15_000;

/**
 * UDP datagrams a recorder captures beside the test's traffic, to know how far the file has caught up with the
 * wire: each carries a fresh random nonce to a socket this process holds on loopback (so no ICMP answers it).
 * Add `filter` to the recorder's capture filter.
 */
export interface CaptureMarker {
  filter: string;
  /**
   * Send markers until `file` holds one (a recorder that has just said it listens can still miss the first);
   * resolve with every nonce sent, reject after MARKER_WAIT_MS.
   */
  mark(file: string, recorderSaid: () => string): Promise<Buffer[]>;
  close(): void;
}

/** How often a marker not yet in the file is sent again. */
const MARKER_RESEND_MS = 250;

export async function openCaptureMarker(): Promise<CaptureMarker> {
  const sock = createSocket('udp4');
  sock.on('message', () => undefined);
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => resolve());
  });
  const port = sock.address().port;
  const send = (nonce: Buffer) =>
    new Promise<void>((resolve, reject) => sock.send(nonce, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  return {
    filter: `(udp and dst port ${port})`,
    mark: async (file, recorderSaid) => {
      const sent: Buffer[] = [];
      const deadline = Date.now() + MARKER_WAIT_MS;
      while (Date.now() < deadline) {
        const nonce = Buffer.from(`mqd-capture-marker-${randomBytes(12).toString('hex')}`);
        sent.push(nonce);
        await send(nonce);
        if (await fileHoldsAny(file, sent, Math.min(MARKER_RESEND_MS, deadline - Date.now()))) return sent;
      }
      throw new Error(`the recorder did not write a marker within ${MARKER_WAIT_MS} ms: ${recorderSaid()}`);
    },
    close: () => sock.close(),
  };
}

/** Resolve true once `file` contains one of `markers`, false after `timeoutMs`. */
async function fileHoldsAny(file: string, markers: Buffer[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file)) {
      const data = readFileSync(file);
      if (markers.some((m) => data.includes(m))) return true;
    }
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
}

/**
 * Take out of a classic pcap file (what `tcpdump -w` writes) every record whose bytes hold one of `markers`, so
 * the capture holds only what the test did. Either byte order, micro- or nanosecond magic: only lengths are read.
 */
function removeRecordsHolding(file: string, markers: Buffer[]): void {
  const data = readFileSync(file);
  const magic = data.readUInt32LE(0);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && data.readUInt32BE(0) !== 0xa1b2c3d4 && data.readUInt32BE(0) !== 0xa1b23c4d) {
    throw new Error(`${file}: not a classic pcap file (magic ${magic.toString(16)})`);
  }
  const kept: Buffer[] = [data.subarray(0, 24)];
  for (let at = 24; at + 16 <= data.length; ) {
    const length = little ? data.readUInt32LE(at + 8) : data.readUInt32BE(at + 8);
    const record = data.subarray(at, at + 16 + length);
    if (!markers.some((m) => record.includes(m))) kept.push(record);
    at += 16 + length;
  }
  writeFileSync(file, Buffer.concat(kept));
}

/**
 * Wait until the capture being written holds what the test knows happened on the wire (`enough` over analyze's
 * reading of the file so far), at most `timeoutMs`: a recorder lagging on a busy machine gets the time it needs,
 * and a capture that never shows it fails the test's own assertions afterwards.
 */
export async function captured(
  file: string,
  args: string[],
  enough: (json: AnalyzeJson) => boolean,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (enough((await analyzeInProcess(file, args)).json)) return;
    } catch {
      // A file cut mid-header by the writer: read it again.
    }
    await sleep(100);
  }
}

/** ss(8) states of a connection whose close has begun and not finished on the wire. */
const CLOSING = ['fin-wait-1', 'fin-wait-2', 'close-wait', 'closing', 'last-ack'];
const CLOSING_OR_OPEN = ['established', 'syn-sent', 'syn-recv', ...CLOSING];

/**
 * Resolve once the kernel holds no TCP socket on these ports in any of `states` (ss(8) state names; by default every
 * state of a connection not yet closed), or after `timeoutMs` (then the capture simply holds what happened). A client
 * library's "ended" can come before its TCP close (a WebSocket close handshake still under way).
 */
export async function socketsGone(ports: number[], states = CLOSING_OR_OPEN, timeoutMs = 5000): Promise<void> {
  const filter = `( ${ports.map((p) => `sport = :${p} or dport = :${p}`).join(' or ')} )`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listed = await new Promise<string>((resolve) =>
      execFile(
        'ss',
        ['-Htan', 'state', states[0]!, ...states.slice(1).flatMap((st) => ['state', st]), filter],
        (_e, out) => resolve(out ?? ''),
      ),
    );
    if (listed.trim() === '' || Date.now() >= deadline) return;
    await sleep(20);
  }
}

/** A raw MQTT client: exact control of what is sent and when (no automatic pings). */
export class RawClient {
  socket!: Socket;
  readonly received: Packet[] = [];
  lastWriteMs = 0;
  closedAtMs: number | undefined;
  private waiters: Array<() => void> = [];
  private parser;

  constructor(readonly protocolVersion: 4 | 5 = 4) {
    this.parser = mqttPacket.parser({ protocolVersion });
    this.parser.on('packet', (p: Packet) => {
      this.received.push(p);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(port: number, protocolVersion: 4 | 5 = 4): Promise<RawClient> {
    const c = new RawClient(protocolVersion);
    c.socket = connect({ host: '127.0.0.1', port, noDelay: true });
    c.socket.on('data', (d: Buffer) => c.parser.parse(d));
    c.socket.on('error', () => undefined);
    c.socket.on('close', () => {
      c.closedAtMs ??= Date.now();
      for (const w of c.waiters.splice(0)) w();
    });
    await new Promise<void>((resolve, reject) => {
      c.socket.once('connect', () => resolve());
      c.socket.once('error', reject);
    });
    return c;
  }

  send(p: Packet): void {
    const bytes = mqttPacket.generate(p, { protocolVersion: this.protocolVersion });
    // Taken before the write: the packet is on the wire no earlier than this. A clock read after the write can be
    // late by a whole time slice on a saturated machine (the write wakes the broker, which may run first).
    this.lastWriteMs = Date.now();
    this.socket.write(bytes);
  }

  async connect(clientId: string, keepalive: number, extra: Record<string, unknown> = {}): Promise<Packet> {
    this.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: this.protocolVersion,
      clientId,
      keepalive,
      clean: true,
      ...extra,
    } as Packet);
    return this.waitFor('connack', 3000);
  }

  /** Resolve with the first received packet of this kind (from now on, or already received), or reject after timeoutMs. */
  async waitFor(cmd: string, timeoutMs: number, from = 0): Promise<Packet> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = this.received.slice(from).find((x) => x.cmd === cmd);
      if (p) return p;
      if (Date.now() > deadline || this.closedAtMs !== undefined) throw new Error(`no ${cmd} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Resolve when the socket closes (or after timeoutMs). */
  async closed(timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.closedAtMs === undefined && Date.now() < deadline) await sleep(20);
    return this.closedAtMs;
  }

  end(): void {
    this.socket.end();
  }
}

/** Warm mqtt-packet's generate cache before any clock starts (hundreds of ms the first time). */
export function warmMqttPacket(): void {
  mqttPacket.generate({ cmd: 'pingreq' } as Packet);
  mqttPacket.generate({
    cmd: 'publish',
    topic: 'x',
    payload: Buffer.alloc(1),
    qos: 0,
    retain: false,
    dup: false,
  } as Packet);
}

export interface AnalyzedConnection {
  id: number;
  client: string;
  server: string;
  transport: string;
  clientId?: string;
  protocolVersion?: number;
  keepaliveS?: number;
  cause: string;
  severity: string;
  endedBy?: 'client' | 'server';
  how: 'fin' | 'rst' | 'open';
  durationMs: number;
  silentMs: { client: number | null; server: number | null };
  idleMs?: number;
  keepaliveRatio?: number;
  explanation: string;
  packets: { client: Record<string, number>; server: Record<string, number> };
  connack?: { code: number };
  tls?: { sni?: string; alert?: { description?: string } };
  ping: { sent: number; answered: number; unanswered: number };
}

export interface AnalyzeJson {
  verdict: { status: string; exitCode: number; summary: string };
  data: {
    capture: { packets: number; tcpSegments: number; format: string; truncatedTailBytes: number; stoppedAt?: string };
    connections: AnalyzedConnection[];
    findings: Array<{
      id: string;
      severity: string;
      title: string;
      explanation: string;
      connections: number[];
      metrics?: Record<string, unknown>;
    }>;
  };
}

type Analyzed = { code: number | null; json: AnalyzeJson; stderr: string };

/** `mqtt-doctor analyze FILE --json ARGS` as a process of its own (the built CLI). */
export async function analyze(file: string, args: string[] = []): Promise<Analyzed> {
  return analyzedJson(await runCli(['analyze', file, '--json', ...args], { timeoutMs: 20_000 }));
}

/**
 * The same through main(argv, io) in this process: for files whose cases check what analyze reads in a capture,
 * not the process around it (test/analyze/cli.test.ts keeps the process cases: exit status, stdin, Ctrl-C).
 */
export async function analyzeInProcess(file: string, args: string[] = []): Promise<Analyzed> {
  return analyzedJson(await runMain(['analyze', file, '--json', ...args]));
}

function analyzedJson(r: CliResult): Analyzed {
  let json: AnalyzeJson;
  try {
    json = JSON.parse(r.stdout) as AnalyzeJson;
  } catch {
    throw new Error(`analyze did not print JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, json, stderr: r.stderr };
}

/** Connections to `port` (the leg between the client and whatever listens there). */
export function onPort(j: AnalyzeJson, port: number): AnalyzedConnection[] {
  return j.data.connections.filter((c) => c.server.endsWith(`:${port}`));
}

/** tshark's command line for {@link tsharkCounts}: every frame's number and its MQTT message types. */
/** tshark's "decode as MQTT" for each port. */
const decodeAsMqtt = (ports: number[]): string[] => ports.flatMap((p) => ['-d', `tcp.port==${p},mqtt`]);

function tsharkArgs(file: string, mqttPorts: number[]): string[] {
  return [
    '-r',
    file,
    ...decodeAsMqtt(mqttPorts),
    '-T',
    'fields',
    '-e',
    'frame.number',
    '-e',
    'mqtt.msgtype',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=,',
  ];
}

function countTshark(stdout: string): { frames: number; mqtt: number } {
  const lines = stdout.split('\n').filter((l) => l.trim());
  return {
    frames: lines.length,
    mqtt: lines.reduce((n, l) => n + (l.split('\t')[1] ?? '').split(',').filter(Boolean).length, 0),
  };
}

/** tshark's reading of the same file: frames and MQTT messages (ports decoded as MQTT), in one tshark run. */
export function tsharkCounts(file: string, mqttPorts: number[]): { frames: number; mqtt: number } {
  return countTshark(spawnSync('tshark', tsharkArgs(file, mqttPorts), { encoding: 'utf8' }).stdout);
}

/**
 * {@link tsharkCounts} without blocking the worker: tshark takes 1-2 s a file here (most of it loading its
 * dissectors), which the test can spend on its own work (the analyze run, the browser) instead of waiting.
 * Rejects if tshark does not end within `timeoutMs` or exits non-zero.
 */
export function tsharkCountsAsync(
  file: string,
  mqttPorts: number[],
  timeoutMs = 30_000,
): Promise<{ frames: number; mqtt: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      'tshark',
      tsharkArgs(file, mqttPorts),
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`tshark ${file}: ${err.message}\n${stderr}`));
        else resolve(countTshark(stdout));
      },
    );
  });
}

/**
 * tshark runs on a capture while analyze reads it (analyzeAndTshark): the two overlapping is wall time saved in
 * the serial group at the end of npm test, and the worker is not blocked meanwhile.
 */
const tsharkRuns = new Map<string, Promise<{ frames: number; mqtt: number }>>();

/** analyze `f` for `ports`, with tshark reading the same file beside it for {@link expectTsharkAgrees}. */
export function analyzeAndTshark(f: string, ports: number[]): ReturnType<typeof analyze> {
  if (HAS_TSHARK) {
    const run = tsharkCountsAsync(f, ports);
    run.catch(() => {}); // awaited (and its failure reported) in expectTsharkAgrees
    tsharkRuns.set(f, run);
  }
  return analyze(f, ['--port', ports.join(',')]);
}

/** Decoder check: tshark on the same file agrees on frames and MQTT messages (plain MQTT flows only). */
export async function expectTsharkAgrees(f: string, ports: number[], j: AnalyzeJson): Promise<void> {
  if (!HAS_TSHARK) return;
  const t = await (tsharkRuns.get(f) ?? tsharkCountsAsync(f, ports));
  expect(j.data.capture.packets).toBe(t.frames);
  const ours = j.data.connections
    .filter((c) => c.transport === 'mqtt')
    .reduce(
      (s, c) =>
        s +
        Object.values(c.packets.client).reduce((a, b) => a + b, 0) +
        Object.values(c.packets.server).reduce((a, b) => a + b, 0),
      0,
    );
  expect(ours, ours === t.mqtt ? undefined : disagreement(f, ports, j)).toBe(t.mqtt);
}

/**
 * What each side called MQTT, for the message of a failed {@link expectTsharkAgrees} (run only then, while the file
 * is still there): tshark's frames with their ports and message types, and our connections with their counts.
 */
function disagreement(f: string, ports: number[], j: AnalyzeJson): string {
  const fields = ['frame.number', 'tcp.srcport', 'tcp.dstport', 'tcp.flags.str', 'tcp.len', 'mqtt.msgtype'];
  const theirs = spawnSync(
    'tshark',
    ['-r', f, ...decodeAsMqtt(ports), '-T', 'fields', ...fields.flatMap((x) => ['-e', x])],
    {
      encoding: 'utf8',
    },
  ).stdout;
  const ourConnections = j.data.connections.map(
    (c) => `${c.client} -> ${c.server} ${c.transport} ${JSON.stringify(c.packets)}`,
  );
  return `tshark (${fields.join(' ')}):\n${theirs}\nours:\n${ourConnections.join('\n')}`;
}

/** Impair faults: none but those given. */
export function faults(f: Partial<ImpairFaults>): ImpairFaults {
  return { ...noFaults(), ...f };
}

/**
 * One mosquitto for the file's tests (started once mqtt-packet is warm, so no test times its first encode), stopped
 * after the file. Returns a getter: the broker exists once the file's beforeAll has run.
 */
export function brokerForFile(): () => Mosquitto {
  let m: Mosquitto | undefined;
  beforeAll(async () => {
    warmMqttPacket();
    m = await startMosquitto();
  });
  afterAll(async () => {
    await m?.stop();
    if (m) cleanup(m);
  });
  return () => m!;
}
