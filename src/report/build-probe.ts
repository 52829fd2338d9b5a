/**
 * Pure: ProbeResult (+ what the user asked) → Report. The phase waterfall becomes checks, the broker's grants
 * and the RTT summary become sections, failures get the knowledge base's most likely cause.
 */
import { formatHostPort, maskTarget, type Target } from '../config/target.js';
import { formatDuration } from '../config/units.js';
import { ExitCode } from '../errors.js';
import { classifyFailure } from '../kb/classify.js';
import { describeConnack } from '../kb/reason-codes.js';
import {
  checkThresholds,
  findings,
  summarizeRtt,
  type Finding,
  type ProbeThresholds,
  type RttSummary,
  type ThresholdResult,
} from '../analyze/probe.js';
import type { ProbeFailure, ProbeResult } from '../analyze/probe-events.js';
import { classifyMeasurementFailure } from '../analyze/failure.js';
import type { Phase } from '../transport/types.js';
import { reportEnvelope, type Check, type Report, type ReportError, type Section, type Verdict } from './model.js';
import { rttSparkline } from './html/terminal-spark.js';

export interface ProbeReportInput {
  result: ProbeResult;
  target: Target;
  keepaliveS: number;
  thresholds: ProbeThresholds;
  startedAt: Date;
  finishedAt: Date;
  version: string;
  /** Set when the probe went through an in-process impair proxy. */
  impair?: { spec: string; via: string };
  embedded?: boolean;
}

export interface ProbeData {
  method: ProbeResult['method'];
  qos: number;
  clientId: string;
  mqttVersion: '3.1.1' | '5';
  fellBackTo311: boolean;
  embedded: boolean;
  impair?: { spec: string; via: string };
  phases: ProbeResult['dial'] & {
    connack?: {
      ms: number;
      reasonCode: number;
      reasonName: string;
      sessionPresent: boolean;
      properties: Record<string, unknown>;
    };
  };
  connectMs: number | null;
  rtt: RttSummary;
  samples: ProbeResult['samples'];
  thresholds: ThresholdResult[];
  findings: Finding[];
  failure?: ProbeFailure;
  serverDisconnect?: ProbeResult['serverDisconnect'];
}

const PHASE_TITLE: Record<Phase, string> = {
  dns: 'DNS lookup',
  tcp: 'TCP connect',
  tls: 'TLS handshake',
  ws: 'WebSocket upgrade',
  mqtt: 'CONNECT → CONNACK',
};

const fmtMs = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '—' : formatDuration(ms));

function phasesFor(t: Target): Phase[] {
  const p: Phase[] = ['dns', 'tcp'];
  if (t.secure) p.push('tls');
  if (t.scheme === 'ws' || t.scheme === 'wss') p.push('ws');
  if (!t.rawTransport) p.push('mqtt');
  return p;
}

/** A failure in words: what most likely happened, and what to do. */
export interface FailureText {
  explanation: string;
  hint: string | undefined;
}

export function explainFailure(
  f: ProbeFailure,
  mqttVersion: 4 | 5,
  cross?: ProbeResult['crossCheck'],
  target?: Target,
): FailureText {
  if (cross?.answered && target) return explainCrossCheck(f, cross, target);
  if (f.phase === 'mqtt' && f.code === 'CONNACK_TIMEOUT') {
    return {
      explanation:
        'TCP (and TLS) worked but no CONNACK came back: most likely the port is not an MQTT listener (e.g. a WebSocket or HTTP port), or the broker is stalled or waiting on an auth backend',
      hint: 'check the port (1883 mqtt, 8883 mqtts, 8083/8084 ws) and the broker log; raise --connect-timeout only if the broker is known to be slow',
    };
  }
  if (f.phase === 'mqtt' && (f.code === 'ECONNRESET' || f.code === 'CLOSED_BEFORE_CONNACK')) {
    return {
      explanation:
        'the server closed the connection in answer to CONNECT: most likely the port expects TLS or WebSocket, or the broker rejected this CONNECT (protocol level, client id, size)',
      hint: 'check the broker log for this client id; try mqtts:// or ws:// on this port',
    };
  }
  if (f.phase === 'mqtt' && f.reasonCode !== undefined && f.code === 'CONNACK_REFUSED')
    return explainRefusal(f.reasonCode, mqttVersion, target);
  const c = classifyFailure({ phase: f.phase, ...(f.code ? { code: f.code } : {}), message: f.message, mqttVersion });
  if (!c) return { explanation: f.message, hint: undefined };
  const cause = c.causes[0];
  return { explanation: `${c.title}${cause ? `: most likely ${lowerFirst(cause)}` : ''}`, hint: c.fix };
}

/** The port answered another protocol on the same address: say which, and the URL that speaks it. */
function explainCrossCheck(
  f: ProbeFailure,
  cross: NonNullable<ProbeResult['crossCheck']>,
  target: Target,
): FailureText {
  const hostPort = formatHostPort(target.host, target.port);
  if (cross.tried === 'ws') {
    const url = `${target.secure ? 'wss' : 'ws'}://${hostPort}${cross.path ?? '/mqtt'}`;
    return {
      explanation: `this port speaks MQTT over WebSocket: the CONNECT got no MQTT answer, and a WebSocket upgrade to ${cross.path ?? '/mqtt'} on the same port succeeded`,
      hint: `use ${url}`,
    };
  }
  if (cross.tried === 'mqtt' && f.phase === 'ws') {
    return {
      explanation:
        'this port speaks plain MQTT, not WebSocket: the upgrade request was cut off, and a CONNECT on the same port got a CONNACK',
      hint: `use ${target.secure ? 'mqtts' : 'mqtt'}://${hostPort}`,
    };
  }
  const url = `${cross.tried === 'tls' ? (target.scheme === 'ws' ? 'wss' : 'mqtts') : target.scheme === 'wss' ? 'ws' : 'mqtt'}://${hostPort}`;
  return cross.tried === 'tls'
    ? {
        explanation: `this port speaks TLS: a plaintext CONNECT was cut off, and a TLS handshake on the same port succeeded`,
        hint: `use ${url}`,
      }
    : {
        explanation: `this port speaks plain MQTT: the TLS handshake was cut off, and a plaintext CONNECT on the same port got a CONNACK`,
        hint: `use ${url} (or the broker's TLS port, often 8883)`,
      };
}

/** A CONNACK refusal: its name and code, led by the likely cause when credentials were sent. */
function explainRefusal(reasonCode: number, mqttVersion: 4 | 5, target: Target | undefined): FailureText {
  const rc = describeConnack(reasonCode, mqttVersion);
  const credentialsSent = target !== undefined && (target.username !== undefined || target.password !== undefined);
  const c = classifyFailure({ phase: 'mqtt', reasonCode, mqttVersion, credentialsSent });
  // With credentials sent, the generic meaning ("missing credentials…") would mislead: lead with the cause.
  const why = credentialsSent && c?.causes[0] ? `most likely ${lowerFirst(c.causes[0])}` : rc.meaning;
  return { explanation: `${rc.name} (${rc.hex}): ${why}`, hint: c?.fix };
}

function lowerFirst(s: string): string {
  return s.length > 1 && /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}

function phaseCheck(phase: Phase, r: ProbeResult, target: Target): Check | undefined {
  return PHASE_CHECKS[phase](r, target);
}

/** One check per connection phase, or undefined when the run did not reach it. */
const PHASE_CHECKS: Record<Phase, (r: ProbeResult, target: Target) => Check | undefined> = {
  dns: dnsCheck,
  tcp: tcpCheck,
  tls: tlsCheck,
  ws: wsCheck,
  mqtt: connackCheck,
};

function dnsCheck(result: ProbeResult, target: Target): Check | undefined {
  const { dns, tcp } = result.dial;
  if (!dns) return undefined;
  const addrs = dns.addresses.map((a) => a.address);
  const chosen = tcp?.address;
  return {
    id: 'dns',
    title: PHASE_TITLE.dns,
    status: 'pass',
    ...(dns.literal ? {} : { durationMs: dns.ms }),
    summary: dns.literal
      ? `${target.host} is an IP address (no lookup)`
      : `${addrs.length} address${addrs.length === 1 ? '' : 'es'}: ${addrs.join(', ')}${chosen ? ` → ${chosen}` : ''}`,
    metrics: { addresses: dns.addresses, literal: dns.literal },
  };
}

function tcpCheck(result: ProbeResult, target: Target): Check | undefined {
  const tcp = result.dial.tcp;
  if (!tcp) return undefined;
  return {
    id: 'tcp',
    title: PHASE_TITLE.tcp,
    status: 'pass',
    durationMs: tcp.ms,
    // The address and port actually connected to: an impair proxy's when one is in the path.
    summary: `${tcp.family === 6 ? `[${tcp.address}]` : tcp.address}:${tcp.port ?? target.port} (IPv${tcp.family})`,
    metrics: { ...tcp },
  };
}

function tlsCheck(result: ProbeResult): Check | undefined {
  const tls = result.dial.tls;
  if (!tls) return undefined;
  const cert = tls.certificate;
  const verify = tls.verified ? 'verified' : `NOT verified: ${tls.verifyError}`;
  return {
    id: 'tls',
    title: PHASE_TITLE.tls,
    status: tls.verified ? 'pass' : tls.insecure ? 'warn' : 'fail',
    durationMs: tls.ms,
    summary: `${tls.protocol ?? '?'} ${tls.cipher ?? ''}${tls.alpn ? ` alpn=${tls.alpn}` : ''}, ${verify}${cert ? `, ${cert.daysToExpiry} days left` : ''}`,
    metrics: { ...tls },
  };
}

function wsCheck(result: ProbeResult): Check | undefined {
  const ws = result.dial.ws;
  if (!ws) return undefined;
  return {
    id: 'ws',
    title: PHASE_TITLE.ws,
    status: 'pass',
    durationMs: ws.ms,
    summary: `HTTP ${ws.status} ${ws.path}, subprotocol ${ws.subprotocol || '(none)'}`,
    metrics: { ...ws },
  };
}

function connackCheck(result: ProbeResult): Check | undefined {
  const connack = result.connack;
  if (!connack) return undefined;
  const rc = describeConnack(connack.reasonCode, connack.protocolVersion);
  return {
    id: 'connack',
    title: PHASE_TITLE.mqtt,
    status: connack.reasonCode === 0 ? 'pass' : 'fail',
    durationMs: connack.ms,
    summary:
      connack.reasonCode === 0
        ? `accepted, MQTT ${connack.protocolVersion === 5 ? '5' : '3.1.1'}, session present ${connack.sessionPresent ? 1 : 0}`
        : `refused: ${rc.name} (${rc.hex})`,
    metrics: { reasonCode: connack.reasonCode, reasonName: rc.name, sessionPresent: connack.sessionPresent },
  };
}

/**
 * First decision that applies: interrupted, the connection failed, a threshold failed, the session was lost,
 * untrusted figures, no replies; else degraded or healthy on the replies.
 */
function verdictFor(
  r: ProbeResult,
  rtt: RttSummary,
  thresholds: ThresholdResult[],
  warnings: number,
  untrusted: Finding[],
): Verdict {
  if (r.interrupted) {
    return {
      status: 'interrupted',
      exitCode: ExitCode.interrupted,
      summary: `interrupted after ${rtt.sent} probes; partial results above`,
    };
  }
  const failure = r.failure;
  if (failure && r.sessionLostAfterSeq === undefined) return connectFailedVerdict(r, failure);
  const failedT = thresholds.filter((t) => !t.pass);
  if (failedT.length > 0) {
    return {
      status: 'failed',
      exitCode: ExitCode.finding,
      summary: `threshold failed: ${failedT.map(thresholdText).join(', ')}`,
    };
  }
  if (failure) return { status: 'failed', exitCode: ExitCode.finding, summary: failure.message };
  // Figures that cannot be trusted (replies nobody asked for) are a finding, never a pass.
  const u = untrusted[0];
  if (u) return { status: 'failed', exitCode: ExitCode.finding, summary: u.text };
  if (rtt.sent > 0 && rtt.received === 0) {
    return { status: 'failed', exitCode: ExitCode.finding, summary: `no replies: ${rtt.sent} probes sent, 100% loss` };
  }
  return repliesVerdict(rtt, warnings);
}

/** The connection never became a session: refused (exit 4), not MQTT, or the phase that failed (exit 3). */
function connectFailedVerdict(r: ProbeResult, f: NonNullable<ProbeResult['failure']>): Verdict {
  const phaseName = f.phase === 'mqtt' && r.connack?.reasonCode === 0 ? 'MQTT session' : PHASE_TITLE[f.phase];
  const refused = f.phase === 'mqtt';
  if (f.code === 'CONNACK_REFUSED' && f.reasonCode !== undefined) {
    const rc = describeConnack(f.reasonCode, r.mqttVersion);
    return {
      status: 'failed',
      exitCode: ExitCode.refused,
      summary: `the broker refused the connection: ${rc.name} (${rc.hex})`,
    };
  }
  // A server that accepted the connection and never spoke MQTT is named the way every command names it (the
  // shared failure route); other failures keep their phase's own wording.
  const classified =
    phaseName === 'MQTT session' ? undefined : classifyMeasurementFailure({ ...f, mqttVersion: r.mqttVersion });
  if (classified?.kind === 'not-mqtt')
    return { status: 'failed', exitCode: classified.exitCode, summary: classified.oneLine };
  return {
    status: 'failed',
    exitCode: refused ? ExitCode.refused : ExitCode.unreachable,
    summary: `${phaseName} failed: ${f.message}`,
  };
}

/** `max-loss (12.0% > 5%)`. */
function thresholdText(t: ThresholdResult): string {
  const actual = t.actual === null ? 'no data' : t.unit === '%' ? `${t.actual.toFixed(1)}%` : fmtMs(t.actual);
  return `${t.id} (${actual} > ${t.unit === '%' ? `${t.limit}%` : fmtMs(t.limit)})`;
}

/** Replies came: degraded by loss or warnings, else healthy. */
function repliesVerdict(rtt: RttSummary, warnings: number): Verdict {
  const lossy = rtt.lost > 0;
  const rttText = rtt.stats ? `, RTT p50 ${fmtMs(rtt.stats.p50)} p99 ${fmtMs(rtt.stats.p99)}` : '';
  const base = `${rtt.received}/${rtt.sent} replies, ${rtt.lossPct.toFixed(1)}% loss${rttText}`;
  if (lossy || warnings > 0)
    return {
      status: 'degraded',
      exitCode: ExitCode.ok,
      summary: `${base}${warnings ? `; ${warnings} warning${warnings > 1 ? 's' : ''}` : ''}`,
    };
  return { status: 'healthy', exitCode: ExitCode.ok, summary: base };
}

function grantsSection(r: ProbeResult): Section | undefined {
  const c = r.connack;
  if (!c || c.reasonCode !== 0) return undefined;
  const p = c.properties;
  const yesNo = (v: boolean | undefined, dflt: string) => (v === undefined ? dflt : v ? 'yes' : 'no');
  const pairs: Array<[string, string]> = [
    ['protocol', c.protocolVersion === 5 ? 'MQTT 5' : `MQTT 3.1.1${r.fellBackTo311 ? ' (MQTT 5 refused)' : ''}`],
    ['session present', c.sessionPresent ? 'yes' : 'no'],
  ];
  if (c.protocolVersion === 5) {
    // Absent CONNACK properties have spec defaults (MQTT 5 §3.2.2.3); show them as such.
    pairs.push(
      [
        'server keep alive',
        p.serverKeepAlive !== undefined
          ? `${p.serverKeepAlive} s (overrides the client's)`
          : 'not set (client value stands)',
      ],
      ['session expiry', p.sessionExpiryInterval !== undefined ? `${p.sessionExpiryInterval} s` : 'as requested'],
      ['receive maximum', p.receiveMaximum !== undefined ? String(p.receiveMaximum) : '65535 (default)'],
      ['maximum packet size', p.maximumPacketSize !== undefined ? `${p.maximumPacketSize} bytes` : 'no limit'],
      ['topic alias maximum', p.topicAliasMaximum !== undefined ? String(p.topicAliasMaximum) : '0 (default)'],
      ['maximum QoS', p.maximumQoS !== undefined ? String(p.maximumQoS) : '2 (default)'],
      ['retain available', yesNo(p.retainAvailable, 'yes (default)')],
      ['wildcard subscriptions', yesNo(p.wildcardSubscriptionAvailable, 'yes (default)')],
      ['subscription identifiers', yesNo(p.subscriptionIdentifiersAvailable, 'yes (default)')],
      ['shared subscriptions', yesNo(p.sharedSubscriptionAvailable, 'yes (default)')],
    );
    if (p.assignedClientIdentifier) pairs.push(['assigned client id', p.assignedClientIdentifier]);
    if (p.reasonString) pairs.push(['reason string', p.reasonString]);
    if (p.serverReference) pairs.push(['server reference', p.serverReference]);
    if (p.responseInformation) pairs.push(['response information', p.responseInformation]);
  }
  return { kind: 'pairs', title: 'Broker granted', pairs };
}

function certSection(r: ProbeResult): Section | undefined {
  const cert = r.dial.tls?.certificate;
  if (!cert) return undefined;
  return {
    kind: 'pairs',
    title: 'TLS certificate',
    pairs: [
      ['subject', cert.subject],
      ['issuer', `${cert.issuer}${cert.selfSigned ? ' (self-signed)' : ''}`],
      ['names', cert.subjectAltNames.join(', ') || '(no SAN)'],
      ['valid', `${cert.validFrom.slice(0, 10)} → ${cert.validTo.slice(0, 10)} (${cert.daysToExpiry} days left)`],
      [
        'verification',
        r.dial.tls?.verified
          ? 'passed'
          : `${r.dial.tls?.verifyError}${r.dial.tls?.insecure ? ' (ignored: --insecure)' : ''}`,
      ],
    ],
  };
}

/** httpstat-style bars: where the connect time went, phase by phase (only when something connected). */
function waterfallSection(r: ProbeResult): Section | undefined {
  const d = r.dial;
  const phases: Array<[string, number | undefined]> = [
    ['DNS', d.dns && !d.dns.literal ? d.dns.ms : undefined],
    ['TCP', d.tcp?.ms],
    ['TLS', d.tls?.ms],
    ['WebSocket', d.ws?.ms],
    ['CONNACK', r.connack?.ms],
  ];
  const shown = phases.filter((p): p is [string, number] => p[1] !== undefined);
  const total = shown.reduce((a, [, ms]) => a + ms, 0);
  if (shown.length < 2 || total <= 0) return undefined;
  const WIDTH = 30;
  let start = 0;
  const lines = shown.map(([name, ms]) => {
    const from = Math.round((start / total) * WIDTH);
    const to = Math.max(from + 1, Math.round(((start + ms) / total) * WIDTH));
    start += ms;
    return `${name.padEnd(10)} ${' '.repeat(from)}${'█'.repeat(to - from)}${' '.repeat(Math.max(0, WIDTH - to))} ${fmtMs(ms)}`;
  });
  return { kind: 'lines', title: `Connect waterfall (${fmtMs(total)} in total)`, lines };
}

function rttSection(r: ProbeResult, rtt: RttSummary): Section | undefined {
  if (rtt.sent === 0) return undefined;
  const what =
    r.method === 'ping'
      ? 'PINGREQ → PINGRESP'
      : r.method === 'echo'
        ? `PUBLISH QoS ${r.qos} → own subscription`
        : 'TCP connect (tcping)';
  const pairs: Array<[string, string]> = [
    ['method', what],
    [
      'sent / received',
      `${rtt.sent} / ${rtt.received}, ${rtt.lossPct.toFixed(1)}% loss${rtt.late ? `, ${rtt.late} late` : ''}${rtt.duplicates ? `, ${rtt.duplicates} duplicates` : ''}`,
    ],
    ['cold (first probe)', fmtMs(rtt.coldMs)],
    ...(rtt.sent > 1 ? [['per probe', rttSparkline(r.samples.map((x) => x.rttMs))] as [string, string]] : []),
  ];
  const s = rtt.stats;
  if (s) {
    pairs.push(
      [`min / avg / max / mdev`, `${fmtMs(s.min)} / ${fmtMs(s.avg)} / ${fmtMs(s.max)} / ${fmtMs(s.mdev)}`],
      ['p50 / p90 / p99', `${fmtMs(s.p50)} / ${fmtMs(s.p90)} / ${fmtMs(s.p99)}`],
      ['jitter', fmtMs(s.jitter)],
    );
  }
  if (rtt.unsolicited > 0) pairs.push(['unsolicited PINGRESPs', `${rtt.unsolicited} (RTT not measurable)`]);
  if (rtt.backToBack) {
    pairs.push([
      'back-to-back p50 / max',
      `${fmtMs(rtt.backToBack.p50)} / ${fmtMs(rtt.backToBack.max)} (${rtt.backToBack.count} pings, each after the previous reply)`,
    ]);
  }
  if (rtt.ack) {
    const label =
      r.method === 'connect' ? 'TLS handshake p50 / p99' : `${r.qos === 2 ? 'PUBCOMP' : 'PUBACK'} p50 / p99`;
    pairs.push([label, `${fmtMs(rtt.ack.p50)} / ${fmtMs(rtt.ack.p99)}`]);
  }
  return { kind: 'pairs', title: 'Round trip', pairs };
}

export function buildProbeReport(input: ProbeReportInput): Report<ProbeData> {
  const { result, target } = input;
  const rtt = summarizeRtt(result.samples, {
    unsolicited: result.unsolicitedReplies,
    backToBackMs: result.backToBack?.samplesMs,
  });
  const thresholds = checkThresholds(input.thresholds, rtt, result.connectMs);
  const found = findings(result, rtt, input.keepaliveS);
  const checks: Check[] = [
    ...impairChecks(input.impair),
    ...phaseChecks(result, target),
    ...subscribeChecks(result),
    ...rttChecks(result, rtt),
    ...thresholds.map(thresholdCheck),
    ...found.map(findingCheck),
  ];
  const warnings = found.filter((f) => f.severity === 'warn').length;
  const verdict = verdictFor(
    result,
    rtt,
    thresholds,
    warnings,
    found.filter((f) => f.severity === 'fail'),
  );
  const view = [waterfallSection(result), grantsSection(result), certSection(result), rttSection(result, rtt)].filter(
    (section): section is Section => section !== undefined,
  );
  const error = reportError(result, target);
  return {
    ...reportEnvelope({
      command: 'probe',
      version: input.version,
      startedAt: input.startedAt,
      finishedAt: input.finishedAt,
      target: maskTarget(target),
      insecure: result.dial.tls?.insecure,
    }),
    checks,
    data: probeData(input, rtt, thresholds, found),
    ...(error ? { error } : {}),
    verdict,
    view,
  };
}

/** The impair proxy in the path, named first: every figure below includes its faults. */
function impairChecks(impair: ProbeReportInput['impair']): Check[] {
  if (!impair) return [];
  return [
    {
      id: 'impair',
      title: 'Impair proxy',
      status: 'info',
      summary: `in the path: ${impair.via} (${impair.spec})`,
      explanation: `every byte crossed an in-process impair proxy at ${impair.via}; the figures below include the faults it injected (${impair.spec})`,
      metrics: { ...impair },
    },
  ];
}

/**
 * One check per connection phase (DNS, TCP, TLS, WS, CONNACK): the failed phase carries the explanation, the
 * phases after it are "not reached".
 */
function phaseChecks(result: ProbeResult, target: Target): Check[] {
  const checks: Check[] = [];
  const failedPhase = result.failure && result.sessionLostAfterSeq === undefined ? result.failure.phase : undefined;
  for (const phase of phasesFor(target)) {
    const check = phaseCheck(phase, result, target);
    if (check && !(phase === failedPhase && check.status === 'pass' && phase !== 'mqtt')) {
      checks.push(check);
      if (phase === failedPhase && check.status === 'fail') {
        const ex = explainFailure(result.failure!, result.mqttVersion, result.crossCheck, target);
        check.explanation = ex.explanation;
        if (ex.hint) check.hint = ex.hint;
      }
      continue;
    }
    if (phase === failedPhase) {
      const ex = explainFailure(result.failure!, result.mqttVersion, result.crossCheck, target);
      checks.push({
        id: phase === 'mqtt' ? 'connack' : phase,
        title: PHASE_TITLE[phase],
        status: 'fail',
        summary: `${result.failure!.code ?? 'failed'}: ${result.failure!.message}`,
        explanation: ex.explanation,
        ...(ex.hint ? { hint: ex.hint } : {}),
      });
    } else if (failedPhase !== undefined) {
      checks.push({
        id: phase === 'mqtt' ? 'connack' : phase,
        title: PHASE_TITLE[phase],
        status: 'skip',
        summary: 'not reached',
      });
    }
  }
  return checks;
}

/** Connected fine, then the echo set-up failed (no SUBACK, SUBSCRIBE refused). */
function subscribeChecks(result: ProbeResult): Check[] {
  if (!(result.failure && result.sessionLostAfterSeq === undefined && result.connack?.reasonCode === 0)) return [];
  return [
    {
      id: 'subscribe',
      title: 'Echo SUBSCRIBE',
      status: 'fail',
      summary: `${result.failure.code ?? 'failed'}: ${result.failure.message}`,
      explanation: result.failure.message,
      hint: 'use --method ping, which needs no topic rights, or grant this client its echo topic',
    },
  ];
}

/** The round-trip check, when anything was sent: replies, loss, percentiles, and a session lost on the way. */
function rttChecks(result: ProbeResult, rtt: RttSummary): Check[] {
  if (rtt.sent <= 0) return [];
  const stats = rtt.stats;
  const sessionLost = result.sessionLostAfterSeq !== undefined;
  return [
    {
      id: 'rtt',
      title:
        result.method === 'connect'
          ? 'Connect RTT (tcping)'
          : result.method === 'echo'
            ? `Echo RTT (QoS ${result.qos})`
            : 'Ping RTT',
      status: sessionLost || rtt.received === 0 || rtt.unsolicited > 0 ? 'fail' : rtt.lost > 0 ? 'warn' : 'pass',
      summary: `${rtt.received}/${rtt.sent} received, ${rtt.lossPct.toFixed(1)}% loss${stats ? `, p50 ${fmtMs(stats.p50)}, p99 ${fmtMs(stats.p99)}` : ''}`,
      metrics: { ...rtt },
      ...(sessionLost && result.failure ? { explanation: result.failure.message } : {}),
      ...(sessionLost && result.failure
        ? {
            hint:
              explainFailure(result.failure, result.mqttVersion).hint ??
              'run mqtt-doctor soak to see how often this happens',
          }
        : {}),
    },
  ];
}

/** One `--max-…` limit against the figure it bounds. */
function thresholdCheck(threshold: ThresholdResult): Check {
  const fmt = (value: number | null) =>
    value === null ? 'no data' : threshold.unit === '%' ? `${value.toFixed(2)}%` : fmtMs(value);
  return {
    id: `threshold.${threshold.id}`,
    title: `--${threshold.id} ${threshold.unit === '%' ? `${threshold.limit}%` : fmtMs(threshold.limit)}`,
    status: threshold.pass ? 'pass' : 'fail',
    summary: `${fmt(threshold.actual)} ${threshold.pass ? '≤' : '>'} ${fmt(threshold.limit)}`,
    metrics: { limit: threshold.limit, actual: threshold.actual },
    ...(threshold.pass ? {} : { explanation: `${threshold.id} is over its limit` }),
  };
}

/** A finding of the analysis as a check (notes are info, the rest keep their severity). */
function findingCheck(finding: Finding): Check {
  return {
    id: `finding.${finding.id}`,
    title: finding.severity === 'info' ? 'Note' : 'Finding',
    status: finding.severity === 'fail' ? 'fail' : finding.severity === 'warn' ? 'warn' : 'info',
    summary: finding.text,
    explanation: finding.text,
    ...(finding.hint ? { hint: finding.hint } : {}),
  };
}

/** The report's `data`: what was asked, the phase timings, the CONNACK, every sample and finding. */
function probeData(
  input: ProbeReportInput,
  rtt: RttSummary,
  thresholds: ThresholdResult[],
  found: Finding[],
): ProbeData {
  const result = input.result;
  const connack = result.connack;
  return {
    method: result.method,
    qos: result.qos,
    clientId: result.clientId,
    mqttVersion: result.mqttVersion === 5 ? '5' : '3.1.1',
    fellBackTo311: result.fellBackTo311,
    embedded: input.embedded ?? false,
    ...(input.impair ? { impair: input.impair } : {}),
    phases: {
      ...result.dial,
      ...(connack
        ? {
            connack: {
              ms: connack.ms,
              reasonCode: connack.reasonCode,
              reasonName: describeConnack(connack.reasonCode, connack.protocolVersion).name,
              sessionPresent: connack.sessionPresent,
              properties: { ...connack.properties },
            },
          }
        : {}),
    },
    connectMs: result.connectMs ?? null,
    rtt,
    samples: result.samples,
    thresholds,
    findings: found,
    ...(result.failure ? { failure: result.failure } : {}),
    ...(result.serverDisconnect ? { serverDisconnect: result.serverDisconnect } : {}),
  };
}

/** The report's `error` when the probe failed: refused, session lost or unreachable, with the hint. */
function reportError(result: ProbeResult, target: Target): ReportError | undefined {
  const failure = result.failure;
  if (!failure) return undefined;
  const hint = explainFailure(failure, result.mqttVersion, result.crossCheck, target).hint;
  return {
    kind:
      failure.phase === 'mqtt' && result.sessionLostAfterSeq === undefined
        ? 'refused'
        : result.sessionLostAfterSeq !== undefined
          ? 'session-lost'
          : 'unreachable',
    phase: failure.phase,
    ...(failure.code ? { code: failure.code } : {}),
    message: failure.message,
    ...(hint ? { hint } : {}),
  };
}

/**
 * One line for scripts and "is it up?" checks (`probe --brief`): verdict, target, connect time, RTT.
 * The exit code is the report's, as without --brief.
 */
export function briefLine(report: Report<ProbeData>): string {
  const d = report.data;
  const parts = [report.verdict.status.toUpperCase(), report.target?.url ?? ''];
  if (d.connectMs !== null) parts.push(`connect ${fmtMs(d.connectMs)}`);
  const s = d.rtt.stats;
  if (s) parts.push(`rtt p50 ${fmtMs(s.p50)} p99 ${fmtMs(s.p99)}`);
  if (d.rtt.sent > 0) parts.push(`${d.rtt.received}/${d.rtt.sent} replies`);
  if (report.verdict.status !== 'healthy') parts.push(report.verdict.summary);
  return parts.filter((x) => x !== '').join('  ');
}
