/**
 * `analyze --html` draws one mark per MQTT packet: on real captures (fixtures/captures/, recorded by
 * test/analyze/faults*.test.ts) the marks on the page equal the packets tshark decodes in the same file; on a
 * connection with more packets than are listed, the page says the marks were thinned and the shaded counts
 * make up the difference. Opened in Debian's chromium.
 *
 * analyze runs in-process through main (what is checked is the page, not the process), tshark runs beside it
 * (not blocking the worker), and the cases run at once: each waits on tshark and the browser far more than it
 * computes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Packet } from 'mqtt-packet';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MARK_HEAD, MARK_TAIL } from '../../src/analyze/capture/marks.js';
import { Conv, LINKTYPE, pcapFile, records } from '../analyze/synth.js';
import { HAS_TSHARK, tsharkCountsAsync } from '../analyze/record.js';
import { runMain } from '../helpers/cli.js';
import { launch, openReport, type Chromium } from './browser.js';

const dir = mkdtempSync(join(tmpdir(), 'mqd-html-marks-'));
const F = (name: string): string => new URL(`../../fixtures/captures/${name}`, import.meta.url).pathname;
let browser: Chromium;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

interface Doc {
  data: {
    connections: Array<{ server: string; transport: string; marks: { total: number; listed: number } }>;
  };
}

async function analyzeHtml(file: string, name: string): Promise<{ doc: Doc; html: string }> {
  const html = join(dir, `${name}.html`);
  const r = await runMain(['analyze', file, '--json', '--html', html]);
  expect(r.code === 0 || r.code === 1, r.stderr).toBe(true);
  return { doc: JSON.parse(r.stdout) as Doc, html };
}

const serverPorts = (d: Doc): number[] => [
  ...new Set(d.data.connections.map((c) => Number(c.server.split(':').pop()))),
];
const sum = (d: Doc, k: 'total' | 'listed'): number => d.data.connections.reduce((n, c) => n + c.marks[k], 0);

test.concurrent.each(['blackhole.pcap', 'takeover.pcap', 'nat-idle-reset.pcap', 'keepalive-cut.pcap'])(
  'real capture %s: one mark per MQTT packet, as many as tshark decodes',
  async (name) => {
    const { doc, html } = await analyzeHtml(F(name), name);
    const total = sum(doc, 'total');
    // tshark needs the ports analyze found; it reads the file while the browser draws the page.
    const tshark = HAS_TSHARK ? tsharkCountsAsync(F(name), serverPorts(doc)) : undefined;
    expect(total).toBeGreaterThan(0);
    expect(sum(doc, 'listed')).toBe(total);
    const o = await openReport(browser, html);
    try {
      expect(o.consoleErrors).toEqual([]);
      expect(await o.count('#timeline .pm')).toBe(total);
      expect(await o.count('#timeline .pm-mid')).toBe(0);
      expect(await o.page.locator('.marks-note').getAttribute('data-thinned')).toBe('0');
      // Hover text names the packet and its sender.
      const tip = await o.page.locator('#timeline .pm > title').first().textContent();
      expect(tip).toMatch(/^\+.*: [A-Z]+ from the (client|server)$/);
    } finally {
      await o.close();
    }
    if (tshark) expect((await tshark).mqtt).toBe(total);
  },
  // Five cases share the CPU with each other's tshark and pages: the bound is for all of them at once.
  90_000,
);

test.concurrent('a connection with more packets than are listed: the page says the marks are thinned', async () => {
  const pubs = 60;
  const c = new Conv({ ip: '10.0.0.2', port: 40001 }, { ip: '10.0.0.1', port: 1883 }, 1_764_000_000_000).handshake();
  c.mqtt('c', {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'busy',
    keepalive: 60,
    clean: true,
  } as Packet);
  c.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
  for (let k = 1; k <= pubs; k++) {
    c.mqtt(
      'c',
      {
        cmd: 'publish',
        topic: 't',
        payload: Buffer.from('x'),
        qos: 1,
        messageId: k,
        retain: false,
        dup: false,
      } as Packet,
      100,
    );
    c.mqtt('s', { cmd: 'puback', messageId: k } as Packet, 1);
  }
  c.mqtt('c', { cmd: 'disconnect' } as Packet, 10);
  c.fin('c');
  c.fin('s');
  const file = join(dir, 'busy.pcap');
  writeFileSync(file, pcapFile(LINKTYPE.ethernet, records('ethernet', c.segs)));
  const tshark = HAS_TSHARK ? tsharkCountsAsync(file, [1883]) : undefined;
  const { doc, html } = await analyzeHtml(file, 'busy');
  const packets = 2 + 2 * pubs + 1;
  expect(sum(doc, 'total')).toBe(packets);
  if (tshark) expect((await tshark).mqtt).toBe(packets);
  expect(sum(doc, 'listed')).toBe(MARK_HEAD + MARK_TAIL);
  const o = await openReport(browser, html);
  try {
    expect(o.consoleErrors).toEqual([]);
    expect(await o.count('#timeline .pm')).toBe(MARK_HEAD + MARK_TAIL);
    const note = o.page.locator('.marks-note');
    expect(await note.getAttribute('data-thinned')).toBe('1');
    expect(await note.textContent()).toContain(`${MARK_HEAD + MARK_TAIL} of ${packets} MQTT packets are drawn`);
    // The shaded strip's hover counts add up to the packets not drawn one by one.
    const tips = await o.page.locator('#timeline .pm-mid > title').allTextContents();
    const counted = tips.reduce((n, t) => n + Number(/^(\d+) MQTT packets/.exec(t)![1]), 0);
    expect(counted).toBe(packets - MARK_HEAD - MARK_TAIL);
  } finally {
    await o.close();
  }
}, 90_000);
