/**
 * What this machine allows a soak: the ephemeral port range and this process's open-file limit and use,
 * read from /proc (Linux; elsewhere a figure is unknown, never guessed). Node has no getrlimit, so the soft
 * limit comes from /proc/self/limits (proc(5), https://man7.org/linux/man-pages/man5/proc_pid_limits.5.html).
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { HostLimits } from '../../config/source-address.js';

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `32768\t60999` → { low, high }. */
export function parsePortRange(text: string | undefined): HostLimits['ephemeralPorts'] {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text ?? '');
  if (!m) return undefined;
  return { low: Number(m[1]), high: Number(m[2]) };
}

/** The soft "Max open files" of a /proc/<pid>/limits text; undefined when unlimited or absent. */
export function parseOpenFilesSoft(text: string | undefined): number | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s+/m.exec(text ?? '');
  return m && m[1] !== 'unlimited' ? Number(m[1]) : undefined;
}

/** /proc/sys/net/ipv4/ip_local_port_range; undefined where it cannot be read. */
export function readPortRange(): HostLimits['ephemeralPorts'] {
  return parsePortRange(readOr('/proc/sys/net/ipv4/ip_local_port_range'));
}

export function readHostLimits(): HostLimits {
  let inUse: number;
  try {
    inUse = readdirSync('/proc/self/fd').length;
  } catch {
    inUse = 0;
  }
  return {
    ephemeralPorts: readPortRange(),
    openFilesSoft: parseOpenFilesSoft(readOr('/proc/self/limits')),
    openFilesInUse: inUse,
  };
}

/** The first of `addresses` this host cannot bind to, with the error code; undefined when all are usable. */
export async function firstUnusableAddress(
  addresses: string[],
): Promise<{ address: string; code: string } | undefined> {
  const { bindProbe } = await import('../../transport/bind-probe.js');
  for (const address of addresses) {
    const code = await bindProbe(address);
    if (code !== undefined) return { address, code };
  }
  return undefined;
}
