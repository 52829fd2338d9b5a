/**
 * The capture analyser: records (from pcap.ts) → frames → TCP segments → connections (connections.ts).
 * Picks MQTT flows by port, or by their first client bytes being an MQTT CONNECT. Pure and incremental: the
 * I/O layer pushes chunks and calls finish() at the end (or on Ctrl-C).
 */
import { ByteArena } from './arena.js';
import { CaptureReader, type CaptureFormat, type CaptureRecord } from './pcap.js';
import { decodeFrame, LINK_TYPES, TCP_ACK, TCP_SYN, type TcpSegment } from './packet.js';
import {
  ConnTracker,
  DEFAULT_MQTT_PORTS,
  looksLikeConnect,
  type Connection,
  type Endpoint,
  type Side,
} from './connections.js';

export interface CaptureOptions {
  /** Ports that mark a flow as MQTT (server side). Default DEFAULT_MQTT_PORTS. */
  ports?: number[];
  /** Also pick flows on other ports whose first client bytes are an MQTT CONNECT (default true). */
  sniff?: boolean;
}

export interface CaptureStats {
  format: CaptureFormat | undefined;
  bytes: number;
  records: number;
  tcpSegments: number;
  otherFrames: number;
  ipFragments: number;
  truncatedHeaders: number;
  linkTypes: Record<string, number>;
  unsupportedLinkTypes: number[];
  firstMs?: number;
  lastMs?: number;
  /** Bytes at the end that do not form a whole record: the file was cut. */
  truncatedTail: number;
  /** Snap length cut payload bytes (sum over segments). */
  snappedBytes: number;
  flowsIgnored: number;
}

export interface CaptureResult {
  stats: CaptureStats;
  connections: Connection[];
}

const MAX_IGNORED_KEYS = 100_000;
/** Marks a flow whose connection is finished (FIN both ways, or RST) until a new SYN reuses the 4-tuple. */
const CLOSED = Symbol('closed');

type FlowAddr = Pick<TcpSegment, 'src' | 'dst' | 'srcPort' | 'dstPort'>;

/** The same key for both directions of a flow. */
function flowKeyText(s: FlowAddr): string {
  const a = `${s.src}|${s.srcPort}`;
  const b = `${s.dst}|${s.dstPort}`;
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * Flows by 4-tuple, direction-independent, without building a key string per packet: address strings come
 * interned from packet.ts, so two Map levels on them plus a numeric port pair hash nothing new.
 */
class FlowTable<T> {
  private m = new Map<string, Map<string, Map<number, T>>>();

  private order(s: FlowAddr): [string, string, number] {
    const srcFirst = s.src < s.dst || (s.src === s.dst && s.srcPort <= s.dstPort);
    return srcFirst ? [s.src, s.dst, s.srcPort * 65536 + s.dstPort] : [s.dst, s.src, s.dstPort * 65536 + s.srcPort];
  }

  get(s: FlowAddr): T | undefined {
    const [a, b, p] = this.order(s);
    return this.m.get(a)?.get(b)?.get(p);
  }

  set(s: FlowAddr, v: T): void {
    const [a, b, p] = this.order(s);
    let x = this.m.get(a);
    if (!x) this.m.set(a, (x = new Map()));
    let y = x.get(b);
    if (!y) x.set(b, (y = new Map()));
    y.set(p, v);
  }

  /** Removes the flow, and the inner maps it leaves empty (one per address pair: a capture of 10,000 clients). */
  delete(s: FlowAddr): void {
    const [a, b, p] = this.order(s);
    const x = this.m.get(a);
    const y = x?.get(b);
    if (!x || !y) return;
    y.delete(p);
    if (y.size > 0) return;
    x.delete(b);
    if (x.size === 0) this.m.delete(a);
  }

  *values(): IterableIterator<T> {
    for (const x of this.m.values()) for (const y of x.values()) yield* y.values();
  }

  clear(): void {
    this.m.clear();
  }
}
const MAX_UNDECIDED = 10_000;
/**
 * How long (capture time) a finished flow's 4-tuple is remembered, so its trailing ACKs are not taken for a new
 * connection joined mid-way: the 60 s TIME_WAIT of Linux (TCP_TIMEWAIT_LEN, include/net/tcp.h) twice over. Past
 * that, a segment on the 4-tuple without a SYN is a new flow anyway. At most MAX_CLOSED are kept.
 */
const CLOSED_KEEP_MS = 120_000;
const MAX_CLOSED = 100_000;

export class CaptureAnalyzer {
  private reader: CaptureReader;
  private ports: Set<number>;
  private sniff: boolean;
  private live = new FlowTable<ConnTracker | typeof CLOSED>();
  private done: Connection[] = [];
  /** Finished flows marked CLOSED in `live`, oldest first, to forget them after CLOSED_KEEP_MS. */
  private closedQueue: Array<{ atMs: number; flow: FlowAddr }> = [];
  private closedHead = 0;
  private ignored = new Set<string>();
  private undecided = new Map<string, TcpSegment[]>();
  private nextId = 1;
  /** Finished connections' events and marks, as bytes (arena.ts). */
  private arena = new ByteArena();
  readonly stats: CaptureStats = {
    format: undefined,
    bytes: 0,
    records: 0,
    tcpSegments: 0,
    otherFrames: 0,
    ipFragments: 0,
    truncatedHeaders: 0,
    linkTypes: {},
    unsupportedLinkTypes: [],
    truncatedTail: 0,
    snappedBytes: 0,
    flowsIgnored: 0,
  };

  constructor(opts: CaptureOptions = {}) {
    this.ports = new Set(opts.ports ?? DEFAULT_MQTT_PORTS);
    this.sniff = opts.sniff ?? true;
    this.reader = new CaptureReader((r) => this.record(r));
  }

  /** Throws CaptureFormatError when the bytes are not a capture. */
  push(chunk: Buffer): void {
    this.stats.bytes += chunk.length;
    this.reader.push(chunk);
    this.stats.format = this.reader.format;
  }

  private record(r: CaptureRecord): void {
    const st = this.stats;
    st.records++;
    st.firstMs ??= r.tsMs;
    st.lastMs = r.tsMs;
    const name = LINK_TYPES[r.linkType] ?? `link type ${r.linkType}`;
    st.linkTypes[name] = (st.linkTypes[name] ?? 0) + 1;
    const seg = decodeFrame(r.linkType, r.tsMs, r.data);
    if (typeof seg === 'string') {
      if (seg === 'unsupported-link') {
        if (!st.unsupportedLinkTypes.includes(r.linkType)) st.unsupportedLinkTypes.push(r.linkType);
      } else if (seg === 'truncated-header') st.truncatedHeaders++;
      else if (seg === 'ip-fragment') st.ipFragments++;
      else st.otherFrames++;
      return;
    }
    st.tcpSegments++;
    if (seg.payload.length < seg.payloadLen) st.snappedBytes += seg.payloadLen - seg.payload.length;
    this.segment(seg);
  }

  private segment(s: TcpSegment): void {
    const isSyn = (s.flags & TCP_SYN) !== 0 && (s.flags & TCP_ACK) === 0;
    const entry = this.live.get(s);
    if (entry === CLOSED) {
      // Trailing ACKs after both FINs (or anything after an RST) belong to a finished connection.
      if (!isSyn) return;
      this.live.delete(s);
    }
    let t = entry === CLOSED ? undefined : entry;
    let keyText: string | undefined;
    const key = (): string => (keyText ??= flowKeyText(s));
    if (t && isSyn && (t.closed || t.conn.dir.client.segments + t.conn.dir.server.segments > 2)) {
      // A new connection on the same 4-tuple (port reuse): the old one is over.
      if (
        !(
          t.conn.client.ip === s.src &&
          t.conn.client.port === s.srcPort &&
          t.conn.dir.client.segments <= 2 &&
          !t.closed
        )
      ) {
        this.done.push(t.finish());
        this.live.delete(s);
        t = undefined;
      }
    }
    t ??= this.start(s, isSyn, key);
    if (!t) return;
    t.segment(this.sideOf(t, s), s);
    if (t.closed) {
      // Close the books now: a finished connection keeps only its record, not its decoders.
      this.done.push(t.finish());
      this.live.set(s, CLOSED);
      this.closedQueue.push({ atMs: s.tsMs, flow: { src: s.src, dst: s.dst, srcPort: s.srcPort, dstPort: s.dstPort } });
    }
    this.forgetClosed(s.tsMs);
  }

  /**
   * The first segment of a flow not tracked yet: a connection on an MQTT port, or elsewhere one whose first client
   * bytes are a CONNECT (segments before them held, up to 4); undefined while undecided or for a flow ignored.
   */
  private start(s: TcpSegment, isSyn: boolean, key: () => string): ConnTracker | undefined {
    if (this.ignored.has(key())) return undefined;
    const serverPortMatch = this.ports.has(s.dstPort) || this.ports.has(s.srcPort);
    if (!serverPortMatch) {
      if (!this.sniff) return void this.ignore(key());
      const held = this.undecided.get(key()) ?? [];
      if (s.payloadLen === 0) {
        if (held.length < 4 && (held.length > 0 || this.undecided.size < MAX_UNDECIDED)) {
          held.push({ ...s, payload: Buffer.from(s.payload) });
          this.undecided.set(key(), held);
        }
        return undefined;
      }
      this.undecided.delete(key());
      if (!looksLikeConnect(s.payload)) return void this.ignore(key());
      return this.open(s, held, true);
    }
    const clientIsSrc = isSyn
      ? true
      : (s.flags & TCP_SYN) !== 0
        ? false
        : this.ports.has(s.dstPort) && !this.ports.has(s.srcPort)
          ? true
          : this.ports.has(s.srcPort) && !this.ports.has(s.dstPort)
            ? false
            : s.srcPort > s.dstPort;
    return this.open(s, [], clientIsSrc);
  }

  /** Forget the 4-tuples of flows that finished long ago (memory stays flat over a capture of many connections). */
  private forgetClosed(nowMs: number): void {
    const q = this.closedQueue;
    while (
      this.closedHead < q.length &&
      (nowMs - q[this.closedHead]!.atMs > CLOSED_KEEP_MS || q.length - this.closedHead > MAX_CLOSED)
    ) {
      const { flow } = q[this.closedHead]!;
      q[this.closedHead++] = undefined as never;
      // A SYN may have reused the 4-tuple since: only a CLOSED mark is forgotten.
      if (this.live.get(flow) === CLOSED) this.live.delete(flow);
    }
    if (this.closedHead > 1024 && this.closedHead * 2 > q.length) {
      this.closedQueue = q.slice(this.closedHead);
      this.closedHead = 0;
    }
  }

  private ignore(key: string): void {
    this.stats.flowsIgnored++;
    if (this.ignored.size < MAX_IGNORED_KEYS) this.ignored.add(key);
  }

  private open(s: TcpSegment, held: TcpSegment[], clientIsSrc: boolean): ConnTracker {
    const first = held[0] ?? s;
    const syn = [...held, s].find((x) => (x.flags & TCP_SYN) !== 0 && (x.flags & TCP_ACK) === 0);
    const src: Endpoint = { ip: s.src, port: s.srcPort };
    const dst: Endpoint = { ip: s.dst, port: s.dstPort };
    const client = syn ? { ip: syn.src, port: syn.srcPort } : clientIsSrc ? src : dst;
    const server = syn ? { ip: syn.dst, port: syn.dstPort } : clientIsSrc ? dst : src;
    const t = new ConnTracker(this.nextId++, client, server, first, syn !== undefined, this.arena);
    this.live.set(s, t);
    for (const h of held) t.segment(this.sideOf(t, h), h);
    return t;
  }

  private sideOf(t: ConnTracker, s: TcpSegment): Side {
    return s.src === t.conn.client.ip && s.srcPort === t.conn.client.port ? 'client' : 'server';
  }

  /** End of input (or Ctrl-C): close every connection's books. */
  finish(): CaptureResult {
    this.stats.truncatedTail = this.reader.leftover;
    for (const t of this.live.values()) if (t !== CLOSED) this.done.push(t.finish());
    this.live.clear();
    // Handed over, not kept: once the caller has built its report, the records can go (memory on big captures).
    const connections = this.done.sort((x, y) => x.firstMs - y.firstMs || x.id - y.id);
    this.done = [];
    return { stats: this.stats, connections };
  }
}
