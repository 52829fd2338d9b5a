import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A port for another process to listen on (a mosquitto, a CLI's --metrics-port), free when this returns.
 *
 * It is taken BELOW the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range): a port the kernel hands
 * out for listen(0) comes from that range, and so does every outgoing connection's source port, so between our
 * close and the child's listen a busy suite's client could take it (EADDRINUSE at load, once in a saturated run).
 * Each vitest worker keeps to its own block, so two workers do not hand out the same port either.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const block = portBlock();
  if (!block) return kernelPort(host);
  for (let tries = 0; tries < 200; tries += 1) {
    const port = block.from + (next++ % (block.to - block.from));
    if (await canListen(port, host)) return port;
  }
  return kernelPort(host);
}

let next = Math.floor(Math.random() * 1000);

const BLOCK = 2000;

/** This worker's ports: [from, to) under the ephemeral range, or undefined when the range leaves no room. */
function portBlock(): { from: number; to: number } | undefined {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // Not Linux: the usual default.
  }
  const first = 10_000;
  const blocks = Math.floor((low - first) / BLOCK);
  if (!(blocks >= 1)) return undefined;
  const worker = Number(process.env['VITEST_POOL_ID'] ?? process.pid);
  const from = first + (worker % blocks) * BLOCK;
  return { from, to: from + BLOCK };
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port the kernel just handed out on `host` (listen on 0, read it, close). */
function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
