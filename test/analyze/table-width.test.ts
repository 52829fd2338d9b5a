/**
 * The connections table fits an 80-column terminal without cutting a client address (issue 13), and piped
 * output (120 columns) shows every address whole too. Captures: an IPv6 client cut at 1.5 × its keepalive and an
 * IPv4 client reset after an idle silence, written with test/analyze/synth.ts, plus the recorded fixtures.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Packet } from 'mqtt-packet';
import { expect, test } from 'vitest';
import { CaptureAnalyzer } from '../../src/analyze/capture/capture.js';
import { diagnose } from '../../src/analyze/capture/diagnose.js';
import { buildAnalyzeReport } from '../../src/report/build-analyze.js';
import { renderText } from '../../src/report/render-text.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from './record.js';
import { Conv, LINKTYPE, pcapFile, records } from './synth.js';

const F = (name: string): string => new URL(`../../fixtures/captures/${name}`, import.meta.url).pathname;

function synthetic(): Buffer {
  const t0 = 1_764_000_000_000;
  const connect = (id: string): Packet =>
    ({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: id, keepalive: 10, clean: true }) as Packet;
  const v6 = new Conv({ ip: '2001:db8:1234:5678::abcd', port: 54321 }, { ip: '2001:db8::1', port: 1883 }, t0);
  v6.handshake().mqtt('c', connect('sensor-hall-7-floor-2'));
  v6.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
  v6.fin('s', 15_400);
  v6.fin('c', 1);
  const v4 = new Conv({ ip: '192.168.100.200', port: 61234 }, { ip: '10.20.30.40', port: 1883 }, t0 + 5);
  v4.handshake().mqtt('c', connect('gw'));
  v4.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
  v4.mqtt('c', { cmd: 'pingreq' } as Packet, 1000);
  v4.mqtt('s', { cmd: 'pingresp' } as Packet, 1);
  v4.rst('s', 350_000);
  const segs = [...v6.segs, ...v4.segs].sort((a, b) => a.tsMs - b.tsMs);
  return pcapFile(LINKTYPE.ethernet, records('ethernet', segs));
}

function reportOf(bytes: Buffer) {
  const a = new CaptureAnalyzer();
  a.push(bytes);
  const r = a.finish();
  return buildAnalyzeReport({
    source: 'x.pcap',
    compressed: false,
    interrupted: false,
    stats: r.stats,
    connections: r.connections,
    diagnosis: diagnose(r.connections),
    startedAt: new Date(0),
    finishedAt: new Date(0),
    version: 'test',
  });
}

const inputs: Array<[string, () => Buffer]> = [
  ['synthetic IPv6 + IPv4', synthetic],
  ['takeover.pcap', () => readFileSync(F('takeover.pcap'))],
  ['nat-idle-reset.pcap', () => readFileSync(F('nat-idle-reset.pcap'))],
  ['keepalive-cut.pcap', () => readFileSync(F('keepalive-cut.pcap'))],
];

test.each(inputs)('%s at 80 columns: no line wider, no address cut', (_name, bytes) => {
  const report = reportOf(bytes());
  const text = renderText(report, { colorLevel: 0, width: 80 });
  const table = text.slice(text.indexOf('Connections'));
  for (const line of table.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  expect(table).not.toContain('…');
  for (const c of report.data.connections) expect(table).toContain(c.client);
  // Every row still names its cause.
  expect(table.match(/^│ \d+ /gm)?.length).toBe(report.data.connections.length);
});

test('piped (no terminal width): every address whole, cause on the client id line', async () => {
  const file = join(tempDir(), 'wide.pcap');
  writeFileSync(file, synthetic());
  const r = await runCli(['analyze', file]);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain('[2001:db8:1234:5678::abcd]:54321');
  expect(r.stdout).toContain('192.168.100.200:61234');
  expect(r.stdout).toMatch(/sensor-hall-7-floor-2 .*keepalive cut/);
  expect(r.stdout).toMatch(/│ gw .*idle reset/);
  const table = r.stdout.slice(r.stdout.indexOf('Connections'), r.stdout.lastIndexOf('┘'));
  expect(table).not.toContain('…');
});
