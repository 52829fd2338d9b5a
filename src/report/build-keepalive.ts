/**
 * Pure: what keepalive-tune measured and recommended → Report. The recommendation becomes one pairs section,
 * the rules a "why" table, the field-guide comparison a table, and each client library its own snippet.
 */
import type { Recommendation, KeepaliveInputs } from '../analyze/keepalive/types.js';
import type { Summary } from '../analyze/stats.js';
import { maskTarget, type Target } from '../config/target.js';
import { formatDuration } from '../config/units.js';
import { ExitCode } from '../errors.js';
import { CLIENT_LIBS, clientDetectionS, type ClientLibId, type SnippetSettings } from '../kb/clients.js';
import type { BrokerLimitProbe, IdleDiscovery } from '../measure/idle-discovery.js';
import type { VerifyBrokerResult } from '../measure/verify-broker.js';
import { reportEnvelope, type Check, type Report, type Section, type Verdict } from './model.js';

export interface KeepaliveReportInput {
  inputs: KeepaliveInputs;
  rec: Recommendation;
  target?: Target;
  /** Names for the inputs as the user gave them. */
  given: { profile?: string; broker?: string; natIdle?: string };
  rtt?: { summary: Summary | undefined; sent: number; received: number; lossPct: number; mqttVersion: 4 | 5 };
  limits?: BrokerLimitProbe;
  discovery?: IdleDiscovery;
  verify?: VerifyBrokerResult;
  /** Snippet host/port (the real target, or placeholders). */
  snippetTarget: { host: string; port: number; secure: boolean };
  clients: ClientLibId[];
  startedAt: Date;
  finishedAt: Date;
  version: string;
  interrupted: boolean;
  impair?: { spec: string; via: string };
}

export interface ClientAdvice {
  id: ClientLibId;
  title: string;
  semantics: string;
  /** How long this library really waits for PINGRESP with the recommended settings (s). */
  pingWaitS: number;
  /** Worst-case client-side detection with this library (s). */
  detectionS: number;
  /** False when the library cannot honour the ping timeout or keepalive as recommended. */
  fits: boolean;
  note?: string;
  snippet: string;
  source: string;
}

export interface KeepaliveData {
  inputs: {
    profile?: string;
    broker?: string;
    natIdle?: string;
    power: KeepaliveInputs['power'];
    transport: KeepaliveInputs['transport'];
    sessionExpiryS?: number;
    idle?: KeepaliveInputs['idle'];
    path?: KeepaliveInputs['path'];
  };
  measured?: {
    rtt?: KeepaliveReportInput['rtt'];
    limits?: BrokerLimitProbe;
    discovery?: IdleDiscovery;
    verifyBroker?: VerifyBrokerResult;
  };
  recommendation: Omit<Recommendation, 'why' | 'fieldGuide' | 'warnings'>;
  why: Recommendation['why'];
  fieldGuide: Recommendation['fieldGuide'];
  warnings: string[];
  clients: ClientAdvice[];
  impair?: { spec: string; via: string };
}

const s = (n: number) => `${n} s`;
const dur = (ms: number) => formatDuration(ms);

export function clientAdvice(rec: Recommendation, ids: ClientLibId[], target: KeepaliveReportInput['snippetTarget']): ClientAdvice[] {
  const settings: SnippetSettings = {
    ...target,
    keepaliveS: rec.keepaliveS,
    pingTimeoutS: rec.pingTimeoutS,
    connectTimeoutS: rec.connectTimeoutS,
    backoff: rec.backoff,
    tcpKeepalive: rec.tcpKeepalive,
    willTopic: 'devices/DEVICE_ID/status',
  };
  return CLIENT_LIBS.filter((l) => ids.includes(l.id)).map((lib) => {
    const wait = lib.pingWaitS(rec.keepaliveS, rec.pingTimeoutS);
    let fits = wait >= rec.pingTimeoutS && rec.keepaliveS >= lib.minKeepaliveS;
    let note: string | undefined;
    if (rec.keepaliveS < lib.minKeepaliveS) note = `needs keepalive ≥ ${lib.minKeepaliveS} s`;
    else if (wait < rec.pingTimeoutS) note = `waits only ${wait} s for PINGRESP, less than the ${rec.pingTimeoutS} s the path needs`;
    else if (wait > rec.pingTimeoutS) note = `waits ${wait} s for PINGRESP (fixed by the library): detection is slower than the ${rec.pingTimeoutS} s timeout allows`;
    if (lib.id === 'umqtt') note = 'the snippet pings and times PINGRESP itself';
    if (lib.id === 'mosquitto-cli' && rec.keepaliveS < 5) fits = false;
    return {
      id: lib.id,
      title: lib.title,
      semantics: lib.semantics,
      pingWaitS: wait,
      detectionS: clientDetectionS(lib, rec.keepaliveS, rec.pingTimeoutS),
      fits,
      ...(note ? { note } : {}),
      snippet: lib.snippet(settings),
      source: lib.source,
    };
  });
}

function verdictFor(input: KeepaliveReportInput): Verdict {
  const k = input.rec.keepaliveS;
  const head = `keepalive ${k} s, ping timeout ${input.rec.pingTimeoutS} s, connect timeout ${input.rec.connectTimeoutS} s`;
  if (input.interrupted) return { status: 'interrupted', exitCode: ExitCode.interrupted, summary: `interrupted; from what was measured: ${head}` };
  const v = input.verify;
  if (v && v.outcome === 'not-cut') {
    return { status: 'degraded', exitCode: ExitCode.finding, summary: `${head}; but the broker did not drop a silent client within ${dur(v.waitedMs)}: it does not enforce keepalive` };
  }
  if (v && v.outcome === 'cut' && !v.willFired && !v.willNotChecked) {
    return { status: 'degraded', exitCode: ExitCode.finding, summary: `${head}; but the Will did not fire when the broker dropped the silent client` };
  }
  return { status: 'ok', exitCode: ExitCode.ok, summary: head };
}

export function buildKeepaliveReport(input: KeepaliveReportInput): Report<KeepaliveData> {
  const { rec } = input;
  const checks: Check[] = [];
  if (input.rtt) {
    const r = input.rtt;
    checks.push({
      id: 'rtt',
      title: 'RTT (PINGREQ → PINGRESP)',
      status: r.received === 0 ? 'fail' : r.lossPct > 0 ? 'warn' : 'pass',
      summary: r.summary
        ? `${r.received}/${r.sent} answered, p50 ${dur(r.summary.p50)}, p99 ${dur(r.summary.p99)}, loss ${r.lossPct.toFixed(1)}%`
        : `no answer to ${r.sent} PINGREQs`,
      metrics: { sent: r.sent, received: r.received, lossPct: r.lossPct, ...(r.summary ? { p50Ms: r.summary.p50, p99Ms: r.summary.p99, maxMs: r.summary.max } : {}) },
    });
  }
  if (input.limits) {
    const l = input.limits;
    checks.push({
      id: 'broker-limits',
      title: 'Broker keepalive limit',
      status: 'info',
      summary: l.maxAcceptedS !== undefined ? `at most ${l.maxAcceptedS} s (${l.how})` : `no cap seen (${l.how})`,
      metrics: { maxAcceptedS: l.maxAcceptedS ?? null, connects: l.connects, refusals: l.refusals },
      ...(l.version === 4 && l.maxAcceptedS === undefined
        ? { explanation: 'MQTT 3.1.1 has no Server Keep Alive; mosquitto before 2.0.12 accepts any value and still enforces only its own 1.5 × K' }
        : {}),
    });
  }
  if (input.discovery) {
    const d = input.discovery;
    const bracket = d.aboveMax
      ? `above ${dur(d.lowMs)} (no connection died up to ${d.cappedByBrokerS !== undefined ? `the broker's keepalive cap of ${d.cappedByBrokerS} s` : '--max-idle'})`
      : d.highMs - d.lowMs < 50
        ? `${dur(d.highMs)} (reset at expiry)`
        : `between ${dur(d.lowMs)} and ${dur(d.highMs)}`;
    checks.push({
      id: 'idle-discovery',
      title: 'Path idle timeout',
      status: d.inconsistent ? 'warn' : d.aboveMax ? 'info' : 'pass',
      summary: `${bracket}; ${d.connections} connections, ${d.rounds.length} round(s), took ${dur(d.tookMs)}`,
      durationMs: d.tookMs,
      metrics: { lowMs: d.lowMs, highMs: d.highMs, aboveMax: d.aboveMax, deadClosed: d.deadHow.closed, deadSilent: d.deadHow.timeout, ...(d.cappedByBrokerS !== undefined ? { cappedByBrokerS: d.cappedByBrokerS } : {}) },
      explanation: d.deadHow.closed > 0
        ? 'idle connections were reset (RST/FIN): a middlebox that resets on expiry, like an AWS NAT gateway or an Azure LB with TCP reset'
        : d.deadHow.timeout > 0
          ? 'idle connections went silent (PINGREQ unanswered, no RST): a middlebox that drops expired flows silently'
          : 'no connection died within --max-idle',
      ...(d.inconsistent ? { hint: 'answers were not monotonic (a longer silence survived a shorter one): rerun, the path may be load-balanced or lossy' } : {}),
    });
  }
  if (input.verify) {
    const v = input.verify;
    checks.push({
      id: 'verify-broker',
      title: 'Broker keepalive enforcement',
      status: v.outcome === 'cut' ? (v.willFired || v.willNotChecked ? 'pass' : 'warn') : v.outcome === 'not-cut' ? 'warn' : 'skip',
      summary:
        v.outcome === 'cut' && v.cutAfterMs !== undefined && v.factor !== undefined
          ? `silent client with keepalive ${v.keepaliveS} s cut after ${dur(v.cutAfterMs)} = ${v.factor.toFixed(2)} × K; Will ${v.willNotChecked ? 'not checked' : v.willFired ? `fired ${dur(v.willAfterCutMs ?? 0)} after the cut` : 'did NOT fire'}`
          : v.outcome === 'not-cut'
            ? `not cut within ${dur(v.waitedMs)} (keepalive ${v.keepaliveS} s)`
            : 'interrupted',
      metrics: { keepaliveS: v.keepaliveS, cutAfterMs: v.cutAfterMs ?? null, factor: v.factor ?? null, willFired: v.willFired, disconnectReason: v.disconnectReason ?? null },
      explanation: 'the spec requires a cut after 1.5 × K; brokers check on a timer, so the real factor is 1.5 plus up to one check interval divided by K (mosquitto ~5 s, EMQX 30 s)',
      ...(v.willNotChecked ? { hint: v.willNotChecked } : {}),
    });
  }
  checks.push({
    id: 'recommendation',
    title: 'Recommendation',
    status: rec.warnings.length > 0 ? 'warn' : 'pass',
    summary: `keepalive ${s(rec.keepaliveS)}, ping timeout ${s(rec.pingTimeoutS)}, ${rec.pingsPerDay} pings/day`,
    ...(rec.warnings.length > 0 ? { explanation: rec.warnings.join('; ') } : {}),
  });

  const clients = clientAdvice(rec, input.clients, input.snippetTarget);
  const view: Section[] = [
    {
      kind: 'pairs',
      title: 'Recommended settings',
      pairs: [
        ['keepalive', s(rec.keepaliveS)],
        ['ping timeout', `${s(rec.pingTimeoutS)} (PINGRESP wait)`],
        ['connect timeout', s(rec.connectTimeoutS)],
        ['reconnect backoff', `${s(rec.backoff.minS)} ×${rec.backoff.factor} up to ${s(rec.backoff.maxS)}, jitter ±${rec.backoff.jitterPct} %, back to ${s(rec.backoff.minS)} after ${s(rec.backoff.resetAfterS)} connected`],
        ['OS TCP keepalive', `idle ${s(rec.tcpKeepalive.idleS)}, interval ${s(rec.tcpKeepalive.intervalS)}, count ${rec.tcpKeepalive.count}`],
        ['dead link noticed', `client after ≤ ${s(rec.detection.clientS)}, broker after ≤ ${s(rec.detection.serverS)} (${rec.detection.serverBasis})`],
        ['cost when idle', `${rec.pingsPerDay} pings/day, ${(rec.bytesPerDay / 1024).toFixed(1)} KiB/day (${input.inputs.transport})`],
      ],
    },
    { kind: 'table', title: 'Why', head: ['rule', 'inputs', 'result'], rows: rec.why.map((w) => [w.rule, w.inputs, w.result]) },
    {
      kind: 'table',
      title: 'Field guides (field-practice.md) against this path',
      head: ['claim', 'theirs', 'ours', '', 'why'],
      rows: rec.fieldGuide.map((f) => [`${f.claim} (${f.guide})`, f.theirs, f.ours, f.agrees ? 'agrees' : 'DISAGREES', f.why]),
    },
    {
      kind: 'table',
      title: 'Client libraries with these settings',
      head: ['library', 'PINGRESP wait', 'detects dead link', 'note'],
      rows: clients.map((c) => [c.title, s(c.pingWaitS), `≤ ${s(c.detectionS)}`, `${c.fits ? '' : '⚠ '}${c.note ?? ''}`]),
    },
    ...clients.map((c): Section => ({ kind: 'lines', title: `${c.title}: ${c.semantics}`, lines: c.snippet.split('\n') })),
  ];
  if (rec.warnings.length > 0) view.push({ kind: 'lines', title: 'Warnings', lines: rec.warnings });

  const inp = input.inputs;
  const data: KeepaliveData = {
    inputs: {
      ...(input.given.profile ? { profile: input.given.profile } : {}),
      ...(input.given.broker ? { broker: input.given.broker } : {}),
      ...(input.given.natIdle ? { natIdle: input.given.natIdle } : {}),
      power: inp.power,
      transport: inp.transport,
      ...(inp.sessionExpiryS !== undefined ? { sessionExpiryS: inp.sessionExpiryS } : {}),
      ...(inp.idle ? { idle: inp.idle } : {}),
      ...(inp.path ? { path: inp.path } : {}),
    },
    ...(input.rtt || input.limits || input.discovery || input.verify
      ? {
          measured: {
            ...(input.rtt ? { rtt: input.rtt } : {}),
            ...(input.limits ? { limits: input.limits } : {}),
            ...(input.discovery ? { discovery: input.discovery } : {}),
            ...(input.verify ? { verifyBroker: input.verify } : {}),
          },
        }
      : {}),
    recommendation: {
      keepaliveS: rec.keepaliveS,
      pingTimeoutS: rec.pingTimeoutS,
      connectTimeoutS: rec.connectTimeoutS,
      backoff: rec.backoff,
      tcpKeepalive: rec.tcpKeepalive,
      detection: rec.detection,
      pingsPerDay: rec.pingsPerDay,
      bytesPerDay: rec.bytesPerDay,
      ...(rec.idleBoundS !== undefined ? { idleBoundS: rec.idleBoundS } : {}),
    },
    why: rec.why,
    fieldGuide: rec.fieldGuide,
    warnings: rec.warnings,
    clients,
    ...(input.impair ? { impair: input.impair } : {}),
  };
  return {
    ...reportEnvelope({ command: 'keepalive-tune', version: input.version, startedAt: input.startedAt, finishedAt: input.finishedAt, target: input.target && maskTarget(input.target) }),
    checks,
    data,
    verdict: verdictFor(input),
    view,
  };
}
