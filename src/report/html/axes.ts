/**
 * Axes and gridlines drawn from d3-scale's tick generators (pure functions, no DOM:
 * https://github.com/d3/d3-scale#continuous_ticks).
 */
import type { ScaleLinear, ScaleTime } from 'd3-scale';
import { esc, fmtMs, n1 } from './svg.js';

export interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** A UTC time axis along the bottom of `box`, with vertical gridlines. */
export function timeAxis(x: ScaleTime<number, number>, box: Box, ticks = 8): string {
  const all = x.ticks(ticks);
  const stepMs = all.length > 1 ? all[1]!.getTime() - all[0]!.getTime() : 1000;
  const [d0, d1] = x.domain() as [Date, Date];
  const fmt = utcTickFormat(stepMs, d1.getTime() - d0.getTime());
  const parts: string[] = ['<g class="grid">'];
  const labels: string[] = [];
  for (const t of all) {
    const px = n1(x(t));
    parts.push(`<line x1="${px}" x2="${px}" y1="${box.top}" y2="${box.bottom}"/>`);
    labels.push(`<text x="${px}" y="${box.bottom + 13}" text-anchor="middle">${esc(fmt(t))}</text>`);
  }
  parts.push('</g>', ...labels);
  return parts.join('');
}

/** A value axis on the left of `box` with horizontal gridlines; `format` labels the ticks. */
export function valueAxis(
  y: ScaleLinear<number, number>,
  box: Box,
  format: (v: number) => string = fmtMs,
  ticks = 5,
): string {
  const parts: string[] = ['<g class="grid">'];
  const labels: string[] = [];
  for (const v of y.ticks(ticks)) {
    const py = n1(y(v));
    parts.push(`<line x1="${box.left}" x2="${box.right}" y1="${py}" y2="${py}"/>`);
    labels.push(`<text x="${box.left - 4}" y="${py}" dy="3.5" text-anchor="end">${esc(format(v))}</text>`);
  }
  parts.push('</g>', ...labels);
  return parts.join('');
}

/** UTC labels at the precision the tick step needs (the header says the date; a multi-day run adds it). */
export function utcTickFormat(stepMs: number, spanMs: number): (d: Date) => string {
  return (d) => {
    const iso = d.toISOString();
    const time = stepMs < 1000 ? iso.slice(11, 21) : stepMs < 60_000 ? iso.slice(11, 19) : iso.slice(11, 16);
    return spanMs > 36 * 3600_000 ? `${iso.slice(5, 10)} ${time}` : time;
  };
}
