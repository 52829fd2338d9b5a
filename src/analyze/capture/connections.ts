/**
 * TCP connections from segments: who opened (SYN), per-direction reassembly that copes with retransmissions,
 * out-of-order segments, capture gaps and snap-length cuts, and what each direction carried (MQTT, MQTT over
 * WebSocket, TLS). Pure: segments in, Connection records out; memory per connection is bounded (out-of-order
 * queue, pending acknowledgements and the event list are capped).
 */
import type { Packet } from 'mqtt-packet';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from './packet.js';
import { ByteArena } from './arena.js';
import { Packer, Unpackable } from './pack.js';
import { MarkLog, marksEnd, packedMarksSize, readMarks, writeMarks, type PacketMarks } from './marks.js';
import { MqttFramer, TlsDecoder, WsDecoder, type MqttSeen, TLS_ALERTS } from './streams.js';

export type Side = 'client' | 'server';

export interface Endpoint {
  ip: string;
  port: number;
}

/** Notable moments of a connection (not every PUBLISH: those are counted). */
export type ConnEvent =
  | {
      kind: 'syn' | 'syn-ack' | 'fin' | 'rst' | 'ws-upgrade' | 'tls-server-hello';
      atMs: number;
      side: Side;
      detail?: string;
    }
  | {
      kind: 'connect';
      atMs: number;
      side: Side;
      clientId: string;
      keepaliveS: number;
      protocolVersion: number;
      clean: boolean;
      will: boolean;
    }
  | { kind: 'connack'; atMs: number; side: Side; code: number; sessionPresent: boolean }
  | { kind: 'disconnect'; atMs: number; side: Side; reasonCode?: number }
  | { kind: 'pingreq-unanswered'; atMs: number; side: Side }
  | { kind: 'tls-client-hello'; atMs: number; side: Side; sni?: string; alpn?: string[] }
  | { kind: 'tls-alert'; atMs: number; side: Side; level?: number; description?: string }
  | { kind: 'gap' | 'decode-stopped'; atMs: number; side: Side; detail: string }
  | { kind: 'retransmissions'; atMs: number; side: Side; count: number };

export type EventKind = ConnEvent['kind'];

const MAX_EVENTS = 64;
/** Out-of-order bytes held per direction before we call the hole a capture gap. */
const MAX_OOO_BYTES = 4 * 1024 * 1024;
const MAX_OOO_SEGMENTS = 256;
const MAX_PENDING_ACKS = 4096;

export interface DirStats {
  segments: number;
  bytes: number;
  retransmissions: number;
  gaps: number;
  gapBytes: number;
  firstMs?: number;
  lastSegMs?: number;
  /** Last segment carrying payload. */
  lastDataMs?: number;
  mqtt: Record<string, number>;
  /** Segments from this side after the other side's last segment (a blackhole's tail). */
  unansweredSegments: number;
  unansweredRetransmissions: number;
  /** Largest payload among the unanswered retransmissions (a path-MTU blackhole loses only large ones). */
  unansweredRetransMaxBytes: number;
  unansweredSinceMs?: number;
}

export interface Connection {
  id: number;
  client: Endpoint;
  server: Endpoint;
  /** True when the SYN was captured (otherwise the capture joined the connection mid-way and the sides are guessed). */
  sawSyn: boolean;
  firstMs: number;
  lastMs: number;
  handshakeRttMs?: number;
  /** SYN answered by RST: nothing listened on the port. */
  refusedSyn?: boolean;
  transport: 'mqtt' | 'mqtt-ws' | 'tls' | 'unknown';
  dir: Record<Side, DirStats>;
  mqtt?: { clientId: string; keepaliveS: number; protocolVersion: number; clean: boolean; will: boolean; atMs: number };
  connack?: { code: number; sessionPresent: boolean; atMs: number; serverKeepAliveS?: number };
  disconnect?: { side: Side; atMs: number; reasonCode?: number };
  ping: {
    sent: number;
    answered: number;
    rttMsMax?: number;
    unanswered: number;
    firstUnansweredMs?: number;
    maxIntervalMs?: number;
  };
  /** Longest silence between two MQTT packets from the client after CONNECT. */
  clientMaxGapMs?: number;
  /** QoS 1/2 publishes still waiting for their acknowledgement at the end, per sender. */
  pendingAcks: Record<Side, number>;
  /** Idle (no segment either way) before client data that the server answered: the longest. */
  maxAnsweredIdleMs?: number;
  /** Client data that got no server data afterwards: when, and after how long idle in both directions. */
  unanswered?: { atMs: number; idleBeforeMs: number };
  tls?: {
    sni?: string;
    alpn?: string[];
    clientHelloMs: number;
    serverHelloMs?: number;
    firstAppDataMs?: number;
    /** Bytes each side sent before the first application data: the handshake flights (certificates…). */
    handshakeBytes?: Record<Side, number>;
    alert?: { side: Side; level?: number; description?: string; atMs: number };
  };
  ws?: { path?: string; status?: number; closeCode?: number };
  /** Bytes from the server that are not what the client spoke (e.g. a TLS alert to a plain CONNECT). */
  serverMismatch?: string;
  end?: { kind: 'fin' | 'rst'; side: Side; atMs: number };
  /** When each side's FIN/RST came (the second tells how the other end reacted). */
  closes: Partial<Record<Side, { kind: 'fin' | 'rst'; atMs: number }>>;
  events: ConnEvent[];
  eventsDropped: number;
  /** Every MQTT packet's time, side and type, bounded (marks.ts); filled when the books close. */
  marks: PacketMarks;
  notes: string[];
}

const NO_MARKS: PacketMarks = { total: 0, atMs: new Float64Array(0), code: new Uint8Array(0) };

/**
 * A direction's counters, every field there from the start (the optional times as undefined): fields added later
 * moved into an out-of-object property array, and `delete` (as `answered` once did) turned the object into a
 * dictionary of ~800 bytes (issue 14, heap snapshot of a 1,000-connection capture).
 */
function newDir(): DirStats {
  return {
    segments: 0,
    bytes: 0,
    retransmissions: 0,
    gaps: 0,
    gapBytes: 0,
    firstMs: undefined,
    lastSegMs: undefined,
    lastDataMs: undefined,
    mqtt: {},
    unansweredSegments: 0,
    unansweredRetransmissions: 0,
    unansweredRetransMaxBytes: 0,
    unansweredSinceMs: undefined,
  };
}

/** The other side answered: this side's unanswered tail starts again. */
function answered(d: DirStats): void {
  d.unansweredSegments = 0;
  d.unansweredRetransmissions = 0;
  d.unansweredRetransMaxBytes = 0;
  d.unansweredSinceMs = undefined;
}

/** Reassembly of one direction: delivers in-order bytes once, reports holes. */
class Reassembler {
  next: number | undefined;
  private ooo = new Map<number, Buffer>();
  private oooBytes = 0;

  constructor(
    private readonly deliver: (b: Buffer) => void,
    private readonly hole: (n: number) => void,
  ) {}

  /** Returns true when the segment was a retransmission of bytes already seen. */
  add(seq: number, payload: Buffer, wireLen: number): boolean {
    if (wireLen === 0) return false;
    if (this.next === undefined) this.next = seq;
    const rel = (seq - this.next) | 0;
    if (rel < 0) {
      // Overlaps what we have: deliver only the new tail, if any.
      if (rel + wireLen <= 0) return true;
      this.emit(-rel, payload, wireLen);
      this.drain();
      return false;
    }
    if (rel > 0) {
      if (this.ooo.has(seq)) return true;
      this.ooo.set(seq, wireLen > payload.length ? Buffer.concat([payload, Buffer.alloc(0)]) : Buffer.from(payload));
      this.wire.set(seq, wireLen);
      this.oooBytes += payload.length;
      if (this.oooBytes > MAX_OOO_BYTES || this.ooo.size > MAX_OOO_SEGMENTS) this.skipToEarliest();
      return false;
    }
    this.emit(0, payload, wireLen);
    this.drain();
    return false;
  }

  private wire = new Map<number, number>();

  /** Deliver bytes [from, wireLen) of a segment starting at `next`+0 - from. */
  private emit(from: number, payload: Buffer, wireLen: number): void {
    if (from < payload.length) this.deliver(payload.subarray(from));
    const captured = Math.max(0, payload.length - from);
    const uncaptured = wireLen - from - captured;
    if (uncaptured > 0) this.hole(uncaptured);
    this.next = ((this.next ?? 0) + (wireLen - from)) >>> 0;
  }

  private drain(): void {
    while (this.ooo.size > 0) {
      let progressed = false;
      for (const [seq, buf] of this.ooo) {
        const rel = (seq - (this.next ?? 0)) | 0;
        const w = this.wire.get(seq) ?? buf.length;
        if (rel > 0) continue;
        this.ooo.delete(seq);
        this.wire.delete(seq);
        this.oooBytes -= buf.length;
        if (rel + w > 0) this.emit(-rel, buf, w);
        progressed = true;
      }
      if (!progressed) return;
    }
  }

  /** The hole never filled: the capture missed those bytes. Jump to the earliest held segment. */
  skipToEarliest(): void {
    let best: number | undefined;
    let bestRel = Infinity;
    for (const seq of this.ooo.keys()) {
      const rel = (seq - (this.next ?? 0)) | 0;
      if (rel < bestRel) {
        bestRel = rel;
        best = seq;
      }
    }
    if (best === undefined) return;
    this.hole(bestRel);
    this.next = best;
    this.drain();
  }

  /**
   * The peer acknowledged up to `ack`: bytes before it that we never saw were received by the peer, so the
   * capture missed them. Release the held segments the acknowledgement covers.
   */
  acked(ack: number): void {
    if (this.next === undefined || this.ooo.size === 0) return;
    for (let i = 0; i < MAX_OOO_SEGMENTS && this.ooo.size > 0 && ((ack - this.next) | 0) > 0; i++) {
      const before: number = this.next;
      this.skipToEarliest();
      if (this.next === before) return;
    }
  }

  /** At the end: flush what is held after holes. */
  finish(): void {
    while (this.ooo.size > 0) this.skipToEarliest();
  }
}

/** Ports where MQTT is expected (IANA: 1883 mqtt, 8883 secure-mqtt; 8083/8084/443/80 common WebSocket listeners). */
export const DEFAULT_MQTT_PORTS = [1883, 8883, 8083, 8084, 8080, 8081, 443, 80];

interface DirState {
  stats: DirStats;
  re: Reassembler;
  mode: 'undecided' | 'mqtt' | 'ws' | 'tls' | 'opaque';
  framer: MqttFramer;
  ws?: WsDecoder;
  tls?: TlsDecoder;
  lastMqttMs?: number;
  /** Time of the data segment being delivered (decoders report without time). */
  nowMs: number;
}

/**
 * The Connection the tracker fills while it runs: fields in the order of the interface, so every record keeps one
 * fast shape. When the books close it is written into the capture's ByteArena and a FinishedConnection stands in
 * for it.
 */
class ConnectionRecord implements Connection {
  transport: Connection['transport'] = 'unknown';
  dir: Record<Side, DirStats> = { client: newDir(), server: newDir() };
  ping: Connection['ping'] = { sent: 0, answered: 0, unanswered: 0 };
  pendingAcks: Record<Side, number> = { client: 0, server: 0 };
  closes: Connection['closes'] = {};
  eventsDropped = 0;
  notes: string[] = [];
  firstMs: number;
  lastMs: number;
  marks = NO_MARKS;

  constructor(
    readonly id: number,
    readonly client: Endpoint,
    readonly server: Endpoint,
    firstMs: number,
    readonly sawSyn: boolean,
    readonly events: ConnEvent[],
  ) {
    this.firstMs = firstMs;
    this.lastMs = firstMs;
  }
}

/** What a finished connection keeps as bytes: all but its id and first time (finish() sorts on those). */
type PackedFields = Omit<Connection, 'id' | 'firstMs' | 'events' | 'marks'>;
type PackedKey = keyof PackedFields;

/** The fields a finished connection packs, each read back on its own, in the order of the interface. */
const FIELD_KEYS = [
  'client',
  'server',
  'sawSyn',
  'lastMs',
  'handshakeRttMs',
  'refusedSyn',
  'transport',
  'dir',
  'mqtt',
  'connack',
  'disconnect',
  'ping',
  'clientMaxGapMs',
  'pendingAcks',
  'maxAnsweredIdleMs',
  'unanswered',
  'tls',
  'ws',
  'serverMismatch',
  'end',
  'closes',
  'eventsDropped',
  'notes',
] as const satisfies readonly PackedKey[];
const FIELD: { [K in PackedKey]: number } = Object.fromEntries(FIELD_KEYS.map((k, i) => [k, i])) as never;
/** Field offsets are u16: a connection whose fields take more (thousands of notes) keeps them as objects. */
const MAX_FIELD_BYTES = 0xffff;

/**
 * Per arena: the Packer that wrote its connections (it holds the object shapes), and per field the connection
 * read last and its value. The diagnosis reads one or two fields of every connection per pass, and the report a
 * dozen fields of one connection in a row: each is unpacked once, and only the fields read.
 */
interface Store {
  arena: ByteArena;
  packer: Packer;
  lastOf: Array<FinishedConnection | undefined>;
  valueOf: unknown[];
}
const stores = new WeakMap<ByteArena, Store>();

function storeOf(arena: ByteArena): Store {
  let s = stores.get(arena);
  if (!s) stores.set(arena, (s = { arena, packer: new Packer(), lastOf: [], valueOf: [] }));
  return s;
}

/** `vs` packed (a copy: the Packer reuses its scratch), or undefined when one holds a value it cannot write. */
function packed(packer: Packer, vs: readonly unknown[]): { bytes: Buffer; ends: number[] } | undefined {
  try {
    const { bytes, ends } = packer.packEach(vs);
    return { bytes: Buffer.from(bytes), ends };
  } catch (err) {
    if (err instanceof Unpackable) return undefined;
    throw err;
  }
}

/**
 * A finished connection, its fields read back from the capture's ByteArena: as objects, a connection's counters,
 * ping, close and session records were ~2.5 KB of small objects, heap numbers and property arrays on the
 * collected heap (heap snapshot of a 1,000-connection capture; issue 14), ~25 MB for a 1 GB capture until the
 * report was written. Packed (pack.ts) they are ~450 bytes off the heap, events included. Layout at `ref`: [u32
 * bytes of the packed events][u32 bytes of the packed fields][the marks (writeMarks), 8-byte aligned][events][u16
 * end of each field (FIELD_KEYS), from the first field][the fields]. Each read of `events` unpacks a fresh array;
 * a field comes back as the same value until another connection's is read (Store), so read them, do not change
 * them (as `marks`).
 */
class FinishedConnection implements Connection {
  /** The capture's arena, and what reads it back. */
  readonly #store: Store;
  readonly #ref: number;
  /** Events and fields kept as objects (they hold a value the packer cannot write, or too many bytes). */
  readonly #events: ConnEvent[] | undefined;
  readonly #fields: PackedFields | undefined;

  constructor(
    readonly id: number,
    readonly firstMs: number,
    arena: ByteArena,
    events: ConnEvent[],
    fields: PackedFields,
    marks: PacketMarks,
  ) {
    const store = storeOf(arena);
    const { packer } = store;
    const ev = packed(packer, [events]);
    let fi = packed(
      packer,
      FIELD_KEYS.map((k) => fields[k]),
    );
    if (fi && fi.bytes.length > MAX_FIELD_BYTES) fi = undefined;
    const evBytes = ev?.bytes.length ?? 0;
    const fiBytes = fi ? FIELD_KEYS.length * 2 + fi.bytes.length : 0;
    const { ref, buf, at } = arena.alloc(8 + packedMarksSize(marks) + evBytes + fiBytes);
    buf.writeUInt32LE(evBytes, at);
    buf.writeUInt32LE(fiBytes, at + 4);
    const end = writeMarks(marks, buf, at + 8);
    ev?.bytes.copy(buf, end);
    if (fi) {
      const table = end + evBytes;
      fi.ends.forEach((e, i) => buf.writeUInt16LE(e, table + 2 * i));
      fi.bytes.copy(buf, table + FIELD_KEYS.length * 2);
    }
    this.#store = store;
    this.#ref = ref;
    this.#events = ev ? undefined : events;
    this.#fields = fi ? undefined : fields;
  }

  get events(): ConnEvent[] {
    if (this.#events) return this.#events;
    const { buf, at } = this.#store.arena.at(this.#ref);
    return this.#store.packer.unpack(buf, marksEnd(buf, at + 8)) as ConnEvent[];
  }

  /** Views on the stored bytes (readMarks): read them, do not change them. */
  get marks(): PacketMarks {
    const { buf, at } = this.#store.arena.at(this.#ref);
    return readMarks(buf, at + 8);
  }

  #read<K extends PackedKey>(key: K): PackedFields[K] {
    if (this.#fields) return this.#fields[key];
    const i = FIELD[key];
    const store = this.#store;
    if (store.lastOf[i] === this) return store.valueOf[i] as PackedFields[K];
    const { buf, at } = store.arena.at(this.#ref);
    const table = marksEnd(buf, at + 8) + buf.readUInt32LE(at);
    const first = table + FIELD_KEYS.length * 2;
    const v = store.packer.unpack(buf, first + (i === 0 ? 0 : buf.readUInt16LE(table + 2 * (i - 1))));
    store.lastOf[i] = this;
    store.valueOf[i] = v;
    return v as PackedFields[K];
  }

  get client(): Endpoint {
    return this.#read('client');
  }
  get server(): Endpoint {
    return this.#read('server');
  }
  get sawSyn(): boolean {
    return this.#read('sawSyn');
  }
  get lastMs(): number {
    return this.#read('lastMs');
  }
  get handshakeRttMs(): number | undefined {
    return this.#read('handshakeRttMs');
  }
  get refusedSyn(): boolean | undefined {
    return this.#read('refusedSyn');
  }
  get transport(): Connection['transport'] {
    return this.#read('transport');
  }
  get dir(): Record<Side, DirStats> {
    return this.#read('dir');
  }
  get mqtt(): Connection['mqtt'] {
    return this.#read('mqtt');
  }
  get connack(): Connection['connack'] {
    return this.#read('connack');
  }
  get disconnect(): Connection['disconnect'] {
    return this.#read('disconnect');
  }
  get ping(): Connection['ping'] {
    return this.#read('ping');
  }
  get clientMaxGapMs(): number | undefined {
    return this.#read('clientMaxGapMs');
  }
  get pendingAcks(): Record<Side, number> {
    return this.#read('pendingAcks');
  }
  get maxAnsweredIdleMs(): number | undefined {
    return this.#read('maxAnsweredIdleMs');
  }
  get unanswered(): Connection['unanswered'] {
    return this.#read('unanswered');
  }
  get tls(): Connection['tls'] {
    return this.#read('tls');
  }
  get ws(): Connection['ws'] {
    return this.#read('ws');
  }
  get serverMismatch(): string | undefined {
    return this.#read('serverMismatch');
  }
  get end(): Connection['end'] {
    return this.#read('end');
  }
  get closes(): Connection['closes'] {
    return this.#read('closes');
  }
  get eventsDropped(): number {
    return this.#read('eventsDropped');
  }
  get notes(): string[] {
    return this.#read('notes');
  }
}

/** A decoded packet's fields, read by name (mqtt-packet's types differ per command). */
type MqttFields = Packet & Record<string, unknown>;

export class ConnTracker {
  readonly conn: Connection;
  private d: Record<Side, DirState>;
  private pendingPing: number[] = [];
  private pendingPub: Record<Side, Map<number, number>> = { client: new Map(), server: new Map() };
  private idlePending: { atMs: number; idleBeforeMs: number } | undefined;
  private lastAnyMs: number;
  private isn: Partial<Record<Side, number>> = {};
  private markLog = new MarkLog();
  /** This connection's events (Connection.events reads them while it runs). */
  private events: ConnEvent[] = [];
  closed = false;

  constructor(
    id: number,
    client: Endpoint,
    server: Endpoint,
    first: TcpSegment,
    sawSyn: boolean,
    /** Where the finished connection keeps its events and marks (one per capture; its own by default). */
    private readonly arena = new ByteArena(),
  ) {
    this.conn = new ConnectionRecord(id, client, server, first.tsMs, sawSyn, this.events);
    this.lastAnyMs = first.tsMs;
    this.d = { client: this.dirState('client'), server: this.dirState('server') };
  }

  private dirState(side: Side): DirState {
    const st: DirState = {
      stats: this.conn.dir[side],
      re: undefined as unknown as Reassembler,
      mode: 'undecided',
      framer: new MqttFramer({
        mqtt: (m) => this.onMqtt(side, m),
        desync: (reason) => this.event({ kind: 'decode-stopped', atMs: st.nowMs, side, detail: reason }),
      }),
      nowMs: 0,
    };
    st.re = new Reassembler(
      (b) => this.onBytes(side, b),
      (n) => {
        st.stats.gaps++;
        st.stats.gapBytes += n;
        if (st.stats.gaps <= 3) this.event({ kind: 'gap', atMs: st.nowMs, side, detail: `${n} bytes not captured` });
        if (st.mode === 'mqtt') st.framer.gap(n);
        else if (st.mode === 'ws') st.ws?.gap(n);
        else if (st.mode === 'tls') st.tls?.gap(n);
      },
    );
    return st;
  }

  event(e: ConnEvent): void {
    if (this.events.length < MAX_EVENTS) this.events.push(e);
    else this.conn.eventsDropped++;
  }

  /** A segment of this connection; `side` says who sent it. */
  segment(side: Side, s: TcpSegment): void {
    const c = this.conn;
    const st = this.d[side];
    const other: Side = side === 'client' ? 'server' : 'client';
    const ds = st.stats;
    c.lastMs = s.tsMs;
    ds.segments++;
    ds.firstMs ??= s.tsMs;
    ds.lastSegMs = s.tsMs;
    st.nowMs = s.tsMs;
    const idleBefore = s.tsMs - this.lastAnyMs;
    this.lastAnyMs = s.tsMs;
    // We answered the other side: its unanswered tail resets (a RST or a bare FIN is giving up, not an answer).
    if (!(s.flags & TCP_RST) && !(s.flags & TCP_FIN && s.payloadLen === 0)) answered(c.dir[other]);
    if (s.flags & TCP_SYN) this.onSyn(side, s);
    if (s.flags & TCP_RST) {
      if (
        side === 'server' &&
        !this.events.some((e) => e.kind === 'syn-ack') &&
        c.sawSyn &&
        c.dir.server.segments === 1
      )
        c.refusedSyn = true;
      this.close(side, 'rst', s.tsMs);
      return;
    }
    if (s.flags & TCP_ACK) this.d[other].re.acked(s.ack);
    const hasData = s.payloadLen > 0;
    const retrans = hasData && this.onData(side, s, idleBefore);
    if (hasData || s.flags & TCP_FIN) {
      ds.unansweredSegments++;
      if (retrans) {
        ds.unansweredRetransmissions++;
        ds.unansweredRetransMaxBytes = Math.max(ds.unansweredRetransMaxBytes, s.payloadLen);
      }
      ds.unansweredSinceMs ??= s.tsMs;
    }
    if (s.flags & TCP_FIN) {
      this.close(side, 'fin', s.tsMs);
    }
  }

  /** A SYN or SYN-ACK: the side's first sequence number, the handshake's round trip. */
  private onSyn(side: Side, s: TcpSegment): void {
    const c = this.conn;
    this.isn[side] = s.seq;
    this.d[side].re.next = (s.seq + 1) >>> 0;
    if (s.flags & TCP_ACK) {
      if (c.handshakeRttMs === undefined) {
        const synAt = this.events.find((e) => e.kind === 'syn')?.atMs;
        if (synAt !== undefined) c.handshakeRttMs = s.tsMs - synAt;
        this.event({ kind: 'syn-ack', atMs: s.tsMs, side });
      }
    } else if (!this.events.some((e) => e.kind === 'syn')) {
      this.event({ kind: 'syn', atMs: s.tsMs, side });
    }
  }

  /**
   * A segment with payload: reassembled and decoded, counted, and matched against the idle time the client's data
   * waited for an answer. Returns true when it retransmitted bytes already seen.
   */
  private onData(side: Side, s: TcpSegment, idleBefore: number): boolean {
    const c = this.conn;
    const ds = this.d[side].stats;
    const retrans = this.d[side].re.add(s.seq, s.payload, s.payloadLen);
    ds.bytes += s.payloadLen;
    if (retrans) ds.retransmissions++;
    else if (c.tls && c.tls.firstAppDataMs === undefined) {
      const hb = (c.tls.handshakeBytes ??= { client: 0, server: 0 });
      hb[side] += s.payloadLen;
    }
    ds.lastDataMs = s.tsMs;
    if (side === 'client') {
      if (!this.idlePending) this.idlePending = { atMs: s.tsMs, idleBeforeMs: idleBefore };
    } else if (this.idlePending) {
      c.maxAnsweredIdleMs = Math.max(c.maxAnsweredIdleMs ?? 0, this.idlePending.idleBeforeMs);
      this.idlePending = undefined;
    }
    return retrans;
  }

  private close(side: Side, kind: 'fin' | 'rst', atMs: number): void {
    const c = this.conn;
    if (c.closes[side]) return;
    c.closes[side] = { kind, atMs };
    this.event({ kind, atMs, side });
    c.end ??= { kind, side, atMs };
    if (kind === 'rst' || (c.closes.client && c.closes.server)) this.closed = true;
  }

  private onBytes(side: Side, b: Buffer): void {
    const st = this.d[side];
    if (st.mode === 'undecided') {
      st.mode = this.decide(side, b);
      if (st.mode === 'ws') {
        st.ws = new WsDecoder(st.framer, (ok, line) => {
          if (side === 'server') {
            this.conn.ws = { ...this.conn.ws, ...(st.ws?.status !== undefined ? { status: st.ws.status } : {}) };
            this.event({ kind: 'ws-upgrade', atMs: st.nowMs, side, detail: line });
            if (!ok) st.framer.desync(`WebSocket upgrade refused: ${line}`);
          } else {
            this.conn.ws = { ...this.conn.ws, ...(st.ws?.path ? { path: st.ws.path } : {}) };
          }
        });
      }
      if (st.mode === 'tls') st.tls = new TlsDecoder(this.tlsSink(side));
    }
    switch (st.mode) {
      case 'mqtt':
        st.framer.push(b);
        break;
      case 'ws':
        st.ws?.push(b);
        if (st.ws?.closeCode !== undefined) this.conn.ws = { ...this.conn.ws, closeCode: st.ws.closeCode };
        break;
      case 'tls':
        st.tls?.push(b);
        break;
      default:
        break;
    }
  }

  private decide(side: Side, b: Buffer): DirState['mode'] {
    const c = this.conn;
    const isTls = b.length >= 3 && b[0]! >= 20 && b[0]! <= 23 && b[1] === 3 && b[2]! <= 4;
    if (side === 'client') {
      if (isTls && b[0] === 22) {
        c.transport = 'tls';
        return 'tls';
      }
      if (b.subarray(0, 4).toString('latin1') === 'GET ') {
        c.transport = 'mqtt-ws';
        return 'ws';
      }
      if (b[0]! >> 4 === 1) {
        c.transport = 'mqtt';
        return 'mqtt';
      }
      // Joined mid-way: try MQTT framing if the segment starts like a packet.
      c.transport = 'mqtt';
      return 'mqtt';
    }
    const cm = this.d.client.mode;
    if (cm === 'mqtt' && isTls) {
      c.serverMismatch = `the server answered in TLS (${b[0] === 21 ? 'an alert' : 'a handshake'}) to a plain MQTT client`;
      return 'tls';
    }
    if (cm === 'tls') return 'tls';
    if (cm === 'ws') return 'ws';
    if (cm === 'undecided') {
      // Server spoke first (or the client's bytes were not captured).
      if (isTls) {
        c.transport = 'tls';
        return 'tls';
      }
      if (b.subarray(0, 5).toString('latin1') === 'HTTP/') return 'ws';
    }
    return 'mqtt';
  }

  private tlsSink(side: Side): ConstructorParameters<typeof TlsDecoder>[0] {
    const c = this.conn;
    const now = () => this.d[side].nowMs;
    return {
      clientHello: (sni, alpn) => {
        c.tls = { ...c.tls, clientHelloMs: now(), ...(sni ? { sni } : {}), ...(alpn.length ? { alpn } : {}) };
        this.event({
          kind: 'tls-client-hello',
          atMs: now(),
          side,
          ...(sni ? { sni } : {}),
          ...(alpn.length ? { alpn } : {}),
        });
      },
      serverHello: () => {
        if (c.tls) c.tls.serverHelloMs ??= now();
        this.event({ kind: 'tls-server-hello', atMs: now(), side });
      },
      alert: (level, description) => {
        const desc = description === undefined ? undefined : (TLS_ALERTS[description] ?? `alert ${description}`);
        if (desc === 'close_notify') return;
        const alert = {
          side,
          atMs: now(),
          ...(level !== undefined ? { level } : {}),
          ...(desc ? { description: desc } : {}),
        };
        // An encrypted alert after application data is most often close_notify: only plaintext ones are findings.
        if (desc !== undefined || !c.tls?.firstAppDataMs) {
          if (c.tls) c.tls.alert ??= alert;
          else c.tls = { clientHelloMs: now(), alert };
        }
        this.event({
          kind: 'tls-alert',
          atMs: now(),
          side,
          ...(level !== undefined ? { level } : {}),
          ...(desc ? { description: desc } : {}),
        });
      },
      appData: () => {
        if (c.tls) c.tls.firstAppDataMs ??= now();
      },
      notTls: (first) => {
        c.notes.push(`${side} bytes stopped looking like TLS (record type ${first})`);
      },
    };
  }

  private onMqtt(side: Side, m: MqttSeen): void {
    const c = this.conn;
    const st = this.d[side];
    const at = st.nowMs;
    st.stats.mqtt[m.cmd] = (st.stats.mqtt[m.cmd] ?? 0) + 1;
    this.markLog.add(at, m.cmd, side);
    if (side === 'client') {
      if (st.lastMqttMs !== undefined && c.mqtt) c.clientMaxGapMs = Math.max(c.clientMaxGapMs ?? 0, at - st.lastMqttMs);
      st.lastMqttMs = at;
    }
    const p = m.packet as MqttFields | undefined;
    switch (m.cmd) {
      case 'connect':
        if (p && side === 'client') this.onConnect(p, at);
        break;
      case 'connack':
        if (p && side === 'server') this.onConnack(p, at);
        break;
      case 'pingreq':
        if (side === 'client') this.onPingreq(at);
        break;
      case 'pingresp':
        if (side === 'server') this.onPingresp(at);
        break;
      case 'publish':
        if (m.qos > 0 && m.messageId !== undefined) {
          const map = this.pendingPub[side];
          if (map.size < MAX_PENDING_ACKS) map.set(m.messageId, at);
        }
        break;
      case 'puback':
      case 'pubrec':
        if (m.messageId !== undefined) this.pendingPub[side === 'client' ? 'server' : 'client'].delete(m.messageId);
        break;
      case 'disconnect':
        this.onDisconnect(side, p, at);
        break;
      default:
        break;
    }
  }

  private onConnect(p: MqttFields, at: number): void {
    const v = Number(p['protocolVersion'] ?? 4);
    const info = {
      clientId: String(p['clientId'] ?? ''),
      keepaliveS: Number(p['keepalive'] ?? 0),
      protocolVersion: v,
      clean: Boolean(p['clean']),
      will: p['will'] !== undefined && p['will'] !== null,
    };
    // Written out, not spread from `info`: each spread copy got hidden classes of its own (~700 bytes a
    // connection that stayed for the whole capture; issue 14, measured with a heap snapshot).
    this.conn.mqtt ??= {
      clientId: info.clientId,
      keepaliveS: info.keepaliveS,
      protocolVersion: info.protocolVersion,
      clean: info.clean,
      will: info.will,
      atMs: at,
    };
    this.d.client.framer.setVersion(v);
    this.d.server.framer.setVersion(v);
    this.event({ kind: 'connect', atMs: at, side: 'client', ...info });
  }

  private onConnack(p: MqttFields, at: number): void {
    const code = Number(p['reasonCode'] ?? p['returnCode'] ?? 0);
    const props = p['properties'] as { serverKeepAlive?: number } | undefined;
    this.conn.connack ??= {
      code,
      sessionPresent: Boolean(p['sessionPresent']),
      atMs: at,
      ...(props?.serverKeepAlive !== undefined ? { serverKeepAliveS: props.serverKeepAlive } : {}),
    };
    this.event({ kind: 'connack', atMs: at, side: 'server', code, sessionPresent: Boolean(p['sessionPresent']) });
  }

  private onPingreq(at: number): void {
    const ping = this.conn.ping;
    if (ping.sent > 0 && this.lastPingMs !== undefined)
      ping.maxIntervalMs = Math.max(ping.maxIntervalMs ?? 0, at - this.lastPingMs);
    this.lastPingMs = at;
    ping.sent++;
    if (this.pendingPing.length < 64) this.pendingPing.push(at);
  }

  private onPingresp(at: number): void {
    const sent = this.pendingPing.shift();
    if (sent === undefined) return;
    const ping = this.conn.ping;
    ping.answered++;
    ping.rttMsMax = Math.max(ping.rttMsMax ?? 0, at - sent);
  }

  private onDisconnect(side: Side, p: MqttFields | undefined, at: number): void {
    if (side === 'client') this.idlePending = undefined;
    const rc = p ? (p['reasonCode'] as number | undefined) : undefined;
    this.conn.disconnect ??= { side, atMs: at, ...(rc !== undefined ? { reasonCode: rc } : {}) };
    this.event({ kind: 'disconnect', atMs: at, side, ...(rc !== undefined ? { reasonCode: rc } : {}) });
  }

  private lastPingMs: number | undefined;

  /** Close the books: unanswered pings and publishes, held segments. */
  finish(): Connection {
    const c = this.conn;
    for (const side of ['client', 'server'] as const) {
      this.d[side].re.finish();
      c.pendingAcks[side] = this.pendingPub[side].size;
    }
    c.ping.unanswered = this.pendingPing.length;
    if (this.pendingPing.length > 0) {
      c.ping.firstUnansweredMs = this.pendingPing[0]!;
      this.event({ kind: 'pingreq-unanswered', atMs: this.pendingPing[0]!, side: 'client' });
    }
    if (this.idlePending) c.unanswered = this.idlePending;
    for (const side of ['client', 'server'] as const) {
      const ds = c.dir[side];
      if (ds.unansweredRetransmissions > 0)
        this.event({
          kind: 'retransmissions',
          atMs: ds.unansweredSinceMs ?? c.lastMs,
          side,
          count: ds.unansweredRetransmissions,
        });
    }
    this.events.sort((a, b) => a.atMs - b.atMs);
    return new FinishedConnection(c.id, c.firstMs, this.arena, this.events, c, this.markLog.finish());
  }
}

/** Is this byte run the start of an MQTT CONNECT (used to pick flows on unusual ports)? */
export function looksLikeConnect(b: Buffer): boolean {
  if (b.length < 9 || b[0] !== 0x10) return false;
  // After the remaining length: protocol name "MQTT" (3.1.1/5) or "MQIsdp" (3.1).
  let i = 1;
  while (i < 5 && i < b.length && b[i]! & 0x80) i++;
  const name = b.subarray(i + 3, i + 7).toString('latin1');
  return name === 'MQTT' || name === 'MQIs';
}
