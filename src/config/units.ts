/**
 * One parser for every human-entered quantity: durations (`30s`, `5m`, `1h`, `250ms`, `1m30s`), percentages
 * (`0.1%`), byte sizes (`1kb`) and bit rates (`256kbit`). The API uses plain numbers with the unit in the name
 * (`timeoutMs`, `lossPct`); these functions are the only way in from text. They throw UsageError with a
 * message naming the option, never call process.exit.
 */
import { UsageError } from '../errors.js';

const DURATION_UNITS: Record<string, number> = {
  us: 0.001,
  µs: 0.001,
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * The longest delay a Node timer holds: 2^31 − 1 ms (about 24.8 days). A longer one fires after 1 ms
 * (https://nodejs.org/api/timers.html#settimeoutcallback-delay-args: "When delay is larger than 2147483647 or
 * less than 1, the delay will be set to 1"), so `-i 30d` would probe every millisecond.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Options whose duration never feeds one timer, so they may exceed MAX_TIMER_MS: soak's --duration (the runner
 * re-arms its timer, measure/soak/runner.ts `longTimeout`), MQTT 5 session expiry (sent to the broker, a
 * four-byte count of seconds) and the thresholds a finished run is compared against. Every other duration
 * is a single timer and is refused above the limit. A command whose `--duration` is one timer (impair) asks
 * for the limit explicitly.
 */
const NOT_A_TIMER = new Set([
  'duration',
  'session-expiry',
  'max-downtime',
  'max-p99',
  'max-rtt-p99',
  'max-connect',
  'flap-threshold',
]);

/**
 * Parse a duration to milliseconds.
 *
 * The unit rule, the same in every option: a bare number means seconds (`-i 1`, `--keepalive 60`, as ping and
 * MQTT count them). Where a value is usually written in milliseconds (`defaultUnit` 'ms': latency, jitter,
 * RTT limits, stall delays), a bare number other than 0 is refused as ambiguous: write `50ms` or `50s`.
 * `limit` 'timer' refuses what a Node timer cannot wait for (see MAX_TIMER_MS); the default decides by option.
 */
export function parseDurationMs(
  input: string | number,
  option = 'duration',
  defaultUnit: 's' | 'ms' = 's',
  limit: 'timer' | 'none' = NOT_A_TIMER.has(option) ? 'none' : 'timer',
): number {
  const text = String(input).trim().toLowerCase();
  let total: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    const value = Number(text);
    if (defaultUnit === 'ms' && value !== 0) {
      throw new UsageError(`--${option}: a bare "${text}" is ambiguous here`, `write the unit: ${text}ms or ${text}s`);
    }
    total = value * 1000;
  } else {
    total = parseWithUnits(text, option, String(input));
  }
  if (limit === 'timer' && total > MAX_TIMER_MS) {
    throw new UsageError(
      `--${option}: ${String(input).trim()} is longer than a timer can wait (24 days)`,
      `use at most 24d, e.g. --${option} 1h`,
    );
  }
  return total;
}

function parseWithUnits(text: string, option: string, input: string): number {
  if (text.startsWith('-')) {
    throw new UsageError(`--${option}: "${input}" is negative`, 'durations are 0 or more, like 500ms, 30s, 5m, 1h');
  }
  const re = /(\d+(?:\.\d+)?)\s*(us|µs|ms|sec|min|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? Number.NaN);
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== text.length || !Number.isFinite(total)) throw badDuration(input, option);
  return total;
}

function badDuration(input: string, option: string): UsageError {
  return new UsageError(`--${option}: "${input}" is not a duration`, 'write it like 500ms, 30s, 5m, 1h or 1m30s');
}

/** Render milliseconds for people: 0.42 ms, 12.3 ms, 4.2 s, 3m 05s, 2h 01m. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const abs = Math.abs(ms);
  if (abs < 1) return `${ms.toFixed(3)} ms`;
  if (abs < 10) return `${ms.toFixed(2)} ms`;
  if (abs < 1000) return `${ms.toFixed(1)} ms`;
  if (abs < 60_000) return `${(ms / 1000).toFixed(abs < 10_000 ? 2 : 1)} s`;
  const totalS = Math.round(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(s).padStart(2, '0')}s`;
}

/** `0.1%`, `5%` or a bare `5` → percent as a number (5 means 5 %). */
export function parsePercent(input: string | number, option = 'percent'): number {
  const text = String(input).trim();
  const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(text);
  const value = m ? Number(m[1]) : Number.NaN;
  if (!Number.isFinite(value) || value > 100) {
    throw new UsageError(`--${option}: "${text}" is not a percentage`, 'write it like 0%, 0.1% or 5%');
  }
  return value;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  kib: 1024,
  mib: 1024 ** 2,
};

/** `64`, `1kb`, `2MB` → bytes. */
export function parseBytes(input: string | number, option = 'size'): number {
  const text = String(input).trim().toLowerCase();
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(text);
  const unit = SIZE_UNITS[m?.[2] || 'b'];
  if (!m || unit === undefined) {
    throw new UsageError(`--${option}: "${input}" is not a size`, 'write it like 64, 512b, 1kb or 2mb');
  }
  return Math.round(Number(m[1]) * unit);
}

const RATE_UNITS: Record<string, number> = {
  bit: 1,
  bps: 1,
  kbit: 1e3,
  kbps: 1e3,
  mbit: 1e6,
  mbps: 1e6,
  gbit: 1e9,
  gbps: 1e9,
};

/** `256kbit`, `10mbit`, `1gbit` → bits per second (decimal prefixes, as tc and ISPs use). */
export function parseBitRate(input: string | number, option = 'bandwidth'): number {
  const text = String(input).trim().toLowerCase();
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/.exec(text);
  const unit = m ? RATE_UNITS[m[2] ?? ''] : undefined;
  if (!m || unit === undefined || Number(m[1]) <= 0) {
    throw new UsageError(`--${option}: "${input}" is not a bit rate`, 'write it like 256kbit, 10mbit or 1gbit');
  }
  return Number(m[1]) * unit;
}

/** `1/s`, `10/s`, `5/m`, `0.5/s` → events per second. */
export function parseRate(input: string | number, option = 'rate'): number {
  const text = String(input).trim().toLowerCase();
  const m = /^(\d+(?:\.\d+)?)\s*(?:\/\s*(ms|s|m|min|h))?$/.exec(text);
  if (!m) throw new UsageError(`--${option}: "${input}" is not a rate`, 'write it like 1/s, 10/s or 6/m');
  const per = m[2] ? (DURATION_UNITS[m[2]] ?? 1000) / 1000 : 1;
  return Number(m[1]) / per;
}
