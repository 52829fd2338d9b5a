/**
 * The probe page: connect waterfall drawn to scale (DNS, TCP, TLS, WebSocket, CONNACK, each bar starting where
 * the previous phase ended, like httpstat / browser network waterfalls), the RTT series with lost probes
 * marked, the broker's CONNACK grants and the findings. Pure: the probe report in, one HTML document out.
 */
import { line } from 'd3-shape';
import { scaleLinear } from 'd3-scale';
import type { ProbeData } from '../build-probe.js';
import type { Report, Section } from '../model.js';
import { valueAxis, type Box } from './axes.js';
import { WIDTH } from './charts.js';
import { findingsList, kvTable, page, type FindingItem, type PageHeader } from './page.js';
import { chart, esc, fmtMs, n1, noData } from './svg.js';

export interface ProbeHtmlSample {
  seq: number;
  rttMs: number | null;
  lateMs?: number | undefined;
  duplicate?: boolean | undefined;
  error?: string | undefined;
}

export interface ProbeHtmlInput {
  header: PageHeader;
  generator: string;
  /** Phases in order, with their duration; absent phases are left out. */
  phases: Array<{ name: string; ms: number }>;
  failedPhase?: string | undefined;
  method: string;
  samples: ProbeHtmlSample[];
  rtt: {
    sent: number;
    received: number;
    lost: number;
    lossPct: number;
    p50?: number | undefined;
    p99?: number | undefined;
  };
  grants: Array<[string, string]>;
  findings: FindingItem[];
}

const PHASE_NAME: Record<string, string> = { dns: 'DNS', tcp: 'TCP', tls: 'TLS', ws: 'WebSocket', mqtt: 'CONNACK' };

/** Adapter: the probe report (what `probe --json` prints) → the renderer's input. Pure. */
export function probeHtmlInput(report: Report<ProbeData>): ProbeHtmlInput {
  const d = report.data;
  const grants =
    report.view?.find(
      (s): s is Extract<Section, { kind: 'pairs' }> => s.kind === 'pairs' && s.title === 'Broker granted',
    )?.pairs ?? [];
  const s = d.rtt.stats;
  return {
    header: probeHeader(report),
    generator: `${report.tool.name} ${report.tool.version} (probe)`,
    phases: phaseBars(d.phases),
    failedPhase: d.failure && !d.serverDisconnect ? (PHASE_NAME[d.failure.phase] ?? d.failure.phase) : undefined,
    method: d.method,
    samples: d.samples.map((x) => ({
      seq: x.seq,
      rttMs: x.rttMs,
      lateMs: x.lateMs,
      duplicate: x.duplicate,
      error: x.error,
    })),
    rtt: {
      sent: d.rtt.sent,
      received: d.rtt.received,
      lost: d.rtt.lost,
      lossPct: d.rtt.lossPct,
      p50: s?.p50,
      p99: s?.p99,
    },
    grants,
    findings: report.checks
      .filter(
        (c) =>
          c.id.startsWith('finding.') || c.id.startsWith('threshold.') || c.status === 'warn' || c.status === 'fail',
      )
      .map((c) => ({ status: c.status, title: c.title, summary: c.summary, explanation: c.explanation, hint: c.hint })),
  };
}

/** The phases the connection went through, in order, with their times (a literal IP had no lookup). */
function phaseBars(p: ProbeData['phases']): Array<{ name: string; ms: number }> {
  const phases: Array<{ name: string; ms: number }> = [];
  if (p.dns && !p.dns.literal) phases.push({ name: 'DNS', ms: p.dns.ms });
  if (p.tcp) phases.push({ name: 'TCP', ms: p.tcp.ms });
  if (p.tls) phases.push({ name: 'TLS', ms: p.tls.ms });
  if (p.ws) phases.push({ name: 'WebSocket', ms: p.ws.ms });
  if (p.connack) phases.push({ name: 'CONNACK', ms: p.connack.ms });
  return phases;
}

/** Title, verdict, the thresholds that failed, and the run's settings. */
function probeHeader(report: Report<ProbeData>): ProbeHtmlInput['header'] {
  const d = report.data;
  return {
    title: `mqtt-doctor probe: ${report.target?.url ?? 'target'}`,
    subtitle: `${report.startedAt} → ${report.finishedAt}`,
    verdict: { status: report.verdict.status, summary: report.verdict.summary },
    failed: d.thresholds
      .filter((t) => !t.pass)
      .map(
        (t) =>
          `--${t.id}: ${t.actual === null ? 'no data' : t.unit === '%' ? `${t.actual.toFixed(2)}%` : fmtMs(t.actual)} > ${t.unit === '%' ? `${t.limit}%` : fmtMs(t.limit)}`,
      ),
    pairs: [
      ['target', report.target?.url ?? '—'],
      [
        'method',
        d.method === 'echo'
          ? `echo (PUBLISH QoS ${d.qos} to its own subscription)`
          : d.method === 'ping'
            ? 'ping (PINGREQ → PINGRESP)'
            : 'TCP connect (tcping)',
      ],
      ['MQTT', `${d.mqttVersion}${d.fellBackTo311 ? ' (MQTT 5 refused)' : ''}`],
      ['client id', d.clientId],
      ...(d.impair ? [['impair', `${d.impair.spec} via ${d.impair.via}`] as [string, string]] : []),
      ...(report.insecure ? [['TLS', 'NOT verified (--insecure)'] as [string, string]] : []),
    ],
  };
}

function waterfall(i: ProbeHtmlInput): string {
  const title = 'Connect waterfall';
  if (i.phases.length === 0)
    return noData(
      'waterfall',
      title,
      i.failedPhase ? `Nothing completed: the ${i.failedPhase} phase failed.` : 'No phase was timed.',
    );
  const total = i.phases.reduce((a, p) => a + p.ms, 0);
  const left = 110;
  const rowH = 24;
  const x = scaleLinear()
    .domain([0, total || 1])
    .range([left, WIDTH - 90]);
  let start = 0;
  const rows = i.phases.map((p, k) => {
    const y = 6 + k * rowH;
    const x0 = x(start);
    const w = Math.max(1.5, x(start + p.ms) - x0);
    const tip = `${p.name}: ${fmtMs(p.ms)}, from ${fmtMs(start)} to ${fmtMs(start + p.ms)} after the start`;
    start += p.ms;
    return `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(p.name)}</text><rect class="phase" x="${n1(x0)}" y="${y + 3}" width="${n1(w)}" height="${rowH - 8}"><title>${esc(tip)}</title></rect><text x="${n1(x0 + w + 6)}" y="${y + 15}">${esc(fmtMs(p.ms))}</text>`;
  });
  const height = 12 + i.phases.length * rowH + 18;
  const axis = x
    .ticks(6)
    .map(
      (v) =>
        `<line x1="${n1(x(v))}" x2="${n1(x(v))}" y1="4" y2="${height - 18}" stroke="currentColor" stroke-opacity=".15"/><text x="${n1(x(v))}" y="${height - 4}" text-anchor="middle">${esc(fmtMs(v))}</text>`,
    )
    .join('');
  const alt = `${fmtMs(total)} from the first lookup to the last phase: ${i.phases.map((p) => `${p.name} ${fmtMs(p.ms)}`).join(', ')}${i.failedPhase ? `; then ${i.failedPhase} failed` : ''}. Each bar starts where the previous phase ended.`;
  return chart({
    id: 'waterfall',
    title: `${title} (${fmtMs(total)} in total)`,
    alt,
    width: WIDTH,
    height,
    body: axis + rows.join(''),
  });
}

function rttChart(i: ProbeHtmlInput): string {
  const title = 'Round-trip time per probe';
  if (i.samples.length === 0) return noData('rtt', title, 'No probe was sent.');
  const box: Box = { left: 70, right: WIDTH - 12, top: 8, bottom: 190 };
  const seqs = i.samples.map((s) => s.seq);
  const x = scaleLinear()
    .domain([Math.min(...seqs), Math.max(Math.max(...seqs), Math.min(...seqs) + 1)])
    .range([box.left + 6, box.right - 6]);
  const got = i.samples.filter((s) => s.rttMs !== null);
  const top = Math.max(1, ...got.map((s) => s.rttMs!));
  const y = scaleLinear()
    .domain([0, top * 1.1])
    .nice()
    .range([box.bottom - 12, box.top]);
  const path =
    line<ProbeHtmlSample>()
      .defined((s) => s.rttMs !== null)
      .x((s) => x(s.seq))
      .y((s) => y(s.rttMs ?? 0))(i.samples) ?? '';
  const dots = i.samples
    .map((s) =>
      s.rttMs !== null
        ? `<circle class="rttdot" cx="${n1(x(s.seq))}" cy="${n1(y(s.rttMs))}" r="2.4"><title>${esc(`probe ${s.seq}: ${fmtMs(s.rttMs)}${s.duplicate ? ' (duplicate reply)' : ''}`)}</title></circle>`
        : `<rect class="mark-lost" x="${n1(x(s.seq) - 2)}" y="${box.bottom - 10}" width="4" height="10"><title>${esc(`probe ${s.seq}: lost${s.error ? ` (${s.error})` : s.lateMs !== undefined ? ` (reply came ${fmtMs(s.lateMs)} late)` : ''}`)}</title></rect>`,
    )
    .join('');
  const xTicks = x
    .ticks(Math.min(10, i.samples.length))
    .filter((v) => Number.isInteger(v))
    .map((v) => `<text x="${n1(x(v))}" y="${box.bottom + 13}" text-anchor="middle">${v}</text>`)
    .join('');
  const alt = `${i.rtt.sent} probes, ${i.rtt.received} answered, ${i.rtt.lost} lost (${i.rtt.lossPct.toFixed(1)}%)${i.rtt.p50 !== undefined ? `; p50 ${fmtMs(i.rtt.p50)}, p99 ${fmtMs(i.rtt.p99)}` : ''}, highest ${fmtMs(got.length ? top : null)}. Red marks on the axis are lost probes; the x axis is the probe number.`;
  return chart({
    id: 'rtt',
    title,
    alt,
    width: WIDTH,
    height: box.bottom + 20,
    body: valueAxis(y, box) + xTicks + `<path class="rtt" d="${path}"/>` + dots,
    legend: [
      ['p50s', 'round trip'],
      ['lost', 'lost probe'],
    ],
  });
}

export function renderProbeHtml(i: ProbeHtmlInput): string {
  return page(
    i.header,
    [
      { title: 'Connect', html: waterfall(i) },
      { title: 'Round trip', html: rttChart(i) },
      {
        title: 'Broker granted (CONNACK)',
        html: i.grants.length
          ? kvTable(i.grants)
          : '<p class="muted">No CONNACK was accepted, so nothing was granted.</p>',
      },
      { title: 'Findings', html: findingsList(i.findings) },
    ],
    i.generator,
  );
}
