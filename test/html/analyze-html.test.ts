/**
 * `analyze --html` on captures recorded by test/analyze/faults*.test.ts (fixtures/captures/), opened in Debian's
 * chromium: no console error, no request, lanes = connections, one end mark per connection, a non-blank page.
 * The first capture runs the built CLI as a process (`analyze --html` as a user runs it), the second in-process
 * through main (what is checked is the page); the two run at once, each waiting on the browser.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli, runMain } from '../helpers/cli.js';
import { launch, openReport, type Chromium } from './browser.js';

const dir = mkdtempSync(join(tmpdir(), 'mqd-html-analyze-'));
const F = (name: string): string => new URL(`../../fixtures/captures/${name}`, import.meta.url).pathname;
let browser: Chromium;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

interface AnalyzeDoc {
  data: { connections: Array<{ id: number; cause: string; events: Array<{ kind: string }> }> };
}

test.concurrent.each(['takeover.pcap.gz', 'nat-idle-reset.pcap'])(
  'analyze %s --html: a lane and an end per connection, offline',
  async (name) => {
    const html = join(dir, `${name}.html`);
    const args = ['analyze', F(name), '--json', '--html', html];
    const r = name === 'takeover.pcap.gz' ? await runCli(args, { timeoutMs: 30_000 }) : await runMain(args);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as AnalyzeDoc;
    const conns = doc.data.connections;
    expect(conns.length).toBeGreaterThan(1);
    expect(readFileSync(html, 'utf8')).toContain('<svg');

    const o = await openReport(browser, html);
    try {
      expect(o.consoleErrors).toEqual([]);
      expect(o.foreignRequests).toEqual([]);
      expect(await o.count('#timeline g.lane')).toBe(conns.length);
      expect(await o.count('#timeline .end-mark')).toBe(conns.length);
      for (const c of conns)
        expect(await o.count(`#timeline g.lane[data-conn="${c.id}"] .end-mark.ae-${c.cause}`)).toBe(1);
      const closes = conns.reduce((n, c) => n + c.events.filter((e) => e.kind === 'fin' || e.kind === 'rst').length, 0);
      expect(await o.count('#timeline svg .am-fin, #timeline svg .am-rst')).toBe(closes);
      expect(await o.page.locator('figure.chart svg > desc').count()).toBe(
        await o.page.locator('figure.chart svg').count(),
      );
      // The lanes are drawn inside the chart, not collapsed: the timeline is as tall as its lanes.
      const box = await o.page.locator('#timeline svg').boundingBox();
      expect(box!.height).toBeGreaterThan(conns.length * 20);
      for (const dark of [false, true]) {
        const shot = await o.screenshot(join(dir, `${name}${dark ? '-dark' : ''}.png`), { dark });
        expect(shot.variance).toBeGreaterThan(100);
      }
    } finally {
      await o.close();
    }
  },
  // Both cases share the CPU with each other's page: the bound is for the two at once.
  60_000,
);
