/**
 * Soak thresholds (`--max-reconnects`, `--max-loss`, `--max-downtime`, `--max-p99`) and the findings that
 * turn a pattern of disconnects into advice. Pure.
 */
import { formatDuration } from '../../config/units.js';
import { CAUSE_INFO, NOT_SERVED_CAUSES, type DisconnectCause } from './causes.js';
import type { SoakSummary } from './summary.js';

export interface SoakThresholds {
  maxReconnects?: number | undefined;
  maxLossPct?: number | undefined;
  maxDowntimeMs?: number | undefined;
  maxP99Ms?: number | undefined;
}

export interface ThresholdResult {
  id: 'max-reconnects' | 'max-loss' | 'max-downtime' | 'max-p99';
  limit: number;
  actual: number;
  pass: boolean;
  /** e.g. "reconnects 4 > 3 (worst client)". */
  text: string;
}

export function checkThresholds(s: SoakSummary, t: SoakThresholds): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  if (t.maxReconnects !== undefined) {
    const actual = s.connections.maxReconnectsPerClient;
    const pass = actual <= t.maxReconnects;
    out.push({
      id: 'max-reconnects',
      limit: t.maxReconnects,
      actual,
      pass,
      text: `reconnects ${actual} ${pass ? '≤' : '>'} ${t.maxReconnects} (worst client)`,
    });
  }
  if (t.maxLossPct !== undefined) {
    const actual = s.messages.lossPct;
    const pass = actual <= t.maxLossPct;
    out.push({
      id: 'max-loss',
      limit: t.maxLossPct,
      actual,
      pass,
      text: `loss ${fmtPct(actual)} ${pass ? '≤' : '>'} ${fmtPct(t.maxLossPct)} (${s.messages.lost} of ${s.messages.sent})`,
    });
  }
  if (t.maxDowntimeMs !== undefined) {
    const actual = s.connections.worstClientDowntimeMs;
    const pass = actual <= t.maxDowntimeMs;
    out.push({
      id: 'max-downtime',
      limit: t.maxDowntimeMs,
      actual,
      pass,
      text: `downtime ${formatDuration(actual)} ${pass ? '≤' : '>'} ${formatDuration(t.maxDowntimeMs)} (worst client)`,
    });
  }
  if (t.maxP99Ms !== undefined) {
    const actual = s.messages.latencyMs?.p99 ?? Number.NaN;
    // No latency sample at all cannot prove the p99 bound: that fails, it does not pass silently.
    const pass = Number.isFinite(actual) && actual <= t.maxP99Ms;
    out.push({
      id: 'max-p99',
      limit: t.maxP99Ms,
      actual,
      pass,
      text: Number.isFinite(actual)
        ? `p99 ${formatDuration(actual)} ${pass ? '≤' : '>'} ${formatDuration(t.maxP99Ms)}`
        : 'p99 unknown: no message came back',
    });
  }
  return out;
}

function fmtPct(p: number): string {
  return `${p < 1 && p > 0 ? p.toFixed(3) : p.toFixed(2)}%`;
}

export interface SoakFinding {
  id: string;
  status: 'warn' | 'fail' | 'info';
  title: string;
  /** One line for the checks table. */
  summary: string;
  explanation: string;
  hint?: string;
}

/**
 * Patterns worth a sentence. Repeated keepalive timeouts or resets after similar connected times are the
 * signature of a NAT/firewall idle timeout shorter than the keepalive (kb/middleboxes.ts, with the vendor pages: AWS NAT 350 s,
 * Azure LB 4 min, cellular NATs minutes): the fix is a shorter keepalive, which keepalive-tune measures.
 */
export interface FindingContext {
  /** Messages per second per client asked for (0 = idle run). */
  ratePerS: number;
  /** How the run ended: an interrupted run is not blamed for what it had no time to do. */
  end: string;
}

export function soakFindings(
  summary: SoakSummary,
  ctx: FindingContext = { ratePerS: 0, end: 'duration' },
): SoakFinding[] {
  return FINDING_RULES.map((rule) => rule(summary, ctx)).filter((finding) => finding !== undefined);
}

/** One rule per finding, in the order the report lists them; each returns its finding or nothing. */
type FindingRule = (summary: SoakSummary, ctx: FindingContext) => SoakFinding | undefined;

const FINDING_RULES: readonly FindingRule[] = [
  notReadyFinding,
  noTrafficFinding,
  saturatedFinding,
  keepaliveFinding,
  takeoverFinding,
  sessionLostFinding,
  noEchoFinding,
  flapsFinding,
];

/** An interrupted run is not blamed for what it had no time to do. */
const runFinished = (ctx: FindingContext): boolean => ctx.end !== 'signal' && ctx.end !== 'killed';

const causeCount = (summary: SoakSummary, cause: DisconnectCause): number => summary.connections.byCause[cause] ?? 0;

/** " (connection refused: 3)": the commonest cause of a client not being served, for a summary line. */
function topNotServedText(summary: SoakSummary): string {
  const notServed = (Object.entries(summary.connections.byCause) as Array<[DisconnectCause, number]>)
    .filter(([cause]) => NOT_SERVED_CAUSES.has(cause))
    .sort((a, b) => b[1] - a[1]);
  return notServed[0] ? ` (${CAUSE_INFO[notServed[0][0]].title}: ${notServed[0][1]})` : '';
}

function notReadyFinding(summary: SoakSummary, ctx: FindingContext): SoakFinding | undefined {
  const conns = summary.connections;
  if (!(runFinished(ctx) && conns.connects > 0 && conns.neverConnected > 0)) return undefined;
  return {
    id: 'not-ready',
    status: 'fail',
    title: 'clients never ready',
    summary: `${conns.neverConnected} of ${summary.clients} clients never became ready${topNotServedText(summary)}`,
    explanation: `${conns.neverConnected} of ${summary.clients} clients never got a usable connection during the run (no CONNACK, or no SUBACK for their subscription, within the bound): they measured nothing`,
    hint: 'see the causes below; a broker that accepts connections and then stalls is overloaded or broken',
  };
}

function noTrafficFinding(summary: SoakSummary, ctx: FindingContext): SoakFinding | undefined {
  if (!(runFinished(ctx) && ctx.ratePerS > 0 && summary.connections.connects > 0 && summary.messages.sent === 0))
    return undefined;
  return {
    id: 'no-traffic',
    status: 'fail',
    title: 'no message sent',
    summary: `0 messages sent${topNotServedText(summary)}`,
    explanation:
      'the clients connected but none became ready to publish (each publishes only after its subscription is acknowledged), so nothing was measured: no traffic is never healthy',
    hint: 'check the broker answers SUBSCRIBE (mqtt-doctor probe --method echo <url>)',
  };
}

/**
 * Below this share of one core at its busiest, a process whose timers ran late was not busy itself: it was kept
 * waiting for a CPU by other processes (a busy machine), and fewer clients would not have helped.
 */
const STARVED_CPU_PCT = 50;

function saturatedFinding(summary: SoakSummary): SoakFinding | undefined {
  const sat = summary.saturation;
  if (!sat || sat.windows <= 0) return undefined;
  const figures = `event-loop delay up to ${formatDuration(sat.loopDelayMaxMs)}, CPU up to ${Math.round(sat.cpuMaxPct)}%`;
  const during = `${sat.failuresDuring} disconnects or failed attempts happened in those seconds and may be our own timeouts, not the broker's or the network's`;
  if (sat.cpuMaxPct < STARVED_CPU_PCT) {
    return {
      id: 'saturated',
      status: 'warn',
      title: 'measuring machine saturated',
      summary: `other processes kept mqtt-doctor waiting for the CPU for ${formatDuration(sat.totalMs)} (${figures} of a core)`,
      explanation: `for ${formatDuration(sat.totalMs)} this process's timers ran up to ${formatDuration(sat.loopDelayMaxMs)} late while it used at most ${Math.round(sat.cpuMaxPct)}% of a core, so the machine, not its own work, held it back: ${during}`,
      hint: 'run it where the CPU is free (see the load average: uptime), or give it a core of its own',
    };
  }
  return {
    id: 'saturated',
    status: 'warn',
    title: 'measuring machine saturated',
    summary: `mqtt-doctor itself was the bottleneck for ${formatDuration(sat.totalMs)} (${figures})`,
    explanation: `for ${formatDuration(sat.totalMs)} this process could not keep up (its timers ran up to ${formatDuration(sat.loopDelayMaxMs)} late): ${during}`,
    hint: 'use fewer clients per process (--clients), a slower --ramp, or a bigger machine',
  };
}

function keepaliveFinding(summary: SoakSummary): SoakFinding | undefined {
  const conns = summary.connections;
  const silent = causeCount(summary, 'keepalive-timeout') + causeCount(summary, 'reset');
  // Timeouts while our own loop stalled are ours: a finding about the path needs some outside those seconds.
  if (!(silent > (summary.saturation?.failuresDuring ?? 0))) return undefined;
  const loop = silent >= 2 && conns.connectedMs !== null && conns.connectedMs.count >= 2;
  const spread = loop && conns.connectedMs ? conns.connectedMs.max - conns.connectedMs.min : Number.POSITIVE_INFINITY;
  const regular = loop && conns.connectedMs !== null && spread <= Math.max(2000, 0.25 * conns.connectedMs.p50);
  const each = (p50: number) => connectedPeriodText(p50, conns.connectedUpToMs?.p50);
  return {
    id: 'keepalive',
    status: 'warn',
    title: regular ? 'reconnect loop' : 'keepalive timeouts / resets',
    summary:
      regular && conns.connectedMs
        ? `${silent} keepalive timeouts/resets, each after ${each(conns.connectedMs.p50)} connected`
        : `${silent} keepalive timeouts/resets`,
    explanation:
      regular && conns.connectedMs
        ? `${silent} disconnects by keepalive timeout or reset, each after ${each(conns.connectedMs.p50).replace(/^~/, 'about ')} connected: the signature of a NAT or firewall idle timeout shorter than the keepalive`
        : `${silent} disconnects by keepalive timeout or reset: the path went silent or a middlebox dropped the flow`,
    hint: 'measure the idle timeout of this path and pick a keepalive below it: mqtt-doctor keepalive-tune <url>',
  };
}

/**
 * An idle link's last byte may be its CONNACK: it died somewhere between that and its first unanswered send, so a
 * connected period is a range, not "~0 ms" (`upToMs` is absent in summaries from before the bounds).
 */
function connectedPeriodText(p50: number, upToMs: number | undefined): string {
  return upToMs !== undefined && upToMs - p50 >= 1000
    ? `between ${p50 < 1 ? '0 s' : formatDuration(p50)} and ${formatDuration(upToMs)}`
    : `~${formatDuration(p50)}`;
}

function takeoverFinding(summary: SoakSummary): SoakFinding | undefined {
  const takeovers = causeCount(summary, 'session-taken-over');
  if (takeovers <= 0) return undefined;
  return {
    id: 'session-taken-over',
    status: 'warn',
    title: 'session taken over',
    summary: `${takeovers} takeovers by the same client id`,
    explanation: `${takeovers} disconnects because another connection used the same client id (${CAUSE_INFO['session-taken-over'].layer} problem, not the network)`,
    hint: 'give every device a unique client id; look for a second instance or a stuck old process',
  };
}

function sessionLostFinding(summary: SoakSummary): SoakFinding | undefined {
  const lost = summary.connections.sessionsLost;
  if (lost <= 0) return undefined;
  return {
    id: 'session-lost',
    status: 'warn',
    title: 'sessions lost',
    summary: `${lost} reconnects found no session`,
    explanation: `${lost} reconnects expected the broker to keep the session (clean = false) but CONNACK said session present = 0: queued messages and subscriptions were gone`,
    hint: 'check the broker keeps sessions across restarts (mosquitto: persistence true) and the session expiry interval',
  };
}

function noEchoFinding(summary: SoakSummary): SoakFinding | undefined {
  const messages = summary.messages;
  if (!(messages.sent > 0 && messages.received === 0)) return undefined;
  return {
    id: 'no-echo',
    status: 'fail',
    title: 'no message came back',
    summary: `0 of ${messages.sent} messages received`,
    explanation:
      'every client published to its own topic and subscribed to it, yet nothing arrived: the broker refused the subscription or the publish (ACL), or drops messages',
    hint: 'check the broker ACL for mqtt-doctor/soak/#, or run mqtt-doctor probe --method echo',
  };
}

function flapsFinding(summary: SoakSummary): SoakFinding | undefined {
  const conns = summary.connections;
  if (conns.flaps <= 0) return undefined;
  return {
    id: 'flaps',
    status: 'info',
    title: 'short outages',
    summary: `${conns.flaps} outages under ${formatDuration(conns.flapThresholdMs)}`,
    explanation: `${conns.flaps} outages shorter than ${formatDuration(conns.flapThresholdMs)}: a dashboard would show these as "offline" although the client came straight back`,
  };
}
