/**
 * Fault configuration for the impair proxy: one validated shape (ImpairFaults) built from a profile, from
 * command-line flags, or from a compact spec string (`probe --impair 4g,latency=80ms`). Pure: text in,
 * numbers in milliseconds out; every mistake is a UsageError with one clear line.
 */
import { UsageError } from '../errors.js';
import { didYouMean } from './suggest.js';
import { findMiddlebox, findProfile, MIDDLEBOXES, PROFILES, type NetworkProfile } from '../kb/profiles.js';
import { formatDuration, parseBitRate, parseDurationMs, parsePercent } from './units.js';

export interface Outage {
  atMs: number;
  durationMs: number;
}

export interface ImpairFaults {
  /** One-way delay added to every chunk, in each direction (RTT grows by 2 × latencyMs). */
  latencyMs: number;
  /** Uniform ± jitter added to the one-way delay; bytes are never reordered. */
  jitterMs: number;
  /** Per-direction rate limit, bits per second. */
  bandwidthBps?: number;
  /** On `pct` % of chunks add a retransmission-like delay of `ms` (order kept). */
  stall?: { pct: number; ms: number };
  /** A flow idle in both directions for this long loses its mapping. */
  natIdleMs?: number;
  natMode: 'drop' | 'reset';
  /**
   * With natMode reset: RST both ends when the mapping expires (`expiry`, the default; Azure LB's "TCP reset
   * on idle"), or RST whichever end sends next while the other hears nothing (`use`; AWS NAT gateway).
   */
  natResetOn?: 'expiry' | 'use';
  /** Per connection, from its open: everything vanishes after this. */
  blackholeAfterMs?: number;
  /** Per connection, from its open: both ends get RST after this. */
  resetAfterMs?: number;
  /** Windows relative to proxy start during which new connections are refused or hang. */
  outages: Outage[];
  outageMode: 'refuse' | 'hang';
  /** Names of the profile / middlebox the values started from, for reports. */
  profile?: string;
}

/** Faults as text, keyed like the command-line flags (the spec string uses the same keys). */
export interface ImpairInput {
  profile?: string;
  latency?: string | number;
  jitter?: string | number;
  bandwidth?: string | number;
  stall?: string;
  'nat-idle'?: string | number;
  'nat-mode'?: string;
  'nat-reset-on'?: string;
  'blackhole-after'?: string | number;
  'reset-after'?: string | number;
  outage?: string | string[];
  'outage-mode'?: string;
}

/** The fault options (flag names), also the keys of a spec string. */
export const SPEC_KEYS = [
  'latency',
  'jitter',
  'bandwidth',
  'stall',
  'nat-idle',
  'nat-mode',
  'nat-reset-on',
  'blackhole-after',
  'reset-after',
  'outage',
  'outage-mode',
] as const;
type SpecKey = (typeof SPEC_KEYS)[number];

export function noFaults(): ImpairFaults {
  return { latencyMs: 0, jitterMs: 0, natMode: 'drop', outages: [], outageMode: 'refuse' };
}

/** The faults a network profile stands for (see src/kb/profiles.ts for how each number was chosen). */
export function faultsFromProfile(p: NetworkProfile): ImpairFaults {
  const f: ImpairFaults = { ...noFaults(), latencyMs: p.rttMs.typical / 2, jitterMs: p.jitterMs, profile: p.name };
  if (p.lossPct > 0) f.stall = { pct: p.lossPct, ms: p.stallMs };
  if (p.bandwidthBps !== undefined) f.bandwidthBps = p.bandwidthBps;
  if (p.natIdleS !== undefined) f.natIdleMs = p.natIdleS * 1000;
  if (p.natMode !== undefined) f.natMode = p.natMode;
  return f;
}

/** Apply a profile or middlebox name on top of `base`; returns undefined when the name is neither. */
function applyName(base: ImpairFaults, name: string): ImpairFaults | undefined {
  const p = findProfile(name);
  if (p) {
    const f = faultsFromProfile(p);
    // A profile replaces the link figures but keeps a middlebox named before it.
    return {
      ...base,
      ...f,
      natIdleMs: f.natIdleMs ?? base.natIdleMs,
      natMode: f.natIdleMs !== undefined ? f.natMode : base.natMode,
      natResetOn: f.natIdleMs !== undefined ? undefined : base.natResetOn,
      profile: joinNames(base.profile, p.name),
    };
  }
  const m = findMiddlebox(name);
  if (m) {
    return {
      ...base,
      natIdleMs: m.idleS * 1000,
      natMode: m.mode,
      natResetOn: m.resetOn,
      profile: joinNames(base.profile, m.name),
    };
  }
  return undefined;
}

function joinNames(a: string | undefined, b: string): string {
  return a ? `${a}+${b}` : b;
}

function unknownName(name: string): UsageError {
  const guess = didYouMean(name, [...PROFILES.map((p) => p.name), ...MIDDLEBOXES.map((m) => m.name)]);
  return new UsageError(
    `unknown network profile "${name}"${guess ? `: ${guess}` : ''}`,
    `profiles: ${PROFILES.map((p) => p.name).join(', ')}; middleboxes: ${MIDDLEBOXES.map((m) => m.name).join(', ')}`,
  );
}

/** `20s@1m` → {durationMs: 20000, atMs: 60000}. */
export function parseOutage(text: string, option = 'outage'): Outage {
  const m = /^\s*([^@]+)@([^@]+)\s*$/.exec(text);
  if (!m)
    throw new UsageError(
      `--${option}: "${text}" is not DURATION@START`,
      'write it like 20s@1m (down for 20 s, one minute after start)',
    );
  const durationMs = parseDurationMs(m[1] ?? '', option);
  const atMs = parseDurationMs(m[2] ?? '', option);
  if (durationMs <= 0) throw new UsageError(`--${option}: "${text}" has a zero duration`, 'write it like 20s@1m');
  return { atMs, durationMs };
}

/** `1%:300ms` → {pct: 1, ms: 300}. */
export function parseStall(text: string, option = 'stall'): { pct: number; ms: number } {
  const m = /^\s*([^:]+):(.+)$/.exec(text);
  if (!m) throw new UsageError(`--${option}: "${text}" is not PERCENT:DELAY`, 'write it like 1%:300ms');
  const pct = parsePercent(m[1] ?? '', option);
  const ms = parseDurationMs(m[2] ?? '', option, 'ms');
  return { pct, ms };
}

function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  const v = value.trim().toLowerCase();
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new UsageError(`--${option}: "${value}" is not one of ${allowed.join(', ')}`);
}

/**
 * Build faults from flag-style input: the profile (a profile and/or middlebox name, `4g` or `4g+aws-nat`)
 * first, then each explicit value on top.
 */
export function resolveImpairFaults(input: ImpairInput): ImpairFaults {
  let f = noFaults();
  if (input.profile !== undefined && input.profile !== '') {
    for (const name of input.profile
      .split(/[+,]/)
      .map((s) => s.trim())
      .filter(Boolean)) {
      const next = applyName(f, name);
      if (!next) throw unknownName(name);
      f = next;
    }
  }
  if (input.latency !== undefined) f.latencyMs = parseDurationMs(input.latency, 'latency', 'ms');
  if (input.jitter !== undefined) f.jitterMs = parseDurationMs(input.jitter, 'jitter', 'ms');
  if (input.bandwidth !== undefined) f.bandwidthBps = parseBitRate(input.bandwidth, 'bandwidth');
  if (input.stall !== undefined) f.stall = parseStall(input.stall);
  if (input['nat-idle'] !== undefined)
    f.natIdleMs = positive(parseDurationMs(input['nat-idle'], 'nat-idle'), 'nat-idle');
  if (input['nat-mode'] !== undefined) f.natMode = oneOf(input['nat-mode'], ['drop', 'reset'] as const, 'nat-mode');
  if (input['nat-reset-on'] !== undefined) {
    f.natResetOn = oneOf(input['nat-reset-on'], ['expiry', 'use'] as const, 'nat-reset-on');
    if (f.natMode !== 'reset')
      throw new UsageError('--nat-reset-on needs --nat-mode reset', 'add --nat-mode reset (nat-mode=reset)');
  }
  if (input['blackhole-after'] !== undefined)
    f.blackholeAfterMs = parseDurationMs(input['blackhole-after'], 'blackhole-after');
  if (input['reset-after'] !== undefined) f.resetAfterMs = parseDurationMs(input['reset-after'], 'reset-after');
  if (input.outage !== undefined) {
    const list = (Array.isArray(input.outage) ? input.outage : [input.outage]).flatMap((s) => s.split(','));
    f.outages = list
      .filter((s) => s.trim() !== '')
      .map((s) => parseOutage(s))
      .sort((a, b) => a.atMs - b.atMs);
  }
  if (input['outage-mode'] !== undefined)
    f.outageMode = oneOf(input['outage-mode'], ['refuse', 'hang'] as const, 'outage-mode');
  return f;
}

function positive(ms: number, option: string): number {
  if (ms <= 0) throw new UsageError(`--${option} must be greater than 0`);
  return ms;
}

/**
 * For `probe --impair SPEC` / `soak --impair SPEC`: a profile name (`4g`), a key=value list
 * (`latency=50ms,jitter=10ms,nat-idle=30s,nat-mode=reset,stall=1%:300ms,bandwidth=256kbit,
 * blackhole-after=60s,reset-after=60s,outage=20s@1m`), or both (`4g,latency=80ms`). Middlebox names
 * (`aws-nat`, `azure-lb`, …) set nat-idle and nat-mode. Several outages: `outage=20s@1m,10s@5m`.
 */
export function parseImpairSpec(spec: string): ImpairFaults {
  const input: ImpairInput = {};
  const names: string[] = [];
  const outages: string[] = [];
  let lastKey: SpecKey | undefined;
  for (const raw of spec.split(',')) {
    const token = raw.trim();
    if (token === '') continue;
    const eq = token.indexOf('=');
    if (eq < 0) {
      if (lastKey === 'outage' && token.includes('@')) {
        outages.push(token);
        continue;
      }
      names.push(token);
      lastKey = undefined;
      continue;
    }
    const key = token.slice(0, eq).trim().toLowerCase();
    const value = token.slice(eq + 1).trim();
    if (!(SPEC_KEYS as readonly string[]).includes(key)) {
      const guess = didYouMean(key, SPEC_KEYS);
      throw new UsageError(
        `--impair: unknown key "${key}" in "${spec}"${guess ? `: ${guess}` : ''}`,
        `keys: ${SPEC_KEYS.join(', ')}, or a profile name`,
      );
    }
    lastKey = key as SpecKey;
    if (lastKey === 'outage') outages.push(value);
    else input[lastKey] = value;
  }
  if (names.length > 0) input.profile = names.join('+');
  if (outages.length > 0) input.outage = outages;
  return resolveImpairFaults(input);
}

/** True when the faults change nothing (the proxy then forwards bytes as they come). */
export function isNoFaults(f: ImpairFaults): boolean {
  return (
    f.latencyMs === 0 &&
    f.jitterMs === 0 &&
    f.bandwidthBps === undefined &&
    (f.stall === undefined || f.stall.pct === 0) &&
    f.natIdleMs === undefined &&
    f.blackholeAfterMs === undefined &&
    f.resetAfterMs === undefined &&
    f.outages.length === 0
  );
}

/** `--listen`: `127.0.0.1:1884`, `[::1]:1884`, `0.0.0.0:1884` or a bare port (on 127.0.0.1). */
export function parseListen(text: string): { host: string; port: number } {
  const t = text.trim();
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d+)$/.exec(t) ?? /^()()(\d+)$/.exec(t);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(
      `--listen: "${text}" is not HOST:PORT`,
      'write it like 127.0.0.1:1884 (port 0 lets the system pick)',
    );
  }
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

/** One line for people: "4g: latency 30 ms ±15 ms, nat-idle 5m 00s (drop)". */
export function describeFaults(f: ImpairFaults): string {
  const parts: string[] = [];
  if (f.latencyMs > 0 || f.jitterMs > 0) {
    parts.push(
      `latency ${formatDuration(f.latencyMs)}${f.jitterMs > 0 ? ` ±${formatDuration(f.jitterMs)}` : ''} each way`,
    );
  }
  if (f.bandwidthBps !== undefined) parts.push(`bandwidth ${formatRate(f.bandwidthBps)}`);
  if (f.stall && f.stall.pct > 0) parts.push(`stall ${f.stall.pct}% × ${formatDuration(f.stall.ms)}`);
  if (f.natIdleMs !== undefined) {
    parts.push(
      `nat-idle ${formatDuration(f.natIdleMs)} (${f.natMode}${f.natMode === 'reset' && f.natResetOn === 'use' ? ' on use' : ''})`,
    );
  }
  if (f.blackholeAfterMs !== undefined) parts.push(`blackhole after ${formatDuration(f.blackholeAfterMs)}`);
  if (f.resetAfterMs !== undefined) parts.push(`reset after ${formatDuration(f.resetAfterMs)}`);
  if (f.outages.length > 0) {
    parts.push(
      `outage ${f.outages.map((o) => `${formatDuration(o.durationMs)}@${formatDuration(o.atMs)}`).join(', ')} (${f.outageMode})`,
    );
  }
  const body = parts.length > 0 ? parts.join(', ') : 'no faults';
  return f.profile ? `${f.profile}: ${body}` : body;
}

export function formatRate(bps: number): string {
  if (bps >= 1e9) return `${trim(bps / 1e9)} Gbit/s`;
  if (bps >= 1e6) return `${trim(bps / 1e6)} Mbit/s`;
  if (bps >= 1e3) return `${trim(bps / 1e3)} kbit/s`;
  return `${trim(bps)} bit/s`;
}

function trim(n: number): string {
  return Number(n.toFixed(2)).toString();
}
