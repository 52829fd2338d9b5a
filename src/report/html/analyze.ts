/**
 * The analyze page: one lane per captured connection on the capture's time axis, with its notable packets
 * (SYN, CONNECT, CONNACK with its code, DISCONNECT, FIN/RST with the side that sent it, TLS alerts, unanswered
 * PINGREQ, unanswered retransmissions, capture gaps), each side's silence before the end shaded, and the end
 * coloured and named by its cause; then the findings. Pure: the analyze report (what `analyze --json` prints)
 * in, one HTML document out. Client ids, SNI and reason text come from the capture: hostile, always escaped.
 */
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import type { ConnEvent } from '../../analyze/capture/connections.js';
import type { Cause } from '../../analyze/capture/diagnose.js';
import { MARK_HEAD, MARK_TAIL } from '../../analyze/capture/marks.js';
import { parseMarks, type AnalyzeData, type ConnectionData } from '../build-analyze.js';
import type { Report } from '../model.js';
import type { Box } from './axes.js';
import { WIDTH, barChart } from './charts.js';
import { findingsList, page, type FindingItem, type PageHeader } from './page.js';
import { chart, esc, fmtMs, fmtTime, n1, noData } from './svg.js';

/** Lanes drawn in full; beyond this the worst-ended are kept and the rest are counted by cause. */
export const MAX_LANES = 40;
const LABEL_MAX = 26;

/** One colour per end cause (the same families as the soak page: red for cuts, orange for closes, grey for open). */
export const END_COLOR: Record<Cause, string> = {
  'clean-disconnect': '#3a9d5d',
  open: '#9e9e9e',
  refused: '#7f3b08',
  'port-closed': '#843c39',
  'no-answer': '#393b79',
  'tls-alert': '#8c564b',
  'tls-to-plain-port': '#c49c94',
  'plain-to-tls-port': '#ad494a',
  'no-connack': '#e7969c',
  'ws-refused': '#a55194',
  takeover: '#9467bd',
  'server-disconnect': '#bcbd22',
  'keepalive-cut': '#d62728',
  'idle-reset': '#e377c2',
  'idle-drop': '#f7b6d2',
  blackhole: '#17becf',
  mtu: '#1f77b4',
  'broker-closed': '#ff7f0e',
  'client-closed': '#dbdb8d',
  'not-mqtt': '#7f7f7f',
};

const SEV_RANK = { ok: 0, info: 1, warn: 2, fail: 3 } as const;

export interface AnalyzeHtmlInput {
  header: PageHeader;
  generator: string;
  /** Capture start (ms since the epoch) and span. */
  t0Ms: number;
  spanMs: number;
  connections: ConnectionData[];
  findings: FindingItem[];
}

/** Adapter: the analyze report → the renderer's input. Pure. */
export function analyzeHtmlInput(report: Report<AnalyzeData>): AnalyzeHtmlInput {
  const d = report.data;
  const cap = d.capture;
  const t0Ms = cap.firstAt !== undefined ? Date.parse(cap.firstAt) : Date.parse(report.startedAt);
  const filter = d.filter
    ? [d.filter.clientId !== undefined ? `client id ${d.filter.clientId}` : '', d.filter.address ?? '']
        .filter(Boolean)
        .join(', ')
    : '';
  return {
    header: {
      title: `mqtt-doctor analyze: ${d.source === '-' ? 'stdin' : d.source}`,
      subtitle: cap.firstAt ? `capture from ${fmtTime(t0Ms)}, ${fmtMs(cap.spanMs)} long` : 'no packet in the capture',
      verdict: { status: report.verdict.status, summary: report.verdict.summary },
      failed: [],
      pairs: [
        ['capture', `${cap.format ?? '?'}${d.compressed ? '.gz' : ''}, ${cap.packets} packets, ${cap.bytes} bytes`],
        ['connections', String(d.connections.length)],
        ...(filter ? [['shown', filter] as [string, string]] : []),
        ...(cap.stoppedAt ? [['decoding stopped', cap.stoppedAt] as [string, string]] : []),
        ...(d.interrupted ? [['interrupted', 'yes: what was read before Ctrl-C'] as [string, string]] : []),
      ],
    },
    generator: `${report.tool.name} ${report.tool.version} (analyze)`,
    t0Ms,
    spanMs: cap.spanMs,
    connections: d.connections,
    // Findings quote client ids from the capture.
    findings: report.checks.map((c) => ({
      status: c.status,
      title: wireText(c.title, FINDING_MAX),
      summary: c.summary === undefined ? undefined : wireText(c.summary, FINDING_MAX),
      explanation: c.explanation === undefined ? undefined : wireText(c.explanation, FINDING_MAX),
      hint: c.hint === undefined ? undefined : wireText(c.hint, FINDING_MAX),
    })),
  };
}

/** Worst-ended first (severity), then longest silence before the end, then capture order. */
export function pickLanes(conns: readonly ConnectionData[]): { lanes: ConnectionData[]; rest: ConnectionData[] } {
  if (conns.length <= MAX_LANES) return { lanes: [...conns], rest: [] };
  const silent = (c: ConnectionData): number => Math.max(c.silentMs.client ?? 0, c.silentMs.server ?? 0);
  const ranked = [...conns].sort(
    (a, b) => SEV_RANK[b.severity] - SEV_RANK[a.severity] || silent(b) - silent(a) || a.id - b.id,
  );
  const lanes = ranked.slice(0, MAX_LANES).sort((a, b) => a.startS - b.startS || a.id - b.id);
  return { lanes, rest: ranked.slice(MAX_LANES) };
}

const clip = (s: string): string => (s.length > LABEL_MAX ? `${s.slice(0, LABEL_MAX - 1)}…` : s);
/** Longest capture text kept in a hover (an MQTT client id may be 65,535 bytes; 40 lanes repeat it). */
const TEXT_MAX = 120;
const FINDING_MAX = 1500;
/**
 * Capture text made safe to show: control characters and bidirectional overrides (which can make one client id
 * read as another: https://www.unicode.org/reports/tr9/#Explicit_Directional_Overrides) become \u escapes, and
 * it is cut to `max` characters. HTML escaping is still done where it is written (esc).
 */
export function wireText(s: string, max = TEXT_MAX): string {
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (ch) => {
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function laneName(c: ConnectionData): string {
  if (c.clientId !== undefined) return c.clientId === '' ? '(empty client id)' : wireText(c.clientId);
  if (c.tls?.sni) return `tls ${wireText(c.tls.sni)}`;
  return c.client;
}

function endName(c: ConnectionData): string {
  const how =
    c.how === 'open' ? 'still open at the end of the capture' : `${c.how.toUpperCase()} by ${c.endedBy ?? '?'}`;
  return `${c.cause.replace(/-/g, ' ')} · ${how}`;
}

function counts(p: Record<string, number>): string {
  const e = Object.entries(p);
  return e.length ? e.map(([k, v]) => `${k} ${v}`).join(', ') : 'nothing';
}

/** The report's events drop `atMs` for `tMs`; Omit over a union loses the kinds, so name the union again. */
type Ev = ConnEvent;

/** What a mark looks like: shape, css class, and its hover text. */
function markOf(e: Ev): { shape: 'tick' | 'dot' | 'tri' | 'diamond' | 'bar'; cls: string; tip: string } | undefined {
  switch (e.kind) {
    case 'syn':
    case 'syn-ack':
      return { shape: 'tick', cls: 'am-syn', tip: e.kind.toUpperCase() };
    case 'connect':
      return {
        shape: 'bar',
        cls: 'am-connect',
        tip: `CONNECT client id ${e.clientId === '' ? '""' : wireText(e.clientId)}, keepalive ${e.keepaliveS} s, MQTT ${e.protocolVersion === 5 ? '5' : e.protocolVersion === 4 ? '3.1.1' : e.protocolVersion}${e.clean ? ', clean' : ''}${e.will ? ', will' : ''}`,
      };
    case 'connack':
      return {
        shape: 'bar',
        cls: e.code === 0 ? 'am-connack' : 'am-refused',
        tip: `CONNACK code ${e.code}${e.code === 0 ? ' (accepted)' : ' (refused)'}${e.sessionPresent ? ', session present' : ''}`,
      };
    case 'disconnect':
      return {
        shape: 'diamond',
        cls: 'am-disconnect',
        tip: `DISCONNECT from the ${e.side}${e.reasonCode !== undefined ? `, reason 0x${e.reasonCode.toString(16).padStart(2, '0')}` : ''}`,
      };
    case 'fin':
    case 'rst':
      return {
        shape: 'tri',
        cls: e.kind === 'rst' ? 'am-rst' : 'am-fin',
        tip: `${e.kind.toUpperCase()} from the ${e.side}${e.detail ? ` (${e.detail})` : ''}`,
      };
    case 'pingreq-unanswered':
      return { shape: 'dot', cls: 'am-warn', tip: 'PINGREQ that got no PINGRESP' };
    case 'tls-client-hello':
      return { shape: 'tick', cls: 'am-syn', tip: `TLS ClientHello${e.sni ? ` SNI ${wireText(e.sni)}` : ''}` };
    case 'tls-server-hello':
    case 'ws-upgrade':
      return { shape: 'tick', cls: 'am-syn', tip: `${e.kind}${e.detail ? ` ${e.detail}` : ''}` };
    case 'tls-alert':
      return {
        shape: 'diamond',
        cls: 'am-refused',
        tip: `TLS alert from the ${e.side}${e.description ? `: ${e.description}` : ''}`,
      };
    case 'retransmissions':
      return { shape: 'dot', cls: 'am-warn', tip: `${e.count} retransmissions from the ${e.side} never acknowledged` };
    case 'gap':
    case 'decode-stopped':
      return {
        shape: 'tick',
        cls: 'am-warn',
        tip: `${e.kind === 'gap' ? 'capture gap' : 'decoding stopped'}: ${e.detail}`,
      };
    default: {
      const never: never = e;
      return never;
    }
  }
}

function shapeSvg(shape: string, x: number, y: number, up: boolean, cls: string, tip: string): string {
  const t = `<title>${esc(tip)}</title>`;
  const X = n1(x);
  switch (shape) {
    case 'tri': {
      // Drawn on the side that sent it (client above the lane's middle line, server below), pointing outwards.
      const tipY = up ? y - 10 : y + 10;
      const baseY = up ? y - 2 : y + 2;
      return `<path class="${cls}" d="M${X} ${n1(tipY)}L${n1(x - 4.5)} ${n1(baseY)}L${n1(x + 4.5)} ${n1(baseY)}Z">${t}</path>`;
    }
    case 'diamond':
      return `<path class="${cls}" d="M${X} ${n1(y - 6)}L${n1(x + 4.5)} ${n1(y)}L${X} ${n1(y + 6)}L${n1(x - 4.5)} ${n1(y)}Z">${t}</path>`;
    case 'dot':
      return `<circle class="${cls}" cx="${X}" cy="${n1(up ? y - 4 : y + 4)}" r="3.2">${t}</circle>`;
    case 'bar':
      return `<rect class="${cls}" x="${n1(x - 1.5)}" y="${n1(up ? y - 9 : y)}" width="3" height="9">${t}</rect>`;
    default:
      return `<rect class="${cls}" x="${n1(x - 0.75)}" y="${n1(up ? y - 7 : y)}" width="1.5" height="7">${t}</rect>`;
  }
}

const STYLE =
  `<style>` +
  Object.entries(END_COLOR)
    .map(([k, v]) => `.ae-${k}{fill:${v};background:${v}}`)
    .join('') +
  `.am-syn{fill:var(--muted)}.am-connect{fill:var(--info)}.am-connack{fill:var(--pass)}.am-refused{fill:var(--fail)}` +
  `.am-disconnect{fill:var(--fg)}.am-fin{fill:var(--fg)}.am-rst{fill:var(--fail)}.am-warn{fill:var(--warn)}` +
  `.am-syn.sw,.am-connect.sw{background:var(--info)}.am-connack.sw{background:var(--pass)}.am-rst.sw,.am-refused.sw{background:var(--fail)}` +
  `.am-fin.sw,.am-disconnect.sw{background:var(--fg)}.am-warn.sw{background:var(--warn)}` +
  `.pm-pub{fill:var(--info)}.pm-ack{fill:var(--pass)}.pm-ping{fill:var(--warn)}.pm-ctl{fill:var(--fg)}.pm-mid{fill:var(--muted)}` +
  `.pm-pub.sw{background:var(--info)}.pm-ack.sw{background:var(--pass)}.pm-ping.sw{background:var(--warn)}.pm-ctl.sw{background:var(--fg)}.pm-mid.sw{background:var(--muted)}` +
  `.alive{fill:var(--up);opacity:.3}.silent{fill:url(#an-hatch)}.hatch{stroke:var(--muted);stroke-width:2}` +
  `.silent.sw{background:repeating-linear-gradient(45deg,var(--muted) 0 2px,transparent 2px 5px)}` +
  `.alive.sw{background:var(--up);opacity:.5}.midline{stroke:var(--muted);stroke-width:.6;opacity:.6}` +
  `@media print{.alive{opacity:.2}}</style>`;

/** Diagonal hatching for silences: it reads as "nothing on the wire" over the open connection's green. */
const HATCH =
  '<defs><pattern id="an-hatch" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">' +
  '<line class="hatch" x1="0" y1="0" x2="0" y2="5"/></pattern></defs>';

/** Time since the capture's first packet along the bottom, with vertical gridlines. */
function relAxis(x: ScaleLinear<number, number>, box: Box): string {
  const ticks = x.ticks(8);
  return (
    `<g class="grid">${ticks.map((v) => `<line x1="${n1(x(v))}" x2="${n1(x(v))}" y1="${box.top}" y2="${box.bottom}"/>`).join('')}</g>` +
    ticks
      .map(
        (v) =>
          `<text x="${n1(x(v))}" y="${box.bottom + 13}" text-anchor="middle">${esc(v === 0 ? '0' : `+${fmtMs(v)}`)}</text>`,
      )
      .join('')
  );
}

function timeline(i: AnalyzeHtmlInput, lanes: ConnectionData[], total: number): string {
  const title = 'Connections over the capture';
  if (lanes.length === 0) return noData('timeline', title, 'No MQTT connection in this capture.');
  const box: Box = { left: 180, right: WIDTH - 190, top: 6, bottom: 6 + lanes.length * LANE_H };
  const span = Math.max(1, i.spanMs);
  // Time since the capture's first packet: captures are often a second long, where wall-clock ticks repeat.
  const x = scaleLinear().domain([0, span]).range([box.left, box.right]);
  const at = (tMs: number): number => x(Math.min(span, Math.max(0, tMs)));
  const rows = lanes.map((c, k) => laneSvg(c, box.top + k * LANE_H, box, at));
  const thin = thinned(lanes);
  const byCause = new Map<string, number>();
  for (const c of lanes) byCause.set(c.cause, (byCause.get(c.cause) ?? 0) + 1);
  const causes = [...byCause.keys()] as Cause[];
  return chart({
    id: 'timeline',
    title: `${title} (${lanes.length} lane${lanes.length === 1 ? '' : 's'})`,
    alt: timelineAlt(i, lanes, total, byCause, thin),
    width: WIDTH,
    height: box.bottom + 20,
    body: HATCH + relAxis(x, box) + rows.join(''),
    legend: [
      ...TIMELINE_LEGEND,
      ...(thin.lanes ? [['pm-mid', 'packets counted, not drawn one by one (darker: more)'] as [string, string]] : []),
      ...causes.map((k): [string, string] => [`ae-${k}`, `ended: ${k.replace(/-/g, ' ')}`]),
    ],
  });
}

const LANE_H = 30;

const TIMELINE_LEGEND: Array<[string, string]> = [
  ['alive', 'connection open'],
  ['silent', 'a side silent before the end (upper half client, lower half server)'],
  ['am-connect', 'CONNECT / SYN'],
  ['am-connack', 'CONNACK accepted'],
  ['am-refused', 'CONNACK refused / TLS alert'],
  ['am-disconnect', 'DISCONNECT ◆, FIN ▲ client / ▼ server'],
  ['am-rst', 'RST'],
  ['am-warn', 'unanswered PINGREQ / retransmissions / gap'],
  ['pm-pub', 'PUBLISH'],
  ['pm-ack', 'PUBACK / PUBREC / PUBREL / PUBCOMP'],
  ['pm-ping', 'PINGREQ / PINGRESP'],
  ['pm-ctl', 'other MQTT packets'],
];

/** The chart told in words: lanes drawn, how they ended, how to read the marks. */
function timelineAlt(
  i: AnalyzeHtmlInput,
  lanes: readonly ConnectionData[],
  total: number,
  byCause: ReadonlyMap<string, number>,
  thin: ReturnType<typeof thinned>,
): string {
  const bad = lanes.filter((c) => c.severity === 'fail' || c.severity === 'warn').length;
  return (
    `${lanes.length} connection${lanes.length === 1 ? '' : 's'} drawn${total > lanes.length ? ` of ${total} (the worst-ended; the rest are counted below)` : ''} over ${fmtMs(i.spanMs)}; ` +
    `${bad} ended badly. Ends: ${[...byCause].map(([k, v]) => `${k.replace(/-/g, ' ')} ${v}`).join(', ')}. ` +
    `Marks above a lane's middle line came from the client, below from the server; small ticks are MQTT packets (${thin.drawn} drawn${thin.lanes ? `, ${thin.counted} more only counted: ${thinText(thin)}` : ', every one'}); hatching is a side's silence before the end. The time axis counts from the first packet.`
  );
}

/** One connection's lane: its name, its open span, each side's silence before the end, its marks and its end. */
function laneSvg(c: ConnectionData, top: number, box: Box, at: (tMs: number) => number): string {
  const mid = top + LANE_H / 2;
  const startMs = c.startS * 1000;
  const endMs = startMs + c.durationMs;
  const x0 = at(startMs);
  const x1 = Math.max(x0 + 1.5, at(endMs));
  // The other side's FIN (or its late ACKs) can come after the close that ended the connection.
  const lastMs = c.events.reduce((m, e) => Math.max(m, e.tMs), endMs);
  const xLast = Math.max(x1, at(lastMs));
  const name = laneName(c);
  const laneTip =
    `#${c.id} ${name}: ${c.client} → ${c.server}, ${fmtMs(c.durationMs)}. ${wireText(c.explanation, FINDING_MAX)} ` +
    `Client sent: ${counts(c.packets.client)}. Server sent: ${counts(c.packets.server)}.` +
    (c.ping.sent ? ` PINGREQ ${c.ping.sent}, answered ${c.ping.answered}.` : '');
  const parts: string[] = [
    `<text x="${box.left - 8}" y="${n1(mid + 4)}" text-anchor="end">${esc(clip(name))}<title>${esc(laneTip)}</title></text>`,
    `<rect class="alive" x="${n1(x0)}" y="${n1(top + 4)}" width="${n1(xLast - x0)}" height="${LANE_H - 8}"><title>${esc(laneTip)}</title></rect>`,
    `<line class="midline" x1="${n1(x0)}" x2="${n1(xLast)}" y1="${n1(mid)}" y2="${n1(mid)}"/>`,
    ...silenceSvg(c, { top, mid, x0, x1, endMs }, at),
  ];
  for (const ev of c.events) {
    const e = ev as unknown as Ev & { tMs: number };
    const m = markOf(e);
    if (m) parts.push(shapeSvg(m.shape, at(e.tMs), mid, e.side === 'client', m.cls, `${fmtMs(e.tMs)}: ${m.tip}`));
  }
  parts.push(packetMarks(c, at, mid));
  const endTip = `#${c.id} ended: ${endName(c)}. ${wireText(c.explanation, FINDING_MAX)}`;
  parts.push(
    `<rect class="end-mark ae-${c.cause}" x="${n1(x1 - 2)}" y="${n1(top + 2)}" width="4" height="${LANE_H - 4}"><title>${esc(endTip)}</title></rect>`,
    `<text class="end-name" x="${box.right + 10}" y="${n1(mid + 4)}">${esc(endName(c))}</text>`,
  );
  return `<g class="lane" data-conn="${c.id}">${parts.join('')}</g>`;
}

/** Each side's silence just before the end: client above the middle line, server below. */
function silenceSvg(
  c: ConnectionData,
  lane: { top: number; mid: number; x0: number; x1: number; endMs: number },
  at: (tMs: number) => number,
): string[] {
  const out: string[] = [];
  for (const side of ['client', 'server'] as const) {
    const s = c.silentMs[side];
    if (s === null || s <= 0) continue;
    const sx = Math.max(lane.x0, at(lane.endMs - s));
    const y = side === 'client' ? lane.top + 4 : lane.mid;
    out.push(
      `<rect class="silent" x="${n1(sx)}" y="${n1(y)}" width="${n1(Math.max(1, lane.x1 - sx))}" height="${n1(LANE_H / 2 - 4)}"><title>${esc(`${side} silent for ${fmtMs(s)} before the end`)}</title></rect>`,
    );
  }
  return out;
}

/** How a packet type is drawn (css class, tick height). */
function packetClass(type: string): { cls: string; h: number } {
  if (type === 'publish') return { cls: 'pm-pub', h: 7 };
  if (type === 'puback' || type === 'pubrec' || type === 'pubrel' || type === 'pubcomp') return { cls: 'pm-ack', h: 4 };
  if (type === 'pingreq' || type === 'pingresp') return { cls: 'pm-ping', h: 5 };
  return { cls: 'pm-ctl', h: 5 };
}

/**
 * One tick per listed MQTT packet (client above the middle line, server below), and for a thinned connection the
 * packets between its first and last listed ones as a strip shaded by count per time bucket.
 */
function packetMarks(c: ConnectionData, at: (tMs: number) => number, mid: number): string {
  const m = parseMarks(c.marks);
  const out: string[] = [];
  if (m.middle) {
    const { fromMs, bucketMs, counts } = m.middle;
    const max = counts.reduce((x, k) => Math.max(x, k.client + k.server), 1);
    counts.forEach((k, i) => {
      const n = k.client + k.server;
      if (n === 0) return;
      const a = fromMs + i * bucketMs;
      const x0 = at(a);
      const w = Math.max(1, at(a + bucketMs) - x0);
      out.push(
        `<rect class="pm-mid" x="${n1(x0)}" y="${n1(mid - 3)}" width="${n1(w)}" height="6" opacity="${n1(0.25 + (0.75 * n) / max)}"><title>${esc(`${n} MQTT packets between +${fmtMs(a)} and +${fmtMs(a + bucketMs)} (client ${k.client}, server ${k.server}): counted, not drawn one by one`)}</title></rect>`,
      );
    });
  }
  for (const p of m.packets) {
    const { cls, h } = packetClass(p.type);
    const x = n1(at(p.tMs));
    const y = p.side === 'client' ? mid - h : mid;
    out.push(
      `<rect class="pm ${cls}" x="${x}" y="${n1(y)}" width="1" height="${h}"><title>${esc(`+${fmtMs(p.tMs)}: ${p.type.toUpperCase()} from the ${p.side}`)}</title></rect>`,
    );
  }
  return out.join('');
}

/** Lanes whose packets were not all listed, and how many packets are drawn / only counted. */
function thinned(lanes: readonly ConnectionData[]): {
  lanes: number;
  drawn: number;
  counted: number;
  listedMax: number;
} {
  let n = 0;
  let drawn = 0;
  let counted = 0;
  let listedMax = 0;
  for (const c of lanes) {
    drawn += c.marks.listed;
    if (c.marks.total > c.marks.listed) {
      n++;
      counted += c.marks.total - c.marks.listed;
      listedMax = Math.max(listedMax, c.marks.listed);
    }
  }
  return { lanes: n, drawn, counted, listedMax };
}

function thinText(t: ReturnType<typeof thinned>): string {
  return `on ${t.lanes} connection${t.lanes === 1 ? '' : 's'} with more than ${t.listedMax} packets, the first ${MARK_HEAD} and the last ${MARK_TAIL} are drawn and the ${t.counted} in between are shaded by count per time span`;
}

/** Said on the page, not only in the text alternative: a thinned lane must not read as "these were all the packets". */
function marksNote(lanes: readonly ConnectionData[]): string {
  const t = thinned(lanes);
  const text = t.lanes
    ? `Packet marks thinned: ${thinText(t)}. ${t.drawn} of ${t.drawn + t.counted} MQTT packets are drawn one by one.`
    : `Packet marks: all ${t.drawn} MQTT packets of the drawn connections are drawn one by one.`;
  return `<p class="marks-note" data-thinned="${t.lanes}">${esc(text)}</p>`;
}

function restSummary(rest: ConnectionData[]): string {
  if (rest.length === 0) return '';
  const byCause = new Map<Cause, number>();
  for (const c of rest) byCause.set(c.cause, (byCause.get(c.cause) ?? 0) + 1);
  const rows = [...byCause]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => ({
      label: k.replace(/-/g, ' '),
      value: v,
      cls: `ae-${k}`,
      tip: `${v} more connections ended: ${k}`,
    }));
  return barChart(
    'rest',
    `The other ${rest.length} connections, by how they ended`,
    `${rest.length} connections not drawn as lanes (they ended no worse than those above): ${rows.map((r) => `${r.label} ${r.value}`).join(', ')}. --json lists every one.`,
    rows,
  );
}

export function renderAnalyzeHtml(i: AnalyzeHtmlInput): string {
  const { lanes, rest } = pickLanes(i.connections);
  return page(
    i.header,
    [
      {
        title: 'Timeline',
        html:
          STYLE + timeline(i, lanes, i.connections.length) + (lanes.length ? marksNote(lanes) : '') + restSummary(rest),
      },
      { title: 'Findings', html: findingsList(i.findings) },
    ],
    i.generator,
  );
}
