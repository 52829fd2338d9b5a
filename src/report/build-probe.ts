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
import { reportEnvelope, type Check, type Report, type Section, type Verdict } from './model.js';
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

export function explainFailure(
  f: ProbeFailure,
  mqttVersion: 4 | 5,
  cross?: ProbeResult['crossCheck'],
  target?: Target,
): { explanation: string; hint: string | undefined } {
  if (cross?.answered && target) {
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
  if (f.phase === 'mqtt' && f.reasonCode !== undefined && f.code === 'CONNACK_REFUSED') {
    const rc = describeConnack(f.reasonCode, mqttVersion);
    const credentialsSent = target !== undefined && (target.username !== undefined || target.password !== undefined);
    const c = classifyFailure({ phase: 'mqtt', reasonCode: f.reasonCode, mqttVersion, credentialsSent });
    // With credentials sent, the generic meaning ("missing credentials…") would mislead: lead with the cause.
    const why = credentialsSent && c?.causes[0] ? `most likely ${lowerFirst(c.causes[0])}` : rc.meaning;
    return { explanation: `${rc.name} (${rc.hex}): ${why}`, hint: c?.fix };
  }
  const c = classifyFailure({ phase: f.phase, ...(f.code ? { code: f.code } : {}), message: f.message, mqttVersion });
  if (!c) return { explanation: f.message, hint: undefined };
  const cause = c.causes[0];
  return { explanation: `${c.title}${cause ? `: most likely ${lowerFirst(cause)}` : ''}`, hint: c.fix };
}

function lowerFirst(s: string): string {
  return s.length > 1 && /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}

function phaseCheck(phase: Phase, r: ProbeResult, target: Target): Check | undefined {
  const d = r.dial;
  switch (phase) {
    case 'dns': {
      if (!d.dns) return undefined;
      const addrs = d.dns.addresses.map((a) => a.address);
      const chosen = d.tcp?.address;
      return {
        id: 'dns',
        title: PHASE_TITLE.dns,
        status: 'pass',
        ...(d.dns.literal ? {} : { durationMs: d.dns.ms }),
        summary: d.dns.literal
          ? `${target.host} is an IP address (no lookup)`
          : `${addrs.length} address${addrs.length === 1 ? '' : 'es'}: ${addrs.join(', ')}${chosen ? ` → ${chosen}` : ''}`,
        metrics: { addresses: d.dns.addresses, literal: d.dns.literal },
      };
    }
    case 'tcp':
      if (!d.tcp) return undefined;
      return {
        id: 'tcp',
        title: PHASE_TITLE.tcp,
        status: 'pass',
        durationMs: d.tcp.ms,
        // The address and port actually connected to: an impair proxy's when one is in the path.
        summary: `${d.tcp.family === 6 ? `[${d.tcp.address}]` : d.tcp.address}:${d.tcp.port ?? target.port} (IPv${d.tcp.family})`,
        metrics: { ...d.tcp },
      };
    case 'tls': {
      if (!d.tls) return undefined;
      const cert = d.tls.certificate;
      const verify = d.tls.verified ? 'verified' : `NOT verified: ${d.tls.verifyError}`;
      return {
        id: 'tls',
        title: PHASE_TITLE.tls,
        status: d.tls.verified ? 'pass' : d.tls.insecure ? 'warn' : 'fail',
        durationMs: d.tls.ms,
        summary: `${d.tls.protocol ?? '?'} ${d.tls.cipher ?? ''}${d.tls.alpn ? ` alpn=${d.tls.alpn}` : ''}, ${verify}${cert ? `, ${cert.daysToExpiry} days left` : ''}`,
        metrics: { ...d.tls },
      };
    }
    case 'ws':
      if (!d.ws) return undefined;
      return {
        id: 'ws',
        title: PHASE_TITLE.ws,
        status: 'pass',
        durationMs: d.ws.ms,
        summary: `HTTP ${d.ws.status} ${d.ws.path}, subprotocol ${d.ws.subprotocol || '(none)'}`,
        metrics: { ...d.ws },
      };
    case 'mqtt': {
      const c = r.connack;
      if (!c) return undefined;
      const rc = describeConnack(c.reasonCode, c.protocolVersion);
      return {
        id: 'connack',
        title: PHASE_TITLE.mqtt,
        status: c.reasonCode === 0 ? 'pass' : 'fail',
        durationMs: c.ms,
        summary:
          c.reasonCode === 0
            ? `accepted, MQTT ${c.protocolVersion === 5 ? '5' : '3.1.1'}, session present ${c.sessionPresent ? 1 : 0}`
            : `refused: ${rc.name} (${rc.hex})`,
        metrics: { reasonCode: c.reasonCode, reasonName: rc.name, sessionPresent: c.sessionPresent },
      };
    }
  }
}

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
  const f = r.failure;
  if (f && r.sessionLostAfterSeq === undefined) {
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
  const failedT = thresholds.filter((t) => !t.pass);
  if (failedT.length > 0) {
    return {
      status: 'failed',
      exitCode: ExitCode.finding,
      summary: `threshold failed: ${failedT.map((t) => `${t.id} (${t.actual === null ? 'no data' : t.unit === '%' ? `${t.actual.toFixed(1)}%` : fmtMs(t.actual)} > ${t.unit === '%' ? `${t.limit}%` : fmtMs(t.limit)})`).join(', ')}`,
    };
  }
  if (f) return { status: 'failed', exitCode: ExitCode.finding, summary: f.message };
  // Figures that cannot be trusted (replies nobody asked for) are a finding, never a pass.
  const u = untrusted[0];
  if (u) return { status: 'failed', exitCode: ExitCode.finding, summary: u.text };
  if (rtt.sent > 0 && rtt.received === 0) {
    return { status: 'failed', exitCode: ExitCode.finding, summary: `no replies: ${rtt.sent} probes sent, 100% loss` };
  }
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
  const { result: r, target } = input;
  const rtt = summarizeRtt(r.samples, { unsolicited: r.unsolicitedReplies, backToBackMs: r.backToBack?.samplesMs });
  const thresholds = checkThresholds(input.thresholds, rtt, r.connectMs);
  const found = findings(r, rtt, input.keepaliveS);
  const checks: Check[] = [];
  if (input.impair) {
    checks.push({
      id: 'impair',
      title: 'Impair proxy',
      status: 'info',
      summary: `in the path: ${input.impair.via} (${input.impair.spec})`,
      explanation: `every byte crossed an in-process impair proxy at ${input.impair.via}; the figures below include the faults it injected (${input.impair.spec})`,
      metrics: { ...input.impair },
    });
  }
  const failedPhase = r.failure && r.sessionLostAfterSeq === undefined ? r.failure.phase : undefined;
  for (const phase of phasesFor(target)) {
    const c = phaseCheck(phase, r, target);
    if (c && !(phase === failedPhase && c.status === 'pass' && phase !== 'mqtt')) {
      checks.push(c);
      if (phase === failedPhase && c.status === 'fail') {
        const ex = explainFailure(r.failure!, r.mqttVersion, r.crossCheck, target);
        c.explanation = ex.explanation;
        if (ex.hint) c.hint = ex.hint;
      }
      continue;
    }
    if (phase === failedPhase) {
      const ex = explainFailure(r.failure!, r.mqttVersion, r.crossCheck, target);
      checks.push({
        id: phase === 'mqtt' ? 'connack' : phase,
        title: PHASE_TITLE[phase],
        status: 'fail',
        summary: `${r.failure!.code ?? 'failed'}: ${r.failure!.message}`,
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
  if (r.failure && r.sessionLostAfterSeq === undefined && r.connack?.reasonCode === 0) {
    // Connected fine, then the echo set-up failed (no SUBACK, SUBSCRIBE refused).
    checks.push({
      id: 'subscribe',
      title: 'Echo SUBSCRIBE',
      status: 'fail',
      summary: `${r.failure.code ?? 'failed'}: ${r.failure.message}`,
      explanation: r.failure.message,
      hint: 'use --method ping, which needs no topic rights, or grant this client its echo topic',
    });
  }
  if (rtt.sent > 0) {
    const s = rtt.stats;
    const sessionLost = r.sessionLostAfterSeq !== undefined;
    checks.push({
      id: 'rtt',
      title:
        r.method === 'connect' ? 'Connect RTT (tcping)' : r.method === 'echo' ? `Echo RTT (QoS ${r.qos})` : 'Ping RTT',
      status: sessionLost || rtt.received === 0 || rtt.unsolicited > 0 ? 'fail' : rtt.lost > 0 ? 'warn' : 'pass',
      summary: `${rtt.received}/${rtt.sent} received, ${rtt.lossPct.toFixed(1)}% loss${s ? `, p50 ${fmtMs(s.p50)}, p99 ${fmtMs(s.p99)}` : ''}`,
      metrics: { ...rtt },
      ...(sessionLost && r.failure ? { explanation: r.failure.message } : {}),
      ...(sessionLost && r.failure
        ? {
            hint: explainFailure(r.failure, r.mqttVersion).hint ?? 'run mqtt-doctor soak to see how often this happens',
          }
        : {}),
    });
  }
  for (const t of thresholds) {
    const fmt = (v: number | null) => (v === null ? 'no data' : t.unit === '%' ? `${v.toFixed(2)}%` : fmtMs(v));
    checks.push({
      id: `threshold.${t.id}`,
      title: `--${t.id} ${t.unit === '%' ? `${t.limit}%` : fmtMs(t.limit)}`,
      status: t.pass ? 'pass' : 'fail',
      summary: `${fmt(t.actual)} ${t.pass ? '≤' : '>'} ${fmt(t.limit)}`,
      metrics: { limit: t.limit, actual: t.actual },
      ...(t.pass ? {} : { explanation: `${t.id} is over its limit` }),
    });
  }
  for (const f of found) {
    checks.push({
      id: `finding.${f.id}`,
      title: f.severity === 'info' ? 'Note' : 'Finding',
      status: f.severity === 'fail' ? 'fail' : f.severity === 'warn' ? 'warn' : 'info',
      summary: f.text,
      explanation: f.text,
      ...(f.hint ? { hint: f.hint } : {}),
    });
  }
  const warnings = found.filter((f) => f.severity === 'warn').length;
  const verdict = verdictFor(
    r,
    rtt,
    thresholds,
    warnings,
    found.filter((f) => f.severity === 'fail'),
  );
  const view = [waterfallSection(r), grantsSection(r), certSection(r), rttSection(r, rtt)].filter(
    (s): s is Section => s !== undefined,
  );
  const c = r.connack;
  const data: ProbeData = {
    method: r.method,
    qos: r.qos,
    clientId: r.clientId,
    mqttVersion: r.mqttVersion === 5 ? '5' : '3.1.1',
    fellBackTo311: r.fellBackTo311,
    embedded: input.embedded ?? false,
    ...(input.impair ? { impair: input.impair } : {}),
    phases: {
      ...r.dial,
      ...(c
        ? {
            connack: {
              ms: c.ms,
              reasonCode: c.reasonCode,
              reasonName: describeConnack(c.reasonCode, c.protocolVersion).name,
              sessionPresent: c.sessionPresent,
              properties: { ...c.properties },
            },
          }
        : {}),
    },
    connectMs: r.connectMs ?? null,
    rtt,
    samples: r.samples,
    thresholds,
    findings: found,
    ...(r.failure ? { failure: r.failure } : {}),
    ...(r.serverDisconnect ? { serverDisconnect: r.serverDisconnect } : {}),
  };
  const failure = r.failure;
  return {
    ...reportEnvelope({
      command: 'probe',
      version: input.version,
      startedAt: input.startedAt,
      finishedAt: input.finishedAt,
      target: maskTarget(target),
      insecure: r.dial.tls?.insecure,
    }),
    checks,
    data,
    ...(failure
      ? {
          error: {
            kind:
              failure.phase === 'mqtt' && r.sessionLostAfterSeq === undefined
                ? 'refused'
                : r.sessionLostAfterSeq !== undefined
                  ? 'session-lost'
                  : 'unreachable',
            phase: failure.phase,
            ...(failure.code ? { code: failure.code } : {}),
            message: failure.message,
            ...(explainFailure(failure, r.mqttVersion, r.crossCheck, target).hint
              ? { hint: explainFailure(failure, r.mqttVersion, r.crossCheck, target).hint! }
              : {}),
          },
        }
      : {}),
    verdict,
    view,
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
