/**
 * Reconnect policies under test in `soak`: the schedules engineers ship today: a fixed delay (MQTT.js's
 * default `reconnectPeriod: 1000`, https://github.com/mqttjs/MQTT.js#client), capped exponential backoff (Paho
 * Python's `reconnect_delay_set(min_delay=1, max_delay=120)` doubles, https://eclipse.dev/paho/files/paho.mqtt.python/html/client.html;
 * HiveMQ's client adds ±25 % jitter, https://hivemq.github.io/hivemq-mqtt-client/docs/lifecycle/), and a
 * hand-written schedule (1, 3, 5, 10, 30, 60, then 300 s forever) as field guides circulate it (blog posts, no
 * single public source).
 *
 * Pure: `reconnectDelayMs` takes the attempt number and a random source, so tests run it without a clock.
 */
import { UsageError } from '../errors.js';
import { formatDuration, parseDurationMs } from './units.js';

export type ReconnectPolicy =
  | { kind: 'fixed'; delayMs: number }
  | { kind: 'exp'; minMs: number; maxMs: number; jitter: boolean }
  | { kind: 'schedule'; delaysMs: number[] };

export const DEFAULT_RECONNECT = 'fixed:1s';

/** Jitter spread for `exp:…+jitter`: the delay is multiplied by a factor in [1 − J, 1 + J] (HiveMQ client: ±25 %). */
export const JITTER_FRACTION = 0.25;

/**
 * Longest delay a policy may ask for: a Node timer holds 2^31 − 1 ms (about 24.8 days) and fires after 1 ms
 * beyond it (a tight reconnect loop); jitter may add 25 %.
 */
export const MAX_RECONNECT_DELAY_MS = Math.floor((2 ** 31 - 1) / (1 + JITTER_FRACTION));

const HINT = 'write it like fixed:1s, exp:1s..120s, exp:1s..120s+jitter or schedule:1,3,5,10,30,60,300';

export function parseReconnectPolicy(spec: string): ReconnectPolicy {
  const text = spec.trim().toLowerCase();
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1).trim();
  const bad = (why: string) => new UsageError(`--reconnect ${spec}: ${why}`, HINT);
  const dur = (s: string): number => {
    let ms: number;
    try {
      ms = parseDurationMs(s, 'reconnect');
    } catch {
      throw bad(`"${s}" is not a duration`);
    }
    if (ms > MAX_RECONNECT_DELAY_MS)
      throw bad(`"${s}" is longer than ${formatDuration(MAX_RECONNECT_DELAY_MS)}, the longest delay a timer holds`);
    return ms;
  };
  switch (kind) {
    case 'fixed': {
      if (rest === '') throw bad('fixed needs a delay');
      return { kind: 'fixed', delayMs: dur(rest) };
    }
    case 'exp': {
      let body = rest;
      let jitter = false;
      if (body.endsWith('+jitter')) {
        jitter = true;
        body = body.slice(0, -'+jitter'.length);
      }
      const parts = body.split('..');
      if (parts.length !== 2) throw bad('exp needs a range MIN..MAX');
      const minMs = dur(parts[0] ?? '');
      const maxMs = dur(parts[1] ?? '');
      if (minMs <= 0) throw bad('the minimum delay must be above zero');
      if (maxMs < minMs) throw bad('the maximum delay is below the minimum');
      return { kind: 'exp', minMs, maxMs, jitter };
    }
    case 'schedule': {
      const items = rest
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (items.length === 0) throw bad('schedule needs at least one delay');
      return { kind: 'schedule', delaysMs: items.map(dur) };
    }
    default:
      throw bad(`unknown policy "${kind}"`);
  }
}

/**
 * Delay before reconnect attempt `attempt` (0 = the first attempt after a disconnect; the counter resets on
 * every successful CONNACK, as Paho and HiveMQ do). `random` returns [0, 1).
 */
export function reconnectDelayMs(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const n = Math.max(0, Math.floor(attempt));
  switch (policy.kind) {
    case 'fixed':
      return policy.delayMs;
    case 'schedule':
      // The last entry repeats forever ("then 300 s forever").
      return policy.delaysMs[Math.min(n, policy.delaysMs.length - 1)] ?? 0;
    case 'exp': {
      // 2^n overflows to Infinity for large n; Math.min caps it.
      const base = Math.min(policy.maxMs, policy.minMs * 2 ** Math.min(n, 1000));
      if (!policy.jitter) return base;
      const factor = 1 - JITTER_FRACTION + 2 * JITTER_FRACTION * random();
      return Math.round(base * factor);
    }
  }
}

export function describeReconnectPolicy(p: ReconnectPolicy): string {
  switch (p.kind) {
    case 'fixed':
      return `fixed ${formatDuration(p.delayMs)}`;
    case 'exp':
      return `exponential ${formatDuration(p.minMs)} doubling to ${formatDuration(p.maxMs)}${p.jitter ? ` with ±${JITTER_FRACTION * 100}% jitter` : ''}`;
    case 'schedule':
      return `schedule ${p.delaysMs.map((d) => formatDuration(d)).join(', ')} (last repeats)`;
  }
}
