/**
 * Start a real mosquitto (Debian's package) on 127.0.0.1 with ports chosen at run time. Each instance gets
 * its own temp dir with config and log; `log()` returns mosquitto's own log text so tests can assert on it and
 * record it as a fixture. `restart()` brings it back on the same ports (for soak's kill/restart tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface MosquittoOptions {
  /** Extra lines for the default plain listener's block (e.g. `max_keepalive 30`). */
  listenerConfig?: string[];
  /** Lines at the top of the file (global options, e.g. `set_tcp_nodelay true`). */
  globalConfig?: string[];
  allowAnonymous?: boolean;
  /** username → password; written with mosquitto_passwd. */
  users?: Record<string, string>;
  /** Also open a TLS listener with these PEM files. */
  tls?: { certFile: string; keyFile: string; caFile?: string; requireCertificate?: boolean };
  /** More TLS listeners (e.g. one per certificate variant); their ports come back in `extraTlsPorts`. */
  extraTls?: Array<{ certFile: string; keyFile: string }>;
  /** Also open a WebSocket listener. */
  websockets?: boolean;
  /** Also open a WebSocket-over-TLS listener with these PEM files (port in `wssPort`). */
  wss?: { certFile: string; keyFile: string };
}

export interface Mosquitto {
  port: number;
  tlsPort: number | undefined;
  extraTlsPorts: number[];
  wsPort: number | undefined;
  wssPort: number | undefined;
  dir: string;
  url: string;
  log(): string;
  stop(): Promise<void>;
  /** SIGKILL: no clean shutdown, as a crash or power cut. */
  kill(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-mosq-'));
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : undefined;
  const wsPort = opts.websockets ? await freePort() : undefined;
  const wssPort = opts.wss ? await freePort() : undefined;
  const extraTlsPorts: number[] = [];
  for (let i = 0; i < (opts.extraTls?.length ?? 0); i += 1) extraTlsPorts.push(await freePort());
  const logPath = join(dir, 'mosquitto.log');
  const anon = opts.allowAnonymous ?? opts.users === undefined;
  const lines: string[] = [
    'user root',
    `log_dest file ${logPath}`,
    'log_type all',
    'log_timestamp true',
    'per_listener_settings false',
    `allow_anonymous ${anon}`,
    ...(opts.globalConfig ?? []),
  ];
  if (opts.users) {
    const pwFile = join(dir, 'passwd');
    writeFileSync(pwFile, '');
    for (const [u, p] of Object.entries(opts.users)) {
      await run('mosquitto_passwd', ['-b', pwFile, u, p]);
    }
    lines.push(`password_file ${pwFile}`);
  }
  lines.push(`listener ${port} 127.0.0.1`, ...(opts.listenerConfig ?? []));
  if (opts.tls && tlsPort) {
    lines.push(`listener ${tlsPort} 127.0.0.1`, `certfile ${opts.tls.certFile}`, `keyfile ${opts.tls.keyFile}`);
    if (opts.tls.caFile) lines.push(`cafile ${opts.tls.caFile}`);
    if (opts.tls.requireCertificate) lines.push('require_certificate true');
  }
  (opts.extraTls ?? []).forEach((t, i) => {
    lines.push(`listener ${extraTlsPorts[i]} 127.0.0.1`, `certfile ${t.certFile}`, `keyfile ${t.keyFile}`);
  });
  if (wsPort) lines.push(`listener ${wsPort} 127.0.0.1`, 'protocol websockets');
  if (wssPort && opts.wss) {
    lines.push(
      `listener ${wssPort} 127.0.0.1`,
      'protocol websockets',
      `certfile ${opts.wss.certFile}`,
      `keyfile ${opts.wss.keyFile}`,
    );
  }
  const confPath = join(dir, 'mosquitto.conf');
  writeFileSync(confPath, lines.join('\n') + '\n');

  let child: ChildProcess | undefined;
  const waitExit = (c: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
    });

  // mosquitto opens its listeners one after another (the WebSocket ones last): ready is when the first accepts and
  // every other one listens. Waiting for the first only, a WebSocket client was refused once, right after the
  // start. The others are read from the kernel's socket table, not dialled: a test that captures on one of them
  // would see a probe connection's close.
  const others = [tlsPort, ...extraTlsPorts, wsPort, wssPort].filter((p): p is number => p !== undefined);
  const listeners = [port, ...others];
  const allListening = async () => {
    if (!(await canConnect(port))) return false;
    const open = others.length > 0 ? listeningPorts() : undefined;
    return others.every((p) => open!.has(p));
  };
  const start = async () => {
    child = spawn('mosquitto', ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 5000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited at start: ${stderr}${safeRead(logPath)}`);
      if (await allListening()) break;
      if (Date.now() > deadline) {
        child.kill('SIGKILL'); // not left running: the caller never gets a handle to stop it
        throw new Error(`mosquitto did not listen on ${listeners.join(', ')} within 5 s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stopWith = async (sig: NodeJS.Signals) => {
    const c = child;
    child = undefined;
    if (!c) return;
    c.kill(sig);
    await waitExit(c);
  };
  await start();
  return {
    port,
    tlsPort,
    extraTlsPorts,
    wsPort,
    wssPort,
    dir,
    url: `mqtt://127.0.0.1:${port}`,
    log: () => safeRead(logPath),
    stop: async () => {
      await stopWith('SIGTERM');
    },
    kill: () => stopWith('SIGKILL'),
    start,
    restart: async () => {
      await stopWith('SIGTERM');
      await start();
    },
  };
}

/** Remove a mosquitto temp dir (call after stop when the log is no longer needed). */
export function cleanup(m: Mosquitto): void {
  if (existsSync(m.dir)) rmSync(m.dir, { recursive: true, force: true });
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Ports in LISTEN state (/proc/net/tcp and tcp6: state 0A; the local address's port in hex), proc(5). Both
 * tables: mosquitto 2.0's WebSocket listener (libwebsockets) binds an IPv6 socket.
 */
function listeningPorts(): Set<number> {
  const out = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const local = f[1]?.split(':');
      if (f[3] === '0A' && local) out.add(parseInt(local[local.length - 1] ?? '', 16));
    }
  }
  return out;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: 'ignore' });
    c.once('error', reject);
    c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

/**
 * One mosquitto per test, for files whose tests run concurrently: `start` starts one with `defaults` (plus the
 * test's own options) and remembers it; call `stopAll` in the file's afterAll.
 */
export function mosquittoPool(defaults: MosquittoOptions = {}): {
  start(opts?: MosquittoOptions): Promise<Mosquitto>;
  stopAll(): Promise<void>;
} {
  const started: Mosquitto[] = [];
  return {
    async start(opts = {}) {
      const m = await startMosquitto({ ...defaults, ...opts });
      started.push(m);
      return m;
    },
    async stopAll() {
      await Promise.all(
        started.splice(0).map(async (m) => {
          await m.stop();
          cleanup(m);
        }),
      );
    },
  };
}
