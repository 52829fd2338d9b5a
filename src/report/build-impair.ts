/**
 * Pure pieces of the impair command's output: one line per proxy event (text or a JSON line), the report
 * written on exit (faults, counters), and the `--list-profiles` report.
 */
import { describeFaults, type ImpairFaults } from '../config/impair.js';
import { formatHostPort, maskTarget, type Target } from '../config/target.js';
import { formatDuration } from '../config/units.js';
import { ExitCode } from '../errors.js';
import type { ImpairEvent, TimerLateness } from '../lab/impair/proxy.js';
import { MIDDLEBOXES, PROFILES, type Middlebox, type NetworkProfile } from '../kb/profiles.js';
import { reportEnvelope, type Check, type Report, type Section, type Verdict } from './model.js';

type EventOf<T extends ImpairEvent['type']> = Extract<ImpairEvent, { type: T }>;

/** Exhaustive: adding an event kind makes the compiler point here. */
const EVENT_TEXT: { [T in ImpairEvent['type']]: (e: EventOf<T>) => string } = {
  opened: (e) => `#${e.conn} opened from ${e.detail}`,
  'mapping-expired': (e) =>
    `#${e.conn} mapping expired after ${formatDuration(e.idleMs)} idle: ${
      e.mode === 'drop'
        ? 'bytes now vanish silently'
        : e.resetOn === 'use'
          ? 'the next end to send gets a reset'
          : 'resetting both ends'
    }`,
  reset: (e) => `#${e.conn} reset (${e.reason === 'peer' ? `passed on from ${e.detail ?? 'peer'}` : e.reason})`,
  blackholed: (e) => `#${e.conn} blackholed: bytes now vanish silently`,
  hung: (e) => `#${e.conn} hung (outage): accepted from ${e.detail}, never forwarded`,
  refused: (e) => `#${e.conn ?? '?'} refused (outage) from ${e.detail}`,
  closed: (e) =>
    `#${e.conn} closed after ${formatDuration(e.durationMs)}, ${e.bytesUp} B up, ${e.bytesDown} B down${e.detail ? ` (${e.detail})` : ''}`,
  'outage-start': (e) =>
    `outage until ${formatDuration(e.untilMs)}: new connections ${e.mode === 'refuse' ? 'refused' : 'hang'}`,
  'outage-end': () => 'outage over: accepting connections again',
  error: (e) => `${e.conn !== undefined ? `#${e.conn} ` : ''}error: ${e.detail}`,
};

/** "  12.3 s  #4 opened from 127.0.0.1:50312" */
export function formatImpairEvent(event: ImpairEvent): string {
  const text = (EVENT_TEXT[event.type] as (x: ImpairEvent) => string)(event);
  return `${formatSeconds(event.atMs).padStart(9)}  ${text}`;
}

/** One JSON line per event; every `…Ms` field rounded to 0.1 ms. */
export function impairEventJson(event: ImpairEvent): string {
  return JSON.stringify(event, (key, value: unknown) =>
    key.endsWith('Ms') && typeof value === 'number' ? Math.round(value * 10) / 10 : value,
  );
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

export interface ImpairData {
  listen: string;
  target: string;
  faults: ImpairFaults;
  description: string;
  durationMs: number;
  stoppedBy: 'signal' | 'duration' | 'error';
  counters: Record<string, number>;
  /** How late delayed chunks were released compared with plan (this machine's scheduling noise). */
  timerLateness?: TimerLateness;
}

export interface ImpairReportInput {
  listen: { host: string; port: number };
  target: Target;
  faults: ImpairFaults;
  counters: Record<string, number>;
  startedAt: Date;
  finishedAt: Date;
  stoppedBy: ImpairData['stoppedBy'];
  version: string;
  lateness?: TimerLateness;
}

/** Above this p99 release lateness the injected delays are visibly off (the accuracy goal is ~1 ms). */
export const LATENESS_WARN_MS = 5;

const COUNTER_LABEL: Record<string, string> = {
  opened: 'connections opened',
  closed: 'connections closed',
  active: 'still open at exit',
  bytesUp: 'bytes client → target',
  bytesDown: 'bytes target → client',
  bytesDropped: 'bytes swallowed',
  stalls: 'stalls injected',
  natExpired: 'mappings expired (nat-idle)',
  resets: 'resets sent',
  blackholed: 'connections blackholed',
  hung: 'connections hung (outage)',
  refused: 'connections refused (outage)',
  outages: 'outage windows',
  upstreamErrors: 'target connect errors',
};

/** How late delayed chunks left compared with plan: on a busy machine the injected delays are off by that much. */
function timingCheck(late: TimerLateness): Check {
  const busy = late.p99Ms > LATENESS_WARN_MS;
  return {
    id: 'impair.timing',
    title: 'Delay accuracy',
    status: busy ? 'warn' : 'pass',
    summary: `releases late by ${formatDuration(late.p50Ms)} p50, ${formatDuration(late.p99Ms)} p99 (${late.releases} releases)`,
    metrics: { ...late },
    ...(busy
      ? {
          explanation:
            'the machine was too busy to release delayed bytes on time, so measured RTTs include extra delay',
          hint: 'run impair on a less loaded machine or core, or allow for this lateness when reading results',
        }
      : {}),
  };
}

/** Text shows the counters that moved (connections opened always); JSON carries every counter. */
function counterPairs(counters: Record<string, number>): Array<[string, string]> {
  return Object.entries(counters)
    .filter(([name, value]) => value !== 0 || name === 'opened')
    .map(([name, value]) => [COUNTER_LABEL[name] ?? name, String(value)]);
}

function impairVerdict(input: ImpairReportInput, route: string, durationMs: number): Verdict {
  const interrupted = input.stoppedBy === 'signal';
  const failed = input.stoppedBy === 'error';
  const opened = input.counters.opened ?? 0;
  return {
    status: failed ? 'failed' : interrupted ? 'interrupted' : 'ok',
    exitCode: failed ? ExitCode.internal : interrupted ? ExitCode.interrupted : ExitCode.ok,
    summary: `proxied ${opened} connection${opened === 1 ? '' : 's'} ${route} for ${formatDuration(durationMs)}${interrupted ? ', stopped by signal' : ''}`,
  };
}

export function buildImpairReport(input: ImpairReportInput): Report<ImpairData> {
  const masked = maskTarget(input.target);
  const listen = formatHostPort(input.listen.host, input.listen.port);
  const description = describeFaults(input.faults);
  const durationMs = input.finishedAt.getTime() - input.startedAt.getTime();
  const counters = input.counters;
  const late = input.lateness;
  const checks: Check[] = [
    {
      id: 'impair.faults',
      title: 'Faults injected',
      status: 'info',
      summary: description,
      durationMs,
      metrics: { ...counters },
    },
    ...(late && late.releases > 0 ? [timingCheck(late)] : []),
  ];
  return {
    ...reportEnvelope({
      command: 'impair',
      version: input.version,
      startedAt: input.startedAt,
      finishedAt: input.finishedAt,
      target: masked,
    }),
    checks,
    data: {
      listen,
      target: masked.url,
      faults: input.faults,
      description,
      durationMs,
      stoppedBy: input.stoppedBy,
      counters: { ...counters },
      ...(late ? { timerLateness: late } : {}),
    },
    verdict: impairVerdict(input, `${listen} → ${masked.url}`, durationMs),
    view: [{ kind: 'pairs', title: 'Counters', pairs: counterPairs(counters) }],
  };
}

export interface ProfilesData {
  profiles: readonly NetworkProfile[];
  middleboxes: readonly Middlebox[];
}

/** `impair --list-profiles`: link profiles and middleboxes, with where each number comes from. */
export function buildProfilesReport(version: string, now: Date): Report<ProfilesData> {
  const view: Section[] = [
    profilesTable(),
    middleboxesTable(),
    {
      kind: 'lines',
      title: 'Sources',
      lines: [...PROFILES.map((p) => `${p.name}: ${p.source}`), ...MIDDLEBOXES.map((m) => `${m.name}: ${m.source}`)],
    },
  ];
  const at = now.toISOString();
  return {
    ...reportEnvelope({ command: 'impair', version, startedAt: at, finishedAt: at }),
    checks: [],
    data: { profiles: PROFILES, middleboxes: MIDDLEBOXES },
    verdict: {
      status: 'ok',
      exitCode: ExitCode.ok,
      summary: `${PROFILES.length} profiles, ${MIDDLEBOXES.length} middleboxes; no source gives packet-loss or bandwidth figures: add them with --stall / --bandwidth`,
    },
    view,
  };
}

/** Milliseconds as the profile table shows them: a fraction below 10, else whole. */
const tableMs = (n: number): string => (n < 10 ? String(n) : String(Math.round(n)));

function profilesTable(): Section {
  // A stall delay only matters with a loss rate, and no source gives one (every profile's loss is 0): the
  // column shows only when some profile has loss, so the table fits 80 columns (issue 13: 8 columns were 85
  // wide and cut names such as "satellite-geo", which the user has to type).
  const lossy = PROFILES.some((p) => p.lossPct > 0);
  return {
    kind: 'table',
    title: 'Network profiles (--profile NAME; one-way latency = typical RTT / 2)',
    head: [
      'name',
      'link',
      'RTT min/typ/max ms',
      'jitter ±ms',
      ...(lossy ? ['loss (stall)'] : []),
      'nat-idle',
      'confidence',
    ],
    rows: PROFILES.map((p) => [
      p.name,
      p.title,
      `${tableMs(p.rttMs.min)}/${tableMs(p.rttMs.typical)}/${tableMs(p.rttMs.max)}`,
      tableMs(p.jitterMs),
      ...(lossy ? [p.lossPct > 0 ? `${p.lossPct}% (${tableMs(p.stallMs)} ms)` : '—'] : []),
      p.natIdleS !== undefined ? `${formatDuration(p.natIdleS * 1000)} ${p.natMode ?? 'drop'}` : '—',
      p.confidence,
    ]),
    whole: [0],
  };
}

function middleboxesTable(): Section {
  return {
    kind: 'table',
    title: 'Middleboxes (combine: --profile 4g+aws-nat, or --impair 4g,aws-nat)',
    head: ['name', 'middlebox', 'idle timeout', 'then'],
    whole: [0],
    rows: MIDDLEBOXES.map((m) => [
      m.name,
      m.title,
      formatDuration(m.idleS * 1000),
      m.mode === 'drop' ? 'silent drop' : m.resetOn === 'use' ? 'RST to the next sender' : 'RST both ends',
    ]),
  };
}
