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
  /** Who most likely wrote the text (from its shape, or --client); absent when nothing in it says. */
  emitter?: { id: string; title: string; confidence: number; fromClient: boolean };
  /** Characters of input when it was longer than what text mode reads (the first 16 KiB). */
  truncatedFrom?: number;
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
  /** A bare number whose writer the log does not name: its other readings (entry ids), best first. */
  readings?: string[];
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
  /** Lines skipped because they were not text. */
  binaryLines: number;
  /** Lines longer than 8 KiB, read up to that length. */
  truncatedLines: number;
  /** Clients past the 10,000 the timeline follows (still counted in groups). */
  untrackedClients: number;
  /** Ctrl-C / SIGTERM arrived: the figures cover the lines read until then. */
  interrupted: boolean;
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

function base(
  common: Common,
  data: ExplainData,
  checks: Check[],
  view: Section[],
  verdict: Report['verdict'],
): Report<ExplainData> {
  return {
    ...reportEnvelope({
      command: 'explain-error',
      version: common.version,
      startedAt: common.startedAt,
      finishedAt: common.finishedAt,
    }),
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
  const data = explainData(ex, common, candidates);
  const top = candidates[0];
  if (!top) return unknownInputReport(ex, common, data);
  const view: Section[] = [...readSections(data), ...readingSections(ex, candidates, top, common.client)];
  // explain-error has its own layout (sections), not the check table: a check row here would only repeat the
  // explanation with an empty time column.
  return base(common, data, [], view, {
    status: 'ok',
    exitCode: ExitCode.ok,
    summary: `${top.layer} layer: ${top.title}${ex.ambiguous ? ` (1 of ${candidates.length} readings)` : ''}`,
  });
}

function explainData(ex: Explanation, common: Common, candidates: CandidateData[]): ExplainTextData {
  return {
    mode: 'text',
    input: ex.input,
    ...(ex.emitter ? { emitter: ex.emitter } : {}),
    ...(ex.truncatedFrom !== undefined ? { truncatedFrom: ex.truncatedFrom } : {}),
    known: ex.known,
    ambiguous: ex.ambiguous,
    ...(common.client ? { client: common.client } : {}),
    ...(common.mqttVersion ? { mqttVersion: common.mqttVersion } : {}),
    candidates,
    suggestions: ex.suggestions.map((e) => ({ id: e.id, title: e.title })),
  };
}

/** Nothing matched: the nearest known entries, and a finding (an unread input is never an answer). */
function unknownInputReport(ex: Explanation, common: Common, data: ExplainTextData): Report<ExplainData> {
  const view: Section[] = [
    {
      kind: 'lines',
      title: 'Nearest known entries',
      lines: ex.suggestions.length
        ? ex.suggestions.map((e) => `${e.id}  ${e.title}`)
        : ['none close; try the exact error code or the full error line'],
    },
  ];
  return base(common, data, [], [...readSections(data), ...view], {
    status: 'failed',
    exitCode: ExitCode.finding,
    summary: `unknown input "${short(ex.input)}": paste the whole error line, or add --client / --mqtt-version`,
  });
}

/** The most likely reading explained, after a note when there are several; the others in a table. */
function readingSections(
  ex: Explanation,
  candidates: CandidateData[],
  top: CandidateData,
  client: Common['client'],
): Section[] {
  const view: Section[] = [];
  if (ex.ambiguous) {
    view.push({
      kind: 'lines',
      title: `Ambiguous: ${candidates.length} readings, most likely first`,
      lines: [
        'Narrow it with --client mqttjs|paho-python|paho-java|paho-go|mosquitto|umqtt|esp32, --mqtt-version, or the words around the number.',
      ],
    });
  }
  view.push(...explanationSections(top, client));
  const others = candidates.slice(1, 1 + MAX_OTHERS);
  if (others.length) {
    view.push({
      kind: 'table',
      title: ex.ambiguous ? 'Other readings' : 'Also matching',
      head: ['#', 'read as', 'layer', 'meaning'],
      rows: others.map((c, i) => [String(i + 2), c.reading, c.layer, c.title]),
    });
  }
  return view;
}

/** What was read and who wrote it, when the input says (or --client does), and what was cut. */
function readSections(d: ExplainTextData): Section[] {
  const lines: string[] = [];
  if (d.emitter) {
    const how = d.emitter.fromClient
      ? 'from --client'
      : `from the line's shape, confidence ${Math.round(d.emitter.confidence * 100)} %`;
    lines.push(`Written by: ${d.emitter.title} (${how})`);
  }
  if (d.truncatedFrom !== undefined)
    lines.push(
      `Read the first 16 KiB of a longer text (${d.truncatedFrom} characters or more): an error message is shorter; pass a log with --file.`,
    );
  return lines.length ? [{ kind: 'lines', title: 'Input', lines }] : [];
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

export function buildExplainLogReport(
  analysis: LogAnalysis,
  source: string,
  common: Common,
  extra: { interrupted?: boolean } = {},
): Report<ExplainData> {
  const interrupted = extra.interrupted ?? false;
  const groups = logGroups(analysis, common.client);
  const data: ExplainLogData = {
    mode: 'log',
    source,
    lines: analysis.lines,
    recognised: analysis.recognised,
    informational: analysis.informational,
    unrecognised: analysis.unrecognised,
    ...(analysis.spanMs !== undefined ? { spanMs: analysis.spanMs } : {}),
    groups,
    findings: analysis.findings,
    unrecognisedSamples: analysis.unrecognisedSamples,
    binaryLines: analysis.binary,
    truncatedLines: analysis.truncated,
    untrackedClients: analysis.untrackedClients,
    interrupted,
  };
  const view = logView(analysis, groups, source);
  // Findings are in data.findings and the Timeline section; explain-error has no check table (see above).
  return base(common, data, [], view, logVerdict(analysis, groups, source, interrupted));
}

/** Each cause found in the log with the knowledge base's fix (the client's own, when one was named). */
function logGroups(analysis: LogAnalysis, client: Common['client']): LogGroupData[] {
  return analysis.groups.map((group) => {
    const entry = entryById(group.entryId);
    const clientFix = client ? entry?.fixFor?.[client] : undefined;
    return {
      id: group.entryId,
      layer: group.layer,
      title: group.title,
      count: group.count,
      clients: group.clients,
      firstLine: group.firstLine,
      sample: group.sample,
      ...(group.readings?.length ? { readings: group.readings } : {}),
      fix: clientFix ? `${entry?.fix ?? ''} (${client}: ${clientFix})` : (entry?.fix ?? ''),
      confirm: entry?.confirm ?? '',
    };
  });
}

/** The sections of the text report, in reading order; each only when it has something to show. */
function logView(analysis: LogAnalysis, groups: LogGroupData[], source: string): Section[] {
  const view: Section[] = [];
  if (groups.length) view.push(causesTable(analysis, groups, source));
  if (analysis.findings.length) {
    view.push({
      kind: 'lines',
      title: 'Timeline',
      lines: analysis.findings.flatMap((f) => [`• ${f.summary}`, `  → ${f.hint}`]),
    });
  }
  const actionable = groups.filter((g) => !isRoutine(entryById(g.id))).slice(0, 5);
  if (actionable.length) {
    view.push({
      kind: 'lines',
      title: 'What to do',
      lines: actionable.flatMap((g) => [`${g.title}`, `  fix: ${g.fix}`, `  confirm: ${g.confirm}`]),
    });
  }
  if (analysis.unrecognised > 0) {
    view.push({
      kind: 'lines',
      title: `Not recognised (${plural(analysis.unrecognised, 'line')}), for example`,
      lines: analysis.unrecognisedSamples,
    });
  }
  const skipped = skippedInputLines(analysis);
  if (skipped.length) view.push({ kind: 'lines', title: 'Input', lines: skipped });
  return view;
}

function causesTable(analysis: LogAnalysis, groups: LogGroupData[], source: string): Section {
  return {
    kind: 'table',
    title: `Causes in ${source} (${analysis.recognised} of ${plural(analysis.lines, 'line')} recognised, ${analysis.informational} routine)`,
    head: ['count', 'layer', 'cause', 'clients', 'first line'],
    rows: groups.map((g) => [
      String(g.count),
      g.layer,
      g.readings?.length ? `${g.title} (a bare number; also read as ${g.readings.join(', ')})` : g.title,
      g.clients.slice(0, 3).join(', ') + (g.clients.length > 3 ? ', …' : ''),
      String(g.firstLine),
    ]),
  };
}

/** What of the input was not read in full: binary lines, over-long lines, clients past the tracking bound. */
function skippedInputLines(analysis: LogAnalysis): string[] {
  return [
    analysis.binary ? `${plural(analysis.binary, 'line')} skipped: not text` : '',
    analysis.truncated ? `${plural(analysis.truncated, 'line')} longer than 8 KiB: read up to 8 KiB` : '',
    analysis.untrackedClients
      ? `${plural(analysis.untrackedClients, 'client')} past the first 10,000: counted, not followed in the timeline`
      : '',
  ].filter(Boolean);
}

/** Ok when any line was recognised; an interrupted read says so; a log none of whose lines is known fails. */
function logVerdict(
  analysis: LogAnalysis,
  groups: LogGroupData[],
  source: string,
  interrupted: boolean,
): Report['verdict'] {
  const summary = `${analysis.recognised} of ${plural(analysis.lines, 'line')} explained in ${plural(groups.length, 'cause')}${analysis.findings.length ? `; ${plural(analysis.findings.length, 'timeline finding')}` : ''}`;
  if (interrupted)
    return { status: 'interrupted', exitCode: ExitCode.interrupted, summary: `interrupted: ${summary} so far` };
  return analysis.recognised > 0
    ? { status: 'ok', exitCode: ExitCode.ok, summary }
    : {
        status: 'failed',
        exitCode: ExitCode.finding,
        summary: `none of the ${plural(analysis.lines, 'line')} in ${source} is in the knowledge base`,
      };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function short(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 80 ? one.slice(0, 77) + '…' : one;
}
