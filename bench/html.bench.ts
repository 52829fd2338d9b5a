/**
 * HTML report of a 10,000-client, 24-hour soak (synthetic event stream, see test/html/synthetic.ts): file size
 * (target < 5 MB), time to render it (ratio against building the text report from the same file, the work
 * `report` does anyway), and, when Debian's chromium is installed, time for the browser to load and paint it
 * (target < 2 s; baseline: the same browser loading a one-client page).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseSoakLines } from '../src/analyze/soak/events.js';
import { buildSoakFromFile } from '../src/report/build-soak.js';
import { soakHtmlInput } from '../src/report/html/soak-data.js';
import { renderSoakHtml } from '../src/report/html/soak.js';
import { syntheticSoak } from '../test/html/synthetic.js';
import { CHROMIUM, launch, openReport } from '../test/html/browser.js';
import type { BenchResult } from './run.js';

function render(text: string): { html: string; buildMs: number; renderMs: number } {
  const t0 = performance.now();
  const report = buildSoakFromFile(text, 'synthetic.jsonl', {}, 'bench');
  const t1 = performance.now();
  const html = renderSoakHtml(soakHtmlInput(report, parseSoakLines(text).events));
  const t2 = performance.now();
  return { html, buildMs: t1 - t0, renderMs: t2 - t1 };
}

export default async function bench(): Promise<BenchResult[]> {
  const big = syntheticSoak(10_000, 24 * 3600_000);
  const small = syntheticSoak(1, 3600_000);
  render(small.text); // warm up modules and JIT
  const r = render(big.text);
  const mb = Buffer.byteLength(r.html) / 1e6;
  const results: BenchResult[] = [
    {
      name: 'html 10k clients 24h',
      metric: 'file size (MB)',
      value: mb,
      baseline: Buffer.byteLength(big.text) / 1e6,
      baselineName: 'its JSONL (MB)',
      ratio: mb / (Buffer.byteLength(big.text) / 1e6),
      targetValue: 5,
      notes: `${big.events.length} events, ${big.disconnects} disconnects`,
    },
    {
      name: 'html 10k clients 24h',
      metric: 'render (ms)',
      value: r.renderMs,
      baseline: r.buildMs,
      baselineName: 'text report from the same file (ms)',
      ratio: r.renderMs / r.buildMs,
    },
  ];
  if (existsSync(CHROMIUM)) {
    const dir = mkdtempSync(join(tmpdir(), 'mqd-bench-html-'));
    const bigFile = join(dir, 'big.html');
    const smallFile = join(dir, 'small.html');
    writeFileSync(bigFile, r.html);
    writeFileSync(smallFile, render(small.text).html);
    const c = await launch();
    try {
      // The browser's own navigation timing (load event end), so page set-up in the driver is not counted.
      const openMs = async (file: string) => {
        const o = await openReport(c, file);
        await o.page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
        const ms = Number(await o.page.evaluate('performance.getEntriesByType("navigation")[0].loadEventEnd'));
        await o.close();
        return ms;
      };
      await openMs(smallFile);
      const base = await openMs(smallFile);
      const open = await openMs(bigFile);
      results.push({
        name: 'html 10k clients 24h',
        metric: 'chromium load event (ms)',
        value: open,
        baseline: base,
        baselineName: 'one-client page (ms)',
        ratio: open / base,
        targetValue: 2000,
      });
    } finally {
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}
