/**
 * analyze's CI gates, in the style of soak's `--max-…` options, on what a capture measures truthfully: closes
 * that were not clean (any end the diagnosis calls a warning or a failure), keepalive cuts by the broker,
 * PINGREQs never answered, and reconnects per client id (connections after the first with the same id). Pure.
 */
import type { Cause, Severity } from './diagnose.js';

export interface CaptureThresholds {
  maxAbnormalCloses?: number;
  maxKeepaliveCuts?: number;
  maxUnansweredPings?: number;
  maxReconnects?: number;
}

export type CaptureThresholdId =
  | 'max-abnormal-closes'
  | 'max-keepalive-cuts'
  | 'max-unanswered-pings'
  | 'max-reconnects';

export interface CaptureThresholdResult {
  id: CaptureThresholdId;
  limit: number;
  actual: number;
  pass: boolean;
  /** e.g. "keepalive cuts 2 > 0 (#3, #7)". */
  text: string;
}

/** What the gates read of one connection. */
export interface GatedConnection {
  id: number;
  clientId?: string;
  cause: Cause;
  severity: Severity;
  ping: { unanswered: number };
}

const BAD: ReadonlySet<Severity> = new Set(['warn', 'fail']);
const ids = (xs: number[]): string =>
  xs.length ? ` (#${xs.slice(0, 5).join(', #')}${xs.length > 5 ? ', …' : ''})` : '';

export function checkCaptureThresholds(
  conns: readonly GatedConnection[],
  t: CaptureThresholds,
): CaptureThresholdResult[] {
  const out: CaptureThresholdResult[] = [];
  const gate = (
    id: CaptureThresholdId,
    limit: number | undefined,
    what: string,
    hits: number[],
    actual = hits.length,
  ) => {
    if (limit === undefined) return;
    const pass = actual <= limit;
    out.push({ id, limit, actual, pass, text: `${what} ${actual} ${pass ? '≤' : '>'} ${limit}${ids(hits)}` });
  };
  gate(
    'max-abnormal-closes',
    t.maxAbnormalCloses,
    'abnormal closes',
    conns.filter((c) => BAD.has(c.severity)).map((c) => c.id),
  );
  gate(
    'max-keepalive-cuts',
    t.maxKeepaliveCuts,
    'keepalive cuts',
    conns.filter((c) => c.cause === 'keepalive-cut').map((c) => c.id),
  );
  const pingHits = conns.filter((c) => c.ping.unanswered > 0);
  gate(
    'max-unanswered-pings',
    t.maxUnansweredPings,
    'unanswered PINGREQs',
    pingHits.map((c) => c.id),
    pingHits.reduce((n, c) => n + c.ping.unanswered, 0),
  );
  if (t.maxReconnects !== undefined) {
    const byClient = new Map<string, number[]>();
    for (const c of conns) if (c.clientId) byClient.set(c.clientId, [...(byClient.get(c.clientId) ?? []), c.id]);
    let worst: [string, number[]] | undefined;
    for (const e of byClient) if (!worst || e[1].length > worst[1].length) worst = e;
    const n = worst ? worst[1].length - 1 : 0;
    gate(
      'max-reconnects',
      t.maxReconnects,
      `reconnects${worst ? ` of client id ${JSON.stringify(worst[0].slice(0, 64))}` : ''}`,
      worst?.[1].slice(1) ?? [],
      n,
    );
  }
  return out;
}
