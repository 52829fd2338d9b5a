/**
 * `report before.jsonl --compare after.jsonl`: the same figures of two soak runs side by side with the
 * change, so a keepalive or reconnect-policy change is judged run against run. Counts are compared as
 * they are and also per client (runs of different fleet sizes), times in ms. Pure.
 */
import type { SoakRunInfo } from './events.js';
import type { SoakSummary } from './summary.js';

export type CompareUnit = 'count' | 'ms' | 'pct' | 'per-s';

/** One figure of both runs (field names documented in README, `report`, "--compare"). */
export interface CompareRow {
  id: string;
  label: string;
  unit: CompareUnit;
  /** Which way is good (fewer reconnects, more messages received); null for context (clients, elapsed). */
  better: 'lower' | 'higher' | null;
  before: number | null;
  after: number | null;
  /** after − before; null when either is unknown. */
  change: number | null;
  /** The change relative to before, in percent; null when before is 0 or unknown. */
  changePct: number | null;
  /** better / worse / same, by `better`; null when either is unknown or the figure is context. */
  verdict: 'better' | 'worse' | 'same' | null;
}

type Figure = [
  id: string,
  label: string,
  unit: CompareUnit,
  better: 'lower' | 'higher' | null,
  get: (s: SoakSummary) => number | null | undefined,
];

const perClient = (n: number, s: SoakSummary): number | null => (s.clients > 0 ? n / s.clients : null);

/** The figures compared, in the order shown. */
const FIGURES: readonly Figure[] = [
  ['clients', 'clients', 'count', null, (s) => s.clients],
  ['elapsedMs', 'elapsed', 'ms', null, (s) => s.elapsedMs],
  ['reconnects', 'reconnects', 'count', 'lower', (s) => s.connections.reconnects],
  ['reconnectsPerClient', 'reconnects per client', 'count', 'lower', (s) => perClient(s.connections.reconnects, s)],
  [
    'maxReconnectsPerClient',
    'most reconnects of one client',
    'count',
    'lower',
    (s) => s.connections.maxReconnectsPerClient,
  ],
  ['disconnects', 'disconnects', 'count', 'lower', (s) => s.connections.disconnects],
  ['connectFailures', 'failed attempts', 'count', 'lower', (s) => s.connections.connectFailures],
  ['neverConnected', 'clients never connected', 'count', 'lower', (s) => s.connections.neverConnected],
  ['sessionsLost', 'sessions lost', 'count', 'lower', (s) => s.connections.sessionsLost],
  ['flaps', 'short outages', 'count', 'lower', (s) => s.connections.flaps],
  ['uptimePct', 'uptime', 'pct', 'higher', (s) => s.connections.uptimePct],
  ['downtimePerClientMs', 'downtime per client', 'ms', 'lower', (s) => perClient(s.connections.downtimeTotalMs, s)],
  ['worstClientDowntimeMs', 'downtime of the worst client', 'ms', 'lower', (s) => s.connections.worstClientDowntimeMs],
  ['timeToReconnectP50Ms', 'time to reconnect p50', 'ms', 'lower', (s) => s.connections.timeToReconnectMs?.p50],
  ['timeToReconnectMaxMs', 'time to reconnect max', 'ms', 'lower', (s) => s.connections.timeToReconnectMs?.max],
  // How many are sent follows from -n, --rate and -d, not from the broker or the path: context, as is received.
  ['sent', 'messages sent', 'count', null, (s) => s.messages.sent],
  ['received', 'messages received', 'count', null, (s) => s.messages.received],
  ['lost', 'messages lost', 'count', 'lower', (s) => s.messages.lost],
  ['lossPct', 'loss', 'pct', 'lower', (s) => s.messages.lossPct],
  ['duplicates', 'duplicates', 'count', 'lower', (s) => s.messages.duplicates],
  ['outOfOrder', 'out of order', 'count', 'lower', (s) => s.messages.outOfOrder],
  ['latencyP50Ms', 'latency p50', 'ms', 'lower', (s) => s.messages.latencyMs?.p50],
  ['latencyP90Ms', 'latency p90', 'ms', 'lower', (s) => s.messages.latencyMs?.p90],
  ['latencyP99Ms', 'latency p99', 'ms', 'lower', (s) => s.messages.latencyMs?.p99],
  ['latencyMaxMs', 'latency max', 'ms', 'lower', (s) => s.messages.latencyMs?.max],
  ['connackP50Ms', 'CONNACK time p50', 'ms', 'lower', (s) => s.fleet?.connackMs?.p50],
  ['connackP99Ms', 'CONNACK time p99', 'ms', 'lower', (s) => s.fleet?.connackMs?.p99],
  ['connectRatePerS', 'connect rate achieved', 'per-s', 'higher', (s) => s.fleet?.achievedPerS],
];

const known = (v: number | null | undefined): number | null =>
  v === undefined || v === null || !Number.isFinite(v) ? null : v;

export function compareSummaries(before: SoakSummary, after: SoakSummary): CompareRow[] {
  return FIGURES.map(([id, label, unit, better, get]) => {
    const b = known(get(before));
    const a = known(get(after));
    const change = a === null || b === null ? null : a - b;
    return {
      id,
      label,
      unit,
      better,
      before: b,
      after: a,
      change,
      changePct: change === null || b === 0 || b === null ? null : (100 * change) / b,
      verdict:
        change === null || better === null
          ? null
          : change === 0
            ? 'same'
            : change < 0 === (better === 'lower')
              ? 'better'
              : 'worse',
    };
  });
}

/** A run setting that differs between the two runs (JSON values as the start lines hold them). */
export interface SettingChange {
  setting: keyof SoakRunInfo;
  before: unknown;
  after: unknown;
}

/**
 * The settings the two runs were started with that differ: figures of runs with another fleet size, rate,
 * QoS, length or target do not compare like for like, and the report says so. A setting one file lacks
 * (written before it existed) is not a difference.
 */
export function compareSettings(before: SoakRunInfo, after: SoakRunInfo): SettingChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])] as Array<keyof SoakRunInfo>;
  return keys.flatMap((setting) => {
    const b = before[setting];
    const a = after[setting];
    if (b === undefined || a === undefined || JSON.stringify(b) === JSON.stringify(a)) return [];
    return [{ setting, before: b, after: a }];
  });
}
