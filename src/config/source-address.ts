/**
 * `soak --local-address`: the source addresses connections are spread over (a list, CIDR blocks allowed),
 * and the connection budget of this machine (ephemeral ports, open files, the broker's own limit) worked out
 * before the ramp, so the bound that will stop the fleet is named first instead of failing mid-ramp.
 * Pure: the machine's figures are passed in (measure/soak/host-limits.ts reads them).
 */
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

/** More source addresses than this from one option is a typo (a /16), not a plan. */
export const MAX_SOURCE_ADDRESSES = 1024;

/**
 * `127.0.0.2,127.0.0.3`, `127.0.0.0/30`, `::1`, `fd00::10/126`: each address once, in the order given.
 * A CIDR block gives its host addresses: IPv4 without the network and broadcast addresses (except /31 and
 * /32, RFC 3021), IPv6 without the all-zeros Subnet-Router anycast address (RFC 4291 §2.6.1,
 * https://www.rfc-editor.org/rfc/rfc4291#section-2.6.1) except /127 and /128.
 */
export function parseLocalAddresses(spec: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of spec.split(',')) {
    const item = raw.trim().replace(/^\[(.*)\]$/, '$1');
    if (item === '') continue;
    for (const a of expand(item)) {
      if (seen.has(a)) continue;
      seen.add(a);
      out.push(a);
      if (out.length > MAX_SOURCE_ADDRESSES)
        throw new UsageError(
          `--local-address ${spec}: more than ${MAX_SOURCE_ADDRESSES} addresses`,
          'name a smaller block, e.g. 10.0.0.0/28',
        );
    }
  }
  if (out.length === 0) throw new UsageError('--local-address is empty', 'e.g. --local-address 127.0.0.2,127.0.0.3');
  return out;
}

function expand(item: string): string[] {
  const slash = item.indexOf('/');
  const addr = slash < 0 ? item : item.slice(0, slash);
  const family = isIP(addr);
  const bad = () =>
    new UsageError(
      `--local-address ${item}: not an IP address or CIDR block`,
      'e.g. --local-address 10.0.0.5,10.0.0.6 or 10.0.0.0/29',
    );
  if (family === 0) throw bad();
  if (isWildcard(addr)) {
    throw new UsageError(
      `--local-address ${item}: the wildcard address picks no source`,
      'name this host’s addresses, e.g. 127.0.0.2',
    );
  }
  if (slash < 0) return [family === 6 ? ipv6ToString(ipv6ToBig(addr)) : addr];
  const prefixText = item.slice(slash + 1);
  const bits = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) throw bad();
  const prefix = Number(prefixText);
  const hostBits = bits - prefix;
  if (hostBits > 20)
    throw new UsageError(
      `--local-address ${item}: a /${prefix} holds more than ${MAX_SOURCE_ADDRESSES} addresses`,
      `use a /${bits - 10} or smaller block`,
    );
  const size = 1n << BigInt(hostBits);
  const value = family === 4 ? BigInt(ipv4ToNumber(addr)) : ipv6ToBig(addr);
  const base = value & ~(size - 1n);
  // IPv4 blocks of /30 and wider lose the network and broadcast addresses; IPv6 blocks up to /126 the anycast one.
  const first = hostBits >= 2 ? 1n : 0n;
  const last = family === 4 && hostBits >= 2 ? size - 2n : size - 1n;
  if (last - first + 1n > BigInt(MAX_SOURCE_ADDRESSES))
    throw new UsageError(
      `--local-address ${item}: a /${prefix} holds more than ${MAX_SOURCE_ADDRESSES} addresses`,
      `use a /${bits - 10} or smaller block`,
    );
  const list: string[] = [];
  for (let i = first; i <= last; i++) list.push(family === 4 ? numberToIpv4(Number(base + i)) : ipv6ToString(base + i));
  return list;
}

function isWildcard(addr: string): boolean {
  return addr === '0.0.0.0' || (isIP(addr) === 6 && ipv6ToBig(addr) === 0n);
}

function ipv4ToNumber(a: string): number {
  return a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function ipv6ToBig(a: string): bigint {
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  let text = a;
  if (v4) {
    const n = ipv4ToNumber(v4[1]!);
    text = `${a.slice(0, v4.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** RFC 5952 text: lower case, the longest run of zero groups (two or more) as `::`. */
function ipv6ToString(v: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(16 * (7 - i))) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** What this machine allows, as read by measure/soak/host-limits.ts. */
export interface HostLimits {
  /** /proc/sys/net/ipv4/ip_local_port_range, inclusive; undefined where it cannot be read. */
  ephemeralPorts: { low: number; high: number } | undefined;
  /** The soft open-file limit (`ulimit -n`) of a process; undefined when unlimited or unknown. */
  openFilesSoft: number | undefined;
  /** File descriptors a process holds before its first connection (stdio, modules, --out, metrics). */
  openFilesInUse: number;
}

export type BoundKind = 'ephemeral-ports' | 'open-files' | 'broker-limit';

export interface ConnectionBound {
  kind: BoundKind;
  /** Connections this bound allows the whole run (over every source address and worker process). */
  limit: number;
  /** How the figure was reached, for the report and the warning. */
  detail: string;
}

export interface ConnectionBudget {
  bounds: ConnectionBound[];
  /** The smallest bound, when any is known. */
  binding: ConnectionBound | undefined;
  /** The fleet (-n) fits under every known bound. */
  fits: boolean;
}

/** Descriptors kept free per process for the files and sockets a soak opens besides its clients. */
export const OPEN_FILES_HEADROOM = 32;

/**
 * The connections this run can hold, by bound. A TCP connection from a source address to one broker needs its
 * own ephemeral port (Linux: ip_local_port_range, https://docs.kernel.org/networking/ip-sysctl.html), so each
 * source address gives at most the range's size; each connection is one open file in the process holding it
 * (getrlimit(2) RLIMIT_NOFILE), so K worker processes give K times one process's headroom; the broker's limit
 * (mosquitto `max_connections`, https://mosquitto.org/man/mosquitto-conf-5.html) counts when the user knows it.
 */
export function connectionBudget(o: {
  clients: number;
  sourceAddresses: number;
  workers: number;
  limits: HostLimits;
  brokerMaxConnections?: number | undefined;
}): ConnectionBudget {
  const bounds: ConnectionBound[] = [];
  const p = o.limits.ephemeralPorts;
  if (p && p.high >= p.low) {
    const per = p.high - p.low + 1;
    bounds.push({
      kind: 'ephemeral-ports',
      limit: per * o.sourceAddresses,
      detail: `${per} ephemeral ports (${p.low}–${p.high}) × ${o.sourceAddresses} source address${o.sourceAddresses === 1 ? '' : 'es'}`,
    });
  }
  const soft = o.limits.openFilesSoft;
  if (soft !== undefined) {
    const per = Math.max(0, soft - o.limits.openFilesInUse - OPEN_FILES_HEADROOM);
    bounds.push({
      kind: 'open-files',
      limit: per * o.workers,
      detail: `open-file limit ${soft} (ulimit -n) less ${o.limits.openFilesInUse + OPEN_FILES_HEADROOM} kept for other files, × ${o.workers} process${o.workers === 1 ? '' : 'es'}`,
    });
  }
  if (o.brokerMaxConnections !== undefined) {
    bounds.push({
      kind: 'broker-limit',
      limit: o.brokerMaxConnections,
      detail: `broker connection limit ${o.brokerMaxConnections}`,
    });
  }
  const binding = bounds.reduce<ConnectionBound | undefined>((b, x) => (!b || x.limit < b.limit ? x : b), undefined);
  return { bounds, binding, fits: !binding || o.clients <= binding.limit };
}

/** The line said before the ramp: which bound binds, and by how much the fleet is over it. */
export function budgetLine(clients: number, b: ConnectionBudget): string | undefined {
  if (!b.binding) return undefined;
  const x = b.binding;
  if (b.fits) return `connection budget: ${clients} of ${x.limit} (bound: ${x.kind}, ${x.detail})`;
  const hint =
    x.kind === 'ephemeral-ports'
      ? 'add source addresses (--local-address) or widen net.ipv4.ip_local_port_range'
      : x.kind === 'open-files'
        ? 'raise `ulimit -n` or add worker processes (--workers)'
        : 'raise the broker’s limit or lower -n';
  return `connection budget: -n ${clients} is over the ${x.kind} bound of ${x.limit} (${x.detail}): ${clients - x.limit} clients will fail to connect; ${hint}`;
}
