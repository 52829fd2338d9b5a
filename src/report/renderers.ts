/**
 * Output formats as a table: a renderer is a function from the report model to text, chosen once by name at
 * the edge (ui/output.ts for stdout; `--junit FILE` writes the junit one). A new format is one module plus
 * one row here and, if it needs one, one option: the HTML renderer (report/render-html*) goes in as `html`.
 *
 * Each row loads its module when its format is picked, not before: a text report does not read the JSON or
 * JUnit code, and `--json` does not load chalk or cli-table3 (start-up is most of a one-line explain-error).
 */
import type { Report } from './model.js';

export interface RenderOptions {
  /** chalk level for the text renderer (0 when NO_COLOR, --no-color, not a TTY, or a file). */
  colorLevel: 0 | 1 | 2 | 3;
  /** Terminal width for tables. */
  width?: number;
}

export type Renderer = (report: Report, opts: RenderOptions) => string;

/** A format ready to use: the whole text, and for some formats the same text in pieces. */
export interface LoadedRenderer {
  render: Renderer;
  /** The same text in pieces (a very large report never becomes one string). */
  pieces?: (report: Report) => Iterable<string>;
}

export const RENDERERS = {
  text: async () => {
    const { renderText } = await import('./render-text.js');
    return {
      render: (report, opts) =>
        renderText(report, { colorLevel: opts.colorLevel, ...(opts.width ? { width: opts.width } : {}) }),
    };
  },
  json: async () => {
    const { renderJson, renderJsonPieces } = await import('./render-json.js');
    return { render: (report) => renderJson(report), pieces: renderJsonPieces };
  },
  junit: async () => {
    const { renderJunit } = await import('./render-junit.js');
    return { render: (report) => renderJunit(report) };
  },
} satisfies Record<string, () => Promise<LoadedRenderer>>;

export type FormatName = keyof typeof RENDERERS;

export const FORMATS = Object.keys(RENDERERS) as FormatName[];

/** The format's renderer, its module loaded on first use. */
export function loadRenderer(format: FormatName): Promise<LoadedRenderer> {
  return RENDERERS[format]();
}
