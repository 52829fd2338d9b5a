/**
 * The soak HTML report of a real run: three clients against the embedded aedes broker through the impair
 * proxy with a NAT that forgets idle flows (nat-idle shorter than the gap between messages, so flows keep
 * being reset), and the broker restarted mid-run on the same port. The page is rendered from the JSONL by
 * `report --html` (the built CLI) and opened in Debian's chromium. Also: the live `soak --html` page equals the
 * one drawn from its file, and a synthetic 300-client run shows the connected band plus the worst 50 lanes.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/lab/embedded-broker.js';
import { startImpairProxy, type ImpairProxy } from '../../src/lab/impair/proxy.js';
import { parseImpairSpec } from '../../src/config/impair.js';
import { buildSoakFromFile } from '../../src/report/build-soak.js';
import { soakHtmlInput } from '../../src/report/html/soak-data.js';
import { renderSoakHtml } from '../../src/report/html/soak.js';
import { VERSION } from '../../src/version.js';
import { syntheticSoak } from './synthetic.js';
import { runCli } from '../helpers/cli.js';
import { soakAgainst, until } from '../soak/helpers.js';
import { launch, openReport, type Chromium } from './browser.js';

/** Marks drawn: one per element, or data-n for a dense lane drawn as one path. */
const marks = (page: Page, selector: string): Promise<number> =>
  page.locator(selector).evaluateAll((els) => els.reduce((a, e) => a + Number(e.getAttribute('data-n') ?? 1), 0));

const dir = mkdtempSync(join(tmpdir(), 'mqd-html-soak-'));
const CLIENTS = 3;
let browser: Chromium;
let launching: Promise<unknown> | undefined;
let jsonl: string;
let text: string;

beforeAll(async () => {
  // The browser starts while the run below waits on its broker and proxy.
  launching = launch().then((b) => (browser = b));
  let broker: EmbeddedBroker | undefined = await startEmbeddedBroker();
  const port = broker.port;
  const proxy: ImpairProxy = await startImpairProxy({
    targetHost: '127.0.0.1',
    targetPort: port,
    faults: parseImpairSpec('nat-idle=600ms,nat-mode=reset'),
  });
  try {
    // 1 message/s per client: each flow is idle ~1 s between messages, longer than the NAT's 600 ms.
    const h = await soakAgainst(`mqtt://127.0.0.1:${proxy.port}`, {
      clients: CLIENTS,
      qos: 1,
      ratePerS: 1,
      reconnect: 'fixed:300ms',
      checkpointMs: 500,
      drainMs: 500,
    });
    await until(
      () => h.events.filter((e) => e.type === 'disconnect').length >= CLIENTS,
      15_000,
      'NAT expiry disconnects',
    );
    // Each step waits for what it is there to produce, in the run's own events: a refused retry of every client
    // while the broker is away, then every client back and cut again by the NAT.
    const since = (from: number, type: string) =>
      new Set(h.events.slice(from).flatMap((e) => (e.type === type && 'client' in e ? [e.client] : []))).size;
    const closedAt = h.events.length;
    await broker.close();
    broker = undefined;
    await until(() => since(closedAt, 'connect-failed') >= CLIENTS, 15_000, 'a refused retry of every client');
    broker = await startEmbeddedBroker({ port });
    const restartedAt = h.events.length;
    await until(() => since(restartedAt, 'connect') >= CLIENTS, 15_000, 'every client back');
    const backAt = h.events.length;
    await until(() => since(backAt, 'disconnect') >= CLIENTS, 15_000, 'every client cut by the NAT again');
    h.abort.abort();
    await h.run.done;
    jsonl = join(dir, 'soak.jsonl');
    text = h.events.map((e) => JSON.stringify(e)).join('\n') + '\n';
    writeFileSync(jsonl, text);
  } finally {
    await proxy.close();
    await broker?.close();
  }
  await launching;
}, 60_000);

afterAll(async () => {
  await launching?.catch(() => undefined);
  await browser?.close();
});

describe('soak --html from a real run with a NAT-idle loop and a broker restart', () => {
  test('report --html writes the page; chromium shows it offline with one lane per client and every disconnect marked', async () => {
    const html = join(dir, 'report.html');
    const r = await runCli(['report', jsonl, '--html', html, '--json'], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as {
      data: {
        summary: {
          clients: number;
          connections: { disconnects: number; connectFailures: number; byCause: Record<string, number> };
        };
      };
    };
    const c = report.data.summary.connections;
    // Ground truth of the run: the NAT loop and the restart both cost connections, and the restart refused retries.
    expect(c.disconnects).toBeGreaterThanOrEqual(CLIENTS * 2);

    const o = await openReport(browser, html);
    try {
      expect(o.consoleErrors).toEqual([]);
      expect(o.foreignRequests).toEqual([]);
      expect(await o.count('#timeline g.lane')).toBe(CLIENTS);
      expect(await marks(o.page, '#timeline .mark-disconnect')).toBe(c.disconnects);
      expect(await marks(o.page, '#timeline .mark-failed')).toBe(c.connectFailures);
      // Bars by cause: one per cause, with the report's counts.
      const bars = await o.page.locator('#causes rect title').allTextContents();
      expect(bars).toHaveLength(Object.keys(c.byCause).length);
      // Every chart has a title and a text alternative.
      const charts = await o.page.locator('figure.chart svg').count();
      expect(charts).toBeGreaterThanOrEqual(5);
      expect(await o.page.locator('figure.chart svg > title').count()).toBe(charts);
      for (const d of await o.page.locator('figure.chart svg > desc').allTextContents())
        expect(d.length).toBeGreaterThan(20);
      expect(await o.count('script')).toBe(0);
      const shot = await o.screenshot(join(dir, 'soak.png'));
      const dark = await o.screenshot(join(dir, 'soak-dark.png'), { dark: true });
      // A blank page has no variance at all; charts on a plain background have plenty.
      expect(shot.variance).toBeGreaterThan(100);
      expect(dark.variance).toBeGreaterThan(100);
      // Dark mode really switches the background (prefers-color-scheme); print goes back to white paper.
      expect(await o.page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(20, 23, 27)');
      await o.page.emulateMedia({ media: 'print', colorScheme: 'dark' });
      expect(await o.page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(255, 255, 255)');
    } finally {
      await o.close();
    }
  });

  test('the CLI page is the pure renderer applied to the same file (report --html adds nothing of its own)', async () => {
    const html = join(dir, 'report2.html');
    const r = await runCli(['report', jsonl, '--html', html], { timeoutMs: 30_000 });
    expect(r.code).not.toBeNull();
    const report = buildSoakFromFile(text, jsonl, {}, VERSION);
    const events = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as never);
    expect(readFileSync(html, 'utf8')).toBe(renderSoakHtml(soakHtmlInput(report, events)));
    // The text report carries the connected-clients strip.
    expect(r.stdout).toMatch(/connected over time +[ ▁▂▃▄▅▆▇█]+ (lowest \d+\/3|all 3|never all)/);
  });
});

test('soak --html (live) draws the same charts as report --html of its --out file', async () => {
  const live = join(dir, 'live.html');
  const out = join(dir, 'live.jsonl');
  const r = await runCli(
    [
      'soak',
      '--embedded',
      '-u',
      'dev',
      '-n',
      '2',
      '-d',
      '4s',
      '--rate',
      '1/s',
      '--checkpoint',
      '1s',
      '--reconnect',
      'fixed:300ms',
      '--impair',
      'nat-idle=600ms,nat-mode=reset',
      '--out',
      out,
      '--html',
      live,
    ],
    { timeoutMs: 40_000, env: { MQTT_DOCTOR_PASSWORD: 'soak-s3cret-html' } },
  );
  expect(r.code).toBe(0);
  expect(readFileSync(live, 'utf8')).not.toContain('soak-s3cret-html');
  expect(r.stdout).toMatch(/connected over time +[ ▁▂▃▄▅▆▇█]+ /);
  const fromFile = join(dir, 'from-file.html');
  await runCli(['report', out, '--html', fromFile], { timeoutMs: 30_000 });
  const figures = (html: string) =>
    [...html.matchAll(/<figure class="chart[^"]*" id="([^"]+)">[\s\S]*?<\/figure>/g)].map((m) => [m[1], m[0]]);
  const a = figures(readFileSync(live, 'utf8'));
  expect(a.map(([id]) => id)).toEqual([
    'connected',
    'timeline',
    'latency',
    'messages',
    'causes',
    'reconnect-hist',
    'connected-hist',
  ]);
  expect(a).toEqual(figures(readFileSync(fromFile, 'utf8')));
});

test('300 clients over 6 h: 50 lanes, the connected band, every shown disconnect marked', async () => {
  const syn = syntheticSoak(300, 6 * 3600_000, 3);
  const input = soakHtmlInput(buildSoakFromFile(syn.text, 'synthetic.jsonl', {}, 'test'), syn.events);
  const file = join(mkdtempSync(join(tmpdir(), 'mqd-html-many-')), 'many.html');
  writeFileSync(file, renderSoakHtml(input));
  const shownDisconnects = input.lanes.reduce((a, l) => a + l.disconnects, 0);
  expect(shownDisconnects).toBeLessThan(input.disconnects);

  const o = await openReport(browser, file);
  try {
    expect(o.consoleErrors).toEqual([]);
    expect(o.foreignRequests).toEqual([]);
    expect(await o.count('#timeline g.lane')).toBe(50);
    expect(await o.count('#connected svg')).toBe(1);
    const drawn = await o.page
      .locator('#timeline .mark-disconnect')
      .evaluateAll((els) => els.reduce((a, e) => a + Number(e.getAttribute('data-n') ?? 1), 0));
    expect(drawn).toBe(shownDisconnects);
    expect(await o.page.locator('#timeline svg > desc').textContent()).toContain(
      `${shownDisconnects} of the ${input.disconnects} disconnects`,
    );
    expect((await o.screenshot(file.replace(/\.html$/, '.png'))).variance).toBeGreaterThan(100);
  } finally {
    await o.close();
  }
});
