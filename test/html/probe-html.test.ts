/**
 * The probe HTML report of a real probe through the impair proxy (added latency, and stalls longer than the
 * reply timeout so some probes are lost), opened in Debian's chromium; and the text report's RTT sparkline.
 * The two probes are processes of their own with their own embedded broker and proxy: they run at once.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { launch, openReport, type Chromium } from './browser.js';

const dir = mkdtempSync(join(tmpdir(), 'mqd-html-probe-'));
const SECRET = 's3cr3t-pw-html';
const IMPAIR = 'latency=15ms,stall=25%:400ms';
let browser: Chromium;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

interface ProbeDoc {
  data: {
    phases: { tcp?: { ms: number }; connack?: { ms: number }; dns?: { literal: boolean } };
    samples: Array<{ seq: number; rttMs: number | null }>;
    rtt: { sent: number; received: number; lost: number };
  };
}

test.concurrent('probe --html: waterfall to scale, one dot per reply and one mark per lost probe, offline, no secret', async () => {
  const html = join(dir, 'probe.html');
  const r = await runCli(
    [
      'probe',
      '--embedded',
      '-u',
      'dev',
      '--impair',
      IMPAIR,
      '-c',
      '16',
      '-i',
      '80ms',
      '-W',
      '250ms',
      '--json',
      '--html',
      html,
    ],
    {
      timeoutMs: 30_000,
      env: { MQTT_DOCTOR_PASSWORD: SECRET },
    },
  );
  expect([0, 1]).toContain(r.code);
  const doc = JSON.parse(r.stdout) as ProbeDoc;
  const answered = doc.data.samples.filter((s) => s.rttMs !== null).length;
  const lost = doc.data.samples.length - answered;
  expect(lost).toBe(doc.data.rtt.lost);
  const page = readFileSync(html, 'utf8');
  expect(page).not.toContain(SECRET);
  expect(page).toContain('dev:***@');

  const o = await openReport(browser, html);
  try {
    expect(o.consoleErrors).toEqual([]);
    expect(o.foreignRequests).toEqual([]);
    expect(await o.count('#rtt circle.rttdot')).toBe(answered);
    expect(await o.count('#rtt .mark-lost')).toBe(lost);
    // To scale: bar widths are in the ratio of the phase times (TCP, CONNACK; the host is an IP literal, no DNS).
    const widths = await o.page
      .locator('#waterfall rect.phase')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('width'))));
    const ms = [doc.data.phases.tcp!.ms, doc.data.phases.connack!.ms];
    expect(widths).toHaveLength(2);
    const pxPerMs = (widths[0]! + widths[1]!) / (ms[0]! + ms[1]!);
    ms.forEach((m, i) => expect(Math.abs(widths[i]! - Math.max(1.5, m * pxPerMs))).toBeLessThan(1.5));
    expect(await o.page.locator('figure.chart svg > desc').count()).toBe(
      await o.page.locator('figure.chart svg').count(),
    );
    const shot = await o.screenshot(join(dir, 'probe.png'));
    expect(shot.variance).toBeGreaterThan(100);
  } finally {
    await o.close();
  }
});

test.concurrent('probe text report: one sparkline character per probe, × for each lost one', async () => {
  const r = await runCli(['probe', '--embedded', '--impair', IMPAIR, '-c', '12', '-i', '80ms', '-W', '250ms'], {
    timeoutMs: 30_000,
  });
  const line = r.stdout.split('\n').find((l) => l.includes('per probe'));
  const sent = /sent \/ received +(\d+) \/ (\d+)/.exec(r.stdout);
  expect(line).toBeDefined();
  expect(sent).not.toBeNull();
  const spark = line!.trim().split(/\s+/).pop()!;
  expect([...spark]).toHaveLength(12);
  expect([...spark].filter((ch) => ch === '×')).toHaveLength(Number(sent![1]) - Number(sent![2]));
});
