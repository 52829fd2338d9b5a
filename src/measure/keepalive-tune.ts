/**
 * keepalive-tune's live half, step by step: PINGREQ round trips, the broker's keepalive ceiling, the path idle
 * timeout (--discover-idle) and the broker's own enforcement (--verify-broker). Each step refines the rule
 * inputs. Like probe, a failure is returned with what was measured before it, not thrown, so the report keeps
 * it; the command classifies it (analyze/failure.ts).
 */
import type { IdleInput, KeepaliveInputs, PathInput } from '../analyze/keepalive/types.js';
import { lossPct, summarize, type Summary } from '../analyze/stats.js';
import type { ConnectionConfig } from '../config/connection.js';
import { formatDuration } from '../config/units.js';
import {
  discoverIdleTimeout,
  measureRtt,
  probeBrokerLimits,
  type BrokerLimitProbe,
  type IdleDiscovery,
} from './idle-discovery.js';
import { verifyBroker, type VerifyBrokerResult } from './verify-broker.js';

export interface KeepaliveMeasured {
  rtt?: { summary: Summary | undefined; sent: number; received: number; lossPct: number; mqttVersion: 4 | 5 };
  limits?: BrokerLimitProbe;
  discovery?: IdleDiscovery;
  verify?: VerifyBrokerResult;
}

export interface LiveKeepaliveOptions {
  conn: ConnectionConfig;
  /** The host to name in the path label (the target the user gave, not the proxy). */
  label: string;
  inputs: KeepaliveInputs;
  idle: IdleInput | undefined;
  samples: number;
  sampleIntervalMs: number;
  discoverIdle: { maxIdleMs: number; parallel: number } | undefined;
  verifyBroker: { keepaliveS: number } | undefined;
  signal: AbortSignal;
  progress: (line: string) => void;
  note: (line: string) => void;
}

export interface LiveKeepaliveResult {
  measured: KeepaliveMeasured;
  inputs: KeepaliveInputs;
  idle: IdleInput | undefined;
  /** The error that stopped the measurement (a dial/CONNECT failure, or the abort), with the steps before it kept. */
  stoppedBy?: unknown;
}

/** How long to wait for one PINGRESP while measuring RTT. */
const RTT_PING_TIMEOUT_MS = 2000;
/** Without a measured p99, silent connections of the idle search wait this long for PINGRESP (× 4). */
const ASSUMED_P99_MS = 300;

/** The lowest keepalive cap known for the broker: measured (Server Keep Alive, rc 2 search) or documented
 * (`--broker`, e.g. AWS IoT clamps to 1200 s without refusing). Silent probes beyond it are cut by the broker. */
export function brokerCapS(inputs: KeepaliveInputs): number | undefined {
  const caps = [inputs.broker?.maxAcceptedS, inputs.broker?.limits?.maxKeepaliveS].filter(
    (x): x is number => x !== undefined,
  );
  return caps.length ? Math.min(...caps) : undefined;
}

/** A measured path replaces the profile's, but a profile's worse p99 is kept: a short sample misses the tail. */
export function measuredPath(
  label: string,
  summary: Summary,
  loss: number,
  profilePath: PathInput | undefined,
): PathInput {
  const path: PathInput = {
    source: 'measured',
    label,
    rttP50Ms: summary.p50,
    rttP99Ms: summary.p99,
    jitterMs: summary.jitter,
    lossPct: loss,
    samples: summary.count,
  };
  if (!profilePath || profilePath.rttP99Ms <= path.rttP99Ms) return path;
  return {
    ...path,
    label: `${label} (profile ${profilePath.label} p99 ${profilePath.rttP99Ms} ms kept)`,
    rttP99Ms: profilePath.rttP99Ms,
  };
}

async function rttStep(opts: LiveKeepaliveOptions, result: LiveKeepaliveResult): Promise<void> {
  const m = await measureRtt(opts.conn, {
    samples: opts.samples,
    intervalMs: opts.sampleIntervalMs,
    timeoutMs: RTT_PING_TIMEOUT_MS,
    signal: opts.signal,
    onSample: (i, s) => opts.progress(s.ok ? `ping ${i}: ${formatDuration(s.rttMs)}` : `ping ${i}: ${s.detail}`),
  });
  const summary = summarize(m.samplesMs);
  const loss = lossPct(m.sent, m.received);
  result.measured.rtt = { summary, sent: m.sent, received: m.received, lossPct: loss, mqttVersion: m.version };
  if (summary) result.inputs = { ...result.inputs, path: measuredPath(opts.label, summary, loss, result.inputs.path) };
}

async function limitsStep(opts: LiveKeepaliveOptions, result: LiveKeepaliveResult): Promise<void> {
  const limits = await probeBrokerLimits(opts.conn, opts.signal);
  result.measured.limits = limits;
  if (limits.maxAcceptedS !== undefined)
    result.inputs = {
      ...result.inputs,
      broker: { ...result.inputs.broker, maxAcceptedS: limits.maxAcceptedS, maxAcceptedHow: limits.how },
    };
}

async function discoverIdleStep(
  opts: LiveKeepaliveOptions,
  result: LiveKeepaliveResult,
  plan: { maxIdleMs: number; parallel: number },
): Promise<void> {
  const p99 = result.inputs.path?.source === 'measured' ? result.inputs.path.rttP99Ms : ASSUMED_P99_MS;
  const cap = brokerCapS(result.inputs);
  const d = await discoverIdleTimeout({
    conn: opts.conn,
    maxIdleMs: plan.maxIdleMs,
    parallel: plan.parallel,
    pingTimeoutMs: Math.max(2000, Math.ceil(4 * p99)),
    ...(cap !== undefined ? { maxKeepaliveS: cap } : {}),
    signal: opts.signal,
    onProgress: opts.progress,
  });
  result.measured.discovery = d;
  if (d.rounds.some((round) => round.results.some((x) => !x.alive))) {
    result.idle = {
      source: 'discovered',
      label: `--discover-idle (${d.connections} connections, ${formatDuration(d.tookMs)})`,
      lowMs: d.lowMs,
      highMs: d.highMs,
    };
  } else if (d.aboveMax) {
    const capped =
      d.cappedByBrokerS !== undefined
        ? ` (the broker's keepalive cap of ${d.cappedByBrokerS} s limits the search)`
        : '';
    opts.note(
      `no idle timeout up to ${formatDuration(d.maxIdleMs)}${capped}; rules use the profile or the assumed value`,
    );
  }
}

async function verifyBrokerStep(
  opts: LiveKeepaliveOptions,
  result: LiveKeepaliveResult,
  plan: { keepaliveS: number },
): Promise<void> {
  const v = await verifyBroker({
    conn: opts.conn,
    keepaliveS: plan.keepaliveS,
    signal: opts.signal,
    onProgress: opts.progress,
  });
  result.measured.verify = v;
  if (v.cutAfterMs !== undefined)
    result.inputs = {
      ...result.inputs,
      broker: { ...result.inputs.broker, measured: { keepaliveS: v.keepaliveS, cutAfterMs: v.cutAfterMs } },
    };
}

export async function measureKeepalive(opts: LiveKeepaliveOptions): Promise<LiveKeepaliveResult> {
  const result: LiveKeepaliveResult = { measured: {}, inputs: opts.inputs, idle: opts.idle };
  const discover = opts.discoverIdle;
  const verify = opts.verifyBroker;
  const steps: Array<() => Promise<void>> = [
    () => rttStep(opts, result),
    () => limitsStep(opts, result),
    ...(discover ? [() => discoverIdleStep(opts, result, discover)] : []),
    ...(verify ? [() => verifyBrokerStep(opts, result, verify)] : []),
  ];
  try {
    for (const step of steps) {
      if (opts.signal.aborted) break;
      await step();
    }
  } catch (err) {
    result.stoppedBy = err;
  }
  return result;
}
