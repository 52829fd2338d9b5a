/**
 * Build the soak report (live run or `report soak.jsonl`) from the pure summary. Pure.
 */
import { thresholdCheck } from './threshold-check.js';
import { formatHostPort, type MaskedTarget } from '../config/target.js';
import { formatDuration } from '../config/units.js';
import { ExitCode, UsageError } from '../errors.js';
import { LatencyHistogram } from '../analyze/stats.js';
import { CAUSE_INFO, NOT_SERVED_CAUSES, failureOfSoakAttempt, type DisconnectCause } from '../analyze/soak/causes.js';
import { classifyMeasurementFailure } from '../analyze/failure.js';
import {
  SOAK_FILE_VERSION,
  parseSoakLines,
  replaySoak,
  type EndReason,
  type PortCheck,
  type SoakEvent,
  type SoakRunInfo,
} from '../analyze/soak/events.js';
import { summarizeConnections, summarizeMessages, type SoakSummary } from '../analyze/soak/summary.js';
import {
  groupShardStreams,
  mergeShards,
  shardSetProblem,
  withTimelines,
  type MergedRun,
  type ShardStatus,
} from '../analyze/soak/merge.js';
import {
  checkThresholds,
  soakFindings,
  type SoakFinding,
  type SoakThresholds,
  type ThresholdResult,
} from '../analyze/soak/thresholds.js';
import { compareSettings, compareSummaries, type CompareRow, type SettingChange } from '../analyze/soak/compare.js';
import { entryById } from '../kb/catalog.js';
import { reportEnvelope, type Check, type Report, type Section, type Verdict } from './model.js';
import { connectedStripFromEvents } from './html/terminal-spark.js';

export type SoakEnd = EndReason | 'killed';

export interface SoakSource {
  file: string;
  events: number;
  badLines: number;
  /** False when the file has no end line (the run was killed): message counts are from the last checkpoint. */
  complete: boolean;
  lastEventAt: string | null;
  /** The file's version when it is newer than this mqtt-doctor reads. */
  newerVersion?: number;
}

export interface SoakData {
  runId: string;
  info: SoakRunInfo;
  end: SoakEnd;
  summary: SoakSummary;
  thresholds: ThresholdResult[];
  recentDisconnects: Array<Extract<SoakEvent, { type: 'disconnect' | 'connect-failed' }>>;
  /** Present when soak asked the port for TLS because no client connected (see PortCheck). */
  crossCheck?: PortCheck;
  source?: SoakSource;
  /** A run merged from shards (`report FILE…`): every shard 0..count−1, finished, killed or missing. */
  shards?: { count: number; list: ShardStatus[] };
  /** `report … --compare AFTER`: this run (the after run) against the before run, figure by figure. */
  compare?: SoakComparison;
}

export interface SoakComparison {
  before: { runId: string; file: string | null; end: SoakEnd; verdict: Verdict['status'] };
  /** Settings the runs were started with that differ (empty when alike). */
  settingsDiffer: SettingChange[];
  figures: CompareRow[];
}

export interface SoakReportInput {
  command: 'soak' | 'report';
  version: string;
  startedAt: string;
  finishedAt: string;
  target?: MaskedTarget | undefined;
  insecure?: boolean | undefined;
  runId: string;
  info: SoakRunInfo;
  end: SoakEnd;
  summary: SoakSummary;
  thresholds: ThresholdResult[];
  findings: SoakFinding[];
  recentDisconnects: SoakData['recentDisconnects'];
  source?: SoakSource | undefined;
  /** Text report only: connected clients over time as one line of block characters. */
  connectedStrip?: string | undefined;
  shards?: SoakData['shards'];
  /** A TLS handshake tried on the port when no client connected (the end line's `crossCheck`). */
  crossCheck?: PortCheck | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const pct = (p: number): string => `${p > 0 && p < 0.01 ? p.toExponential(1) : p.toFixed(p < 1 ? 3 : 2)}%`;
const ms = (v: number | undefined | null): string =>
  v === undefined || v === null ? '—' : v === 0 ? '0 s' : formatDuration(v);

export function buildSoakReport(input: SoakReportInput): Report<SoakData> {
  const checks: Check[] = [connectionsCheck(input), messagesCheck(input)];
  const latency = input.summary.messages.latencyMs;
  if (latency) checks.push(latencyCheck(latency));
  for (const finding of input.findings) checks.push(findingCheck(finding, input.target));
  for (const threshold of input.thresholds) checks.push(thresholdCheck(threshold));
  return {
    ...reportEnvelope({
      command: input.command,
      version: input.version,
      startedAt: input.startedAt,
      finishedAt: input.finishedAt,
      target: input.target,
      insecure: input.insecure,
    }),
    checks,
    data: soakData(input),
    verdict: soakVerdict(input),
    view: soakView(input),
  };
}

function connectionsCheck({ summary, end }: SoakReportInput): Check {
  const conn = summary.connections;
  return {
    id: 'connections',
    title: 'every client connected and stayed connected',
    // "Every client" is earned by every client: one that never connected (a ramp cut short by Ctrl-C, a
    // worker gone) leaves the check open however clean the connected ones were.
    status:
      conn.connects === 0
        ? end === 'signal' && conn.connectFailures === 0
          ? 'info'
          : 'fail'
        : conn.neverConnected + conn.disconnects + conn.connectFailures > 0
          ? 'warn'
          : 'pass',
    summary:
      conn.connects === 0
        ? `no client connected (${attemptsSaid(conn.connectFailures, conn.byCause['run-ended'] ?? 0)})`
        : `${conn.neverConnected > 0 ? `${summary.clients - conn.neverConnected} of ${plural(summary.clients, 'client')} connected (${conn.neverConnected} never did${end === 'signal' ? ' before the run was interrupted' : ''}), ` : ''}${plural(conn.connects, 'connect')}, ${plural(conn.reconnects, 'reconnect')}, ${plural(conn.disconnects, 'disconnect')}, downtime ${range(conn.worstClientDowntimeMinMs, conn.worstClientDowntimeMs)} (worst client)`,
    metrics: {
      connects: conn.connects,
      reconnects: conn.reconnects,
      disconnects: conn.disconnects,
      downtimeMs: conn.worstClientDowntimeMs,
      uptimePct: conn.uptimePct,
    },
  };
}

function messagesCheck({ summary, end, info }: SoakReportInput): Check {
  const msgs = summary.messages;
  const idle = info.ratePerS <= 0;
  return {
    id: 'messages',
    title: 'messages came back complete and in order',
    status: idle
      ? 'skip'
      : msgs.sent === 0
        ? end === 'signal' || end === 'killed'
          ? 'info'
          : 'fail'
        : msgs.lost > 0 || msgs.duplicates > 0
          ? 'warn'
          : 'pass',
    summary: idle
      ? 'idle run (--rate 0): no messages'
      : `${msgs.sent} sent, ${msgs.received} received, ${msgs.lost} lost (${pct(msgs.lossPct)}), ${msgs.duplicates} duplicates, ${msgs.outOfOrder} out of order`,
    metrics: {
      sent: msgs.sent,
      received: msgs.received,
      lost: msgs.lost,
      lossPct: msgs.lossPct,
      duplicates: msgs.duplicates,
      outOfOrder: msgs.outOfOrder,
    },
  };
}

function latencyCheck(latency: NonNullable<SoakSummary['messages']['latencyMs']>): Check {
  return {
    id: 'latency',
    title: 'end-to-end latency',
    status: 'info',
    summary: `p50 ${ms(latency.p50)}, p90 ${ms(latency.p90)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)}`,
    metrics: { ...latency },
  };
}

function findingCheck(finding: SoakFinding, target: MaskedTarget | undefined): Check {
  return {
    id: `finding.${finding.id}`,
    title: finding.title,
    status: finding.status,
    summary: finding.summary,
    explanation: finding.explanation,
    ...(finding.hint ? { hint: withTarget(finding.hint, target) } : {}),
  };
}

function soakData(input: SoakReportInput): SoakData {
  return {
    runId: input.runId,
    info: input.info,
    end: input.end,
    summary: input.summary,
    thresholds: input.thresholds,
    recentDisconnects: input.recentDisconnects,
    ...(input.crossCheck ? { crossCheck: input.crossCheck } : {}),
    ...(input.source ? { source: input.source } : {}),
    ...(input.shards ? { shards: input.shards } : {}),
  };
}

/** The verdict, first decision that applies: thresholds, nobody connected, a failing finding, nothing sent, else the run. */
function soakVerdict(input: SoakReportInput): Verdict {
  return (
    thresholdVerdict(input.thresholds) ??
    noConnectVerdict(input) ??
    failingFindingVerdict(input.findings) ??
    nothingSentVerdict(input) ??
    ranVerdict(input)
  );
}

const isInterrupted = (end: SoakEnd): boolean => end === 'signal' || end === 'killed';

function thresholdVerdict(thresholds: readonly ThresholdResult[]): Verdict | undefined {
  const failed = thresholds.filter((t) => !t.pass);
  if (failed.length === 0) return undefined;
  return {
    status: 'failed',
    exitCode: ExitCode.finding,
    summary: `threshold failed: ${failed.map((t) => `--${t.id} (${t.text})`).join('; ')}`,
  };
}

/** No client ever connected: why, read through the failure route every command shares when an attempt says. */
function noConnectVerdict(input: SoakReportInput): Verdict | undefined {
  const { summary, end } = input;
  const conn = summary.connections;
  if (!(conn.connects === 0 && summary.clients > 0)) return undefined;
  // An attempt the run's end cut short is no evidence; any real failure outranks it.
  const { 'run-ended': cutShort, ...failed } = conn.byCause;
  const top = topCause(failed) ?? (cutShort ? 'run-ended' : undefined);
  // Ctrl-C while the clients were still connecting, before any attempt failed: nothing to blame yet.
  if (isInterrupted(end) && top === undefined) {
    return {
      status: 'interrupted',
      exitCode: ExitCode.ok,
      summary: `interrupted before any client connected (${plural(summary.clients, 'client')} still connecting)`,
    };
  }
  if (top === 'run-ended') return runEndedFirstVerdict(input, cutShort ?? 0);
  const why = top
    ? ` (${CAUSE_INFO[top].title}${conn.byCause[top] ? `: ${plural(conn.byCause[top] ?? 0, 'attempt')}` : ''})`
    : '';
  const stopped =
    end === 'refused' ? '; stopped retrying: every attempt was refused for good (--retry-refused keeps trying)' : '';
  const classified = classifiedNewestAttempt(input, top);
  if (classified) {
    return {
      status: 'failed',
      exitCode: classified.exitCode,
      summary: `no client ever connected: ${classified.oneLine}${why}${stopped}`,
    };
  }
  return {
    status: 'failed',
    exitCode: top !== undefined && NOT_SERVED_CAUSES.has(top) ? ExitCode.refused : ExitCode.unreachable,
    summary: `no client ever connected${why}${stopped}`,
  };
}

/** "2 failed attempts, 1 cut short by the run's end": an attempt the end cut short did not fail. */
function attemptsSaid(failures: number, cutShort: number): string {
  const failed = failures - cutShort;
  if (cutShort === 0) return plural(failures, 'failed attempt');
  const cut = `${failed > 0 ? cutShort : plural(cutShort, 'attempt')} cut short by the run's end`;
  return failed > 0 ? `${plural(failed, 'failed attempt')}, ${cut}` : cut;
}

/**
 * The duration ended less than a second into every client's pending step, and no attempt had failed: the run was
 * too short to say anything of the path or the broker. Never healthy (nothing was measured), and no blame: exit 1
 * (the run found a problem), not 3 (a phase failed) or 4 (the broker did not serve).
 */
function runEndedFirstVerdict(input: SoakReportInput, attempts: number): Verdict {
  const last = newestOfCause(input, 'run-ended');
  return {
    status: 'failed',
    exitCode: ExitCode.finding,
    summary:
      `no client connected before the run ended (${plural(attempts, 'attempt')} cut short${last ? `; ${last.detail}` : ''}): ` +
      'run longer (--duration) to tell a slow broker or path from a dead one',
  };
}

/** The newest of the recent disconnects and failed attempts with this cause. */
const newestOfCause = (input: SoakReportInput, cause: DisconnectCause | undefined) =>
  [...input.recentDisconnects].reverse().find((ev) => ev.cause === cause);

/** The newest attempt of the main cause, read through the failure route every command shares. */
function classifiedNewestAttempt(input: SoakReportInput, top: DisconnectCause | undefined) {
  const last = newestOfCause(input, top);
  const attempt = last && failureOfSoakAttempt(last, input.info.mqttVersion);
  const failure = attempt && input.crossCheck ? { ...attempt, crossCheck: input.crossCheck } : attempt;
  if (!failure) return undefined;
  return classifyMeasurementFailure(failure, {
    hostPort: input.target ? formatHostPort(input.target.host, input.target.port) : undefined,
    ...(input.target ? { scheme: input.target.scheme } : {}),
  });
}

/**
 * A failing finding ("no message came back", "no message sent") is README's exit 1 "no replies at all", and the
 * JUnit file lists it as a failure: the exit code must agree, interrupted or not.
 */
function failingFindingVerdict(findings: readonly SoakFinding[]): Verdict | undefined {
  const failing = findings.filter((f) => f.status === 'fail');
  if (failing.length === 0) return undefined;
  return {
    status: 'failed',
    exitCode: ExitCode.finding,
    summary: failing.map((f) => `${f.title}: ${f.summary}`).join('; '),
  };
}

/** Healthy is earned by evidence: a run asked to send messages that sent none measured nothing. */
function nothingSentVerdict({ end, info, summary }: SoakReportInput): Verdict | undefined {
  const askedToSend = !isInterrupted(end) && info.ratePerS > 0;
  if (!askedToSend || summary.messages.sent !== 0) return undefined;
  return {
    status: 'failed',
    exitCode: ExitCode.finding,
    summary: 'no message sent: no client became ready to publish',
  };
}

/** What went wrong in a run that did connect: reconnects, lost messages and sessions, our own saturation. */
function runProblems(summary: SoakSummary): string[] {
  const conn = summary.connections;
  const problems: string[] = [];
  if (conn.reconnects > 0) problems.push(plural(conn.reconnects, 'reconnect'));
  if (conn.neverConnected > 0) problems.push(`${plural(conn.neverConnected, 'client')} never connected`);
  if (summary.messages.lost > 0) problems.push(`${plural(summary.messages.lost, 'message')} lost`);
  if (summary.messages.duplicates > 0) problems.push(plural(summary.messages.duplicates, 'duplicate'));
  if (conn.sessionsLost > 0) problems.push(`${plural(conn.sessionsLost, 'session')} lost`);
  const sat = summary.saturation;
  if (sat && sat.windows > 0) problems.push(`the measuring machine was saturated for ${formatDuration(sat.totalMs)}`);
  return problems;
}

/** A run that connected: interrupted, degraded by its problems, or healthy on the evidence it gathered. */
function ranVerdict({ summary, end, info }: SoakReportInput): Verdict {
  const problems = runProblems(summary);
  const ran = `${plural(summary.clients, 'client')} for ${formatDuration(summary.elapsedMs)}`;
  if (isInterrupted(end)) {
    const ended =
      end === 'killed' ? ' (run did not finish: message counts from the last checkpoint)' : ' (interrupted)';
    return {
      status: 'interrupted',
      exitCode: ExitCode.ok,
      summary: `${ran}: ${problems.length ? problems.join(', ') : 'no problem seen'}${ended}`,
    };
  }
  if (problems.length > 0)
    return { status: 'degraded', exitCode: ExitCode.ok, summary: `${ran}: ${problems.join(', ')}` };
  const evidence =
    info.ratePerS > 0
      ? `${plural(summary.messages.received, 'message')} back, no disconnect, no loss`
      : 'connections held, no disconnect';
  return { status: 'healthy', exitCode: ExitCode.ok, summary: `${ran}: ${evidence}` };
}

/** "1 client", "2 clients". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function topCause(by: Partial<Record<DisconnectCause, number>>): DisconnectCause | undefined {
  let best: DisconnectCause | undefined;
  for (const [k, v] of Object.entries(by))
    if (best === undefined || (v ?? 0) > (by[best] ?? 0)) best = k as DisconnectCause;
  return best;
}

/**
 * A command with the run's target in place of the knowledge base's `mqtt://HOST:PORT` (or a hint's `<url>`), so
 * it can be copied as it stands; the user name is kept, a password never.
 */
export function withTarget(text: string, t: MaskedTarget | undefined): string {
  if (!t) return text;
  const path = t.scheme.startsWith('ws') && t.path ? t.path : '';
  const url = `${t.scheme}://${t.username ? `${t.username}@` : ''}${formatHostPort(t.host, t.port)}${path}`;
  return text.replace(/\bmqtts?:\/\/(?:USER@)?HOST:PORT\b|<url>/g, url);
}

/** The cause's meaning, plus the knowledge base's fix and confirming command for the latest event of that cause. */
function causeLines(
  cause: DisconnectCause,
  recent: SoakData['recentDisconnects'],
  target: MaskedTarget | undefined,
): string[] {
  const lines = [`${CAUSE_INFO[cause].title}: ${CAUSE_INFO[cause].explanation}`];
  const kbId = [...recent].reverse().find((e) => e.cause === cause && e.kb)?.kb;
  const entry = kbId ? entryById(kbId) : undefined;
  if (entry) {
    lines.push(`  fix: ${entry.fix}`);
    lines.push(`  confirm: ${withTarget(entry.confirm, target)}`);
  }
  return lines;
}

/** The text report's sections, in reading order: each step below builds one (or none when it has nothing to say). */
function soakView(input: SoakReportInput): Section[] {
  return [
    runSection(input),
    uptimeSection(input),
    ...fleetSection(input.summary),
    ...saturationSection(input.summary.saturation),
    ...causeSections(input),
    ...messagesSection(input),
    ...recentDisconnectsSection(input.recentDisconnects),
    ...perClientSection(input.summary),
  ];
}

/** What was run, against what, with which settings, and where the figures come from. */
function runSection(input: SoakReportInput): Section {
  const summary = input.summary;
  const info = input.info;
  return {
    kind: 'pairs',
    title: 'Run',
    pairs: [
      ['run id', input.runId],
      ['target', info.target],
      ['clients', String(summary.clients)],
      ['elapsed', `${formatDuration(summary.elapsedMs)} (${iso(summary.startedMs)} → ${iso(summary.atMs)})`],
      ['reconnect policy', info.reconnect],
      ...settingPairs(info),
      ...(input.shards ? [['shards', shardsText(input.shards)] as [string, string]] : []),
      ...(input.source ? [['source', sourceText(input.source)] as [string, string]] : []),
    ],
  };
}

/** The traffic and session a run was started with, as the text report and the HTML page show them. */
export function settingPairs(info: SoakRunInfo): Array<[string, string]> {
  return [
    [
      'traffic',
      info.ratePerS > 0
        ? `${info.ratePerS}/s per client, QoS ${info.qos}, ${info.payloadBytes} B`
        : 'idle (connections only)',
    ],
    [
      'session',
      `MQTT ${info.mqttVersion === 5 ? '5' : '3.1.1'}, ${info.clean ? 'clean' : 'kept (--no-clean)'}, keepalive ${info.keepaliveS} s`,
    ],
  ];
}

/** Connection accounting: who is connected, how often they dropped, how long they were down. */
function uptimeSection(input: SoakReportInput): Section {
  const summary = input.summary;
  const conns = summary.connections;
  const info = input.info;
  return {
    kind: 'pairs',
    title: 'Uptime',
    pairs: [
      ['connected now', `${conns.connectedNow}/${summary.clients}`],
      ...(input.connectedStrip ? [['connected over time', input.connectedStrip] as [string, string]] : []),
      [
        'connects',
        `${conns.connects} (${plural(conns.reconnects, 'reconnect')}${summary.clients > 1 ? `, most for one client ${conns.maxReconnectsPerClient}` : ''})`,
      ],
      ['disconnects', String(conns.disconnects)],
      ['failed attempts', String(conns.connectFailures)],
      ['uptime', conns.connects === 0 ? '0% (no client ever connected)' : uptimeText(conns)],
      [
        'downtime',
        `${range(conns.worstClientDowntimeMinMs, conns.worstClientDowntimeMs)} worst client, ${range(conns.downtimeTotalMinMs, conns.downtimeTotalMs)} summed over clients`,
      ],
      ...outageRows(conns, info.clean),
    ],
  };
}

/** Outage figures: only rows that carry information (a run without outages has none to show). */
function outageRows(conns: SoakSummary['connections'], cleanSession: boolean): Array<[string, string]> {
  return [
    ...(conns.silent
      ? [
          [
            'silent link',
            `${plural(conns.silent.outages, 'outage')} counted from the last byte received; noticed ${ms(conns.silent.detectionDelayAvgMs)} later on average, at most ${ms(conns.silent.detectionDelayMaxMs)}`,
          ] as [string, string],
        ]
      : []),
    // Only rows that carry information: a run without outages has no outage figures to show (the JSON keeps
    // every field, null when empty).
    ...rowIf(
      conns.longestOutage,
      (lo) =>
        `${ms(lo.ms)} client ${lo.client}, ${lo.latestFromMs !== undefined ? downBetween(lo.fromMs, lo.latestFromMs) : iso(lo.fromMs)} → ${lo.toMs === null ? 'still down' : iso(lo.toMs)} (${lo.cause === 'initial' ? 'down at start' : CAUSE_INFO[lo.cause].title})`,
      'longest outage',
    ),
    ...rowIf(conns.timeToReconnectMs, (t) => `p50 ${ms(t.p50)}, max ${ms(t.max)} (${t.count})`, 'time to reconnect'),
    ...rowIf(
      conns.attemptsPerOutage,
      (a) => `p50 ${a.p50}, max ${a.max} (1 = the first retry worked)`,
      'attempts per outage',
    ),
    ...rowIf(
      conns.connectedMs,
      (p) =>
        `min ${ms(p.min)}, p50 ${range(p.p50, conns.connectedUpToMs?.p50 ?? p.p50)}, max ${range(p.max, conns.connectedUpToMs?.max ?? p.max)} (${p.count} ended)`,
      'connected periods',
    ),
    ...rowIf(
      conns.timeToReconnectMs ? conns.flaps : null,
      (n) => `${n} under ${ms(conns.flapThresholdMs)}`,
      'short outages',
    ),
    // A lost session means something only when one was asked for (--no-clean).
    ...rowIf(!cleanSession || conns.sessionsLost > 0 ? conns.sessionsLost : null, String, 'sessions lost'),
  ];
}

/** How fast the fleet got connected, from which source addresses, and any connection bound met. */
function fleetSection(summary: SoakSummary): Section[] {
  const fleet = summary.fleet;
  if (!fleet || (!fleet.connackMs && summary.clients <= 1)) return [];
  const cm = fleet.connackMs;
  return [
    {
      kind: 'pairs',
      title: 'Fleet connects',
      pairs: [
        [
          'CONNACK time',
          cm
            ? `p50 ${ms(cm.p50)}, p90 ${ms(cm.p90)}, p99 ${ms(cm.p99)}, max ${ms(cm.max)} (${plural(cm.count, 'connect')}, socket up → CONNACK)`
            : '—',
        ],
        ...(summary.clients > 1
          ? [
              [
                'connect rate',
                `${fleet.achievedPerS === null ? '—' : `${fleet.achievedPerS.toFixed(1)}/s`} achieved (${fleet.firstConnects} of ${summary.clients} clients), ${fleet.askedPerS > 0 ? `${fleet.askedPerS}/s asked` : 'all at once asked'}`,
              ] as [string, string],
            ]
          : []),
        ...(fleet.sources ?? []).map((r): [string, string] => [
          `from ${r.address}`,
          `${r.connectedNow} connected at the end, at most ${r.peakConnected} (${plural(r.clients, 'client')})`,
        ]),
        ...(fleet.bound
          ? [
              ['connection bound', `${fleet.bound.limit} (${fleet.bound.kind}: ${fleet.bound.detail})`] as [
                string,
                string,
              ],
            ]
          : []),
      ],
    },
  ];
}

/** When this machine, not the broker or the network, was too busy to measure. */
function saturationSection(sat: SoakSummary['saturation']): Section[] {
  if (!sat || sat.windows <= 0) return [];
  return [
    {
      kind: 'pairs',
      title: 'Measuring machine',
      pairs: [
        [
          'saturated',
          `${formatDuration(sat.totalMs)} in ${plural(sat.windows, 'second')}${sat.firstMs !== null && sat.lastMs !== null ? ` (${iso(sat.firstMs)} → ${iso(sat.lastMs)})` : ''}`,
        ],
        ['event-loop delay', `up to ${ms(sat.loopDelayMaxMs)}`],
        ['CPU', `up to ${Math.round(sat.cpuMaxPct)}% of a core`],
        ['failures then', `${sat.failuresDuring} (not attributed to the broker or the network)`],
      ],
    },
  ];
}

/** Disconnects and failed attempts counted by cause, then what each cause means and how to fix it. */
function causeSections(input: SoakReportInput): Section[] {
  const sat = input.summary.saturation;
  const causes = Object.entries(input.summary.connections.byCause) as Array<[DisconnectCause, number]>;
  if (causes.length === 0) return [];
  return [
    {
      kind: 'table',
      title:
        sat && sat.failuresDuring > 0
          ? `Disconnects and failed attempts by cause (${sat.failuresDuring} while this machine was saturated: not attributed to the broker or the network)`
          : 'Disconnects and failed attempts by cause',
      head: ['cause', 'count', 'layer'],
      rows: causes
        .sort(([, countA], [, countB]) => countB - countA)
        .map(([cause, count]) => [CAUSE_INFO[cause].title, String(count), CAUSE_INFO[cause].layer]),
    },
    {
      kind: 'lines',
      title: 'What the causes mean',
      lines: causes.flatMap(([cause]) => causeLines(cause, input.recentDisconnects, input.target)),
    },
  ];
}

/** Message accounting (runs that sent messages only). */
function messagesSection(input: SoakReportInput): Section[] {
  const info = input.info;
  const conns = input.summary.connections;
  const msgs = input.summary.messages;
  if (info.ratePerS <= 0) return [];
  return [
    {
      kind: 'pairs',
      title: 'Messages',
      pairs: [
        ['sent', String(msgs.sent)],
        ['received', String(msgs.received)],
        ['lost', `${msgs.lost} (${pct(msgs.lossPct)})`],
        ['duplicates', String(msgs.duplicates)],
        ['out of order', String(msgs.outOfOrder)],
        ['late', `${msgs.late} (after the ${ms(info.lossGraceMs)} grace)`],
        ...(info.publishOffline
          ? [
              [
                'published while offline',
                `${msgs.sentOffline ?? 0}, ${msgs.deliveredOffline ?? 0} arrived after the reconnect`,
              ] as [string, string],
            ]
          : rowIf(
              msgs.skippedOffline > 0 || conns.disconnects + conns.connectFailures > 0 ? msgs.skippedOffline : null,
              String,
              'skipped while offline',
            )),
        ...rowIf(
          msgs.inflightAtDisconnect + msgs.recoveredAfterReconnect > 0 ? msgs : null,
          () => `${msgs.inflightAtDisconnect}, ${msgs.recoveredAfterReconnect} arrived after the reconnect`,
          'in flight at disconnect',
        ),
        // No latency without an arrival: say so rather than print a dash.
        [
          'latency',
          msgs.latencyMs
            ? `p50 ${ms(msgs.latencyMs.p50)}, p90 ${ms(msgs.latencyMs.p90)}, p99 ${ms(msgs.latencyMs.p99)}, max ${ms(msgs.latencyMs.max)} (${msgs.latencyMs.count})`
            : `none measured (${msgs.sent === 0 ? 'nothing sent' : 'no message came back'})`,
        ],
      ],
    },
  ];
}

/** The latest disconnects and failed attempts, one row each. */
function recentDisconnectsSection(recent: SoakReportInput['recentDisconnects']): Section[] {
  if (recent.length === 0) return [];
  return [
    {
      kind: 'table',
      title: `Last ${recent.length} disconnects / failed attempts`,
      head: ['time', 'client', 'event', 'cause', 'detail'],
      rows: recent.map((event) => [
        iso(event.t),
        String(event.client),
        event.type === 'disconnect' ? 'lost' : 'attempt failed',
        CAUSE_INFO[event.cause].title,
        event.type === 'disconnect' && event.silentSinceMs !== undefined && event.unansweredSendMs !== undefined
          ? `${event.detail}; ${downBetween(event.silentSinceMs, event.unansweredSendMs)}`
          : event.detail,
      ]),
    },
  ];
}

/** Clients with a problem to show, one row each (only when there is more than one client). */
function perClientSection(summary: SoakSummary): Section[] {
  // Only clients with something to show: a table of all-zero rows says nothing.
  const troubled = summary.perClient.filter(
    (row) =>
      row.reconnects > 0 ||
      row.downtimeMs > 0 ||
      row.lost > 0 ||
      row.duplicates > 0 ||
      row.outOfOrder > 0 ||
      row.connects === 0,
  );
  if (summary.clients <= 1 || troubled.length === 0) return [];
  return [
    {
      kind: 'table',
      title:
        troubled.length < summary.clients
          ? `Clients with problems (${troubled.length} of ${summary.clients})`
          : 'Per client',
      head: ['client', 'reconnects', 'downtime', 'sent', 'received', 'lost', 'dup', 'ooo', 'p99'],
      rows: troubled.map((row) => [
        String(row.client),
        String(row.reconnects),
        ms(row.downtimeMs),
        String(row.sent),
        String(row.received),
        String(row.lost),
        String(row.duplicates),
        String(row.outOfOrder),
        ms(row.p99Ms),
      ]),
    },
  ];
}

/** "4: all finished" or "4: 2 finished; killed 1; missing 3". */
function shardsText(sh: NonNullable<SoakData['shards']>): string {
  const of = (state: ShardStatus['state']) => sh.list.filter((x) => x.state === state).map((x) => x.index);
  const finished = of('finished');
  if (finished.length === sh.count) return `${sh.count}: all finished`;
  const parts = [`${finished.length} finished`];
  if (of('killed').length) parts.push(`killed (no end line) ${of('killed').join(', ')}`);
  if (of('missing').length) parts.push(`missing ${of('missing').join(', ')}`);
  return `${sh.count}: ${parts.join('; ')}`;
}

/**
 * Bounds that differ by less than this are one figure: a silent outage whose first unanswered send followed its
 * last byte within a message interval or a round trip is dated exactly enough.
 */
const MATERIAL_MS = 1000;

/** A figure known as a range (a silent outage's start): one value when the bounds agree. */
function range(minMs: number, maxMs: number): string {
  return maxMs - minMs < MATERIAL_MS ? ms(maxMs) : `${ms(minMs)}–${ms(maxMs)}`;
}

function uptimeText(c: SoakSummary['connections']): string {
  const lo = `${c.uptimePct.toFixed(3)}%`;
  // Absent in summaries from before the bounds existed.
  const hi = c.uptimeMaxPct ?? c.uptimePct;
  return hi - c.uptimePct < 0.1
    ? lo
    : `between ${lo} and ${hi.toFixed(3)}% (a silent link died between its last byte received and its first send left unanswered)`;
}

const downBetween = (fromMs: number, toMs: number): string => `down between ${iso(fromMs)} and ${iso(toMs)}`;

/** A report row only when there is a value to show (null: nothing happened that the row could describe). */
function rowIf<T>(value: T | null | undefined, text: (v: T) => string, key: string): Array<[string, string]> {
  return value === null || value === undefined ? [] : [[key, text(value)]];
}

function sourceText(src: SoakSource): string {
  const parts = [`${src.file}: ${plural(src.events, 'event')}`];
  if (src.badLines) parts.push(`${plural(src.badLines, 'unreadable line')}`);
  if (src.newerVersion !== undefined)
    parts.push(`written by a newer mqtt-doctor (file version ${src.newerVersion}): upgrade to read all of it`);
  if (!src.complete) parts.push('no end line (killed run)');
  return parts.join(', ');
}

/**
 * `report soak.jsonl`: connection accounting is replayed from the events (complete up to the last line);
 * message accounting comes from the last checkpoint or the end line. Throws UsageError for a file that is
 * not a soak file.
 */
export function buildSoakFromFile(
  text: string,
  file: string,
  thresholds: SoakThresholds,
  version: string,
): Report<SoakData> {
  const { events, badLines, newerVersion } = parseSoakLines(text);
  const r = replaySoak(events);
  const start = startLineOf(r, file, newerVersion);
  const info = start.info;
  const at = r.end?.t ?? r.lastEventMs ?? start.t;
  const summary = replayedSummary(r, start, at);
  const end: SoakEnd = r.end?.reason ?? 'killed';
  return buildSoakReport({
    command: 'report',
    version,
    startedAt: new Date(start.t).toISOString(),
    finishedAt: new Date(at).toISOString(),
    runId: start.runId,
    info,
    end,
    summary,
    thresholds: checkThresholds(summary, thresholds),
    findings: soakFindings(summary, { ratePerS: info.ratePerS, end }),
    recentDisconnects: r.recentDisconnects,
    connectedStrip: connectedStripFromEvents(events, start.t, at, info.clients),
    ...(r.end?.crossCheck ? { crossCheck: r.end.crossCheck } : {}),
    source: {
      file,
      events: events.length,
      badLines,
      complete: r.end !== undefined,
      ...(newerVersion !== undefined ? { newerVersion } : {}),
      lastEventAt: r.lastEventMs === undefined ? null : new Date(r.lastEventMs).toISOString(),
    },
  });
}

type SoakReplay = ReturnType<typeof replaySoak>;
type StartLine = NonNullable<SoakReplay['start']>;

/** The file's start line; a file without one is not a soak file (or one from a newer mqtt-doctor). */
function startLineOf(r: SoakReplay, file: string, newerVersion: number | undefined): StartLine {
  if (!r.start && newerVersion !== undefined) {
    throw new UsageError(
      `${file} was written by a newer mqtt-doctor (file version ${newerVersion}; this one reads up to ${SOAK_FILE_VERSION})`,
      'upgrade mqtt-doctor to read it',
    );
  }
  if (!r.start) {
    throw new UsageError(
      `${file} is not a soak file (no start line)`,
      'give the file written by `mqtt-doctor soak --out FILE`',
    );
  }
  return r.start;
}

/**
 * The summary at `at`: connections replayed from the events (complete up to the last line), messages and the
 * per-client rows from the last checkpoint or end line.
 */
function replayedSummary(r: SoakReplay, start: StartLine, at: number): SoakSummary {
  const info = start.info;
  const last = r.last?.summary;
  const connections = summarizeConnections(r.timelines, at, info.flapThresholdMs);
  const perClient = withTimelines(last?.perClient ?? [], r.timelines, at);
  const messages = last?.messages ?? summarizeMessages([], at, 0, new LatencyHistogram());
  return {
    atMs: at,
    startedMs: start.t,
    elapsedMs: at - start.t,
    clients: info.clients,
    connections,
    messages,
    perClient,
  };
}

/** One file's text as `report` read it. */
export interface SoakFileText {
  file: string;
  text: string;
}

/**
 * `report a.jsonl b.jsonl …` (or a folder): the lines of every file grouped by run id and shard, whichever
 * file holds them, and the shards of the one run merged (analyze/soak/merge.ts). One file of an unsharded
 * run reads as `buildSoakFromFile` always did. Returns the events the run's picture draws. Throws
 * UsageError for files of several runs, the same shard twice, or no soak file at all.
 */
export function buildSoakFromFiles(
  files: readonly SoakFileText[],
  thresholds: SoakThresholds,
  version: string,
): { report: Report<SoakData>; events: SoakEvent[] } {
  const parsed = files.map((f) => ({ file: f.file, ...parseSoakLines(f.text) }));
  const only = parsed[0];
  if (parsed.length === 1 && only && !only.events.some((e) => e.shard !== undefined)) {
    const f = files[0] as SoakFileText;
    return { report: buildSoakFromFile(f.text, f.file, thresholds, version), events: only.events };
  }
  const grouping = groupShardStreams(parsed);
  checkShardFiles(grouping, parsed, files);
  const merged = mergeShards(grouping.streams);
  return {
    events: merged.events,
    report: buildSoakReport(
      mergedReportInput(merged, { parsed, files, orphans: grouping.orphans, thresholds, version }),
    ),
  };
}

type ParsedSoakFile = { file: string } & ReturnType<typeof parseSoakLines>;

/** Throws UsageError for the same shard twice, no soak file at all, or files of several runs. */
function checkShardFiles(
  grouping: ReturnType<typeof groupShardStreams>,
  parsed: readonly ParsedSoakFile[],
  files: readonly SoakFileText[],
): void {
  const dup = grouping.duplicates[0];
  if (dup)
    throw new UsageError(
      `${dup.index === undefined ? `run ${dup.runId}` : `shard ${dup.index} of run ${dup.runId}`} is in more than one file: ${dup.files.join(', ')}`,
      'give each shard file once',
    );
  if (grouping.streams.length === 0) {
    const newer = parsed.find((p) => p.newerVersion !== undefined);
    if (newer)
      throw new UsageError(
        `${newer.file} was written by a newer mqtt-doctor (file version ${newer.newerVersion}; this one reads up to ${SOAK_FILE_VERSION})`,
        'upgrade mqtt-doctor to read it',
      );
    throw new UsageError(
      `${files.map((f) => f.file).join(', ')}: not a soak file (no start line)`,
      'give the files written by `mqtt-doctor soak --out FILE`',
    );
  }
  const problem = shardSetProblem(grouping.streams);
  if (problem) throw new UsageError(problem, 'give the files of one run (they share a --run-id)');
}

/** The merged run as buildSoakReport reads it: its shards' findings first, the source is every file given. */
function mergedReportInput(
  merged: MergedRun,
  from: {
    parsed: readonly ParsedSoakFile[];
    files: readonly SoakFileText[];
    orphans: number;
    thresholds: SoakThresholds;
    version: string;
  },
): SoakReportInput {
  const end: SoakEnd = merged.end;
  const newerVersion = from.parsed.find((p) => p.newerVersion !== undefined)?.newerVersion;
  const lastEventMs = Math.max(...merged.shards.map((x) => x.lastEventMs ?? Number.NEGATIVE_INFINITY));
  return {
    command: 'report',
    version: from.version,
    startedAt: new Date(merged.startedMs).toISOString(),
    finishedAt: new Date(merged.atMs).toISOString(),
    runId: merged.runId,
    info: merged.info,
    end,
    summary: merged.summary,
    thresholds: checkThresholds(merged.summary, from.thresholds),
    findings: [...merged.findings, ...soakFindings(merged.summary, { ratePerS: merged.info.ratePerS, end })],
    recentDisconnects: merged.recentDisconnects,
    connectedStrip: connectedStripFromEvents(merged.events, merged.startedMs, merged.atMs, merged.summary.clients),
    shards: { count: merged.shardCount, list: merged.shards },
    source: {
      file: from.files.map((f) => f.file).join(', '),
      events: from.parsed.reduce((n, p) => n + p.events.length, 0),
      badLines: from.parsed.reduce((n, p) => n + p.badLines, 0) + from.orphans,
      complete: merged.shards.every((x) => x.state === 'finished'),
      ...(newerVersion !== undefined ? { newerVersion } : {}),
      lastEventAt: Number.isFinite(lastEventMs) ? new Date(lastEventMs).toISOString() : null,
    },
  };
}

const fmtFigure = (v: number, unit: CompareRow['unit']): string =>
  unit === 'ms'
    ? ms(Math.abs(v))
    : unit === 'pct'
      ? pct(Math.abs(v))
      : unit === 'per-s'
        ? `${Math.abs(v).toFixed(1)}/s`
        : Number.isInteger(v)
          ? String(Math.abs(v))
          : Math.abs(v).toFixed(2);

function changeText(r: CompareRow): string {
  if (r.change === null) return '—';
  if (r.change === 0) return 'same';
  const sign = r.change > 0 ? '+' : '−';
  // A share changes by points; everything else also relative to before.
  const abs =
    r.unit === 'pct' ? `${sign}${Math.abs(r.change).toFixed(3)} points` : `${sign}${fmtFigure(r.change, r.unit)}`;
  const rel = r.unit === 'pct' || r.changePct === null ? '' : ` (${sign}${Math.abs(r.changePct).toFixed(1)}%)`;
  return `${abs}${rel} ${r.verdict ?? ''}`.trimEnd();
}

/**
 * `report BEFORE --compare AFTER`: the after run's report (its checks, thresholds and verdict: did the change
 * pass?) with the before run's figures beside it, first in the view and under `data.compare` in JSON.
 */
export function withComparison(after: Report<SoakData>, before: Report<SoakData>): Report<SoakData> {
  const figures = compareSummaries(before.data.summary, after.data.summary);
  const settingsDiffer = compareSettings(before.data.info, after.data.info);
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const cell = (v: number | null, unit: CompareRow['unit']) =>
    v === null ? '—' : `${v < 0 ? '−' : ''}${fmtFigure(v, unit)}`;
  return {
    ...after,
    data: {
      ...after.data,
      compare: {
        before: {
          runId: before.data.runId,
          file: before.data.source?.file ?? null,
          end: before.data.end,
          verdict: before.verdict.status,
        },
        settingsDiffer,
        figures,
      },
    },
    view: [
      ...(settingsDiffer.length > 0
        ? [
            {
              kind: 'lines' as const,
              title: 'The runs were started with different settings: their figures are not like for like',
              lines: settingsDiffer.map((d) => `${d.setting}: ${show(d.before)} → ${show(d.after)}`),
            },
          ]
        : []),
      {
        kind: 'table',
        title: `Before (run ${before.data.runId}) → after (run ${after.data.runId})`,
        head: ['figure', 'before', 'after', 'change'],
        rows: figures
          .filter((r) => r.before !== null || r.after !== null)
          .map((r) => [r.label, cell(r.before, r.unit), cell(r.after, r.unit), changeText(r)]),
      },
      ...(after.view ?? []),
    ],
  };
}
