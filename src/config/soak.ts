/**
 * soak's own options, validated into numbers (ms, per second, bytes), and the thresholds `soak` and
 * `report` share. Pure: every mistake is a UsageError before anything connects.
 */
import type { SoakThresholds } from '../analyze/soak/thresholds.js';
import { UsageError } from '../errors.js';
import { parseReconnectPolicy } from './reconnect.js';
import { parseBytes, parseDurationMs, parsePercent, parseRate } from './units.js';

export interface SoakThresholdArgs {
  maxReconnects: number | undefined;
  maxLoss: string | undefined;
  maxDowntime: string | undefined;
  maxP99: string | undefined;
  junit: string | undefined;
}

export function parseSoakThresholds(a: SoakThresholdArgs): SoakThresholds {
  if (a.maxReconnects !== undefined && (!Number.isInteger(a.maxReconnects) || a.maxReconnects < 0)) {
    throw new UsageError(`--max-reconnects ${a.maxReconnects} is not a whole number ≥ 0`, 'e.g. --max-reconnects 3');
  }
  return {
    maxReconnects: a.maxReconnects,
    maxLossPct: a.maxLoss !== undefined ? parsePercent(a.maxLoss, 'max-loss') : undefined,
    maxDowntimeMs: a.maxDowntime !== undefined ? parseDurationMs(a.maxDowntime, 'max-downtime') : undefined,
    maxP99Ms: a.maxP99 !== undefined ? parseDurationMs(a.maxP99, 'max-p99', 'ms') : undefined,
  };
}

/** The soak-specific options as text, before validation. */
export interface SoakPlanArgs extends SoakThresholdArgs {
  clients: number;
  duration: string | undefined;
  ramp: string;
  rate: string;
  qos: number;
  'payload-size': string;
  reconnect: string;
  checkpoint: string;
  'loss-grace': string;
  'flap-threshold': string;
  'session-expiry': string;
  'same-client-id': boolean;
  'publish-offline'?: boolean;
  'retry-refused'?: boolean;
  clientId: string | undefined;
}

/**
 * Permanent refusals (bad credentials, not authorised, banned) before a run where nothing ever connected
 * stops with exit 4; `--retry-refused` keeps retrying (when the refusals are what is being measured).
 */
export const STOP_AFTER_REFUSALS = 3;

/** The highest --rate per client. */
export const MAX_RATE_PER_CLIENT = 20_000;

/** Validate soak's own options into numbers (ms, per second, bytes). Pure; every mistake is a UsageError. */
export function soakPlan(args: SoakPlanArgs) {
  if (!Number.isInteger(args.clients) || args.clients < 1 || args.clients > 200_000) {
    throw new UsageError(`--clients ${args.clients} is not a whole number from 1 to 200000`, 'e.g. -n 100');
  }
  const durationMs = args.duration !== undefined ? parseDurationMs(args.duration, 'duration') : undefined;
  if (durationMs !== undefined && durationMs <= 0) throw new UsageError('--duration must be above zero', 'e.g. -d 10m');
  const rampPerS = parseRate(args.ramp, 'ramp');
  const ratePerS = parseRate(args.rate, 'rate');
  // Each publish timer firing sends the messages due since publishing began (measure/soak/client.ts), so
  // the rate is not bound by the ~1 ms timer resolution; beyond this one client is a flood, not a soak.
  if (ratePerS > MAX_RATE_PER_CLIENT)
    throw new UsageError(
      `--rate ${args.rate} is above ${MAX_RATE_PER_CLIENT}/s per client`,
      'use more clients instead',
    );
  const payloadBytes = parseBytes(args['payload-size'], 'payload-size');
  // MQTT §2.2.3: the Remaining Length field caps a packet at 268,435,455 bytes (256 MB).
  if (payloadBytes > 256 * 1024 * 1024)
    throw new UsageError('--payload-size is above the MQTT maximum of 256 MB', 'e.g. --payload-size 1kb');
  const policy = parseReconnectPolicy(args.reconnect);
  const checkpointMs = parseDurationMs(args.checkpoint, 'checkpoint');
  if (checkpointMs < 100) throw new UsageError('--checkpoint must be at least 100ms', 'e.g. --checkpoint 30s');
  // A Node timer holds at most 2^31 − 1 ms (about 24.8 days); a longer interval would fire every millisecond.
  if (checkpointMs > 2 ** 31 - 1) throw new UsageError('--checkpoint must be at most 24 days', 'e.g. --checkpoint 1h');
  const lossGraceMs = parseDurationMs(args['loss-grace'], 'loss-grace');
  const flapThresholdMs = parseDurationMs(args['flap-threshold'], 'flap-threshold');
  const sessionExpiryS = Math.round(parseDurationMs(args['session-expiry'], 'session-expiry') / 1000);
  // MQTT 5 §3.1.2.11.2: Session Expiry Interval is a Four Byte Integer.
  if (sessionExpiryS > 0xffffffff)
    throw new UsageError('--session-expiry is above the MQTT 5 maximum (0xFFFFFFFF s)', 'e.g. --session-expiry 1h');
  if (args['same-client-id'] && args.clientId === undefined) {
    throw new UsageError(
      '--same-client-id needs --client-id',
      'e.g. --client-id sensor-17 --clients 2 --same-client-id',
    );
  }
  if (args['publish-offline'] && args.qos === 0) {
    throw new UsageError(
      '--publish-offline needs --qos 1 or 2: QoS 0 messages are not queued while offline',
      'add --qos 1',
    );
  }
  if (args['publish-offline'] && ratePerS <= 0) {
    throw new UsageError('--publish-offline needs messages: --rate is 0', 'e.g. --rate 1/s');
  }
  return {
    durationMs,
    rampPerS,
    ratePerS,
    payloadBytes,
    policy,
    checkpointMs,
    lossGraceMs,
    flapThresholdMs,
    sessionExpiryS,
    thresholds: parseSoakThresholds(args),
    qos: args.qos as 0 | 1 | 2,
    stopAfterRefusals: args['retry-refused'] ? undefined : STOP_AFTER_REFUSALS,
  };
}

export type SoakPlan = ReturnType<typeof soakPlan>;

/** Client ids: `mqd-<run>-<i>`, or `<id>-<i>` from --client-id, or exactly `<id>` for one client or --same-client-id. */
export function soakClientIds(count: number, runId: string, clientId: string | undefined, sameId: boolean): string[] {
  return Array.from({ length: count }, (_, i) =>
    clientId !== undefined ? (count === 1 || sameId ? clientId : `${clientId}-${i}`) : `mqd-${runId}-${i}`,
  );
}
