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
  | { kind: 'malformed'; detail: string; firstBytes: string; looksLike: 'http' | 'tls' | 'unknown' }
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

export class MqttWire extends EventEmitter<{ packet: [Packet]; close: [WireFailure] }> {
  private readonly parser: ReturnType<typeof mqttPacket.parser>;
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
    ...(version === 5 && f.properties ? { properties: f.properties } : {}),
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
