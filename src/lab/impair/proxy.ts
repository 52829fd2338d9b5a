/**
 * The impair proxy: a user-space TCP forwarder that gives a link the faults we choose (there is no kernel
 * netem on these machines). Every accepted connection is forwarded to the target; per direction, chunks go
 * through the delay line planned by faults.ts; per connection, the NAT/LB idle tracker, blackhole-after and
 * reset-after apply; per proxy, the outage schedule decides whether new connections are refused or hang.
 *
 * Realism notes:
 * - The TCP handshake with the proxy is completed by the local kernel, so connect time is not delayed; the
 *   latency applies from the first byte (MQTT CONNECT) on.
 * - `refuse` outages close the listening socket, so the kernel answers SYNs with RST and clients see a real
 *   ECONNREFUSED (a dead broker process). The proxy cannot count those attempts; it reports the windows.
 * - `drop` (NAT mapping lost, blackhole): bytes vanish in both directions, no FIN and no RST reach either end,
 *   and both sockets stay open until their owners give up, as behind an Azure LB with default settings.
 * - `reset`: both ends get an RST at the moment the mapping expires (Azure LB "TCP reset on idle" sends it
 *   both ways: learn.microsoft.com/azure/load-balancer/load-balancer-tcp-reset), or the end that sends next gets
 *   it (an AWS NAT gateway after 350 s idle: docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-troubleshooting.html).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { percentile } from '../../analyze/stats.js';
import type { ImpairFaults, Outage } from '../../config/impair.js';
import {
  connectionFates,
  isPassthroughLink,
  linkFaultsOf,
  natDecision,
  newLinkState,
  outageAt,
  outageTransitions,
  planChunk,
  type LinkFaults,
  type LinkState,
} from './faults.js';

/** Connection and proxy events: a discriminated union on `type`. `atMs` is ms since the proxy started. */
export type ImpairEvent =
  | { type: 'opened'; conn: number; atMs: number; detail: string }
  | {
      type: 'mapping-expired';
      conn: number;
      atMs: number;
      idleMs: number;
      mode: 'drop' | 'reset';
      /** With mode reset: `expiry` resets both ends now, `use` resets whichever end sends next. */
      resetOn?: 'expiry' | 'use';
      detail?: string;
    }
  | { type: 'reset'; conn: number; atMs: number; reason: 'nat-idle' | 'reset-after' | 'peer'; detail?: string }
  | {
      type: 'blackholed';
      conn: number;
      atMs: number;
      /** How long before the blackhole the proxy last delivered a byte to the client (absent: none yet). */
      sinceToClientMs?: number;
      detail?: string;
    }
  | { type: 'hung'; conn: number; atMs: number; detail: string }
  | { type: 'refused'; conn?: number; atMs: number; detail: string }
  | {
      type: 'closed';
      conn: number;
      atMs: number;
      durationMs: number;
      bytesUp: number;
      bytesDown: number;
      detail?: string;
    }
  | { type: 'outage-start'; conn?: undefined; atMs: number; untilMs: number; mode: 'refuse' | 'hang'; detail?: string }
  | { type: 'outage-end'; conn?: undefined; atMs: number; detail?: string }
  | { type: 'error'; conn?: number; atMs: number; detail: string };

/** A type alias (not an interface) so it is also a Record<string, number>. */
export type ImpairCounters = {
  opened: number;
  active: number;
  closed: number;
  /** Bytes delivered client → target and target → client. */
  bytesUp: number;
  bytesDown: number;
  /** Bytes swallowed by a lost mapping, a blackhole or a hung connection. */
  bytesDropped: number;
  stalls: number;
  natExpired: number;
  resets: number;
  blackholed: number;
  hung: number;
  refused: number;
  outages: number;
  upstreamErrors: number;
};

/** Release lateness of delayed chunks (see LatenessRing). */
export interface TimerLateness {
  releases: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ImpairProxy {
  host: string;
  port: number;
  faults: ImpairFaults;
  counters(): ImpairCounters;
  /** How late delayed chunks left compared with plan (scheduling noise of this machine). */
  lateness(): TimerLateness;
  close(): Promise<void>;
}

export interface ImpairProxyOptions {
  listenHost?: string;
  listenPort?: number;
  targetHost: string;
  targetPort: number;
  faults: ImpairFaults;
  onEvent?: (e: ImpairEvent) => void;
  /** Uniform [0, 1) source for jitter and stalls (tests script it). */
  random?: () => number;
}

/** Queue limit per direction before the proxy stops reading from the sender (TCP back-pressure). */
const HIGH_WATER_BYTES = 1024 * 1024;

type Item = { buf: Buffer; releaseMs: number } | { end: true; releaseMs: number };

/** One direction of one connection: source socket → delay line → destination socket. */
class Direction {
  private queue: Item[] = [];
  private head = 0;
  private queuedBytes = 0;
  private state: LinkState = newLinkState();
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private paused = false;
  readonly passthrough: boolean;
  /** Proxy clock of the last chunk written to the destination. */
  lastDeliveredMs: number | undefined;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly link: LinkFaults,
    private readonly conn: Connection,
    private readonly up: boolean,
  ) {
    this.passthrough = isPassthroughLink(link);
    dst.on('drain', () => this.maybeResume());
  }

  get inFlight(): boolean {
    return this.head < this.queue.length;
  }

  onData(chunk: Buffer): void {
    if (this.passthrough && !this.inFlight) {
      this.deliver(chunk);
      if (this.dst.writableNeedDrain) this.pause();
      return;
    }
    const now = this.conn.proxy.now();
    const { pieces, state } = planChunk(this.state, this.link, now, chunk.length, this.conn.proxy.random);
    this.state = state;
    for (const p of pieces) {
      if (p.stalled) this.conn.proxy.count.stalls++;
      this.queue.push({ buf: chunk.subarray(p.start, p.end), releaseMs: p.releaseMs });
    }
    this.queuedBytes += chunk.length;
    if (this.queuedBytes + this.dst.writableLength > HIGH_WATER_BYTES) this.pause();
    this.schedule();
  }

  onEnd(): void {
    if (this.passthrough && !this.inFlight) {
      this.endDst();
      return;
    }
    const last = this.queue[this.queue.length - 1];
    const releaseMs = Math.max(this.conn.proxy.now() + this.link.latencyMs, last && this.inFlight ? last.releaseMs : 0);
    this.queue.push({ end: true, releaseMs });
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
  }

  private deliver(buf: Buffer): void {
    if (this.conn.swallowing) {
      this.conn.proxy.count.bytesDropped += buf.length;
      return;
    }
    if (this.dst.destroyed || !this.dst.writable) return;
    const now = this.conn.proxy.now();
    this.conn.touch(now);
    this.lastDeliveredMs = now;
    if (this.up) {
      this.conn.bytesUp += buf.length;
      this.conn.proxy.count.bytesUp += buf.length;
    } else {
      this.conn.bytesDown += buf.length;
      this.conn.proxy.count.bytesDown += buf.length;
    }
    this.dst.write(buf);
  }

  private endDst(): void {
    if (this.conn.swallowing) return;
    if (!this.dst.destroyed && this.dst.writable) this.dst.end();
  }

  /**
   * Timers in Node fire on whole milliseconds measured from a cached loop time, so they can be early or up
   * to ~1 ms late. Wake a millisecond early and finish with setImmediate polls, which keeps the injected
   * delay within a fraction of a millisecond of the plan.
   */
  private schedule(): void {
    if (this.timer || this.immediate) return;
    const next = this.queue[this.head];
    if (!next) return;
    const wait = next.releaseMs - this.conn.proxy.now();
    if (wait <= 0) {
      this.flush();
    } else if (wait > 2) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.flush(true);
        },
        Math.floor(wait - 1),
      );
    } else {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        this.flush(true);
      });
    }
  }

  private flush(timed = false): void {
    const now = this.conn.proxy.now();
    let item = this.queue[this.head];
    if (timed && item && item.releaseMs <= now) this.conn.proxy.lateness.add(now - item.releaseMs);
    while (item && item.releaseMs <= now) {
      this.head++;
      if ('buf' in item) {
        this.queuedBytes -= item.buf.length;
        this.deliver(item.buf);
      } else {
        this.endDst();
      }
      item = this.queue[this.head];
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.maybeResume();
    this.schedule();
  }

  private pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.src.pause();
    }
  }

  private maybeResume(): void {
    if (
      this.paused &&
      this.queuedBytes + this.dst.writableLength <= HIGH_WATER_BYTES / 2 &&
      !this.dst.writableNeedDrain
    ) {
      this.paused = false;
      this.src.resume();
    }
  }
}

class Connection {
  readonly openedAtMs: number;
  lastActivityMs: number;
  bytesUp = 0;
  bytesDown = 0;
  /** True once the mapping is gone or the flow is blackholed: every byte and FIN vanishes. */
  swallowing = false;
  private closedSockets = 0;
  private finished = false;
  private timers: Array<{ cancel(): void }> = [];
  private natTimer: NodeJS.Timeout | undefined;
  private upDir: Direction | undefined;
  private downDir: Direction | undefined;
  private upstream: Socket | undefined;

  constructor(
    readonly proxy: ProxyCore,
    readonly id: number,
    readonly client: Socket,
  ) {
    this.openedAtMs = proxy.now();
    this.lastActivityMs = this.openedAtMs;
  }

  touch(now = this.proxy.now()): void {
    this.lastActivityMs = now;
  }

  /** Accept during a `hang` outage: keep the socket, never connect upstream, never deliver. */
  hang(): void {
    this.swallowing = true;
    this.proxy.count.hung++;
    this.proxy.emit({ type: 'hung', conn: this.id, atMs: this.proxy.now(), detail: peer(this.client) });
    this.client.on('data', (b: Buffer) => (this.proxy.count.bytesDropped += b.length));
    this.client.on('end', () => this.client.destroy());
    this.client.on('error', () => undefined);
    this.client.on('close', () => {
      this.proxy.count.closed++;
      this.proxy.count.active--;
      this.proxy.forget(this);
      this.proxy.emit({
        type: 'closed',
        conn: this.id,
        atMs: this.proxy.now(),
        durationMs: this.proxy.now() - this.openedAtMs,
        bytesUp: 0,
        bytesDown: 0,
        detail: 'hung connection closed by the client',
      });
    });
  }

  open(): void {
    const f = this.proxy.faults;
    const upstream = connect({
      host: this.proxy.targetHost,
      port: this.proxy.targetPort,
      allowHalfOpen: true,
      noDelay: true,
    });
    this.upstream = upstream;
    const link = linkFaultsOf(f);
    this.upDir = new Direction(this.client, upstream, link, this, true);
    this.downDir = new Direction(upstream, this.client, link, this, false);
    const upDir = this.upDir;
    const downDir = this.downDir;
    this.proxy.emit({ type: 'opened', conn: this.id, atMs: this.openedAtMs, detail: peer(this.client) });

    this.client.on('data', (b: Buffer) => this.onData(upDir, b, this.client, 'client'));
    upstream.on('data', (b: Buffer) => this.onData(downDir, b, upstream, 'target'));
    // While swallowing, a FIN is lost like any other byte; the side that sent it has given up on the flow, so
    // its socket is released here (otherwise the half-open socket would linger until the proxy stops).
    this.client.on('end', () => (this.swallowing ? this.client.destroy() : upDir.onEnd()));
    upstream.on('end', () => (this.swallowing ? upstream.destroy() : downDir.onEnd()));
    this.client.on('error', (err: NodeJS.ErrnoException) => this.onError(upstream, err, 'client'));
    upstream.on('error', (err: NodeJS.ErrnoException) => this.onError(this.client, err, 'target'));
    this.client.on('close', () => this.onSocketClose());
    upstream.on('close', () => this.onSocketClose());

    if (f.natIdleMs !== undefined) this.armNat(f.natIdleMs);
    for (const fate of connectionFates(f, this.openedAtMs)) {
      this.timers.push(
        runAt(this.proxy, fate.atMs, () => (fate.kind === 'blackhole' ? this.blackhole() : this.reset('reset-after'))),
      );
    }
  }

  private onData(dir: Direction, b: Buffer, from: Socket, side: 'client' | 'target'): void {
    if (this.swallowing) {
      this.proxy.count.bytesDropped += b.length;
      if (this.resetOnUse && !from.destroyed) {
        // No mapping for this flow any more: the middlebox answers the sender with an RST (AWS NAT gateway,
        // docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-troubleshooting.html); the other end hears nothing.
        this.proxy.count.resets++;
        this.closeReason = `nat-idle reset of the ${side} on use`;
        this.proxy.emit({
          type: 'reset',
          conn: this.id,
          atMs: this.proxy.now(),
          reason: 'nat-idle',
          detail: `${side} sent after the mapping expired`,
        });
        from.resetAndDestroy();
      }
      return;
    }
    this.touch();
    dir.onData(b);
  }

  private onError(other: Socket, err: NodeJS.ErrnoException, side: 'client' | 'target'): void {
    if (side === 'target' && this.bytesUp === 0 && this.bytesDown === 0) this.proxy.count.upstreamErrors++;
    if (this.swallowing || this.finished) return;
    // Pass a reset on to the other end, as a router would pass on the RST it forwards.
    this.closeReason = `${side} ${err.code ?? err.message}`;
    if (!other.destroyed) {
      this.proxy.count.resets++;
      this.proxy.emit({
        type: 'reset',
        conn: this.id,
        atMs: this.proxy.now(),
        reason: 'peer',
        detail: this.closeReason,
      });
      other.resetAndDestroy();
    }
  }

  private closeReason: string | undefined;
  /** Mapping expired in reset-on-use mode: the next sender gets an RST. */
  private resetOnUse = false;

  private armNat(natIdleMs: number): void {
    const check = (): void => {
      this.natTimer = undefined;
      if (this.swallowing || this.finished) return;
      const now = this.proxy.now();
      const inFlight = (this.upDir?.inFlight ?? false) || (this.downDir?.inFlight ?? false);
      const d = natDecision(this.lastActivityMs, inFlight, natIdleMs, now);
      if (d.kind === 'alive') {
        this.natTimer = setTimeout(check, Math.max(1, Math.ceil(d.checkAgainAtMs - now)));
        return;
      }
      this.proxy.count.natExpired++;
      const mode = this.proxy.faults.natMode;
      const resetOn = this.proxy.faults.natResetOn ?? 'expiry';
      this.proxy.emit({
        type: 'mapping-expired',
        conn: this.id,
        atMs: now,
        idleMs: now - this.lastActivityMs,
        mode,
        ...(mode === 'reset' ? { resetOn } : {}),
      });
      if (mode === 'reset' && resetOn === 'expiry') {
        this.reset('nat-idle');
      } else {
        this.resetOnUse = mode === 'reset';
        this.swallow();
      }
    };
    this.natTimer = setTimeout(check, Math.ceil(natIdleMs));
  }

  private swallow(): void {
    this.swallowing = true;
    this.upDir?.stop();
    this.downDir?.stop();
    // Paused sources would otherwise keep their data in the kernel; read and discard it.
    this.client.resume();
    this.upstream?.resume();
  }

  blackhole(): void {
    if (this.swallowing || this.finished) return;
    this.proxy.count.blackholed++;
    const atMs = this.proxy.now();
    const lastToClient = this.downDir?.lastDeliveredMs;
    this.proxy.emit({
      type: 'blackholed',
      conn: this.id,
      atMs,
      ...(lastToClient === undefined ? {} : { sinceToClientMs: atMs - lastToClient }),
    });
    this.swallow();
  }

  reset(reason: 'nat-idle' | 'reset-after'): void {
    if (this.finished) return;
    this.proxy.count.resets++;
    this.closeReason = `${reason} reset`;
    this.proxy.emit({ type: 'reset', conn: this.id, atMs: this.proxy.now(), reason });
    this.upDir?.stop();
    this.downDir?.stop();
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (this.upstream && !this.upstream.destroyed) this.upstream.resetAndDestroy();
  }

  /** Both sockets gone (FINs both ways, a reset, or both owners giving up while swallowing) → closed. */
  private onSocketClose(): void {
    this.closedSockets++;
    if (this.closedSockets >= 2) this.finish();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const t of this.timers) t.cancel();
    if (this.natTimer) clearTimeout(this.natTimer);
    this.upDir?.stop();
    this.downDir?.stop();
    this.proxy.count.closed++;
    this.proxy.count.active--;
    this.proxy.forget(this);
    const now = this.proxy.now();
    const e: ImpairEvent = {
      type: 'closed',
      conn: this.id,
      atMs: now,
      durationMs: now - this.openedAtMs,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
    };
    if (this.closeReason !== undefined) e.detail = this.closeReason;
    this.proxy.emit(e);
  }

  destroy(): void {
    for (const t of this.timers) t.cancel();
    if (this.natTimer) clearTimeout(this.natTimer);
    this.upDir?.stop();
    this.downDir?.stop();
    this.client.destroy();
    this.upstream?.destroy();
  }
}

/**
 * How late delayed chunks were released compared with their plan, over the last `size` releases. On an idle
 * machine this is a fraction of a millisecond; a busy CPU shows up here first, and tells the user (and the
 * accuracy tests) how much of an RTT error is the machine's rather than the fault model's.
 */
export class LatenessRing {
  private readonly buf: Float64Array;
  private n = 0;
  constructor(private readonly size: number) {
    this.buf = new Float64Array(size);
  }
  add(ms: number): void {
    this.buf[this.n % this.size] = ms;
    this.n++;
  }
  summary(): TimerLateness {
    const count = Math.min(this.n, this.size);
    if (count === 0) return { releases: this.n, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    const sorted = Array.from(this.buf.subarray(0, count)).sort((a, b) => a - b);
    return {
      releases: this.n,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted[count - 1] ?? 0,
    };
  }
}

/** A destroyed socket closes within a tick or two; never let a stuck one hold close() longer than this. */
const CLOSE_DRAIN_MS = 2000;

class ProxyCore {
  readonly count: ImpairCounters = {
    opened: 0,
    active: 0,
    closed: 0,
    bytesUp: 0,
    bytesDown: 0,
    bytesDropped: 0,
    stalls: 0,
    natExpired: 0,
    resets: 0,
    blackholed: 0,
    hung: 0,
    refused: 0,
    outages: 0,
    upstreamErrors: 0,
  };
  readonly conns = new Set<Connection>();
  private drainedWaiters: Array<() => void> = [];
  readonly lateness = new LatenessRing(4096);
  private readonly t0 = performance.now();
  private nextId = 1;

  constructor(
    readonly faults: ImpairFaults,
    readonly targetHost: string,
    readonly targetPort: number,
    readonly random: () => number,
    private readonly onEvent: ((e: ImpairEvent) => void) | undefined,
  ) {}

  now(): number {
    return performance.now() - this.t0;
  }

  /** A connection is gone (its `closed` event emitted): wake close() once none are left. */
  forget(conn: Connection): void {
    this.conns.delete(conn);
    if (this.conns.size > 0) return;
    for (const wake of this.drainedWaiters.splice(0)) wake();
  }

  /** Resolves once every connection has closed (and emitted its `closed` event), or after `maxMs`. */
  drained(maxMs: number): Promise<void> {
    if (this.conns.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxMs);
      this.drainedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  emit(e: ImpairEvent): void {
    try {
      this.onEvent?.(e);
    } catch {
      // A listener's bug must not take the proxy down.
    }
  }

  accept(client: Socket): void {
    client.setNoDelay(true);
    const conn = new Connection(this, this.nextId++, client);
    this.conns.add(conn);
    this.count.opened++;
    this.count.active++;
    const down = outageAt(this.faults.outages, this.now());
    if (down && this.faults.outageMode === 'hang') {
      conn.hang();
      return;
    }
    if (down) {
      // The listener is closed during refuse windows; a connection accepted in the same tick is refused too.
      this.count.refused++;
      this.emit({ type: 'refused', conn: conn.id, atMs: this.now(), detail: peer(client) });
      client.on('error', () => undefined);
      client.on('close', () => {
        this.count.active--;
        this.count.closed++;
        this.forget(conn);
      });
      client.resetAndDestroy();
      return;
    }
    conn.open();
  }
}

/**
 * Run `fn` once the proxy clock reaches `atMs`. Node timers count from a cached loop time and can fire up to
 * a millisecond early, so an early wake-up re-arms for the remainder: fault boundaries are never early.
 */
function runAt(core: ProxyCore, atMs: number, fn: () => void): { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const wait = atMs - core.now();
    if (wait <= 0) {
      timer = undefined;
      fn();
      return;
    }
    timer = setTimeout(arm, Math.max(1, Math.ceil(wait)));
  };
  arm();
  return {
    cancel: () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

function peer(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

async function listen(server: Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Start the proxy; resolves once it listens. `port` is the one the kernel gave when listenPort is 0. */
export async function startImpairProxy(opts: ImpairProxyOptions): Promise<ImpairProxy> {
  const core = new ProxyCore(opts.faults, opts.targetHost, opts.targetPort, opts.random ?? Math.random, opts.onEvent);
  const host = opts.listenHost ?? '127.0.0.1';
  const first = createListener(core);
  await listen(first, host, opts.listenPort ?? 0);
  const addr = first.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.listenPort ?? 0);
  const listener: Listener = { core, host, port, server: first, closing: false };
  const scheduleTimers = outageTransitions(opts.faults.outages).map((tr) =>
    runAt(core, tr.atMs, () => {
      if (listener.closing) return;
      if (tr.down) outageStarts(listener, opts.faults, tr.outage);
      else outageEnds(listener);
    }),
  );

  return {
    host,
    port,
    faults: opts.faults,
    counters: () => ({ ...core.count }),
    lateness: () => core.lateness.summary(),
    close: async () => {
      listener.closing = true;
      for (const t of scheduleTimers) t.cancel();
      const s = listener.server;
      listener.server = undefined;
      for (const c of [...core.conns]) c.destroy();
      // Sockets report their close on a later tick: wait for every `closed` event, so counters taken after
      // close() are final and no event follows the caller's report.
      await core.drained(CLOSE_DRAIN_MS);
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

/** The proxy's listening side: its address, and the server while it listens (none during a refuse outage). */
interface Listener {
  readonly core: ProxyCore;
  readonly host: string;
  readonly port: number;
  server: Server | undefined;
  closing: boolean;
}

function createListener(core: ProxyCore): Server {
  const s = createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true }, (c) => core.accept(c));
  s.on('error', (err) => core.emit({ type: 'error', atMs: core.now(), detail: `listener: ${err.message}` }));
  return s;
}

/** An outage begins: counted and reported; in refuse mode the listener closes so connects are refused. */
function outageStarts(listener: Listener, faults: ImpairFaults, outage: Outage): void {
  const { core } = listener;
  core.count.outages++;
  core.emit({
    type: 'outage-start',
    atMs: core.now(),
    untilMs: outage.atMs + outage.durationMs,
    mode: faults.outageMode,
  });
  if (faults.outageMode === 'refuse' && listener.server) {
    listener.server.close();
    listener.server = undefined;
  }
}

/** An outage ends: reported, and a listener closed for it listens again on the same address. */
function outageEnds(listener: Listener): void {
  const { core, host, port } = listener;
  core.emit({ type: 'outage-end', atMs: core.now() });
  if (!listener.server) {
    const s = createListener(core);
    listener.server = s;
    listen(s, host, port).catch((err: Error) =>
      core.emit({
        type: 'error',
        atMs: core.now(),
        detail: `could not listen again on ${host}:${port}: ${err.message}`,
      }),
    );
  }
}
