/**
 * Pure: what keepalive-tune measured and recommended → Report. The recommendation becomes one pairs section,
 * the rules a "why" table, the field-guide comparison a table, and each client library its own snippet.
 */
import { plural } from './build-soak.js';
import type { Recommendation, KeepaliveInputs } from '../analyze/keepalive/types.js';
import type { Summary } from '../analyze/stats.js';
import { maskTarget, type Target } from '../config/target.js';
import { formatDuration } from '../config/units.js';
import { ExitCode } from '../errors.js';
import { CLIENT_LIBS, clientDetectionS, type ClientLibId, type SnippetSettings } from '../kb/clients.js';
import type { ClassifiedFailure, MeasurementFailure } from '../analyze/failure.js';
import { failureReportError, failureVerdict } from '../analyze/failure.js';
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
  /** What stopped the measurement, classified (analyze/failure.ts). */
  failure?: { classified: ClassifiedFailure; failure: MeasurementFailure };
  /** Text view: add the rule-by-rule reasons, the field guides and every library's snippet. */
  explain?: boolean;
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
  /** Absent when no recommendation can be earned: the measurement failed, or no PINGREQ was answered. */
  recommendation?: Omit<Recommendation, 'why' | 'fieldGuide' | 'warnings'>;
  why: Recommendation['why'];
  fieldGuide: Recommendation['fieldGuide'];
  warnings: string[];
  clients: ClientAdvice[];
  impair?: { spec: string; via: string };
}

const s = (n: number) => `${n} s`;
const dur = (ms: number) => formatDuration(ms);

export function clientAdvice(
  rec: Recommendation,
  ids: ClientLibId[],
  target: KeepaliveReportInput['snippetTarget'],
): ClientAdvice[] {
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
    else if (wait < rec.pingTimeoutS)
      note = `waits only ${wait} s for PINGRESP, less than the ${rec.pingTimeoutS} s the path needs`;
    else if (wait > rec.pingTimeoutS)
      note = `waits ${wait} s for PINGRESP (fixed by the library): detection is slower than the ${rec.pingTimeoutS} s timeout allows`;
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

/**
 * Why no recommendation can be given, if so. Settings derived from a path that never answered (or was never
 * measured) would be invented: the finding is the answer then.
 */
function withheldBecause(input: KeepaliveReportInput): string | undefined {
  if (input.failure && input.failure.classified.kind !== 'interrupted') return input.failure.classified.oneLine;
  const r = input.rtt;
  if (r && r.sent > 0 && r.received === 0)
    return `no PINGRESP to any of ${r.sent} PINGREQ${r.sent === 1 ? '' : 's'}: the broker or the path does not answer keepalive pings`;
  if (input.interrupted && input.target && !r?.received) return 'interrupted before anything was measured';
  return undefined;
}

function verdictFor(input: KeepaliveReportInput, withheld: string | undefined): Verdict {
  const failure = input.failure?.classified;
  if (failure && failure.kind !== 'interrupted') return failureVerdict(failure);
  if (input.interrupted)
    return {
      status: 'interrupted',
      exitCode: ExitCode.interrupted,
      summary: withheld ?? `interrupted; from what was measured: ${headline(input.rec)}`,
    };
  if (withheld) return { status: 'failed', exitCode: ExitCode.finding, summary: withheld };
  const head = headline(input.rec);
  const v = input.verify;
  if (v && v.outcome === 'not-cut') {
    return {
      status: 'degraded',
      exitCode: ExitCode.finding,
      summary: `${head}; but the broker did not drop a silent client within ${dur(v.waitedMs)}: it does not enforce keepalive`,
    };
  }
  if (v && v.outcome === 'cut' && !v.willFired && !v.willNotChecked) {
    return {
      status: 'degraded',
      exitCode: ExitCode.finding,
      summary: `${head}; but the Will did not fire when the broker dropped the silent client`,
    };
  }
  return { status: 'ok', exitCode: ExitCode.ok, summary: head };
}

function headline(rec: Recommendation): string {
  return `keepalive ${rec.keepaliveS} s, ping timeout ${rec.pingTimeoutS} s, connect timeout ${rec.connectTimeoutS} s`;
}

function rttCheck(rtt: NonNullable<KeepaliveReportInput['rtt']>): Check {
  return {
    id: 'rtt',
    title: 'RTT (PINGREQ → PINGRESP)',
    status: rtt.received === 0 ? 'fail' : rtt.lossPct > 0 ? 'warn' : 'pass',
    summary: rtt.summary
      ? `${rtt.received}/${rtt.sent} answered, p50 ${dur(rtt.summary.p50)}, p99 ${dur(rtt.summary.p99)}, loss ${rtt.lossPct.toFixed(1)}%`
      : `no answer to ${rtt.sent} PINGREQ${rtt.sent === 1 ? '' : 's'}`,
    metrics: {
      sent: rtt.sent,
      received: rtt.received,
      lossPct: rtt.lossPct,
      ...(rtt.summary ? { p50Ms: rtt.summary.p50, p99Ms: rtt.summary.p99, maxMs: rtt.summary.max } : {}),
    },
    ...(rtt.sent > 0 && rtt.received === 0
      ? {
          explanation:
            'the broker accepted the connection but answered no PINGREQ: a client with any keepalive would be cut (or cut itself) on this path',
          hint: 'check the broker and anything in the path that filters MQTT; mqtt-doctor probe measures the same pings',
        }
      : {}),
  };
}

function limitsCheck(limits: BrokerLimitProbe): Check {
  return {
    id: 'broker-limits',
    title: 'Broker keepalive limit',
    status: 'info',
    summary:
      limits.maxAcceptedS !== undefined
        ? `at most ${limits.maxAcceptedS} s (${limits.how})`
        : `no cap seen (${limits.how})`,
    metrics: { maxAcceptedS: limits.maxAcceptedS ?? null, connects: limits.connects, refusals: limits.refusals },
    ...(limits.version === 4 && limits.maxAcceptedS === undefined
      ? {
          explanation:
            'MQTT 3.1.1 has no Server Keep Alive; mosquitto before 2.0.12 accepts any value and still enforces only its own 1.5 × K',
        }
      : {}),
  };
}

function discoveryCheck(discovery: IdleDiscovery): Check {
  const bracket = discovery.aboveMax
    ? `above ${dur(discovery.lowMs)} (no connection died up to ${discovery.cappedByBrokerS !== undefined ? `the broker's keepalive cap of ${discovery.cappedByBrokerS} s` : '--max-idle'})`
    : discovery.highMs - discovery.lowMs < 50
      ? `${dur(discovery.highMs)} (reset at expiry)`
      : `between ${dur(discovery.lowMs)} and ${dur(discovery.highMs)}`;
  return {
    id: 'idle-discovery',
    title: 'Path idle timeout',
    status: discovery.inconsistent ? 'warn' : discovery.aboveMax ? 'info' : 'pass',
    summary: `${bracket}; ${plural(discovery.connections, 'connection')}, ${plural(discovery.rounds.length, 'round')}, took ${dur(discovery.tookMs)}`,
    durationMs: discovery.tookMs,
    metrics: {
      lowMs: discovery.lowMs,
      highMs: discovery.highMs,
      aboveMax: discovery.aboveMax,
      deadClosed: discovery.deadHow.closed,
      deadSilent: discovery.deadHow.timeout,
      ...(discovery.cappedByBrokerS !== undefined ? { cappedByBrokerS: discovery.cappedByBrokerS } : {}),
    },
    explanation:
      discovery.deadHow.closed > 0
        ? 'idle connections were reset (RST/FIN): a middlebox that resets on expiry, like an AWS NAT gateway or an Azure LB with TCP reset'
        : discovery.deadHow.timeout > 0
          ? 'idle connections went silent (PINGREQ unanswered, no RST): a middlebox that drops expired flows silently'
          : 'no connection died within --max-idle',
    ...(discovery.inconsistent
      ? {
          hint: 'answers were not monotonic (a longer silence survived a shorter one): rerun, the path may be load-balanced or lossy',
        }
      : {}),
  };
}

function verifyCheck(verify: VerifyBrokerResult): Check {
  return {
    id: 'verify-broker',
    title: 'Broker keepalive enforcement',
    status:
      verify.outcome === 'cut'
        ? verify.willFired || verify.willNotChecked
          ? 'pass'
          : 'warn'
        : verify.outcome === 'not-cut'
          ? 'warn'
          : 'skip',
    summary:
      verify.outcome === 'cut' && verify.cutAfterMs !== undefined && verify.factor !== undefined
        ? `silent client with keepalive ${verify.keepaliveS} s cut after ${dur(verify.cutAfterMs)} = ${verify.factor.toFixed(2)} × K; Will ${verify.willNotChecked ? 'not checked' : verify.willFired ? `fired ${dur(verify.willAfterCutMs ?? 0)} after the cut` : 'did NOT fire'}`
        : verify.outcome === 'not-cut'
          ? `not cut within ${dur(verify.waitedMs)} (keepalive ${verify.keepaliveS} s)`
          : 'interrupted',
    metrics: {
      keepaliveS: verify.keepaliveS,
      cutAfterMs: verify.cutAfterMs ?? null,
      factor: verify.factor ?? null,
      willFired: verify.willFired,
      disconnectReason: verify.disconnectReason ?? null,
    },
    explanation:
      'the spec requires a cut after 1.5 × K; brokers check on a timer, so the real factor is 1.5 plus up to one check interval divided by K (mosquitto ~5 s, EMQX 30 s)',
    ...(verify.willNotChecked ? { hint: verify.willNotChecked } : {}),
  };
}

const FAILURE_SUMMARY: Record<Exclude<ClassifiedFailure['kind'], 'interrupted'>, (c: ClassifiedFailure) => string> = {
  unreachable: (c) => `${c.phase.toUpperCase()} failed`,
  refused: () => 'refused by the broker',
  'not-mqtt': () => 'did not speak MQTT',
};

function failureCheck(failure: ClassifiedFailure & { kind: Exclude<ClassifiedFailure['kind'], 'interrupted'> }): Check {
  return {
    id: 'connect',
    title: 'Connect (DNS → CONNACK)',
    status: 'fail',
    summary: FAILURE_SUMMARY[failure.kind](failure),
    explanation: failure.oneLine,
    hint: failure.hint,
  };
}

function recommendationCheck(rec: Recommendation): Check {
  return {
    id: 'recommendation',
    title: 'Recommendation',
    status: rec.warnings.length > 0 ? 'warn' : 'pass',
    summary: `keepalive ${s(rec.keepaliveS)}, ping timeout ${s(rec.pingTimeoutS)}, ${rec.pingsPerDay} pings/day`,
    ...(rec.warnings.length > 0 ? { explanation: rec.warnings.join('; ') } : {}),
  };
}

function checksFor(input: KeepaliveReportInput, withheld: string | undefined): Check[] {
  const failure = input.failure?.classified;
  return [
    ...(failure && failure.kind !== 'interrupted' ? [failureCheck({ ...failure, kind: failure.kind })] : []),
    ...(input.rtt ? [rttCheck(input.rtt)] : []),
    ...(input.limits ? [limitsCheck(input.limits)] : []),
    ...(input.discovery ? [discoveryCheck(input.discovery)] : []),
    ...(input.verify ? [verifyCheck(input.verify)] : []),
    ...(withheld ? [] : [recommendationCheck(input.rec)]),
  ];
}

function settingsSection(rec: Recommendation, transport: KeepaliveInputs['transport']): Section {
  return {
    kind: 'pairs',
    title: 'Recommended settings',
    pairs: [
      ['keepalive', s(rec.keepaliveS)],
      ['ping timeout', `${s(rec.pingTimeoutS)} (PINGRESP wait)`],
      ['connect timeout', s(rec.connectTimeoutS)],
      [
        'reconnect backoff',
        `${s(rec.backoff.minS)} ×${rec.backoff.factor} up to ${s(rec.backoff.maxS)}, jitter ±${rec.backoff.jitterPct} %, back to ${s(rec.backoff.minS)} after ${s(rec.backoff.resetAfterS)} connected`,
      ],
      [
        'OS TCP keepalive',
        `idle ${s(rec.tcpKeepalive.idleS)}, interval ${s(rec.tcpKeepalive.intervalS)}, count ${rec.tcpKeepalive.count}`,
      ],
      [
        'dead link noticed',
        `client after ≤ ${s(rec.detection.clientS)}, broker after ≤ ${s(rec.detection.serverS)} (${rec.detection.serverBasis})`,
      ],
      ['cost when idle', `${rec.pingsPerDay} pings/day, ${(rec.bytesPerDay / 1024).toFixed(1)} KiB/day (${transport})`],
    ],
  };
}

function snippetSection(advice: ClientAdvice): Section {
  const caveat = advice.fits ? [] : [`⚠ ${advice.note ?? 'this library cannot follow the recommendation exactly'}`];
  return {
    kind: 'lines',
    title: `${advice.title}: ${advice.semantics}`,
    lines: [...advice.snippet.split('\n'), ...caveat],
    code: true,
  };
}

/** Default text: the answer first (settings, one snippet), in one screen; --explain adds the reasoning. */
function viewFor(input: KeepaliveReportInput, clients: ClientAdvice[]): Section[] {
  const { rec } = input;
  const view: Section[] = [settingsSection(rec, input.inputs.transport)];
  view.push(...(input.explain ? reasoningSections(rec, clients) : answerSections(clients)));
  if (rec.warnings.length > 0) view.push({ kind: 'lines', title: 'Warnings', lines: rec.warnings });
  return view;
}

/** The first library's snippet, and where the rest is. */
function answerSections(clients: ClientAdvice[]): Section[] {
  const first = clients[0];
  const view: Section[] = [];
  if (first) view.push(snippetSection(first));
  const others =
    clients.length > 1
      ? `--client ${clients
          .slice(1)
          .map((c) => c.id)
          .join('|')} for another library's snippet, `
      : '';
  view.push({
    kind: 'lines',
    title: 'More',
    lines: [`${others}--explain for the rule behind each number, the field guides and every library's PINGRESP wait`],
  });
  return view;
}

/** --explain: the rule behind each number, the field guides checked, and every library with its snippet. */
function reasoningSections(rec: Recommendation, clients: ClientAdvice[]): Section[] {
  return [
    {
      kind: 'table',
      title: 'Why',
      head: ['rule', 'inputs', 'result'],
      rows: rec.why.map((w) => [w.rule, w.inputs, w.result]),
    },
    {
      kind: 'table',
      title: 'Field guides against this path',
      head: ['claim', 'theirs', 'ours', '', 'why'],
      rows: rec.fieldGuide.map((f) => [
        `${f.claim} (${f.guide})`,
        f.theirs,
        f.ours,
        f.agrees ? 'agrees' : 'DISAGREES',
        f.why,
      ]),
    },
    {
      kind: 'table',
      title: 'Client libraries with these settings',
      head: ['library', 'PINGRESP wait', 'detects dead link', 'note'],
      rows: clients.map((c) => [
        c.title,
        s(c.pingWaitS),
        `≤ ${s(c.detectionS)}`,
        `${c.fits ? '' : '⚠ '}${c.note ?? ''}`,
      ]),
    },
    ...clients.map(snippetSection),
  ];
}

function keepaliveData(input: KeepaliveReportInput, clients: ClientAdvice[], withheld: boolean): KeepaliveData {
  const { rec, inputs: inp } = input;
  const measured = {
    ...(input.rtt ? { rtt: input.rtt } : {}),
    ...(input.limits ? { limits: input.limits } : {}),
    ...(input.discovery ? { discovery: input.discovery } : {}),
    ...(input.verify ? { verifyBroker: input.verify } : {}),
  };
  const { why: _why, fieldGuide: _guide, warnings: _warnings, ...settings } = rec;
  return {
    inputs: {
      ...input.given,
      power: inp.power,
      transport: inp.transport,
      ...(inp.sessionExpiryS !== undefined ? { sessionExpiryS: inp.sessionExpiryS } : {}),
      ...(inp.idle ? { idle: inp.idle } : {}),
      ...(inp.path ? { path: inp.path } : {}),
    },
    ...(Object.keys(measured).length > 0 ? { measured } : {}),
    ...(withheld ? {} : { recommendation: settings }),
    why: withheld ? [] : rec.why,
    fieldGuide: withheld ? [] : rec.fieldGuide,
    warnings: withheld ? [] : rec.warnings,
    clients: withheld ? [] : clients,
    ...(input.impair ? { impair: input.impair } : {}),
  };
}

export function buildKeepaliveReport(input: KeepaliveReportInput): Report<KeepaliveData> {
  const withheld = withheldBecause(input);
  const clients = clientAdvice(input.rec, input.clients, input.snippetTarget);
  const failure = input.failure;
  return {
    ...reportEnvelope({
      command: 'keepalive-tune',
      version: input.version,
      startedAt: input.startedAt,
      finishedAt: input.finishedAt,
      target: input.target && maskTarget(input.target),
    }),
    checks: checksFor(input, withheld),
    data: keepaliveData(input, clients, withheld !== undefined),
    ...(failure && failure.classified.kind !== 'interrupted'
      ? { error: failureReportError(failure.classified, failure.failure) }
      : {}),
    verdict: verdictFor(input, withheld),
    view: withheld ? [] : viewFor(input, clients),
  };
}
