/**
 * What the soak benches share: a process's RSS and its descendants (from /proc), a local mosquitto with a
 * port of its own, and the bare MQTT.js script that holds N idle connections (the baseline for memory per
 * connection). This file is also that script:
 * `node --import tsx bench/soak-procs.ts --bare-hold N URL ADDR[,ADDR] I/K RAMP_PER_S`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS of a process (kB), 0 when gone. */
export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU time a process has used so far (user + system, seconds; from /proc/<pid>/stat), 0 when gone. */
export function cpuS(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of proc(5), in clock ticks (100 per second on Linux).
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** A process and every descendant (from /proc/<pid>/task/<tid>/children). */
export function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const t of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      }
    } catch {
      // gone
    }
  }
  return out;
}

/** A local mosquitto (no connection limit, as many open files as the hard limit allows) on `port`. */
export async function startBroker(dir: string, name: string, port: number): Promise<ChildProcess> {
  const conf = join(dir, `${name}.conf`);
  writeFileSync(
    conf,
    ['user root', 'allow_anonymous true', `listener ${port} 127.0.0.1`, 'max_connections -1', 'log_type none', ''].join(
      '\n',
    ),
  );
  // Each mosquitto may hold up to the hard limit of open files (20,000 here).
  const child = spawn('sh', ['-c', `ulimit -n $(ulimit -Hn) && exec mosquitto -c ${conf}`], { stdio: 'ignore' });
  await sleep(500);
  return child;
}

export const freePort = async (): Promise<number> => {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
};

/**
 * Process i of k of the bare script, holding n idle connections to `url` from `addrs` at `rampPerS`; it prints
 * "ready" once every one is connected and is killed by its caller (bounded: it exits by itself after 240 s).
 */
export function spawnBareHold(
  n: number,
  url: string,
  addrs: string,
  slice: string,
  rampPerS: number,
  env: NodeJS.ProcessEnv = process.env,
): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', SELF, '--bare-hold', String(n), url, addrs, slice, String(rampPerS)],
    { stdio: ['ignore', 'pipe', 'inherit'], env },
  );
}

/** Resolves when a bare-hold process printed "ready" (or closed). */
export function bareReady(c: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    c.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    c.on('close', () => resolve());
  });
}

if (process.argv[2] === '--bare-hold') {
  const [, , , n, url, addrs, slice, rampArg] = process.argv;
  const rampPerS = Number(rampArg);
  const { MqttClient } = await import('mqtt');
  const { createConnection } = await import('node:net');
  const u = new URL(url!);
  const sources = addrs!.split(',');
  const total = Number(n);
  // Local ports chosen as soak chooses them (its own slice of the range per process), so this baseline does not
  // pay the kernel's port search of bind(address, 0) (transport/source-address.ts) that soak no longer pays.
  const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const [si, sk] = slice!.split('/').map(Number);
  const sliceLow = lo! + Math.floor(((hi! - lo! + 1) * si!) / sk!);
  let up = 0;
  let next = 0;
  const t0 = performance.now();
  const ramp = setInterval(() => {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rampPerS) + 1);
    for (; next < due; next++) {
      const i = next;
      const c = new MqttClient(
        () =>
          createConnection({
            host: u.hostname,
            port: Number(u.port),
            localAddress: sources[i % sources.length],
            localPort: sliceLow + Math.floor(i / sources.length),
          }),
        { clientId: `bare-${process.pid}-${i}`, protocolVersion: 5, keepalive: 60, reconnectPeriod: 0 },
      );
      c.on('error', () => {});
      c.once('connect', () => {
        up += 1;
        if (up === total) process.stdout.write('ready\n');
      });
    }
    if (next >= total) clearInterval(ramp);
  }, 10);
  setTimeout(() => process.exit(0), 240_000).unref();
}
