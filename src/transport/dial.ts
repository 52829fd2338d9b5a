/**
 * Dialers keyed by scheme, each recording its phases. This module and mqtt-wire.ts are the only code that
 * opens client sockets. Node's own happy-eyeballs is not used: we resolve all addresses ourselves so the
 * report can show them and time DNS apart from TCP, then try them in order.
 */
import { lookup } from 'node:dns/promises';
import { connect as netConnect, createServer, isIP, type Socket } from 'node:net';
import {
  connect as tlsConnect,
  checkServerIdentity,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { formatHostPort, type Scheme } from '../config/target.js';
import {
  PhaseError,
  type CertInfo,
  type DialInfo,
  type DialOptions,
  type DialResult,
  type Dialer,
  type DnsInfo,
  type TcpAttempt,
  type TcpInfo,
  type TlsInfo,
} from './types.js';

const now = () => performance.now();

function remaining(deadline: number): number {
  return Math.max(0, deadline - now());
}

function errCode(err: unknown): string | undefined {
  const e = err as { code?: unknown };
  return typeof e?.code === 'string' ? e.code : undefined;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function resolve(host: string, deadline: number): Promise<DnsInfo> {
  const family = isIP(host);
  if (family !== 0) return { ms: 0, literal: true, addresses: [{ address: host, family: family as 4 | 6 }] };
  const t0 = now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error(`DNS lookup of ${host} timed out`), { code: 'ETIMEOUT' })),
        remaining(deadline),
      );
    });
    const found = await Promise.race([lookup(host, { all: true, verbatim: true }), timeout]);
    return {
      ms: now() - t0,
      literal: false,
      addresses: found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })),
    };
  } catch (err) {
    throw new PhaseError(
      'dns',
      `${host}: ${errCode(err) ?? errMessage(err)}`,
      errCode(err) ?? 'EDNS',
      {},
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One TCP connect, timed from just before the connect call to the first thing the connect event does: the timer and
 * the abort listener are set up before the clock starts and taken down after it stops (the first AbortSignal
 * listener in a process costs milliseconds of Node's own set-up on a busy machine; a raw socket client has none).
 */
function connectOnce(
  address: string,
  port: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ socket: Socket; ms: number }> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        Object.assign(new Error(`no answer from ${formatHostPort(address, port)} within ${Math.round(timeoutMs)} ms`), {
          code: 'ETIMEDOUT',
        }),
      );
    }, timeoutMs);
    const onAbort = () => {
      socket.destroy();
      reject(Object.assign(new Error('interrupted'), { code: 'ABORT_ERR' }));
    };
    // Neither callback can run before the socket exists: a timer never fires synchronously, and addEventListener
    // calls nothing (on a signal already aborted, the listener is simply never called).
    signal?.addEventListener('abort', onAbort, { once: true });
    const t0 = now();
    const socket = netConnect({ host: address, port, noDelay: true });
    socket.once('connect', () => {
      const ms = now() - t0;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolvePromise({ socket, ms });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
  });
}

/** Errors after which the next address is worth trying (the host, not the service, is the problem). */
const TRY_NEXT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT', 'EAFNOSUPPORT']);

export async function dialTcp(opts: DialOptions, dns: DnsInfo): Promise<{ socket: Socket; tcp: TcpInfo }> {
  const attempts: TcpAttempt[] = [];
  let lastErr: unknown;
  const addrs = dns.addresses;
  for (let i = 0; i < addrs.length; i += 1) {
    const a = addrs[i]!;
    const left = remaining(opts.deadline);
    if (left <= 0) break;
    // Leave later addresses a share of the budget, as happy eyeballs would.
    const budget = i < addrs.length - 1 ? Math.max(250, left / 2) : left;
    const t0 = now();
    try {
      const { socket, ms } = await connectOnce(a.address, opts.target.port, Math.min(budget, left), opts.signal);
      attempts.push({ address: a.address, family: a.family, ms });
      return {
        socket,
        tcp: {
          ms,
          address: a.address,
          port: opts.target.port,
          family: a.family,
          localPort: socket.localPort ?? 0,
          attempts,
        },
      };
    } catch (err) {
      attempts.push({ address: a.address, family: a.family, ms: now() - t0, error: errCode(err) ?? errMessage(err) });
      lastErr = err;
      if (!TRY_NEXT.has(errCode(err) ?? '')) break;
    }
  }
  const code = errCode(lastErr) ?? 'ETIMEDOUT';
  const where =
    attempts.map((t) => `${formatHostPort(t.address, opts.target.port)} ${t.error}`).join(', ') ||
    formatHostPort(opts.target.host, opts.target.port);
  throw new PhaseError('tcp', where, code, { dns }, { cause: lastErr });
}

function describeCert(cert: PeerCertificate): CertInfo {
  const name = (o: unknown): string =>
    o && typeof o === 'object'
      ? Object.entries(o as Record<string, unknown>)
          .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
          .join(', ')
      : '';
  const validTo = new Date(cert.valid_to);
  return {
    subject: name(cert.subject),
    issuer: name(cert.issuer),
    subjectAltNames: cert.subjectaltname ? cert.subjectaltname.split(/,\s*/) : [],
    validFrom: new Date(cert.valid_from).toISOString(),
    validTo: validTo.toISOString(),
    daysToExpiry: Math.floor((validTo.getTime() - Date.now()) / 86_400_000),
    fingerprint256: cert.fingerprint256,
    selfSigned: name(cert.subject) === name(cert.issuer),
  };
}

const contexts = new WeakMap<DialOptions['tls'], SecureContext>();

/** One SecureContext per TLS configuration (tcping and keepalive-tune dial many times with the same one). */
function secureContextFor(opts: DialOptions): SecureContext {
  let c = contexts.get(opts.tls);
  if (!c) {
    c = createSecureContext({ ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key });
    contexts.set(opts.tls, c);
  }
  return c;
}

/**
 * TLS on an open socket. Verification is done here, after the handshake, rather than by
 * rejectUnauthorized: the report can then show the certificate that failed (expiry, SANs). Nothing is sent
 * over an unverified connection unless the user said --insecure.
 */
export async function upgradeTls(
  opts: DialOptions,
  socket: Socket,
  info: DialInfo,
): Promise<{ tlsSocket: TLSSocket; tls: TlsInfo }> {
  const host = opts.target.host;
  const servername = opts.tls.servername ?? (isIP(host) ? undefined : host);
  // Build the context (parse --ca/--cert/--key, or load Node's bundled root store) before the clock starts:
  // that is our work, not the handshake's. tls.connect would otherwise do it inside the timed window.
  let secureContext: SecureContext;
  try {
    secureContext = secureContextFor(opts);
  } catch (err) {
    socket.destroy();
    throw new PhaseError('tls', errMessage(err), errCode(err), info, { cause: err });
  }
  const t0 = now();
  const tlsSocket = await tlsHandshake(opts, socket, servername, secureContext).catch((err: unknown) => {
    socket.destroy();
    throw new PhaseError('tls', errMessage(err), errCode(err), info, { cause: err });
  });
  const ms = now() - t0;
  const peer = tlsSocket.getPeerCertificate(false);
  const certificate = peer && Object.keys(peer).length > 0 ? describeCert(peer) : undefined;
  const { verifyError, verifyMessage } = verifyPeer(tlsSocket, peer, opts.tls.servername ?? host);
  const tls: TlsInfo = {
    ms,
    protocol: tlsSocket.getProtocol(),
    cipher: tlsSocket.getCipher()?.name ?? null,
    alpn: tlsSocket.alpnProtocol || null,
    servername,
    verified: verifyError === undefined,
    verifyError,
    verifyMessage,
    insecure: opts.tls.insecure,
    certificate,
  };
  if (!tls.verified && !opts.tls.insecure) {
    tlsSocket.destroy();
    throw new PhaseError(
      'tls',
      `certificate verification failed: ${verifyError}${verifyMessage ? ` (${verifyMessage})` : ''}`,
      verifyError,
      { ...info, tls },
    );
  }
  return { tlsSocket, tls };
}

/** The handshake itself, on the open socket, within what is left of the connect deadline. */
function tlsHandshake(
  opts: DialOptions,
  socket: Socket,
  servername: string | undefined,
  secureContext: SecureContext,
): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolvePromise, reject) => {
    const s = tlsConnect({
      socket,
      servername,
      secureContext,
      ALPNProtocols: opts.tls.alpn,
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error('TLS handshake did not finish in time'), { code: 'ERR_TLS_HANDSHAKE_TIMEOUT' }));
    }, remaining(opts.deadline));
    s.once('secureConnect', () => {
      clearTimeout(timer);
      resolvePromise(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Why the chain or the name does not verify (both undefined when it does). */
function verifyPeer(
  tlsSocket: TLSSocket,
  peer: PeerCertificate | undefined,
  name: string,
): { verifyError: string | undefined; verifyMessage: string | undefined } {
  if (!tlsSocket.authorized) {
    const e = tlsSocket.authorizationError as unknown;
    return {
      verifyError: typeof e === 'string' ? e : (errCode(e) ?? 'UNABLE_TO_VERIFY'),
      verifyMessage: e instanceof Error ? e.message : undefined,
    };
  }
  if (peer && Object.keys(peer).length > 0) {
    const idErr = checkServerIdentity(name, peer);
    if (idErr) return { verifyError: errCode(idErr) ?? 'ERR_TLS_CERT_ALTNAME_INVALID', verifyMessage: idErr.message };
  }
  return { verifyError: undefined, verifyMessage: undefined };
}

type WsModule = typeof import('ws');

async function wsUpgrade(
  ws$: WsModule,
  opts: DialOptions,
  socket: Socket | TLSSocket,
  info: DialInfo,
): Promise<{ stream: Duplex; ws: import('./types.js').WsInfo }> {
  const { WebSocket, createWebSocketStream } = ws$;
  const path = opts.target.path ?? '/mqtt';
  const host = opts.target.host.includes(':') ? `[${opts.target.host}]` : opts.target.host;
  const url = `${opts.target.secure ? 'wss' : 'ws'}://${host}:${opts.target.port}${path}`;
  const t0 = now();
  return new Promise((resolvePromise, reject) => {
    let status = 0;
    // MQTT over WebSocket uses the "mqtt" subprotocol and binary frames (MQTT 3.1.1 §6, 5.0 §6).
    const ws = new WebSocket(url, ['mqtt'], {
      createConnection: () => socket,
      perMessageDeflate: false,
      handshakeTimeout: Math.max(1, remaining(opts.deadline)),
    });
    const fail = (message: string, code: string, cause?: unknown) => {
      socket.destroy();
      reject(new PhaseError('ws', message, code, info, { cause }));
    };
    ws.once('upgrade', (res) => {
      status = res.statusCode ?? 101;
    });
    ws.once('unexpected-response', (_req, res) => {
      fail(
        `Unexpected server response: ${res.statusCode} (${res.statusMessage ?? 'HTTP'} on ${path}, expected 101 Switching Protocols)`,
        `HTTP_${res.statusCode}`,
      );
    });
    ws.once('open', () => {
      const ms = now() - t0;
      const stream = createWebSocketStream(ws);
      resolvePromise({ stream, ws: { ms, path, status: status || 101, subprotocol: ws.protocol } });
    });
    ws.once('error', (err) => fail(errMessage(err), errCode(err) ?? 'EWS', err));
  });
}

function mkResult(stream: Duplex, socket: Socket, info: DialInfo, base?: Duplex): DialResult {
  return {
    ...info,
    stream,
    socket,
    ...(base ? { base } : {}),
    close: () => {
      stream.destroy();
      socket.destroy();
    },
  };
}

const dialPlain: Dialer = async (opts) => {
  const dns = await resolve(opts.target.host, opts.deadline);
  const { socket, tcp } = await dialTcp(opts, dns);
  return mkResult(socket, socket, { dns, tcp });
};

const dialTls: Dialer = async (opts) => {
  const dns = await resolve(opts.target.host, opts.deadline);
  const { socket, tcp } = await dialTcp(opts, dns);
  const { tlsSocket, tls } = await upgradeTls(opts, socket, { dns, tcp });
  return mkResult(tlsSocket, socket, { dns, tcp, tls });
};

const dialWs: Dialer = async (opts) => {
  // Loaded lazily (start-up time of the other commands), but before any phase is timed.
  const ws$ = await import('ws');
  const dns = await resolve(opts.target.host, opts.deadline);
  const { socket, tcp } = await dialTcp(opts, dns);
  let base: Socket | TLSSocket = socket;
  let tls: TlsInfo | undefined;
  if (opts.target.secure) {
    const up = await upgradeTls(opts, socket, { dns, tcp });
    base = up.tlsSocket;
    tls = up.tls;
  }
  const info: DialInfo = { dns, tcp, ...(tls ? { tls } : {}) };
  const { stream, ws } = await wsUpgrade(ws$, opts, base, info);
  return mkResult(stream, socket, { ...info, ws }, base);
};

/** One dialer per scheme, all of one type. */
export const DIALERS: Record<Scheme, Dialer> = {
  mqtt: dialPlain,
  tcp: dialPlain,
  mqtts: dialTls,
  tls: dialTls,
  ws: dialWs,
  wss: dialWs,
};

let warmed: Promise<void> | undefined;

/**
 * The first TCP connect in a Node process costs milliseconds of our own work (lazy handle and callback set-up,
 * first compilation of the connect path: ~10 ms on a busy 2-core machine, against ~0.5 ms for the second).
 * Run that path once against a throwaway listener on loopback, before any phase is timed. Bounded (250 ms),
 * and silent when loopback is unusable (an empty network namespace): then nothing is warmed.
 */
export function warmTransport(): Promise<void> {
  warmed ??= new Promise<void>((resolve) => {
    const server = createServer((s) => s.destroy());
    let client: Socket | undefined;
    let done = false;
    // Resolve only once the listener and both ends are closed: their close callbacks must not run inside
    // the first timed phase.
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client?.destroy();
      server.close(() => setImmediate(resolve));
    };
    const timer = setTimeout(() => {
      done = true;
      client?.destroy();
      server.close();
      resolve();
    }, 250);
    server.once('error', () => {
      done = true;
      clearTimeout(timer);
      resolve();
    });
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const addr = server.address();
      if (!addr || typeof addr !== 'object') return finish();
      client = netConnect({ host: '127.0.0.1', port: addr.port, noDelay: true });
      client.once('connect', finish);
      client.once('error', finish);
    });
  });
  return warmed;
}

export async function dial(opts: DialOptions): Promise<DialResult> {
  await warmTransport();
  return DIALERS[opts.target.scheme](opts);
}
