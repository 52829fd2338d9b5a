/**
 * The soak page: run header, connection timeline (one lane per client, or connected clients over time plus
 * the worst clients' lanes), SmokePing-style latency bands with loss and reconnects on the same time axis,
 * lost / duplicated / out-of-order messages over time, disconnects by cause, time-to-reconnect and
 * connected-period histograms, and the findings. Pure: SoakHtmlInput in, one HTML document out.
 * SmokePing's idea of drawing the median with the spread around it: https://oss.oetiker.ch/smokeping/doc/reading.en.html
 */
import { area, curveStepAfter, line } from 'd3-shape';
import { scaleLinear, scaleUtc, type ScaleTime } from 'd3-scale';
import { CAUSE_INFO } from '../../analyze/soak/causes.js';
import { timeAxis, valueAxis, type Box } from './axes.js';
import { barChart, durationHistogram, WIDTH } from './charts.js';
import { findingsList, page } from './page.js';
import type { Lane, SoakHtmlInput } from './soak-data.js';
import { chart, esc, fmtMs, fmtTime, n1, noData } from './svg.js';

const LEFT = 74;
const RIGHT = 12;

function timeScale(i: SoakHtmlInput): ScaleTime<number, number> {
  return scaleUtc()
    .domain([new Date(i.fromMs), new Date(i.toMs)])
    .range([LEFT, WIDTH - RIGHT]);
}

/**
 * Above this many marks of one kind in a lane (one every ~15 px or closer), they are drawn as one path: chromium
 * took seconds to lay out a 10,000-client, 24-hour page with one element per mark, and such marks overlap
 * under the pointer anyway.
 */
const DENSE_MARKS = 60;

function causeCounts(marks: Lane['marks']): string {
  const by = new Map<string, number>();
  for (const m of marks) by.set(CAUSE_INFO[m.cause].title, (by.get(CAUSE_INFO[m.cause].title) ?? 0) + 1);
  return [...by].map(([k, v]) => `${k} ${v}`).join(', ');
}

/** Hover text of a mark: the date is left out when the run is shorter than a day (the header has it). */
function markTip(client: number, m: Lane['marks'][number], withDate: boolean): string {
  const iso = new Date(m.t).toISOString();
  const when = withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 19)}` : iso.slice(11, 19);
  const title = CAUSE_INFO[m.cause].title;
  const detail = m.detail && m.detail.toLowerCase() !== title.toLowerCase() ? ` (${m.detail})` : '';
  return `client ${client} ${when}Z ${m.kind === 'disconnect' ? 'lost' : 'attempt failed'}: ${title}${detail}`;
}

/**
 * One lane: a path per state (compact for long runs), then one element per disconnect / failed attempt with
 * its hover text (plain rects: chromium builds a shadow tree per <use>, which made a 10,000-client page
 * load several times slower).
 */
function laneSvg(lane: Lane, x: ScaleTime<number, number>, y: number, h: number, withDate: boolean): string {
  const paths = new Map<string, string[]>();
  for (const seg of lane.segments) {
    const x0 = x(seg.from);
    const w = Math.max(0.4, x(seg.to) - x0);
    const d = paths.get(seg.state) ?? [];
    d.push(`M${n1(x0)} 0h${n1(w)}v${h}h${n1(-w)}z`);
    paths.set(seg.state, d);
  }
  const parts = [`<text x="${LEFT - 6}" y="${h - 1}" text-anchor="end">client ${lane.client}</text>`];
  for (const [state, d] of paths)
    parts.push(`<path class="${state === 'up' ? 'up' : `c-${state}`}" d="${d.join('')}"/>`);
  for (const kind of ['disconnect', 'failed'] as const) {
    const marks = lane.marks.filter((m) => m.kind === kind);
    const cls = kind === 'disconnect' ? 'mark-disconnect' : 'mark-failed';
    const shape = (t: number) =>
      kind === 'disconnect'
        ? { x: x(t) - 0.75, y: -2, w: 1.5, h: h + 4 }
        : { x: x(t) - 1.5, y: h / 2 - 1.5, w: 3, h: 3 };
    if (marks.length > DENSE_MARKS) {
      // Too dense to hover one by one: one path for the lane, counted in data-n, with a summary as hover text.
      const d = marks.map((m) => {
        const r = shape(m.t);
        return `M${n1(r.x)} ${n1(r.y)}h${r.w}v${r.h}h${-r.w}z`;
      });
      const tip = `client ${lane.client}: ${marks.length} ${kind === 'disconnect' ? 'connections lost' : 'attempts failed'}, ${fmtTime(marks[0]!.t)} → ${fmtTime(marks[marks.length - 1]!.t)} (${causeCounts(marks)})`;
      parts.push(`<path class="${cls}" data-n="${marks.length}" d="${d.join('')}"><title>${esc(tip)}</title></path>`);
      continue;
    }
    for (const m of marks) {
      const r = shape(m.t);
      parts.push(
        `<rect class="${cls}" x="${n1(r.x)}" y="${n1(r.y)}" width="${r.w}" height="${r.h}"><title>${esc(markTip(lane.client, m, withDate))}</title></rect>`,
      );
    }
  }
  const title = `client ${lane.client}: ${lane.disconnects} disconnect${lane.disconnects === 1 ? '' : 's'}, down ${fmtMs(lane.downtimeMs)}`;
  return `<g class="lane" data-client="${lane.client}" transform="translate(0 ${y})"><title>${esc(title)}</title>${parts.join('')}</g>`;
}

function timelineChart(i: SoakHtmlInput): string {
  if (i.lanes.length === 0) return noData('timeline', 'Connection timeline', 'No client started in this run.');
  const h = i.lanes.length <= 20 ? 14 : 9;
  const gap = i.lanes.length <= 20 ? 6 : 3;
  const box: Box = { left: LEFT, right: WIDTH - RIGHT, top: 6, bottom: 6 + i.lanes.length * (h + gap) };
  const x = timeScale(i);
  const withDate = i.toMs - i.fromMs > 24 * 3600_000;
  const body =
    timeAxis(x, box) + i.lanes.map((l, k) => laneSvg(l, x, box.top + k * (h + gap) + gap / 2, h, withDate)).join('');
  const shownDisc = i.lanes.reduce((a, l) => a + l.disconnects, 0);
  const partial = i.lanes.length < i.laneCount;
  const title = partial
    ? `Connection timeline: the ${i.lanes.length} worst of ${i.laneCount} clients`
    : 'Connection timeline, one lane per client';
  const causes = [...new Set(i.lanes.flatMap((l) => l.segments.map((s) => s.state)))].filter((s) => s !== 'up');
  const alt =
    `${i.laneCount} client${i.laneCount === 1 ? '' : 's'} from ${fmtTime(i.fromMs)} to ${fmtTime(i.toMs)}; ${i.disconnects} connection${i.disconnects === 1 ? '' : 's'} lost and ${i.connectFailures} connect attempt${i.connectFailures === 1 ? '' : 's'} failed in all. ` +
    (partial
      ? `Shown: the ${i.lanes.length} clients with the most downtime, with ${shownDisc} of the ${i.disconnects} disconnects. `
      : '') +
    `Green is connected; other colours are time down, by the cause of the disconnect; a tick across the lane is a lost connection, a dot a failed attempt.`;
  return chart({
    id: 'timeline',
    title,
    alt,
    width: WIDTH,
    height: box.bottom + 20,
    body,
    legend: [
      ['up', 'connected'],
      ...causes.map((c): [string, string] => [
        `c-${c}`,
        c === 'initial' ? 'not yet connected' : `down: ${CAUSE_INFO[c].title}`,
      ]),
    ],
  });
}

function connectedChart(i: SoakHtmlInput): string {
  const box: Box = { left: LEFT, right: WIDTH - RIGHT, top: 8, bottom: 130 };
  const x = timeScale(i);
  const low = i.lowestAfterAll;
  // Zoom the value axis onto the drops (a 2-client dip in 10,000 would be invisible from zero); the ramp-up
  // below it is clamped to the bottom edge. The axis labels say where it starts.
  const floor =
    low && low.count < i.clients ? Math.max(0, low.count - Math.max(1, Math.ceil((i.clients - low.count) * 0.25))) : 0;
  const y = scaleLinear()
    .domain([floor, Math.max(1, i.clients)])
    .range([box.bottom, box.top])
    .clamp(true);
  const band = area<SoakHtmlInput['connected'][number]>()
    .x((b) => x(b.from))
    .y0((b) => y(b.min))
    .y1((b) => y(b.max))
    .curve(curveStepAfter)(
    i.connected.concat(i.connected.length ? [{ ...i.connected[i.connected.length - 1]!, from: i.toMs }] : []),
  );
  const last = line<SoakHtmlInput['connected'][number]>()
    .x((b) => x(b.to))
    .y((b) => y(b.last))
    .curve(curveStepAfter)(i.connected);
  const body =
    timeAxis(x, box) +
    valueAxis(y, box, (v) => String(v), 4) +
    `<path class="conn" d="${band ?? ''}"/><path class="connline" d="${last ?? ''}"/>`;
  const alt =
    `Connected clients out of ${i.clients}, over time (${i.connected.length} columns; each shows the lowest and highest count in its span${floor > 0 ? `; the axis starts at ${floor}` : ''}). ` +
    (!low
      ? `Never were all ${i.clients} connected at once (at most ${i.mostConnected}).`
      : low.count >= i.clients
        ? 'Once all had connected, all stayed connected.'
        : `Fewest connected after all had connected: ${low.count}, at ${fmtTime(low.at)}.`);
  return chart({
    id: 'connected',
    title: 'Clients connected over time',
    alt,
    width: WIDTH,
    height: box.bottom + 20,
    body,
  });
}

function latencyChart(i: SoakHtmlInput): string {
  const w = i.latency.windows;
  const title = i.latency.cumulative
    ? 'End-to-end latency (cumulative percentiles at each checkpoint)'
    : 'End-to-end latency per checkpoint window';
  if (w.length === 0)
    return noData(
      'latency',
      title,
      i.messages === null
        ? 'Idle run (--rate 0): no messages, so no latency.'
        : 'No message came back, so there is no latency to draw.',
    );
  const box: Box = { left: LEFT, right: WIDTH - RIGHT, top: 8, bottom: 190 };
  const x = timeScale(i);
  const top = Math.max(...w.map((v) => v.p99));
  const y = scaleLinear()
    .domain([0, top * 1.1 || 1])
    .nice()
    .range([box.bottom - 10, box.top + 12]);
  const body =
    timeAxis(x, box) +
    valueAxis(y, box) +
    latencyPaths(w, x, y) +
    reconnectMarks(i, x, box) +
    lossMarks(i, x, box) +
    latencyTips(i, x, box);
  return chart({
    id: 'latency',
    title,
    alt: latencyAlt(i, top),
    width: WIDTH,
    height: box.bottom + 20,
    body,
    legend: [
      ['p50s', 'p50'],
      ['p90', 'p50–p90'],
      ['p99', 'p90–p99'],
      ['lost', 'window with loss'],
      ['mark-reconnect-sw', 'reconnect'],
    ],
  });
}

type LatencyWindow = SoakHtmlInput['latency']['windows'][number];
type Scale = (v: number) => number;

/** p50 as a stepped line; the bands from it to p90 and to p99. */
function latencyPaths(w: readonly LatencyWindow[], x: Scale, y: Scale): string {
  const steps = w.concat([{ ...w[w.length - 1]!, from: w[w.length - 1]!.to }]);
  const band = (hi: 'p90' | 'p99') =>
    area<LatencyWindow>()
      .x((v) => x(v.from))
      .y0((v) => y(v.p50))
      .y1((v) => y(v[hi]))
      .curve(curveStepAfter)(steps) ?? '';
  const p50 =
    line<LatencyWindow>()
      .x((v) => x(v.from))
      .y((v) => y(v.p50))
      .curve(curveStepAfter)(steps) ?? '';
  return `<path class="p99" d="${band('p99')}"/><path class="p90" d="${band('p90')}"/><path class="p50" d="${p50}"/>`;
}

/** A transparent rectangle per window whose tooltip gives its figures. */
function latencyTips(i: SoakHtmlInput, x: Scale, box: Box): string {
  return i.latency.windows
    .map(
      (v) =>
        `<rect x="${n1(x(v.from))}" y="${box.top}" width="${n1(Math.max(0.5, x(v.to) - x(v.from)))}" height="${box.bottom - box.top - 10}" fill="transparent"><title>${esc(`${fmtTime(v.from)} → ${fmtTime(v.to)}: p50 ${fmtMs(v.p50)}, p90 ${fmtMs(v.p90)}, p99 ${fmtMs(v.p99)}, max ${fmtMs(v.max)} (${v.count} messages${i.latency.cumulative ? ' since the start' : ''})`)}</title></rect>`,
    )
    .join('');
}

/** Red marks on the time axis: the windows that lost messages. */
function lossMarks(i: SoakHtmlInput, x: Scale, box: Box): string {
  return (i.messages ?? [])
    .filter((m) => m.lost > 0)
    .map(
      (m) =>
        `<rect class="mark-lost" x="${n1(x(m.from))}" y="${box.bottom - 8}" width="${n1(Math.max(1.5, x(m.to) - x(m.from)))}" height="7"><title>${esc(`${m.lost} lost of ${m.sent} sent, ${fmtTime(m.from)} → ${fmtTime(m.to)}`)}</title></rect>`,
    )
    .join('');
}

/** Ticks along the top: the reconnects. */
function reconnectMarks(i: SoakHtmlInput, x: Scale, box: Box): string {
  return i.reconnects
    .map(
      (r) =>
        `<line class="mark-reconnect" x1="${n1(x(r.t))}" x2="${n1(x(r.t))}" y1="${box.top}" y2="${box.top + 9}"><title>${esc(`${r.count} reconnect${r.count === 1 ? '' : 's'} around ${fmtTime(r.t)}`)}</title></line>`,
    )
    .join('');
}

/** The latency chart told in words. */
function latencyAlt(i: SoakHtmlInput, top: number): string {
  const last = i.latency.windows[i.latency.windows.length - 1]!;
  const lostWindows = (i.messages ?? []).filter((m) => m.lost > 0).length;
  const reconnects = i.reconnects.reduce((a, r) => a + r.count, 0);
  return (
    `${i.latency.cumulative ? 'Percentiles of all messages since the start, as each checkpoint recorded them' : 'Percentiles of the messages of each checkpoint window'}: ` +
    `at the end p50 ${fmtMs(last.p50)}, p90 ${fmtMs(last.p90)}, p99 ${fmtMs(last.p99)}; highest p99 ${fmtMs(top)}. ` +
    `The line is p50; the inner band reaches p90, the outer one p99. Ticks along the top mark ${reconnects} reconnect${reconnects === 1 ? '' : 's'}; red marks on the time axis are ${lostWindows} window${lostWindows === 1 ? '' : 's'} with lost messages.`
  );
}

function messagesChart(i: SoakHtmlInput): string {
  const title = 'Messages lost, duplicated and out of order over time';
  if (i.messages === null) return noData('messages', title, 'Idle run (--rate 0): no messages were sent.');
  const ms = i.messages;
  if (ms.length === 0) return noData('messages', title, 'No checkpoint or end line yet: message counts are not known.');
  const box: Box = { left: LEFT, right: WIDTH - RIGHT, top: 8, bottom: 150 };
  const x = timeScale(i);
  const top = Math.max(1, ...ms.map((m) => m.lost + m.duplicates + m.outOfOrder));
  const y = scaleLinear().domain([0, top]).nice().range([box.bottom, box.top]);
  const bars = ms
    .filter((m) => m.lost + m.duplicates + m.outOfOrder > 0)
    .map((m) => {
      const x0 = x(m.from);
      const w = Math.max(1.5, x(m.to) - x0 - 1);
      let base = 0;
      const seg = (v: number, cls: string) => {
        if (v === 0) return '';
        const r = `<rect class="${cls}" x="${n1(x0)}" y="${n1(y(base + v))}" width="${n1(w)}" height="${n1(y(base) - y(base + v))}"/>`;
        base += v;
        return r;
      };
      const tip = `${fmtTime(m.from)} → ${fmtTime(m.to)}: ${m.lost} lost, ${m.duplicates} duplicates, ${m.outOfOrder} out of order, of ${m.sent} sent`;
      return `<g><title>${esc(tip)}</title>${seg(m.lost, 'lost')}${seg(m.duplicates, 'dup')}${seg(m.outOfOrder, 'ooo')}</g>`;
    })
    .join('');
  const sum = (k: 'lost' | 'duplicates' | 'outOfOrder' | 'sent') => ms.reduce((a, m) => a + m[k], 0);
  const alt =
    sum('lost') + sum('duplicates') + sum('outOfOrder') === 0
      ? `${sum('sent')} messages sent over ${ms.length} windows: none lost, duplicated or out of order.`
      : `${sum('sent')} messages sent over ${ms.length} windows: ${sum('lost')} lost, ${sum('duplicates')} duplicates, ${sum('outOfOrder')} out of order; each bar is one window (a checkpoint interval).`;
  return chart({
    id: 'messages',
    title,
    alt,
    width: WIDTH,
    height: box.bottom + 20,
    body: timeAxis(x, box) + valueAxis(y, box, (v) => String(v), 4) + bars,
    legend: [
      ['lost', 'lost'],
      ['dup', 'duplicate'],
      ['ooo', 'out of order'],
    ],
  });
}

function causesChart(i: SoakHtmlInput): string {
  const total = i.byCause.reduce((a, c) => a + c.count, 0);
  return barChart(
    'causes',
    'Disconnects and failed attempts by cause',
    total === 0
      ? 'No disconnect and no failed attempt in this run.'
      : `${total} in all: ${i.byCause.map((c) => `${c.title} ${c.count}`).join(', ')}.`,
    i.byCause.map((c) => ({
      label: c.title,
      value: c.count,
      cls: `c-${c.cause}`,
      tip: `${c.title}: ${c.count}. ${CAUSE_INFO[c.cause].explanation}`,
    })),
  );
}

export function renderSoakHtml(i: SoakHtmlInput): string {
  const timeline =
    i.laneCount > i.lanes.length || i.clients > 1 ? connectedChart(i) + timelineChart(i) : timelineChart(i);
  return page(
    i.header,
    [
      { title: 'Connections', html: timeline },
      { title: 'Latency and loss', html: latencyChart(i) + messagesChart(i) },
      {
        title: 'Disconnects',
        html:
          causesChart(i) +
          durationHistogram('reconnect-hist', 'Time to reconnect', 'outages', i.reconnectMs) +
          durationHistogram(
            'connected-hist',
            'Connected periods (ended by a disconnect)',
            'connected periods',
            i.connectedMs,
          ),
      },
      { title: 'Findings', html: findingsList(i.findings) },
    ],
    i.generator,
  );
}
