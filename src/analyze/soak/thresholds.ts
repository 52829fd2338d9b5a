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
 * signature of a NAT/firewall idle timeout shorter than the keepalive (reference C1/C2: AWS NAT 350 s,
 * Azure LB 4 min, cellular NATs minutes): the fix is a shorter keepalive, which keepalive-tune measures.
 */
export interface FindingContext {
  /** Messages per second per client asked for (0 = idle run). */
  ratePerS: number;
  /** How the run ended: an interrupted run is not blamed for what it had no time to do. */
  end: string;
}

export function soakFindings(s: SoakSummary, ctx: FindingContext = { ratePerS: 0, end: 'duration' }): SoakFinding[] {
  const out: SoakFinding[] = [];
  const c = s.connections;
  const by = (k: DisconnectCause) => c.byCause[k] ?? 0;
  const finished = ctx.end !== 'signal' && ctx.end !== 'killed';
  const notServed = (Object.entries(c.byCause) as Array<[DisconnectCause, number]>)
    .filter(([k]) => NOT_SERVED_CAUSES.has(k))
    .sort((a, b) => b[1] - a[1]);
  const topNotServed = notServed[0] ? ` (${CAUSE_INFO[notServed[0][0]].title}: ${notServed[0][1]})` : '';
  if (finished && c.connects > 0 && c.neverConnected > 0) {
    out.push({
      id: 'not-ready',
      status: 'fail',
      title: 'clients never ready',
      summary: `${c.neverConnected} of ${s.clients} clients never became ready${topNotServed}`,
      explanation: `${c.neverConnected} of ${s.clients} clients never got a usable connection during the run (no CONNACK, or no SUBACK for their subscription, within the bound): they measured nothing`,
      hint: 'see the causes below; a broker that accepts connections and then stalls is overloaded or broken',
    });
  }
  if (finished && ctx.ratePerS > 0 && c.connects > 0 && s.messages.sent === 0) {
    out.push({
      id: 'no-traffic',
      status: 'fail',
      title: 'no message sent',
      summary: `0 messages sent${topNotServed}`,
      explanation:
        'the clients connected but none became ready to publish (each publishes only after its subscription is acknowledged), so nothing was measured: no traffic is never healthy',
      hint: 'check the broker answers SUBSCRIBE (mqtt-doctor probe --method echo <url>)',
    });
  }
  const sat = s.saturation;
  if (sat && sat.windows > 0) {
    out.push({
      id: 'saturated',
      status: 'warn',
      title: 'measuring machine saturated',
      summary: `mqtt-doctor itself was the bottleneck for ${formatDuration(sat.totalMs)} (event-loop delay up to ${formatDuration(sat.loopDelayMaxMs)}, CPU up to ${Math.round(sat.cpuMaxPct)}%)`,
      explanation: `for ${formatDuration(sat.totalMs)} this process could not keep up (its timers ran up to ${formatDuration(sat.loopDelayMaxMs)} late): ${sat.failuresDuring} disconnects or failed attempts happened in those seconds and may be our own timeouts, not the broker's or the network's`,
      hint: 'use fewer clients per process (--clients), a slower --ramp, or a bigger machine',
    });
  }
  const silent = by('keepalive-timeout') + by('reset');
  // Timeouts while our own loop stalled are ours: a finding about the path needs some outside those seconds.
  if (silent > (sat?.failuresDuring ?? 0)) {
    const loop = silent >= 2 && c.connectedMs !== null && c.connectedMs.count >= 2;
    const spread = loop && c.connectedMs ? c.connectedMs.max - c.connectedMs.min : Number.POSITIVE_INFINITY;
    const regular = loop && c.connectedMs !== null && spread <= Math.max(2000, 0.25 * c.connectedMs.p50);
    // An idle link's last byte may be its CONNACK: it died somewhere between that and its first unanswered
    // send, so a connected period is a range, not "~0 ms" (absent in summaries from before the bounds).
    const upTo = c.connectedUpToMs?.p50;
    const each = (p50: number) =>
      upTo !== undefined && upTo - p50 >= 1000
        ? `between ${p50 < 1 ? '0 s' : formatDuration(p50)} and ${formatDuration(upTo)}`
        : `~${formatDuration(p50)}`;
    out.push({
      id: 'keepalive',
      status: 'warn',
      title: regular ? 'reconnect loop' : 'keepalive timeouts / resets',
      summary:
        regular && c.connectedMs
          ? `${silent} keepalive timeouts/resets, each after ${each(c.connectedMs.p50)} connected`
          : `${silent} keepalive timeouts/resets`,
      explanation:
        regular && c.connectedMs
          ? `${silent} disconnects by keepalive timeout or reset, each after ${each(c.connectedMs.p50).replace(/^~/, 'about ')} connected: the signature of a NAT or firewall idle timeout shorter than the keepalive`
          : `${silent} disconnects by keepalive timeout or reset: the path went silent or a middlebox dropped the flow`,
      hint: 'measure the idle timeout of this path and pick a keepalive below it: mqtt-doctor keepalive-tune <url>',
    });
  }
  if (by('session-taken-over') > 0) {
    out.push({
      id: 'session-taken-over',
      status: 'warn',
      title: 'session taken over',
      summary: `${by('session-taken-over')} takeovers by the same client id`,
      explanation: `${by('session-taken-over')} disconnects because another connection used the same client id (${CAUSE_INFO['session-taken-over'].layer} problem, not the network)`,
      hint: 'give every device a unique client id; look for a second instance or a stuck old process',
    });
  }
  if (c.sessionsLost > 0) {
    out.push({
      id: 'session-lost',
      status: 'warn',
      title: 'sessions lost',
      summary: `${c.sessionsLost} reconnects found no session`,
      explanation: `${c.sessionsLost} reconnects expected the broker to keep the session (clean = false) but CONNACK said session present = 0: queued messages and subscriptions were gone`,
      hint: 'check the broker keeps sessions across restarts (mosquitto: persistence true) and the session expiry interval',
    });
  }
  if (s.messages.sent > 0 && s.messages.received === 0) {
    out.push({
      id: 'no-echo',
      status: 'fail',
      title: 'no message came back',
      summary: `0 of ${s.messages.sent} messages received`,
      explanation:
        'every client published to its own topic and subscribed to it, yet nothing arrived: the broker refused the subscription or the publish (ACL), or drops messages',
      hint: 'check the broker ACL for mqtt-doctor/soak/#, or run mqtt-doctor probe --method echo',
    });
  }
  if (c.flaps > 0) {
    out.push({
      id: 'flaps',
      status: 'info',
      title: 'short outages',
      summary: `${c.flaps} outages under ${formatDuration(c.flapThresholdMs)}`,
      explanation: `${c.flaps} outages shorter than ${formatDuration(c.flapThresholdMs)}: a dashboard would show these as "offline" although the client came straight back`,
    });
  }
  return out;
}
