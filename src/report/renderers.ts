/**
 * Output formats as a table: a renderer is a function from the report model to text, chosen once by name at
 * the edge (ui/output.ts for stdout; `--junit FILE` writes the junit one). A new format is one module plus
 * one row here and, if it needs one, one option: the HTML renderer (report/render-html*) goes in as `html`.
 */
import type { Report } from './model.js';
import { renderJson, renderJsonPieces } from './render-json.js';
import { renderJunit } from './render-junit.js';
import { renderText } from './render-text.js';

export interface RenderOptions {
  /** chalk level for the text renderer (0 when NO_COLOR, --no-color, not a TTY, or a file). */
  colorLevel: 0 | 1 | 2 | 3;
  /** Terminal width for tables. */
  width?: number;
}

export type Renderer = (report: Report, opts: RenderOptions) => string;

export const RENDERERS = {
  text: (report, opts) =>
    renderText(report, { colorLevel: opts.colorLevel, ...(opts.width ? { width: opts.width } : {}) }),
  json: (report) => renderJson(report),
  junit: (report) => renderJunit(report),
} satisfies Record<string, Renderer>;

export type FormatName = keyof typeof RENDERERS;

export const FORMATS = Object.keys(RENDERERS) as FormatName[];

export function rendererFor(format: FormatName): Renderer {
  return RENDERERS[format];
}

/** Formats that can also be written in pieces (same text): a very large report never becomes one string. */
export const PIECEWISE: Partial<Record<FormatName, (report: Report) => Iterable<string>>> = {
  json: renderJsonPieces,
};
