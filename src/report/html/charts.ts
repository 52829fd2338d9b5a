/**
 * Chart pieces shared by the soak and probe pages: horizontal bars, log-binned histograms. Pure: data in,
 * SVG text out (scales from d3-scale, no DOM).
 */
import { scaleLinear } from 'd3-scale';
import { chart, esc, fmtMs, n1, noData } from './svg.js';

export const WIDTH = 1000;

export interface BarRow {
  label: string;
  value: number;
  /** CSS class of the bar (colour). */
  cls: string;
  tip: string;
}

/** Horizontal bars, one row each, with the value at the end of the bar. */
export function barChart(id: string, title: string, alt: string, rows: BarRow[]): string {
  if (rows.length === 0) return noData(id, title, alt);
  const rowH = 22;
  const left = 200;
  const height = rows.length * rowH + 8;
  const max = Math.max(1, ...rows.map((r) => r.value));
  const x = scaleLinear()
    .domain([0, max])
    .range([0, WIDTH - left - 60]);
  const body = rows
    .map((r, i) => {
      const y = 4 + i * rowH;
      return (
        `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(r.label)}</text>` +
        `<rect class="${esc(r.cls)}" x="${left}" y="${y + 3}" width="${n1(Math.max(1, x(r.value)))}" height="${rowH - 7}"><title>${esc(r.tip)}</title></rect>` +
        `<text x="${n1(left + Math.max(1, x(r.value)) + 6)}" y="${y + 14}">${esc(r.value)}</text>`
      );
    })
    .join('');
  return chart({ id, title, alt, width: WIDTH, height, body });
}

/** 1-2-5 edges (ms) that cover [min, max] (the last edge is above max): durations from milliseconds to days read well on such a scale. */
export function logEdges(min: number, max: number): number[] {
  const lo = Math.max(1, min);
  const step = (k: number): number => [1, 2, 5][((k % 3) + 3) % 3]! * 10 ** Math.floor(k / 3);
  let k = Math.floor(Math.log10(lo)) * 3;
  while (step(k + 1) <= lo) k += 1;
  const edges = [step(k)];
  while (edges[edges.length - 1]! <= max && edges.length < 80) {
    k += 1;
    edges.push(step(k));
  }
  return edges;
}

/** Histogram of durations on 1-2-5 bins; every value lands in exactly one bin (the counts add up). */
export function durationHistogram(id: string, title: string, what: string, values: readonly number[]): string {
  if (values.length === 0) return noData(id, title, `No ${what} in this run.`);
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const edges = logEdges(min, max);
  const counts = new Array<number>(Math.max(1, edges.length - 1)).fill(0);
  for (const v of values) {
    let i = 0;
    while (i < counts.length - 1 && v >= edges[i + 1]!) i += 1;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  const left = 50;
  const height = 190;
  const plotW = WIDTH - left - 10;
  const bw = plotW / counts.length;
  const top = Math.max(...counts);
  const y = scaleLinear().domain([0, top]).nice().range([160, 10]);
  const bars = counts
    .map((c, i) => {
      const lo = i === 0 ? Math.min(min, edges[0]!) : edges[i]!;
      const hi = edges[i + 1]!;
      const x = left + i * bw;
      const label = `<text x="${n1(x + bw / 2)}" y="176" text-anchor="middle">${esc(fmtMs(hi))}</text>`;
      if (c === 0) return label;
      return `<rect class="bar" x="${n1(x + 1)}" y="${n1(y(c))}" width="${n1(Math.max(1, bw - 2))}" height="${n1(160 - y(c))}"><title>${esc(`${c} ${what} from ${fmtMs(lo)} to ${fmtMs(hi)}`)}</title></rect>${label}`;
    })
    .join('');
  const grid = y
    .ticks(4)
    .map(
      (v) =>
        `<line class="gridl" x1="${left}" x2="${WIDTH - 10}" y1="${n1(y(v))}" y2="${n1(y(v))}" stroke="currentColor" stroke-opacity=".15"/><text x="${left - 4}" y="${n1(y(v))}" dy="3.5" text-anchor="end">${v}</text>`,
    )
    .join('');
  const sorted = [...values].sort((a, b) => a - b);
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const alt = `${values.length} ${what}: shortest ${fmtMs(min)}, median ${fmtMs(p50)}, longest ${fmtMs(max)}. Bars count the ${what} up to each labelled bound (1-2-5 steps).`;
  return chart({ id, title, alt, width: WIDTH, height: height, body: grid + bars });
}
