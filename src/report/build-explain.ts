/**
 * explain-error's report: one explanation (text mode) or a cause summary with a timeline (log mode), as
 * the shared report model. Pure: analysis in, Report out.
 */
import type { Explanation, Candidate } from '../analyze/explain.js';
import { fillTarget } from '../analyze/explain.js';
import type { LogAnalysis, TimelineFinding } from '../analyze/log-timeline.js';
import type { ClientId, KbEntry, Layer } from '../kb/entry.js';
import { entryById } from '../kb/catalog.js';
import { ExitCode } from '../errors.js';
import { reportEnvelope, type Check, type Report, type Section } from './model.js';

export interface CandidateData {
  id: string;
  layer: Layer;
  title: string;
  /** How the input was read, e.g. "Linux errno 113". */
  reading: string;
  via: Candidate['via'];
  score: number;
  causes: string[];
  confirm: string;
  fix: string;
  /** The library-specific setting, when --client names a library the entry knows. */
  clientFix?: string;
  source: string;
}

export interface ExplainTextData {
  mode: 'text';
  input: string;
  known: boolean;
  ambiguous: boolean;
  client?: ClientId;
  mqttVersion?: 4 | 5;
  candidates: CandidateData[];
  suggestions: Array<{ id: string; title: string }>;
}

export interface LogGroupData {
  id: string;
  layer: Layer;
  title: string;
  count: number;
  clients: string[];
  firstLine: number;
  sample: string;
  fix: string;
  confirm: string;
}

export interface ExplainLogData {
  mode: 'log';
  source: string;
  lines: number;
  recognised: number;
  informational: number;
  unrecognised: number;
  spanMs?: number;
  groups: LogGroupData[];
  findings: TimelineFinding[];
  unrecognisedSamples: string[];
}

export type ExplainData = ExplainTextData | ExplainLogData;

interface Common {
  version: string;
  startedAt: Date;
  finishedAt: Date;
  client?: ClientId;
  mqttVersion?: 4 | 5;
}

function candidateData(c: Candidate, ex: Explanation, client: ClientId | undefined): CandidateData {
  const clientFix = client ? c.entry.fixFor?.[client] : undefined;
  return {
    id: c.entry.id,
    layer: c.entry.layer,
    title: c.entry.title,
    reading: c.reading,
    via: c.via,
    score: c.score,
    causes: c.entry.causes,
    confirm: fillTarget(c.entry.confirm, ex.target),
    fix: c.entry.fix,
    ...(clientFix ? { clientFix } : {}),
    source: c.entry.source,
  };
}

function base(common: Common, data: ExplainData, checks: Check[], view: Section[], verdict: Report['verdict']): Report<ExplainData> {
  return {
    ...reportEnvelope({ command: 'explain-error', version: common.version, startedAt: common.startedAt, finishedAt: common.finishedAt }),
    checks,
    data,
    verdict,
    view,
  };
}

/** How many ranked alternatives the text view lists (JSON has them all). */
const MAX_OTHERS = 8;

export function buildExplainReport(ex: Explanation, common: Common): Report<ExplainData> {
  const candidates = ex.candidates.map((c) => candidateData(c, ex, common.client));
  const data: ExplainTextData = {
    mode: 'text',
    input: ex.input,
    known: ex.known,
    ambiguous: ex.ambiguous,
    ...(common.client ? { client: common.client } : {}),
    ...(common.mqttVersion ? { mqttVersion: common.mqttVersion } : {}),
    candidates,
    suggestions: ex.suggestions.map((e) => ({ id: e.id, title: e.title })),
  };
  const top = candidates[0];
  if (!top) {
    const view: Section[] = [
      {
        kind: 'lines',
        title: 'Nearest known entries',
        lines: ex.suggestions.length ? ex.suggestions.map((e) => `${e.id}  ${e.title}`) : ['none close; try the exact error code or the full error line'],
      },
    ];
    return base(
      common,
      data,
      [{ id: 'explain', title: 'Explain', status: 'fail', summary: `not in the knowledge base: ${short(ex.input)}`, hint: 'paste the whole error line, or add --client / --mqtt-version' }],
      view,
      { status: 'failed', exitCode: ExitCode.finding, summary: `unknown input "${short(ex.input)}"` },
    );
  }
  const view: Section[] = [];
  if (ex.ambiguous) {
    view.push({
      kind: 'lines',
      title: `Ambiguous: ${candidates.length} readings, most likely first`,
      lines: ['Narrow it with --client mqttjs|paho-python|paho-java|paho-go|mosquitto|umqtt|esp32, --mqtt-version, or the words around the number.'],
    });
  }
  view.push(...explanationSections(top, common.client));
  const others = candidates.slice(1, 1 + MAX_OTHERS);
  if (others.length) {
    view.push({
      kind: 'table',
      title: ex.ambiguous ? 'Other readings' : 'Also matching',
      head: ['#', 'read as', 'layer', 'meaning'],
      rows: others.map((c, i) => [String(i + 2), c.reading, c.layer, c.title]),
    });
  }
  const check: Check = {
    id: 'explain',
    title: `Read as ${top.reading}`,
    status: 'info',
    summary: top.title,
    explanation: top.causes[0] ?? top.title,
    hint: top.confirm,
  };
  return base(common, data, [check], view, {
    status: 'ok',
    exitCode: ExitCode.ok,
    summary: `${top.layer} layer: ${top.title}${ex.ambiguous ? ` (1 of ${candidates.length} readings)` : ''}`,
  });
}

function explanationSections(c: CandidateData, client: ClientId | undefined): Section[] {
  const pairs: Array<[string, string]> = [
    ['What', c.title],
    ['Layer', c.layer],
    ['Read as', c.reading],
    ['Source', c.source],
  ];
  const todo: Array<[string, string]> = [
    ['Confirm', c.confirm],
    ['Fix', c.fix],
  ];
  if (client && c.clientFix) todo.push([`Fix in ${client}`, c.clientFix]);
  return [
    { kind: 'pairs', title: 'Explanation', pairs },
    { kind: 'lines', title: 'Likely causes, most likely first', lines: c.causes.map((x, i) => `${i + 1}. ${x}`) },
    { kind: 'pairs', title: 'What to do', pairs: todo },
  ];
}

/** Routine lines (connects, broker start/stop, clean disconnects) are counted but get no advice. */
const ROUTINE = new Set<KbEntry['event']>(['connect', 'broker-start', 'broker-stop']);
const isRoutine = (e: KbEntry | undefined) => !e || ROUTINE.has(e.event) || e.id === 'mosquitto.disconnected';

export function buildExplainLogReport(a: LogAnalysis, source: string, common: Common): Report<ExplainData> {
  const groups: LogGroupData[] = a.groups.map((g) => {
    const e = entryById(g.entryId);
    const clientFix = common.client ? e?.fixFor?.[common.client] : undefined;
    return {
      id: g.entryId,
      layer: g.layer,
      title: g.title,
      count: g.count,
      clients: g.clients,
      firstLine: g.firstLine,
      sample: g.sample,
      fix: clientFix ? `${e?.fix ?? ''} (${common.client}: ${clientFix})` : (e?.fix ?? ''),
      confirm: e?.confirm ?? '',
    };
  });
  const data: ExplainLogData = {
    mode: 'log',
    source,
    lines: a.lines,
    recognised: a.recognised,
    informational: a.informational,
    unrecognised: a.unrecognised,
    ...(a.spanMs !== undefined ? { spanMs: a.spanMs } : {}),
    groups,
    findings: a.findings,
    unrecognisedSamples: a.unrecognisedSamples,
  };
  const view: Section[] = [];
  if (groups.length) {
    view.push({
      kind: 'table',
      title: `Causes in ${source} (${a.recognised} of ${a.lines} lines recognised, ${a.informational} routine)`,
      head: ['count', 'layer', 'cause', 'clients', 'first line'],
      rows: groups.map((g) => [String(g.count), g.layer, g.title, g.clients.slice(0, 3).join(', ') + (g.clients.length > 3 ? ', …' : ''), String(g.firstLine)]),
    });
  }
  if (a.findings.length) {
    view.push({ kind: 'lines', title: 'Timeline', lines: a.findings.flatMap((f) => [`• ${f.summary}`, `  → ${f.hint}`]) });
  }
  const actionable = groups.filter((g) => !isRoutine(entryById(g.id))).slice(0, 5);
  if (actionable.length) {
    view.push({ kind: 'lines', title: 'What to do', lines: actionable.flatMap((g) => [`${g.title}`, `  fix: ${g.fix}`, `  confirm: ${g.confirm}`]) });
  }
  if (a.unrecognised > 0) {
    view.push({ kind: 'lines', title: `Not recognised (${a.unrecognised} lines), for example`, lines: a.unrecognisedSamples });
  }
  const checks: Check[] = a.findings.map((f) => ({
    id: `timeline.${f.kind}`,
    title: f.kind === 'regular-disconnects' ? 'Regular disconnects' : f.kind === 'takeover-loop' ? 'Takeover loop' : 'Reconnect storm',
    status: 'warn',
    summary: f.summary,
    explanation: f.hint,
    metrics: { count: f.count, ...(f.intervalS !== undefined ? { intervalS: f.intervalS } : {}), ...(f.lifetimeS !== undefined ? { lifetimeS: f.lifetimeS } : {}) },
  }));
  const known = a.recognised > 0;
  return base(common, data, checks, view, known
    ? {
        status: 'ok',
        exitCode: ExitCode.ok,
        summary: `${a.recognised} of ${a.lines} lines explained in ${groups.length} cause(s)${a.findings.length ? `; ${a.findings.length} timeline finding(s)` : ''}`,
      }
    : { status: 'failed', exitCode: ExitCode.finding, summary: `none of the ${a.lines} lines in ${source} is in the knowledge base` });
}

function short(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 80 ? one.slice(0, 77) + '…' : one;
}
