/**
 * `--html FILE` for soak, report, probe and analyze: declared once here and composed into each command (like
 * withConnectionOptions). The renderers (report/html/*) are pure and imported only when the option is used.
 */
import { writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import type { SoakEvent } from '../analyze/soak/events.js';
import type { Report } from '../report/model.js';
import type { SoakData } from '../report/build-soak.js';
import type { ProbeData } from '../report/build-probe.js';
import type { AnalyzeData } from '../report/build-analyze.js';
import { connectedRecorder } from '../report/html/terminal-spark.js';

export interface HtmlArgs {
  html: string | undefined;
}

export function withHtmlOption<T>(y: Argv<T>): Argv<T & HtmlArgs> {
  return y.option('html', {
    type: 'string',
    describe: 'Also write a self-contained HTML report (charts, opens offline) to this file',
  }) as unknown as Argv<T & HtmlArgs>;
}

/** Write the page through the output's redactor (a registered secret never reaches the file). */
export function writeHtml(path: string, html: string, out: { redact(text: string): string }): void {
  try {
    writeFileSync(path, out.redact(html));
  } catch (err) {
    throw new UsageError(
      `--html ${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'check the directory exists and is writable',
    );
  }
}

/**
 * What a live soak keeps for its pictures: connect/disconnect changes for the text report's strip always, every
 * event only when --html asked for the page (the same events `--out` writes, so `report --html` draws the same).
 */
export function soakPictures(htmlPath: string | undefined) {
  const events: SoakEvent[] | undefined = htmlPath !== undefined ? [] : undefined;
  const connected = connectedRecorder();
  return {
    onEvent(ev: SoakEvent): void {
      connected.onEvent(ev);
      events?.push(ev);
    },
    strip: (fromMs: number, toMs: number, clients: number): string => connected.strip(fromMs, toMs, clients),
    async writeHtml(report: Report<SoakData>, out: { redact(text: string): string }): Promise<void> {
      if (htmlPath === undefined || !events) return;
      const { soakHtmlInput } = await import('../report/html/soak-data.js');
      const { renderSoakHtml } = await import('../report/html/soak.js');
      writeHtml(htmlPath, renderSoakHtml(soakHtmlInput(report, events)), out);
    },
  };
}

/** `report FILE… --html`: the page from the events the report was built from (merged shards: the whole run). */
export async function writeSoakHtmlFromEvents(
  htmlPath: string | undefined,
  report: Report<SoakData>,
  events: readonly SoakEvent[],
  out: { redact(text: string): string },
): Promise<void> {
  if (htmlPath === undefined) return;
  const { soakHtmlInput } = await import('../report/html/soak-data.js');
  const { renderSoakHtml } = await import('../report/html/soak.js');
  writeHtml(htmlPath, renderSoakHtml(soakHtmlInput(report, events)), out);
}

export async function writeProbeHtml(
  htmlPath: string | undefined,
  report: Report<ProbeData>,
  out: { redact(text: string): string },
): Promise<void> {
  if (htmlPath === undefined) return;
  const { probeHtmlInput, renderProbeHtml } = await import('../report/html/probe.js');
  writeHtml(htmlPath, renderProbeHtml(probeHtmlInput(report)), out);
}

export async function writeAnalyzeHtml(
  htmlPath: string | undefined,
  report: Report<AnalyzeData>,
  out: { redact(text: string): string },
): Promise<void> {
  if (htmlPath === undefined) return;
  const { analyzeHtmlInput, renderAnalyzeHtml } = await import('../report/html/analyze.js');
  writeHtml(htmlPath, renderAnalyzeHtml(analyzeHtmlInput(report)), out);
}
