/**
 * analyze's report: the capture's findings first (as checks), then a compact per-connection table; JSON
 * carries every connection with its events and diagnosis. Pure: capture result + diagnosis in, Report out.
 */
import { thresholdCheck } from './threshold-check.js';
import { formatDuration } from '../config/units.js';
import { ExitCode } from '../errors.js';
import { plural } from './build-soak.js';
import type { CaptureStats } from '../analyze/capture/capture.js';
import type { Connection, ConnEvent, Side } from '../analyze/capture/connections.js';
import { markSide, markType, type PacketMarks } from '../analyze/capture/marks.js';
import type { CaptureThresholdResult } from '../analyze/capture/thresholds.js';
import {
  causeLabel,
  type Cause,
  type ConnDiagnosis,
  type Diagnosis,
  type Finding,
  type Severity,
} from '../analyze/capture/diagnose.js';
import { reportEnvelope, type Check, type CheckStatus, type Report, type Section, type Verdict } from './model.js';

export interface AnalyzeInput {
  source: string;
  compressed: boolean;
  interrupted: boolean;
  /** Where decoding stopped before the end of the input (corrupt record, broken gzip). */
  stoppedAt?: string;
  stats: CaptureStats;
  connections: Connection[];
  diagnosis: Diagnosis;
  /** Connections shown (after --client-id / --address); all when absent. */
  shown?: Set<number>;
  filter?: { clientId?: string; address?: string; ports: number[] };
  startedAt: Date;
  finishedAt: Date;
  version: string;
  /** `--max-…` gates, already checked (analyze/capture/thresholds.ts). */
  thresholds?: CaptureThresholdResult[];
}

export interface ConnectionData {
  id: number;
  client: string;
  server: string;
  transport: Connection['transport'];
  sawSyn: boolean;
  startAt: string;
  /** Seconds since the first packet of the capture. */
  startS: number;
  durationMs: number;
  handshakeRttMs?: number;
  clientId?: string;
  protocolVersion?: number;
  keepaliveS?: number;
  cleanStart?: boolean;
  will?: boolean;
  connack?: { code: number; sessionPresent: boolean; afterConnectMs: number; serverKeepAliveS?: number };
  cause: Cause;
  severity: Severity;
  endedBy?: Side;
  how: 'fin' | 'rst' | 'open';
  silentMs: Record<Side, number | null>;
  idleMs?: number;
  matches?: string[];
  keepaliveRatio?: number;
  explanation: string;
  packets: Record<Side, Record<string, number>>;
  bytes: Record<Side, number>;
  retransmissions: Record<Side, number>;
  captureGaps: Record<Side, number>;
  ping: Connection['ping'];
  pendingAcks: Record<Side, number>;
  tls?: {
    sni?: string;
    alpn?: string[];
    handshakeMs?: number;
    handshakeBytes?: Record<Side, number>;
    alert?: { side: Side; level?: number; description?: string };
  };
  ws?: Connection['ws'];
  /** Notable events, `tMs` since the capture's first packet. */
  events: Array<Omit<ConnEvent, 'atMs'> & { tMs: number }>;
  eventsDropped: number;
  /** The connection's MQTT packets for a timeline, bounded (see README, "analyze JSON: packet marks"). */
  marks: MarksData;
  notes: string[];
}

/**
 * Packet marks in a compact text form, so that a 10,000-connection capture's JSON stays small: `packets` lists
 * the first and last packets one by one as `<tMs> <c|s> <type>` joined by ", " (tMs since the capture's first
 * packet); when `total` > `listed`, the ones in between are only counted, per time bucket of `bucketMs` from
 * `fromMs`, as `<client>/<server>` tokens joined by spaces.
 */
export interface MarksData {
  total: number;
  listed: number;
  packets: string;
  middle?: { fromMs: number; bucketMs: number; counts: string };
}

export interface AnalyzeData {
  source: string;
  compressed: boolean;
  interrupted: boolean;
  capture: {
    format: string | null;
    bytes: number;
    packets: number;
    tcpSegments: number;
    otherFrames: number;
    firstAt?: string;
    spanMs: number;
    linkTypes: Record<string, number>;
    unsupportedLinkTypes: number[];
    truncatedTailBytes: number;
    snappedBytes: number;
    stoppedAt?: string;
  };
  filter?: AnalyzeInput['filter'];
  connections: ConnectionData[];
  findings: Finding[];
  /** One entry per `--max-…` option given: limit, actual, pass. */
  thresholds: CaptureThresholdResult[];
}

const r1 = (x: number): number => Math.round(x * 10) / 10;
/**
 * A number as String(x) writes it, but through JSON.stringify: V8 remembers each String(x) / `${x}` result in its
 * number-string cache, a table in the old generation, so every string made per connection for the JSON (10,000s
 * of packet times) outlives the young-generation collection and piles up in the old one until a full collection
 * (issue 14: +30 MB RSS while --json was written). JSON.stringify formats numbers without that cache; for finite
 * numbers its text is String's (ECMA-262 §25.5.2.2 SerializeJSONProperty uses Number::toString).
 */
export const numText = (x: number): string => (Number.isFinite(x) ? JSON.stringify(x) : String(x));
const ep = (e: { ip: string; port: number }): string =>
  e.ip.includes(':') ? `[${e.ip}]:${numText(e.port)}` : `${e.ip}:${numText(e.port)}`;
const STATUS: Record<Severity, CheckStatus> = { ok: 'pass', info: 'info', warn: 'warn', fail: 'fail' };
/** Rows in the text table; JSON always has every connection. */
const MAX_ROWS = 40;

function connectionData(c: Connection, d: ConnDiagnosis, t0: number): ConnectionData {
  const tls = tlsData(c);
  return {
    id: c.id,
    client: ep(c.client),
    server: ep(c.server),
    transport: c.transport,
    sawSyn: c.sawSyn,
    startAt: new Date(c.firstMs).toISOString(),
    startS: Math.round(c.firstMs - t0) / 1000,
    durationMs: r1(d.durationMs),
    ...(c.handshakeRttMs !== undefined ? { handshakeRttMs: Math.round(c.handshakeRttMs * 1000) / 1000 } : {}),
    ...sessionData(c),
    ...diagnosisData(d),
    ...trafficData(c, t0),
    ...(tls ? { tls } : {}),
    ...(c.ws ? { ws: c.ws } : {}),
    events: c.events.map((e) => eventData(e, t0)),
    eventsDropped: c.eventsDropped,
    marks: marksData(c.marks, t0),
    notes: c.notes,
  };
}

/** The TLS handshake as the JSON shows it: SNI, ALPN, its duration and flight sizes, an alert. */
function tlsData(c: Connection): ConnectionData['tls'] {
  if (!c.tls) return undefined;
  const alert = c.tls.alert;
  return {
    ...(c.tls.sni ? { sni: c.tls.sni } : {}),
    ...(c.tls.alpn ? { alpn: c.tls.alpn } : {}),
    ...(c.tls.firstAppDataMs !== undefined && c.tls.serverHelloMs !== undefined
      ? { handshakeMs: r1(c.tls.firstAppDataMs - c.tls.clientHelloMs) }
      : {}),
    ...(c.tls.handshakeBytes ? { handshakeBytes: c.tls.handshakeBytes } : {}),
    ...(alert
      ? {
          alert: {
            side: alert.side,
            ...(alert.level !== undefined ? { level: alert.level } : {}),
            ...(alert.description ? { description: alert.description } : {}),
          },
        }
      : {}),
  };
}

/** What the CONNECT asked and the CONNACK answered. */
function sessionData(
  c: Connection,
): Pick<ConnectionData, 'clientId' | 'protocolVersion' | 'keepaliveS' | 'cleanStart' | 'will' | 'connack'> {
  return {
    ...(c.mqtt
      ? {
          clientId: c.mqtt.clientId,
          protocolVersion: c.mqtt.protocolVersion,
          keepaliveS: c.mqtt.keepaliveS,
          cleanStart: c.mqtt.clean,
          will: c.mqtt.will,
        }
      : {}),
    ...(c.connack
      ? {
          connack: {
            code: c.connack.code,
            sessionPresent: c.connack.sessionPresent,
            afterConnectMs: r1(c.connack.atMs - (c.mqtt?.atMs ?? c.connack.atMs)),
            ...(c.connack.serverKeepAliveS !== undefined ? { serverKeepAliveS: c.connack.serverKeepAliveS } : {}),
          },
        }
      : {}),
  };
}

/** How the connection ended and why, as the diagnosis says. */
function diagnosisData(
  d: ConnDiagnosis,
): Pick<
  ConnectionData,
  'cause' | 'severity' | 'endedBy' | 'how' | 'silentMs' | 'idleMs' | 'matches' | 'keepaliveRatio' | 'explanation'
> {
  return {
    cause: d.cause,
    severity: d.severity,
    ...(d.endedBy ? { endedBy: d.endedBy } : {}),
    how: d.how,
    silentMs: {
      client: d.silentMs.client === null ? null : r1(d.silentMs.client),
      server: d.silentMs.server === null ? null : r1(d.silentMs.server),
    },
    ...(d.idleMs !== undefined ? { idleMs: r1(d.idleMs) } : {}),
    ...(d.matches?.length ? { matches: d.matches } : {}),
    ...(d.keepaliveRatio !== undefined ? { keepaliveRatio: d.keepaliveRatio } : {}),
    explanation: d.explanation,
  };
}

/** What each side sent: MQTT packets by type, bytes, retransmissions, capture gaps, pings and pending acks. */
function trafficData(
  c: Connection,
  t0: number,
): Pick<ConnectionData, 'packets' | 'bytes' | 'retransmissions' | 'captureGaps' | 'ping' | 'pendingAcks'> {
  return {
    packets: { client: c.dir.client.mqtt, server: c.dir.server.mqtt },
    bytes: { client: c.dir.client.bytes, server: c.dir.server.bytes },
    retransmissions: { client: c.dir.client.retransmissions, server: c.dir.server.retransmissions },
    captureGaps: { client: c.dir.client.gaps, server: c.dir.server.gaps },
    ping: {
      ...c.ping,
      ...(c.ping.rttMsMax !== undefined ? { rttMsMax: Math.round(c.ping.rttMsMax * 1000) / 1000 } : {}),
      ...(c.ping.firstUnansweredMs !== undefined ? { firstUnansweredMs: r1(c.ping.firstUnansweredMs - t0) } : {}),
    },
    pendingAcks: c.pendingAcks,
  };
}

/**
 * An event as the JSON shows it: its keys in order, `tMs` (since the capture's first packet) in place of `atMs`.
 * Copied key by key: with object rest/spread (`{ atMs, ...rest }`) V8 kept each copy alive through the young
 * generation's collection, so writing --json for 10,000 connections filled the old generation with ~1 MB of dead
 * events per collection (issue 14: peak RSS; measured with --trace-gc).
 */
function eventData(e: ConnEvent, t0: number): ConnectionData['events'][number] {
  const o: Record<string, unknown> = {};
  for (const k in e) if (k !== 'atMs') o[k] = (e as unknown as Record<string, unknown>)[k];
  o['tMs'] = r1(e.atMs - t0);
  return o as ConnectionData['events'][number];
}

/** Below this many elements an array is built at once (a report of a few connections may be edited in place). */
const LAZY_MIN = 256;

/**
 * An array of `n` elements, each built by `at(i)` whenever it is read and not kept: a 10,000-connection capture's
 * report holds its compact connection records, not 10,000 JSON-ready objects (issue 14: peak memory ≤ 150 MB on
 * 1 GB). A Proxy over an array, so Array.isArray, length, indexing, iteration and JSON.stringify (element by
 * element in renderJsonPieces) all see an ordinary array. Elements are rebuilt on each read, so writes to one do
 * not stick: small arrays, which tests and callers may edit, are built eagerly.
 */
export function lazyArray<T>(n: number, at: (i: number) => T): T[] {
  if (n < LAZY_MIN) return Array.from({ length: n }, (_, i) => at(i));
  const index = (k: string | symbol): number | undefined => {
    if (typeof k !== 'string' || !/^(0|[1-9]\d*)$/.test(k)) return undefined;
    const i = Number(k);
    return i < n ? i : undefined;
  };
  // The target holds `n` holes: length and Object.keys are right, and no element is ever stored in it.
  return new Proxy(new Array<T>(n), {
    get: (t, k, r) => {
      const i = index(k);
      return i === undefined ? (Reflect.get(t, k, r) as unknown) : at(i);
    },
    has: (t, k) => index(k) !== undefined || Reflect.has(t, k),
    getOwnPropertyDescriptor: (t, k) => {
      const i = index(k);
      return i === undefined
        ? Reflect.getOwnPropertyDescriptor(t, k)
        : { value: at(i), writable: true, enumerable: true, configurable: true };
    },
    ownKeys: (t) => [...Array.from({ length: n }, (_, i) => String(i)), ...Reflect.ownKeys(t)],
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

function marksData(m: PacketMarks, t0: number): MarksData {
  const packets: string[] = [];
  for (let i = 0; i < m.atMs.length; i++)
    packets.push(
      `${numText(r1(m.atMs[i]! - t0))} ${markSide(m.code[i]!) === 'client' ? 'c' : 's'} ${markType(m.code[i]!)}`,
    );
  const mid = m.middle;
  return {
    total: m.total,
    listed: m.atMs.length,
    packets: packets.join(', '),
    ...(mid
      ? {
          middle: {
            fromMs: r1(mid.fromMs - t0),
            bucketMs: mid.bucketMs,
            counts: Array.from(mid.client, (n, k) => `${numText(n)}/${numText(mid.server[k] ?? 0)}`).join(' '),
          },
        }
      : {}),
  };
}

/** The marks back as values (the HTML page reads them from the report, as from a saved --json). */
export function parseMarks(m: MarksData): {
  packets: Array<{ tMs: number; side: Side; type: string }>;
  middle?: { fromMs: number; bucketMs: number; counts: Array<{ client: number; server: number }> };
} {
  const packets = m.packets
    ? m.packets.split(', ').map((p) => {
        const [t, s, type] = p.split(' ');
        return { tMs: Number(t), side: (s === 's' ? 'server' : 'client') as Side, type: type ?? '?' };
      })
    : [];
  const mid = m.middle;
  return {
    packets,
    ...(mid
      ? {
          middle: {
            fromMs: mid.fromMs,
            bucketMs: mid.bucketMs,
            counts: mid.counts
              ? mid.counts.split(' ').map((x) => {
                  const [a, b] = x.split('/');
                  return { client: Number(a), server: Number(b) };
                })
              : [],
          },
        }
      : {}),
  };
}

function silentText(ms: number | null): string {
  return ms === null ? '—' : formatDuration(ms);
}

function endText(d: ConnectionData): string {
  if (d.how === 'open') return 'open';
  return `${d.how.toUpperCase()} by ${d.endedBy ?? '?'}`;
}

export function buildAnalyzeReport(input: AnalyzeInput): Report<AnalyzeData> {
  const { stats, diagnosis } = input;
  const t0 = stats.firstMs ?? 0;
  const diagById = new Map(diagnosis.connections.map((d) => [d.id, d]));
  const shown = input.connections.filter((c) => !input.shown || input.shown.has(c.id));
  const conns = lazyArray(shown.length, (i) => connectionData(shown[i]!, diagById.get(shown[i]!.id)!, t0));
  const findings = input.shown
    ? diagnosis.findings.filter((f) => f.connections.some((id) => input.shown!.has(id)))
    : diagnosis.findings;
  const spanMs = stats.firstMs !== undefined && stats.lastMs !== undefined ? stats.lastMs - stats.firstMs : 0;
  const data: AnalyzeData = {
    source: input.source,
    compressed: input.compressed,
    interrupted: input.interrupted,
    capture: captureData(input, spanMs),
    ...(input.filter ? { filter: input.filter } : {}),
    connections: conns,
    findings,
    thresholds: input.thresholds ?? [],
  };
  // How much of the input could be read: never silent about a cut or a corrupt file.
  const problems = decodeProblems(input);
  const checks: Check[] = [
    ...findings.map(findingCheck),
    captureCheck(input, problems, spanMs),
    ...(input.thresholds ?? []).map(thresholdCheck),
  ];
  const table = connectionsTable(conns);
  return {
    ...reportEnvelope({
      command: 'analyze',
      version: input.version,
      startedAt: input.startedAt,
      finishedAt: input.finishedAt,
    }),
    checks,
    data,
    verdict: analyzeVerdict(input, shown, findings, problems),
    view: table ? [table] : [],
  };
}

/** What the capture held and how much of it was read. */
function captureData(input: AnalyzeInput, spanMs: number): AnalyzeData['capture'] {
  const { stats } = input;
  return {
    format: stats.format ?? null,
    bytes: stats.bytes,
    packets: stats.records,
    tcpSegments: stats.tcpSegments,
    otherFrames: stats.otherFrames,
    ...(stats.firstMs !== undefined ? { firstAt: new Date(stats.firstMs).toISOString() } : {}),
    spanMs: r1(spanMs),
    linkTypes: stats.linkTypes,
    unsupportedLinkTypes: stats.unsupportedLinkTypes,
    truncatedTailBytes: stats.truncatedTail,
    snappedBytes: stats.snappedBytes,
    ...(input.stoppedAt ? { stoppedAt: input.stoppedAt } : {}),
  };
}

function findingCheck(f: Finding): Check {
  return {
    id: f.id,
    title: f.title,
    status: STATUS[f.severity],
    summary: briefly(f.explanation, 110),
    explanation: f.explanation,
    ...(f.hint ? { hint: f.hint } : {}),
    metrics: { connections: f.connections, ...(f.metrics ?? {}) },
  };
}

/** Where the capture could not be decoded: a cut, a corrupt record, link types, gaps, snap length, lost MQTT. */
function decodeProblems(input: AnalyzeInput): string[] {
  const { stats } = input;
  const problems: string[] = [];
  if (stats.truncatedTail > 0)
    problems.push(
      `the file ends inside a packet record (${stats.truncatedTail} bytes left over): it was cut; everything before was read`,
    );
  if (input.stoppedAt)
    problems.push(
      `decoding stopped at byte ${stats.bytes} of the capture data: ${input.stoppedAt}; everything before was read`,
    );
  if (stats.unsupportedLinkTypes.length)
    problems.push(`link types ${stats.unsupportedLinkTypes.join(', ')} are not decoded`);
  const gaps = input.connections.reduce((n, c) => n + c.dir.client.gaps + c.dir.server.gaps, 0);
  if (gaps > 0)
    problems.push(`${gaps} capture gap${gaps === 1 ? '' : 's'} in TCP streams (packets the capture missed)`);
  if (stats.snappedBytes > 0)
    problems.push(`${stats.snappedBytes} payload bytes cut by the snap length (headers still read)`);
  const stopped = input.connections.flatMap((c) =>
    c.events
      .filter((e) => e.kind === 'decode-stopped')
      .map((e) => `#${c.id} ${e.side}: ${(e as { detail: string }).detail}`),
  );
  if (stopped.length)
    problems.push(
      `MQTT decoding lost the thread in ${stopped.length} stream${stopped.length === 1 ? '' : 's'} (${stopped.slice(0, 3).join('; ')})`,
    );
  return problems;
}

function captureCheck(input: AnalyzeInput, problems: string[], spanMs: number): Check {
  const { stats } = input;
  const n = input.connections.length;
  return {
    id: 'capture',
    title: 'Capture',
    status: problems.length ? 'warn' : 'info',
    summary: `${stats.format ?? (stats.bytes === 0 ? 'nothing read' : '?')}${input.compressed ? '.gz' : ''}, ${stats.records} packets over ${formatDuration(spanMs)}, ${n} MQTT connection${n === 1 ? '' : 's'}${input.interrupted ? ' (interrupted)' : ''}`,
    metrics: { packets: stats.records, tcpSegments: stats.tcpSegments, connections: n },
    ...(problems.length ? { explanation: problems.join('; ') } : {}),
  };
}

/**
 * The text table: six columns whose cells wrap between words, so it fits 80 columns without cutting the one word
 * that cannot wrap, the client's address (issue 13): the server's port goes on the line under it, the start time
 * under the duration and each side's silence under how it ended.
 */
function connectionsTable(conns: ConnectionData[]): Section | undefined {
  if (!conns.length) return undefined;
  const rows = conns
    .slice(0, MAX_ROWS)
    .map((c) => [
      String(c.id),
      `${c.client}\n→ ${c.server.replace(/^.*:/, ':')}`,
      c.clientId !== undefined
        ? c.clientId === ''
          ? '""'
          : c.clientId
        : c.transport === 'tls'
          ? `tls${c.tls?.sni ? ` ${c.tls.sni}` : ''}`
          : '—',
      `${formatDuration(c.durationMs)}\nfrom ${c.startS.toFixed(1)}s`,
      `${endText(c)}\nc ${silentText(c.silentMs.client)}\ns ${silentText(c.silentMs.server)}`,
      causeLabel(c.cause) +
        (c.idleMs !== undefined && c.cause.startsWith('idle')
          ? ` ${formatDuration(c.idleMs)}`
          : c.keepaliveRatio !== undefined
            ? ` ${c.keepaliveRatio}×K`
            : ''),
    ]);
  if (conns.length > MAX_ROWS)
    rows.push(['…', `${conns.length - MAX_ROWS} more`, '(--json lists them all)', '', '', '']);
  return {
    kind: 'table',
    title: 'Connections',
    head: ['#', 'client → server', 'client id', 'lasted', 'ended, silent', 'cause'],
    rows,
    whole: [0, 1],
  };
}

/** The verdict: what the findings say, then the --max-… gates, then an interruption. */
function analyzeVerdict(input: AnalyzeInput, shown: Connection[], findings: Finding[], problems: string[]): Verdict {
  const mqttConns = shown.filter((c) => c.mqtt || c.transport === 'tls' || c.transport === 'mqtt-ws' || c.refusedSyn);
  let verdict =
    mqttConns.length === 0 ? noMqttVerdict(input) : findingsVerdict(findings, shown, problems, mqttConns.length);
  const failed = (input.thresholds ?? []).filter((t) => !t.pass);
  if (failed.length && mqttConns.length)
    verdict = {
      status: 'failed',
      exitCode: ExitCode.finding,
      summary: `threshold failed: ${failed.map((t) => `--${t.id} (${t.text})`).join('; ')}`,
    };
  if (input.interrupted && verdict.exitCode === ExitCode.ok)
    verdict = {
      status: 'interrupted',
      exitCode: ExitCode.interrupted,
      summary: `interrupted: ${verdict.summary} so far`,
    };
  return verdict;
}

/** No MQTT connection to judge: nothing arrived, nothing matched the filter, or no MQTT in the packets. */
function noMqttVerdict(input: AnalyzeInput): Verdict {
  const { stats } = input;
  // Nothing at all came in on stdin: the usual cause is tcpdump's block buffering of `-w -` (it writes when
  // its buffer fills or it exits; -U writes each packet: tcpdump(1), "-U").
  const emptyStdin = input.source === '-' && stats.bytes === 0;
  return {
    status: 'failed',
    exitCode: ExitCode.finding,
    summary: emptyStdin
      ? 'nothing arrived on stdin: tcpdump buffers `-w -` until it exits; add -U (tcpdump -U -w - …)'
      : input.shown
        ? `no MQTT connection matches${input.filter?.clientId !== undefined ? ` --client-id ${input.filter.clientId}` : ''}${input.filter?.address !== undefined ? ` --address ${input.filter.address}` : ''} (${input.connections.length} in the capture)`
        : `no MQTT connection in ${stats.records} packets${input.filter?.ports.length ? ` (ports ${input.filter.ports.join(',')}; add --port if the broker listens elsewhere)` : ''}`,
  };
}

/** The worst finding decides; with none, the link must be seen working and the capture read whole to be healthy. */
function findingsVerdict(findings: Finding[], shown: Connection[], problems: string[], mqttCount: number): Verdict {
  const worst = findings.reduce<Severity>((w, f) => (rank(f.severity) > rank(w) ? f.severity : w), 'ok');
  if (worst === 'fail' || worst === 'warn') {
    const top = findings[0]!;
    return {
      status: worst === 'fail' ? 'failed' : 'degraded',
      exitCode: ExitCode.finding,
      summary: `${plural(findings.filter((f) => f.severity === 'fail' || f.severity === 'warn').length, 'finding')}; first: ${top.title}`,
    };
  }
  if (!shown.some((c) => c.connack?.code === 0 || c.tls?.firstAppDataMs !== undefined))
    return {
      status: 'degraded',
      exitCode: ExitCode.finding,
      summary: 'no connection reached CONNACK (or a TLS session) in the capture: nothing shows the link working',
    };
  if (problems.length)
    return {
      status: 'degraded',
      exitCode: ExitCode.finding,
      summary: `no connection problem in what could be read, but the capture is incomplete: ${problems[0]}`,
    };
  return { status: 'healthy', exitCode: ExitCode.ok, summary: `${plural(mqttCount, 'connection')}, none ended badly` };
}

const rank = (s: Severity): number => ({ ok: 0, info: 1, warn: 2, fail: 3 })[s];

/**
 * A check's one-line summary: the explanation as it is when short, else cut after its last whole word before
 * `max` with "…" (the whole explanation follows in the report; a word is never cut in two).
 */
export function briefly(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf(' ', max - 1);
  const head = (cut > max / 2 ? text.slice(0, cut) : text.slice(0, max - 1)).replace(/[\s,;:(–-]+$/u, '');
  return `${head}…`;
}
