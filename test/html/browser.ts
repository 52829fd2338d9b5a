/**
 * Open an HTML report in Debian's headless chromium (driven by playwright-core) and report what a reader's
 * browser would see: console errors, every request that is not the file itself or a data: URL, element
 * counts, and a screenshot with its pixel variance (a blank page has none).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Opened {
  consoleErrors: string[];
  /** Requests to anything but the report file and data: URLs (each one is a defect: the page must work offline). */
  foreignRequests: string[];
  count(selector: string): Promise<number>;
  page: Page;
  /** Screenshot (PNG) and the variance of its grey levels, measured in the browser on a canvas. */
  screenshot(path: string, opts?: { dark?: boolean }): Promise<{ variance: number; width: number; height: number }>;
  close(): Promise<void>;
}

export interface Chromium {
  ctx: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a new, empty profile directory (removed on close). */
export async function launch(): Promise<Chromium> {
  const dir = mkdtempSync(join(tmpdir(), 'mqd-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1150, height: 900 },
  });
  return {
    ctx,
    close: async () => {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function openReport(c: Chromium, file: string): Promise<Opened> {
  const ctx = c.ctx;
  const page = await ctx.newPage();
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  const own = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    if (url === own || url.startsWith('data:')) return route.continue();
    foreignRequests.push(url);
    return route.abort();
  });
  await page.goto(own, { waitUntil: 'load' });
  return {
    consoleErrors,
    foreignRequests,
    page,
    count: (selector) => page.locator(selector).count(),
    async screenshot(path, opts = {}) {
      await page.emulateMedia({ colorScheme: opts.dark ? 'dark' : 'light' });
      const png = await page.screenshot({ path, fullPage: true });
      const probe = await ctx.newPage();
      try {
        await probe.setContent('<canvas id="c"></canvas>');
        // Runs in the page (the test project has no DOM types): decode the PNG on a canvas, grey-level variance.
        return (await probe.evaluate(`(async (b64) => {
          const img = new Image();
          img.src = 'data:image/png;base64,' + b64;
          await img.decode();
          const c = document.getElementById('c');
          c.width = img.width;
          c.height = img.height;
          const g = c.getContext('2d');
          g.drawImage(img, 0, 0);
          const d = g.getImageData(0, 0, img.width, img.height).data;
          let sum = 0, sq = 0;
          const n = d.length / 4;
          for (let i = 0; i < d.length; i += 4) {
            const v = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
            sum += v;
            sq += v * v;
          }
          const mean = sum / n;
          return { variance: sq / n - mean * mean, width: img.width, height: img.height };
        })(${JSON.stringify(png.toString('base64'))})`)) as { variance: number; width: number; height: number };
      } finally {
        await probe.close();
      }
    },
    close: () => page.close(),
  };
}
