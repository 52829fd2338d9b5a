/** Small socket helpers for the impair tests: an echo server, a client that measures request/response. */
import { spawn } from 'node:child_process';
import { BIN } from '../helpers/cli.js';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll } from 'vitest';
import { parseImpairSpec } from '../../src/config/impair.js';
import { startImpairProxy, type ImpairEvent, type ImpairProxy } from '../../src/lab/impair/proxy.js';

export interface EchoServer {
  port: number;
  /** Bytes received per accepted connection, in accept order. */
  received: number[];
  /** Called on every chunk (for bulk transfer timing). */
  onChunk?: (bytes: number) => void;
  /** Send FIN on every accepted connection (the server closing its side). */
  endAll(): void;
  close(): Promise<void>;
}

/** Echoes every byte back; `sink: true` only counts what arrives. */
export async function startEcho(opts: { sink?: boolean } = {}): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const srv: EchoServer = {
    port: 0,
    received: [],
    endAll: () => {
      for (const s of sockets) s.end();
    },
    close: async () => undefined,
  };
  const server: Server = createServer({ noDelay: true }, (s) => {
    s.setNoDelay(true);
    sockets.add(s);
    const idx = srv.received.push(0) - 1;
    s.on('data', (d: Buffer) => {
      srv.received[idx] = (srv.received[idx] ?? 0) + d.length;
      srv.onChunk?.(d.length);
      if (!opts.sink) s.write(d);
    });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  srv.port = typeof addr === 'object' && addr ? addr.port : 0;
  srv.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return srv;
}

export interface Client {
  socket: Socket;
  /** Everything that has happened to the socket, for assertions. */
  events: string[];
  errorCode(): string | undefined;
  closed(): boolean;
  /** Send `bytes`, resolve with the time until `expectBytes` (default: as many) came back, or undefined after `timeoutMs`. */
  roundTrip(bytes: Buffer, timeoutMs: number, expectBytes?: number): Promise<number | undefined>;
}

export async function openClient(port: number): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  const events: string[] = [];
  let code: string | undefined;
  let isClosed = false;
  let inbox = 0;
  let waiter: (() => void) | undefined;
  socket.on('data', (d: Buffer) => {
    inbox += d.length;
    waiter?.();
  });
  socket.on('end', () => events.push('end'));
  socket.on('error', (e: NodeJS.ErrnoException) => {
    code = e.code;
    events.push(`error ${e.code}`);
    waiter?.();
  });
  socket.on('close', () => {
    isClosed = true;
    events.push('close');
    waiter?.();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    events,
    errorCode: () => code,
    closed: () => isClosed,
    roundTrip: (bytes, timeoutMs, expectBytes = bytes.length) =>
      new Promise((resolve) => {
        inbox = 0;
        const t0 = performance.now();
        const timer = setTimeout(() => {
          waiter = undefined;
          resolve(undefined);
        }, timeoutMs);
        waiter = () => {
          if (inbox >= expectBytes) {
            waiter = undefined;
            clearTimeout(timer);
            resolve(performance.now() - t0);
          } else if (isClosed || code) {
            waiter = undefined;
            clearTimeout(timer);
            resolve(undefined);
          }
        };
        socket.write(bytes);
      }),
  };
}

/** Try to connect; 'refused' (ECONNREFUSED), 'reset', or 'open' with the socket. */
export async function tryConnect(
  port: number,
): Promise<{ kind: 'open'; socket: Socket } | { kind: 'refused' | 'reset' | 'other'; code?: string }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true });
    s.once('connect', () => resolve({ kind: 'open', socket: s }));
    s.once('error', (e: NodeJS.ErrnoException) =>
      resolve({
        kind: e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'ECONNRESET' ? 'reset' : 'other',
        code: e.code,
      }),
    );
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * `n` PINGREQ-sized round trips on each of two clients, alternating, so both see the same machine load.
 * Returns sorted samples; missing answers are left out (callers check the counts).
 */
export async function interleavedRtts(
  direct: Client,
  via: Client,
  n: number,
): Promise<{ direct: number[]; via: number[] }> {
  const ping = Buffer.from([0xc0, 0x00]);
  const d: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = await direct.roundTrip(ping, 2000);
    if (a !== undefined) d.push(a);
    const b = await via.roundTrip(ping, 2000);
    if (b !== undefined) v.push(b);
  }
  return { direct: d.sort((x, y) => x - y), via: v.sort((x, y) => x - y) };
}

/** How much this process's own scheduling spreads a round trip that crosses no proxy: p50 − min of the direct samples. */
export function directSpread(x: { direct: number[] }): number {
  const sorted = [...x.direct].sort((a, b) => a - b);
  return sorted.length > 0 ? (sorted[Math.floor((sorted.length - 1) / 2)] ?? 0) - (sorted[0] ?? 0) : 0;
}

/**
 * Timing on a shared 2-core machine: take a fresh measurement (up to `attempts` times) until `ok` holds, and
 * return the last one for the assertions. A wrong fault model fails every attempt; a scheduler hiccup from
 * another process does not fail the test. Only for measurements whose bound comes from the injected truth.
 */
export async function measureUntil<T>(attempts: number, measure: () => Promise<T>, ok: (t: T) => boolean): Promise<T> {
  let last = await measure();
  for (let i = 1; i < attempts && !ok(last); i++) last = await measure();
  return last;
}

/** A running `mqtt-doctor impair …` (the built CLI), driven by its own output instead of sleeps. */
export interface ImpairRun {
  stdout(): string;
  stderr(): string;
  /** The proxy's port, once it printed its `impair: host:port → …` line. */
  port(): Promise<number>;
  /** Resolves once `check()` holds (polled every 10 ms), rejects after `maxMs`. */
  until(check: () => boolean, what: string, maxMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
}

export function spawnImpair(args: string[]): ImpairRun {
  const child = spawn(process.execPath, [BIN, 'impair', ...args], {
    env: { ...process.env, NO_COLOR: '1', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const until = (check: () => boolean, what: string, maxMs = 20_000): Promise<void> => {
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
      const tick = (): void => {
        if (check()) return resolve();
        if (Date.now() - t0 > maxMs) return reject(new Error(`timed out waiting for ${what}; stderr: ${err}`));
        setTimeout(tick, 10);
      };
      tick();
    });
  };
  const listening = /impair: 127\.0\.0\.1:(\d+)/;
  return {
    stdout: () => out,
    stderr: () => err,
    port: async () => {
      await until(() => listening.test(err), 'the proxy to listen');
      return Number(listening.exec(err)?.[1]);
    },
    until,
    kill: (signal) => child.kill(signal),
    exited,
  };
}

/**
 * One echo server for the file and the proxies its tests start, closed after the file: `echo()` is the server,
 * `proxyTo(port, spec, events)` a proxy to `port` with the faults of `spec` (its events pushed into `events`, or
 * handed to `events` when it is a function).
 */
export function proxiesForFile(): {
  echo: () => EchoServer;
  proxyTo: (port: number, spec: string, events?: ImpairEvent[] | ((e: ImpairEvent) => void)) => Promise<ImpairProxy>;
} {
  let echo: EchoServer | undefined;
  const proxies: ImpairProxy[] = [];
  beforeAll(async () => {
    echo = await startEcho();
  });
  afterAll(async () => {
    for (const p of proxies) await p.close();
    await echo?.close();
  });
  return {
    echo: () => echo!,
    proxyTo: async (port, spec, events = []) => {
      const p = await startImpairProxy({
        targetHost: '127.0.0.1',
        targetPort: port,
        faults: parseImpairSpec(spec),
        onEvent: typeof events === 'function' ? events : (e) => void events.push(e),
      });
      proxies.push(p);
      return p;
    },
  };
}
