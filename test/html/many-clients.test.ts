/**
 * More clients than lanes: the page shows "clients connected over time" and the worst 50 clients' lanes in
 * full (dense lanes as one counted path), and still opens offline without errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { buildSoakFromFile } from '../../src/report/build-soak.js';
import { soakHtmlInput } from '../../src/report/html/soak-data.js';
import { renderSoakHtml } from '../../src/report/html/soak.js';
import { launch, openReport } from './browser.js';
import { syntheticSoak } from './synthetic.js';

test('300 clients over 6 h: 50 lanes, the connected band, every shown disconnect marked', async () => {
  const syn = syntheticSoak(300, 6 * 3600_000, 3);
  const input = soakHtmlInput(buildSoakFromFile(syn.text, 'synthetic.jsonl', {}, 'test'), syn.events);
  const file = join(mkdtempSync(join(tmpdir(), 'mqd-html-many-')), 'many.html');
  writeFileSync(file, renderSoakHtml(input));
  const shownDisconnects = input.lanes.reduce((a, l) => a + l.disconnects, 0);
  expect(shownDisconnects).toBeLessThan(input.disconnects);

  const c = await launch();
  try {
    const o = await openReport(c, file);
    expect(o.consoleErrors).toEqual([]);
    expect(o.foreignRequests).toEqual([]);
    expect(await o.count('#timeline g.lane')).toBe(50);
    expect(await o.count('#connected svg')).toBe(1);
    const drawn = await o.page.locator('#timeline .mark-disconnect').evaluateAll((els) => els.reduce((a, e) => a + Number(e.getAttribute('data-n') ?? 1), 0));
    expect(drawn).toBe(shownDisconnects);
    expect(await o.page.locator('#timeline svg > desc').textContent()).toContain(`${shownDisconnects} of the ${input.disconnects} disconnects`);
    expect((await o.screenshot(file.replace(/\.html$/, '.png'))).variance).toBeGreaterThan(100);
  } finally {
    await c.close();
  }
});
