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
  const ratePerS = parseRatePerClient(args.rate);
  const payloadBytes = parsePayloadBytes(args['payload-size']);
  const policy = parseReconnectPolicy(args.reconnect);
  const checkpointMs = parseCheckpointMs(args.checkpoint);
  const lossGraceMs = parseDurationMs(args['loss-grace'], 'loss-grace');
  const flapThresholdMs = parseDurationMs(args['flap-threshold'], 'flap-threshold');
  const sessionExpiryS = parseSessionExpiryS(args['session-expiry']);
  checkOptionPairs(args, ratePerS);
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

function parseRatePerClient(text: string): number {
  const ratePerS = parseRate(text, 'rate');
  // Each publish timer firing sends the messages due since publishing began (measure/soak/client.ts), so
  // the rate is not bound by the ~1 ms timer resolution; beyond this one client is a flood, not a soak.
  if (ratePerS > MAX_RATE_PER_CLIENT)
    throw new UsageError(`--rate ${text} is above ${MAX_RATE_PER_CLIENT}/s per client`, 'use more clients instead');
  return ratePerS;
}

function parsePayloadBytes(text: string): number {
  const payloadBytes = parseBytes(text, 'payload-size');
  // MQTT §2.2.3: the Remaining Length field caps a packet at 268,435,455 bytes (256 MB).
  if (payloadBytes > 256 * 1024 * 1024)
    throw new UsageError('--payload-size is above the MQTT maximum of 256 MB', 'e.g. --payload-size 1kb');
  return payloadBytes;
}

function parseCheckpointMs(text: string): number {
  const checkpointMs = parseDurationMs(text, 'checkpoint');
  if (checkpointMs < 100) throw new UsageError('--checkpoint must be at least 100ms', 'e.g. --checkpoint 30s');
  // A Node timer holds at most 2^31 − 1 ms (about 24.8 days); a longer interval would fire every millisecond.
  if (checkpointMs > 2 ** 31 - 1) throw new UsageError('--checkpoint must be at most 24 days', 'e.g. --checkpoint 1h');
  return checkpointMs;
}

function parseSessionExpiryS(text: string): number {
  const sessionExpiryS = Math.round(parseDurationMs(text, 'session-expiry') / 1000);
  // MQTT 5 §3.1.2.11.2: Session Expiry Interval is a Four Byte Integer.
  if (sessionExpiryS > 0xffffffff)
    throw new UsageError('--session-expiry is above the MQTT 5 maximum (0xFFFFFFFF s)', 'e.g. --session-expiry 1h');
  return sessionExpiryS;
}

/** Options that need another: --same-client-id a --client-id, --publish-offline a QoS above 0 and messages. */
function checkOptionPairs(args: SoakPlanArgs, ratePerS: number): void {
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
}

export type SoakPlan = ReturnType<typeof soakPlan>;

/** Client ids: `mqd-<run>-<i>`, or `<id>-<i>` from --client-id, or exactly `<id>` for one client or --same-client-id. */
/** A shard asks for its slice [from, to) of the fleet's global indexes, so ids never collide across shards. */
export function soakClientIds(
  count: number,
  runId: string,
  clientId: string | undefined,
  sameId: boolean,
  slice: { from: number; to: number } = { from: 0, to: count },
): string[] {
  return Array.from({ length: slice.to - slice.from }, (_, k) => {
    const i = slice.from + k;
    return clientId !== undefined ? (count === 1 || sameId ? clientId : `${clientId}-${i}`) : `mqd-${runId}-${i}`;
  });
}

/** One shard of a soak spread over several processes or machines: shard `index` (0-based) of `count`. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** The shard options as text, before validation. */
export interface ShardArgs {
  shard: string | undefined;
  'run-id': string | undefined;
  'start-at': string | undefined;
}

/** Environment names of the shard form (a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX itself). */
export const SHARD_COUNT_ENV = 'MQTT_DOCTOR_SHARD_COUNT';
export const SHARD_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** More shards than this is surely a typo: each shard is a process of its own. */
const MAX_SHARDS = 10_000;
/** --start-at further ahead than this is surely a mistake (a date typed wrong), not a plan. */
export const MAX_START_WAIT_MS = 24 * 3600_000;

const wholeNumber = (s: string): number | undefined => (/^\d{1,9}$/.test(s.trim()) ? Number(s.trim()) : undefined);

function shardOf(index: number | undefined, count: number | undefined, what: string, hint: string): ShardSpec {
  if (count === undefined || count < 1 || count > MAX_SHARDS)
    throw new UsageError(`${what}: the shard count is not a whole number from 1 to ${MAX_SHARDS}`, hint);
  if (index === undefined || index >= count)
    throw new UsageError(`${what}: the shard index is not a whole number from 0 to ${count - 1}`, hint);
  return { index, count };
}

/**
 * `--shard I/N`, or else the environment form: `MQTT_DOCTOR_SHARD_COUNT=N` with the index a Kubernetes
 * Indexed Job gives each pod in `JOB_COMPLETION_INDEX` (https://kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode).
 * The index alone is ignored (a Job that is not ours may set it). Undefined: not sharded.
 */
export function parseShard(arg: string | undefined, env: NodeJS.ProcessEnv): ShardSpec | undefined {
  if (arg !== undefined) {
    const m = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(arg);
    const hint = 'e.g. --shard 0/4 (shard 0 of 4; shards count from 0)';
    if (!m) throw new UsageError(`--shard ${arg} is not I/N`, hint);
    return shardOf(Number(m[1]), Number(m[2]), `--shard ${arg}`, hint);
  }
  const countText = env[SHARD_COUNT_ENV];
  if (countText === undefined || countText === '') return undefined;
  const indexText = env[SHARD_INDEX_ENV];
  const hint = `set both ${SHARD_COUNT_ENV}=N and ${SHARD_INDEX_ENV}=I (0 ≤ I < N), or give --shard I/N`;
  if (indexText === undefined || indexText === '')
    throw new UsageError(`${SHARD_COUNT_ENV}=${countText} is set but ${SHARD_INDEX_ENV} is not`, hint);
  return shardOf(
    wholeNumber(indexText),
    wholeNumber(countText),
    `${SHARD_COUNT_ENV}=${countText} ${SHARD_INDEX_ENV}=${indexText}`,
    hint,
  );
}

/**
 * The global client indexes shard `index` of `count` runs: [from, to), contiguous, floor(n·I/N) to
 * floor(n·(I+1)/N), so the slices of all shards cover 0..n−1 exactly once and differ in size by at most one.
 */
export function shardSlice(clients: number, shard: ShardSpec | undefined): { from: number; to: number } {
  if (!shard) return { from: 0, to: clients };
  return {
    from: Math.floor((clients * shard.index) / shard.count),
    to: Math.floor((clients * (shard.index + 1)) / shard.count),
  };
}

/** A run id goes into client ids and topics: letters, digits, '-' and '_' only (no MQTT wildcard, no '/'). */
export function parseRunId(text: string | undefined, random: () => string): string {
  if (text === undefined) return random();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(text))
    throw new UsageError(
      `--run-id ${JSON.stringify(text)} must be 1 to 64 letters, digits, '-' or '_'`,
      'e.g. --run-id nightly-2026-12-02 (every shard of one run gives the same id)',
    );
  return text;
}

/**
 * `--start-at` as epoch ms: ISO 8601 with a zone (2026-12-02T08:00:00Z) or epoch milliseconds. Returns the
 * wait in ms from `nowMs` (0 for a time in the past: the caller notes it and starts at once).
 */
export function parseStartAt(text: string | undefined, nowMs: number): { atMs: number; waitMs: number } | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  const hint = 'e.g. --start-at 2026-12-02T08:00:00Z (UTC) or epoch milliseconds';
  let atMs: number;
  if (/^\d{10,16}$/.test(t)) atMs = Number(t);
  else if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)$/i.test(t)) atMs = Date.parse(t);
  else throw new UsageError(`--start-at ${text} is not an ISO 8601 time with a zone or epoch ms`, hint);
  if (!Number.isFinite(atMs)) throw new UsageError(`--start-at ${text} is not a valid time`, hint);
  const waitMs = atMs - nowMs;
  if (waitMs > MAX_START_WAIT_MS)
    throw new UsageError(`--start-at ${text} is more than 24 h ahead`, 'check the date; shards wait at most 24 h');
  return { atMs, waitMs: Math.max(0, waitMs) };
}

/** `--out` with `{shard}` replaced by the shard index (0 when not sharded). */
export function shardOutPath(out: string, shard: ShardSpec | undefined): string {
  return out.replaceAll('{shard}', String(shard?.index ?? 0));
}

/** The shard, run id and start time of a soak, validated together (pure: env and clock passed in). */
export function soakShardPlan(
  args: ShardArgs & { clients: number },
  env: NodeJS.ProcessEnv,
  nowMs: number,
  randomId: () => string,
) {
  const shard = parseShard(args.shard, env);
  if (shard && shard.count > args.clients)
    throw new UsageError(
      `${shard.count} shards for ${args.clients} client${args.clients === 1 ? '' : 's'} leaves shards without a client`,
      '-n is the size of the whole fleet: give at least one client per shard',
    );
  return {
    shard,
    slice: shardSlice(args.clients, shard),
    runId: parseRunId(args['run-id'], randomId),
    startAt: parseStartAt(args['start-at'], nowMs),
  };
}

export type SoakShardPlan = ReturnType<typeof soakShardPlan>;
