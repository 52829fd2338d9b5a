/**
 * Small pure helpers for hand-written SVG/HTML: escaping, number and time formatting, and the chart frame that
 * gives every chart a title, a description (its text alternative) and a role screen readers understand
 * (WAI-ARIA graphics: https://www.w3.org/TR/graphics-aria-1.0/#graphics-document; SVG <title>/<desc>:
 * https://www.w3.org/TR/SVG2/struct.html#DescriptionAndTitleElements).
 */
import { formatDuration } from '../../config/units.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML/SVG content and attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (ch) => ESC[ch] ?? ch);
}

/** Coordinates with one decimal: enough for a 1000-unit viewBox, and it keeps big files small. */
export const n1 = (v: number): string => (Math.round(v * 10) / 10).toString();

export const fmtMs = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? '—' : ms === 0 ? '0 s' : formatDuration(ms);

/** UTC wall clock to the second, the way the text report prints times. */
export const fmtTime = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

export interface ChartFrame {
  /** Unique in the page: ids for aria-labelledby. */
  id: string;
  title: string;
  /** The text alternative: what the chart shows, in sentences, with its key numbers. */
  alt: string;
  width: number;
  height: number;
  body: string;
  /** Optional legend entries: [css class of the swatch, label]. */
  legend?: Array<[string, string]>;
}

/** A <figure> with the SVG, its <title>/<desc>, a visible caption and an optional legend. */
export function chart(f: ChartFrame): string {
  const legend = f.legend?.length
    ? `<ul class="legend">${f.legend.map(([cls, label]) => `<li><span class="sw ${esc(cls)}"></span>${esc(label)}</li>`).join('')}</ul>`
    : '';
  return (
    `<figure class="chart" id="${esc(f.id)}"><figcaption><h3>${esc(f.title)}</h3></figcaption>${legend}` +
    `<svg viewBox="0 0 ${f.width} ${f.height}" role="img" aria-labelledby="${esc(f.id)}-t ${esc(f.id)}-d" preserveAspectRatio="xMinYMin meet">` +
    `<title id="${esc(f.id)}-t">${esc(f.title)}</title><desc id="${esc(f.id)}-d">${esc(f.alt)}</desc>${f.body}</svg>` +
    `<p class="alt">${esc(f.alt)}</p></figure>`
  );
}

/** An empty-state block in place of a chart that has no data (never an empty picture that looks like "all fine"). */
export function noData(id: string, title: string, why: string): string {
  return `<figure class="chart nodata" id="${esc(id)}"><figcaption><h3>${esc(title)}</h3></figcaption><p class="alt">${esc(why)}</p></figure>`;
}
