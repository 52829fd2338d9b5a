/**
 * A minimal MQTT session over any byte stream, built on mqtt-packet. probe uses it instead of MQTT.js so that
 * nothing (no hidden keepalive timer, no reconnect, no queue) sits between the wire and the clock, and so a
 * garbage answer can be shown as bytes.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import mqttPacket, { type Packet } from 'mqtt-packet';

// The first generate() in a process fills mqtt-packet's 65,536-entry number cache (numbers.js generateCache,
// called from writeToStream.js): hundreds of ms, which used to land inside the first CONNECT→CONNACK window.
// The cache only saves a 2-byte allocation per packet identifier, so turn it off, as MQTT.js does with its
// `writeCache: false` option (https://github.com/mqttjs/MQTT.js/blob/main/src/lib/client.ts).
mqttPacket.writeToStream.cacheNumbers = false;

/** Encode a packet at a protocol level. Done before any clock starts, so no encoding is ever timed. */
export function encodePacket(packet: Packet, protocolVersion: 4 | 5): Buffer {
  return mqttPacket.generate(packet, { protocolVersion });
}

export type WireFailure =
  | { kind: 'timeout'; waitedMs: number }
  /** firstBytes: what arrived before the close, hex (a packet cut in the middle), when anything did. */
  | { kind: 'closed'; error?: string; code?: string; firstBytes?: string }
  | {
      kind: 'malformed';
      detail: string;
      firstBytes: string;
      looksLike: 'http' | 'tls' | 'unknown';
      /** Set when the packet was well framed but larger than we accept (see MAX_PACKET_BYTES). */
      tooLarge?: { bytes: number; limitBytes: number };
    }
  | { kind: 'aborted' };

export class WireError extends Error {
  constructor(readonly failure: WireFailure) {
    super(describeFailure(failure));
    this.name = 'WireError';
  }
}

function describeFailure(f: WireFailure): string {
  switch (f.kind) {
    case 'timeout':
      return `no answer within ${Math.round(f.waitedMs)} ms`;
    case 'closed':
      return `the connection closed${f.error ? ` (${f.error})` : ''}`;
    case 'malformed':
      if (f.tooLarge) return `packet of ${f.tooLarge.bytes} bytes exceeds our limit of ${f.tooLarge.limitBytes} bytes`;
      return f.looksLike === 'http'
        ? 'an HTTP server answered, not an MQTT broker'
        : f.looksLike === 'tls'
          ? 'a TLS server answered a plaintext CONNECT'
          : `the server sent bytes that are not MQTT (${f.detail})`;
    case 'aborted':
      return 'interrupted';
  }
}

/**
 * OpenSSL errors arrive as `805C…:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate
 * required:../deps/…/rec_layer_s3.c:1601:SSL alert number 116`: keep the reason and the alert number.
 */
export function tidyError(message: string): string {
  const m = /SSL routines:[^:]*:([^:]+):.*?(?:SSL alert number (\d+))?\s*$/s.exec(message);
  if (!m) return message.split('\n')[0] ?? message;
  return `${m[1]}${m[2] ? ` (TLS alert ${m[2]})` : ''}`;
}

/** Classify the first bytes of a non-MQTT answer, for the "most likely cause" line. */
export function sniff(bytes: Buffer): 'http' | 'tls' | 'unknown' {
  if (bytes.subarray(0, 5).toString('latin1') === 'HTTP/') return 'http';
  // TLS record: content type 0x15 (alert) or 0x16 (handshake), then version major 0x03.
  if (bytes.length >= 2 && (bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 0x03) return 'tls';
  return 'unknown';
}

/**
 * The largest packet this session accepts, in bytes, and announces as Maximum Packet Size in an MQTT 5 CONNECT
 * (MQTT 5 §3.1.2.11.4, https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html#_Toc3901050). probe and
 * keepalive-tune exchange only small packets (CONNACK, SUBACK, PINGRESP, their own short echo PUBLISH), so
 * 64 KiB leaves room for a CONNACK's reason string and user properties. A 3.1.1 broker is not told, so the
 * limit is also enforced as bytes arrive (FrameGuard), before mqtt-packet's parser buffers a packet whole.
 */
export const MAX_PACKET_BYTES = 64 * 1024;

/** What FrameGuard objects to: a packet over the size limit, or a Remaining Length its type cannot have. */
export type FrameProblem =
  | { kind: 'too-large'; bytes: number; limitBytes: number }
  | { kind: 'bad-length'; type: number; remainingLength: number; allowed: string }
  | { kind: 'bad-flags'; type: number; flags: number }
  | { kind: 'bad-type'; type: number };

/** Packet type names by the fixed header's high nibble (MQTT 3.1.1 §2.2.1, 5.0 §2.1.2). */
// biome-ignore format: two rows of eight read as the nibble table they are
const TYPE_NAMES = [
  'reserved', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP',
  'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH',
];

/**
 * The Remaining Lengths a packet from the server can have, by type, as [min, max]. mqtt-packet's parser does
 * not check them (it reads a PINGRESP of length 1 as a PINGRESP), so a reply padded or cut short would pass as
 * a good one. 3.1.1: CONNACK and the publish acks are exactly 2 (§3.2.1, §3.4.1–§3.7.1), PINGRESP and
 * DISCONNECT 0 (§3.13.1, §3.14.1), SUBACK at least 3 (§3.9). MQTT 5 adds optional reason codes and properties
 * (§3.2.2, §3.4.2.1), so there only the lower bounds hold; PINGRESP stays 0 (5.0 §3.13.1).
 */
function remainingLengthRange(type: number, version: 4 | 5): [number, number] | undefined {
  const v5 = version === 5;
  switch (type) {
    case 2:
    case 4:
    case 5:
    case 6:
    case 7:
    case 11:
      return v5 ? [2, Infinity] : [2, 2];
    case 3:
      return [2, Infinity];
    case 9:
      return [3, Infinity];
    case 13:
      return [0, 0];
    case 14:
      return v5 ? [0, Infinity] : [0, 0];
    default:
      return undefined;
  }
}

/**
 * Whether a fixed header's flag bits (bits 3-0) are ones its type may carry: PUBREL, SUBSCRIBE and UNSUBSCRIBE
 * 0b0010, PUBLISH any but QoS 3, every other type 0 (MQTT 3.1.1 §2.2.2 and §3.3.1.2, 5.0 §2.1.3 and §3.3.1.2;
 * "the receiver MUST close the Network Connection" on anything else). mqtt-packet checks them for some types
 * only, so a PINGRESP with flags 0xF would otherwise be read as a PINGRESP.
 */
function flagsAllowed(type: number, flags: number): boolean {
  if (type === 3) return (flags & 0b0110) !== 0b0110;
  if (type === 6 || type === 8 || type === 10) return flags === 0b0010;
  return flags === 0;
}

/**
 * Packet types a server may send: not 0 (reserved), not the client-to-server CONNECT, SUBSCRIBE, UNSUBSCRIBE and
 * PINGREQ, and AUTH only at MQTT 5 (type 15 is reserved in 3.1.1). MQTT 3.1.1 §2.2.1 table 2.1, 5.0 §2.1.2.
 * mqtt-packet reports a reserved type only once the whole packet has arrived, which a trickling server delays
 * forever.
 */
function typeFromServer(type: number, version: 4 | 5): boolean {
  if (type === 15) return version === 5;
  return type !== 0 && type !== 1 && type !== 8 && type !== 10 && type !== 12;
}

/**
 * Follows MQTT framing over the byte stream (fixed header byte, Remaining Length as a variable byte integer,
 * body: MQTT 3.1.1 §2.2.3, 5.0 §1.5.5) without buffering, so a packet's size is known from its first few bytes.
 */
export class FrameGuard {
  private skip = 0;
  private inLength = false;
  private type = 0;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;

  constructor(
    readonly limitBytes: number,
    private readonly version: 4 | 5,
  ) {}

  /**
   * Offset in the last chunk fed where the packet with a problem begins (0 when it began in an earlier chunk):
   * the bytes before it are whole good packets, still worth parsing.
   */
  problemAt = 0;

  /** The first problem with a packet whose header is in `chunk`, or undefined. */
  feed(chunk: Buffer): FrameProblem | undefined {
    let i = 0;
    this.problemAt = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const b = chunk[i++] ?? 0;
      if (!this.inLength) {
        this.problemAt = i - 1;
        if (!typeFromServer(b >> 4, this.version)) {
          this.skip = Number.POSITIVE_INFINITY;
          return { kind: 'bad-type', type: b >> 4 };
        }
        if (!flagsAllowed(b >> 4, b & 0x0f)) {
          this.skip = Number.POSITIVE_INFINITY;
          return { kind: 'bad-flags', type: b >> 4, flags: b & 0x0f };
        }
        this.inLength = true;
        this.type = b >> 4;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (b & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes += 1;
      if (b & 0x80 && this.lengthBytes < 4) continue;
      this.inLength = false;
      // A fifth length byte is malformed; the parser reports that, so stop following the stream here.
      if (b & 0x80) {
        this.skip = Number.POSITIVE_INFINITY;
        return undefined;
      }
      const total = 1 + this.lengthBytes + this.length;
      if (total > this.limitBytes) return { kind: 'too-large', bytes: total, limitBytes: this.limitBytes };
      const range = remainingLengthRange(this.type, this.version);
      if (range && (this.length < range[0] || this.length > range[1])) {
        const allowed = range[0] === range[1] ? `${range[0]}` : `at least ${range[0]}`;
        return { kind: 'bad-length', type: this.type, remainingLength: this.length, allowed };
      }
      this.skip = this.length;
    }
    return undefined;
  }
}

/** One line for a FrameProblem. */
export function describeFrameProblem(p: FrameProblem): string {
  switch (p.kind) {
    case 'too-large':
      return `packet of ${p.bytes} bytes exceeds our limit of ${p.limitBytes} bytes`;
    case 'bad-length':
      return `${TYPE_NAMES[p.type] ?? p.type} with Remaining Length ${p.remainingLength} (must be ${p.allowed})`;
    case 'bad-flags':
      return `${TYPE_NAMES[p.type] ?? p.type} with forbidden header flags 0x${p.flags.toString(16)}`;
    case 'bad-type':
      return `packet type ${p.type} (${TYPE_NAMES[p.type] ?? '?'}), which a server never sends`;
  }
}

/** Whether `bytes` (fewer than 5) could still grow into what sniff() recognises. */
function mayBeSniffed(bytes: Buffer): boolean {
  const text = bytes.toString('latin1');
  return 'HTTP/'.startsWith(text) || bytes[0] === 0x15 || bytes[0] === 0x16;
}

export class MqttWire extends EventEmitter<{ packet: [Packet]; close: [WireFailure] }> {
  private readonly parser: ReturnType<typeof mqttPacket.parser>;
  private readonly guard: FrameGuard;
  private heldProblem: FrameProblem | undefined;
  private firstBytes = Buffer.alloc(0);
  private failure: WireFailure | undefined;
  /**
   * performance.now() when the chunk being parsed arrived. RTT handlers read it instead of the clock so
   * parsing time is not counted as network time.
   */
  arrivedAt = 0;
  /** performance.now() when the session ended (FIN, RST, error), as seen at the socket. */
  closedAt: number | undefined;
  /** Socket-level stamps of the last connect(): CONNECT written, CONNACK's bytes read. */
  connectSentAt = 0;
  connackAt = 0;
  private rawArrival: number | undefined;
  private rawSentAt: number | undefined;
  /** Packets received, by type, over the whole session (e.g. more PINGRESPs than PINGREQs: a flood). */
  readonly received = new Map<Packet['cmd'], number>();

  /**
   * `arrivalSource`: the socket under a framing layer (the TCP or TLS socket under a WebSocket). Its bytes are
   * stamped the moment they are read, before the WebSocket library parses the frame, so frame parsing is not
   * timed either.
   */
  constructor(
    readonly stream: Duplex,
    private readonly protocolVersion: 4 | 5,
    arrivalSource?: Duplex,
  ) {
    super();
    if (arrivalSource && arrivalSource !== stream) {
      // prependListener: our stamp runs before the WebSocket parser, which emits the payload synchronously.
      // The last chunk before a message is the one that completed it, so each chunk overwrites the stamp.
      arrivalSource.prependListener('data', () => {
        this.rawArrival = performance.now();
      });
      // Likewise the send stamp is taken where the frame reaches the socket, after the WebSocket library has
      // framed and masked it (ws Sender writes synchronously from send()), not before.
      const write = arrivalSource.write.bind(arrivalSource) as (...a: unknown[]) => boolean;
      arrivalSource.write = ((...args: unknown[]) => {
        this.rawSentAt = performance.now();
        return write(...args);
      }) as Duplex['write'];
    }
    this.guard = new FrameGuard(MAX_PACKET_BYTES, protocolVersion);
    this.parser = mqttPacket.parser({ protocolVersion });
    this.parser.on('packet', (p: Packet) => {
      this.received.set(p.cmd, (this.received.get(p.cmd) ?? 0) + 1);
      this.emit('packet', p);
    });
    this.parser.on('error', (err: Error) => {
      this.fail({
        kind: 'malformed',
        detail: err.message,
        firstBytes: this.firstBytes.toString('hex'),
        looksLike: sniff(this.firstBytes),
      });
      stream.destroy();
    });
    stream.on('data', (chunk: Buffer) => {
      this.arrivedAt = this.rawArrival ?? performance.now();
      this.rawArrival = undefined;
      if (this.firstBytes.length < 32) this.firstBytes = Buffer.concat([this.firstBytes, chunk]).subarray(0, 32);
      if (this.failure) return;
      // An HTTP or TLS answer can parse as a plausible MQTT header; catch it before the parser does.
      const kind = sniff(this.firstBytes);
      if (kind !== 'unknown' && this.firstBytes.length >= 5) {
        this.fail({ kind: 'malformed', detail: kind, firstBytes: this.firstBytes.toString('hex'), looksLike: kind });
        stream.destroy();
        return;
      }
      const problem = this.heldProblem ?? this.guard.feed(chunk);
      // The first bytes of an HTTP or TLS answer are also bad MQTT headers ('H' reads as PUBACK with flags 8):
      // when they arrive in small pieces, wait for the five bytes sniff() needs to name them.
      if (problem && this.firstBytes.length < 5 && mayBeSniffed(this.firstBytes)) {
        this.heldProblem = problem;
        return;
      }
      if (problem) {
        // Whole packets before the bad one still count (a CONNACK sent in one write with a huge PUBLISH).
        if (!this.heldProblem && this.guard.problemAt > 0) this.parser.parse(chunk.subarray(0, this.guard.problemAt));
        if (this.failure) return;
        this.fail({
          kind: 'malformed',
          detail: describeFrameProblem(problem),
          firstBytes: this.firstBytes.toString('hex'),
          looksLike: 'unknown',
          ...(problem.kind === 'too-large'
            ? { tooLarge: { bytes: problem.bytes, limitBytes: problem.limitBytes } }
            : {}),
        });
        stream.destroy();
        return;
      }
      this.parser.parse(chunk);
    });
    const seen = () => (this.firstBytes.length > 0 ? { firstBytes: this.firstBytes.toString('hex') } : {});
    stream.on('error', (err: NodeJS.ErrnoException) =>
      this.fail({ kind: 'closed', error: tidyError(err.message), ...(err.code ? { code: err.code } : {}), ...seen() }),
    );
    stream.on('close', () => this.fail({ kind: 'closed', ...seen() }));
    stream.on('end', () => this.fail({ kind: 'closed', error: 'the server closed the connection (FIN)', ...seen() }));
  }

  get closedWith(): WireFailure | undefined {
    return this.failure;
  }

  private fail(f: WireFailure): void {
    if (this.failure) return;
    this.failure = f;
    this.closedAt = performance.now();
    this.emit('close', f);
  }

  /** Encode at this wire's protocol level (before a clock starts; see sendRaw). */
  encode(packet: Packet): Buffer {
    return encodePacket(packet, this.protocolVersion);
  }

  /** Encode and send, for packets that are not timed. Returns the stamp of the write. */
  send(packet: Packet): number {
    return this.sendRaw(this.encode(packet));
  }

  /**
   * Write pre-encoded bytes (the constant PINGREQ, a CONNECT built before the clock started). Returns
   * performance.now() taken just before the write: the send stamp of every timed figure.
   */
  sendRaw(bytes: Buffer): number {
    if (this.failure) throw new WireError(this.failure);
    this.rawSentAt = undefined;
    const at = performance.now();
    this.stream.write(bytes);
    return this.rawSentAt ?? at;
  }

  /** Resolve with the first packet matching `match`, or reject with a WireError. */
  waitFor<P extends Packet>(match: (p: Packet) => p is P, timeoutMs: number, signal?: AbortSignal): Promise<P> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(new WireError(this.failure));
      const t0 = performance.now();
      const cleanup = () => {
        clearTimeout(timer);
        this.off('packet', onPacket);
        this.off('close', onClose);
        signal?.removeEventListener('abort', onAbort);
      };
      const onPacket = (p: Packet) => {
        if (!match(p)) return;
        cleanup();
        resolve(p);
      };
      const onClose = (f: WireFailure) => {
        cleanup();
        reject(new WireError(f));
      };
      const onAbort = () => {
        cleanup();
        reject(new WireError({ kind: 'aborted' }));
      };
      const timer = setTimeout(
        () => {
          cleanup();
          reject(new WireError({ kind: 'timeout', waitedMs: performance.now() - t0 }));
        },
        Math.max(0, timeoutMs),
      );
      this.on('packet', onPacket);
      this.on('close', onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Send CONNECT and wait for CONNACK. `fields` may be the CONNECT already encoded (encodeConnect), which is
   * how callers keep encoding out of the dial; either way the bytes exist before the send stamp.
   * connectSentAt/connackAt are set from the socket write and the socket read.
   */
  async connect(
    fields: ConnectFields | Buffer,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<mqttPacket.IConnackPacket> {
    const bytes = Buffer.isBuffer(fields) ? fields : encodeConnect(fields, this.protocolVersion);
    if (this.failure) throw new WireError(this.failure);
    const waiting = this.waitFor(is.connack, timeoutMs, signal);
    this.connectSentAt = this.sendRaw(bytes);
    const packet = await waiting;
    this.connackAt = this.arrivedAt;
    return packet;
  }

  close(): void {
    this.stream.destroy();
  }
}

export interface ConnectFields {
  clientId: string;
  keepaliveS: number;
  username?: string | undefined;
  password?: string | undefined;
  will?: { topic: string; payload: string; qos: 0 | 1 };
  /** MQTT 5 CONNECT properties (ignored at 3.1.1). */
  properties?: mqttPacket.IConnectPacket['properties'];
}

/** A clean-session CONNECT; credentials and Will only when given. */
export function connectPacket(f: ConnectFields, version: 4 | 5): mqttPacket.IConnectPacket {
  return {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: version,
    clean: true,
    clientId: f.clientId,
    keepalive: f.keepaliveS,
    ...(f.username !== undefined ? { username: f.username } : {}),
    ...(f.password !== undefined ? { password: Buffer.from(f.password, 'utf8') } : {}),
    ...(f.will
      ? { will: { topic: f.will.topic, payload: Buffer.from(f.will.payload), qos: f.will.qos, retain: false } }
      : {}),
    // What we announce is what FrameGuard enforces (MQTT 5 §3.1.2.11.4).
    ...(version === 5 ? { properties: { maximumPacketSize: MAX_PACKET_BYTES, ...f.properties } } : {}),
  };
}

/** The CONNECT bytes for `fields`, built ahead of the dial so the timed windows hold no encoding. */
export function encodeConnect(f: ConnectFields, version: 4 | 5): Buffer {
  return encodePacket(connectPacket(f, version), version);
}

/**
 * The broker refused an MQTT 5 CONNECT because it speaks only 3.1.1: a 3.1.1 broker answers rc 1
 * "unacceptable protocol version" (3.1.1 §3.2.2.3), a 5 broker 0x84 "Unsupported Protocol Version" (5 §3.2.2.2).
 */
export function refusesMqtt5(version: 4 | 5, reasonCode: number): boolean {
  return version === 5 && (reasonCode === 1 || reasonCode === 0x84);
}

/** PINGREQ is always these two bytes (MQTT 3.1.1 §3.12, 5.0 §3.12). */
export const PINGREQ = Buffer.from([0xc0, 0x00]);

export const is = {
  connack: (p: Packet): p is mqttPacket.IConnackPacket => p.cmd === 'connack',
  pingresp: (p: Packet): p is mqttPacket.IPingrespPacket => p.cmd === 'pingresp',
  suback: (p: Packet): p is mqttPacket.ISubackPacket => p.cmd === 'suback',
  disconnect: (p: Packet): p is mqttPacket.IDisconnectPacket => p.cmd === 'disconnect',
};
