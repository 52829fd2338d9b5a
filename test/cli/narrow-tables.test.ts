/**
 * Tables at 80 columns fit and never cut a word (issue 13). A word too wide for its column (an uncompressed IPv6
 * address, an IPv4-mapped one, a long client id) wraps whole after its punctuation; no cell ends in "…".
 * The analyze connections table is checked through the CLI in real terminals of 60 and 80 columns (a pty from
 * util-linux `script`), on a capture written by test/analyze/synth.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import type { Packet } from 'mqtt-packet';
import { describe, expect, test } from 'vitest';
import { MIDDLEBOXES, PROFILES } from '../../src/kb/profiles.js';
import { breakWord, renderSection } from '../../src/report/render-text.js';
import { Conv, LINKTYPE, pcapFile, records } from '../analyze/synth.js';
import { BIN } from '../helpers/cli.js';

const LONG_V6 = '2001:db8:85a3:1234:5678:8a2e:370:7334';
const MAPPED = '::ffff:c0a8:64c8'; // written in hex into the capture
const MAPPED_TEXT = '::ffff:192.168.100.200'; // as the capture reader prints it (RFC 5952 §5)
const LONG_ID = 'sensor-hall-7-floor-2-east-wing-rack-12';

function capture(): Buffer {
  const t0 = 1_764_000_000_000;
  const connect = (id: string): Packet =>
    ({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: id, keepalive: 10, clean: true }) as Packet;
  const a = new Conv({ ip: LONG_V6, port: 54321 }, { ip: '2001:db8:85a3:1234:5678:8a2e:370:1', port: 1883 }, t0);
  a.handshake().mqtt('c', connect(LONG_ID));
  a.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
  a.fin('s', 15_400);
  a.fin('c', 1);
  const b = new Conv({ ip: MAPPED, port: 61234 }, { ip: '::ffff:a14:1e28', port: 8883 }, t0 + 5);
  b.handshake().mqtt('c', connect('gw'));
  b.mqtt('s', { cmd: 'connack', returnCode: 0, sessionPresent: false } as Packet);
  b.rst('s', 350_000);
  return pcapFile(
    LINKTYPE.ethernet,
    records(
      'ethernet',
      [...a.segs, ...b.segs].sort((x, y) => x.tsMs - y.tsMs),
    ),
  );
}

/** The text of one column of a boxed table: its cells' lines joined, row by row (a row starts with "│ <n> "). */
function column(table: string, index: number): string[] {
  const cells: string[] = [];
  for (const line of table.split('\n')) {
    if (!line.startsWith('│')) continue;
    const parts = line.split('│').slice(1, -1);
    const text = (parts[index] ?? '').trim();
    if (/^\d+$/.test((parts[0] ?? '').trim())) cells.push(text);
    else if (cells.length && text) cells[cells.length - 1] += (/[:./\-_,@=]$/.test(cells.at(-1)!) ? '' : ' ') + text;
  }
  return cells;
}

describe('breakWord: a word wider than its column wraps after punctuation, every character kept', () => {
  test.each([
    ['fits', 'gw', 10, ['gw']],
    ['IPv6 at its colons', `[${LONG_V6}]:54321`, 20, ['[2001:db8:85a3:1234:', '5678:8a2e:370:7334]:', '54321']],
    ['IPv4-mapped', `[${MAPPED_TEXT}]:61234`, 14, ['[::ffff:192.', '168.100.200]:', '61234']],
    ['client id at its dashes', LONG_ID, 16, ['sensor-hall-7-', 'floor-2-east-', 'wing-rack-12']],
    ['no punctuation: split at the width', 'abcdefghij', 4, ['abcd', 'efgh', 'ij']],
    ['a piece wider than the line is split', 'a:bcdefghij', 4, ['a:', 'bcde', 'fghi', 'j']],
  ])('%s', (_name, word, width, lines) => {
    expect(breakWord(word, width)).toEqual(lines);
    expect(lines.join('')).toBe(word);
  });
});

/** mqtt-doctor with `args` in a real terminal of `columns` (util-linux `script` gives it a pty). */
function inTerminal(columns: number, args: string[]) {
  const cmd = [process.execPath, BIN, ...args].map((a) => `"${a}"`).join(' ');
  const r = spawnSync('script', ['-q', '-e', '-c', `stty cols ${columns} rows 50; ${cmd}`, '/dev/null'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
  });
  return { code: r.status, out: r.stdout.replace(/\r/g, '') };
}

function analyzeInTerminal(columns: number) {
  const file = join(mkdtempSync(join(tmpdir(), 'mqd-narrow-')), 'v6.pcap');
  writeFileSync(file, capture());
  return inTerminal(columns, ['analyze', file]);
}

describe.each([60, 80])('analyze of IPv6 connections in a %d-column terminal', (width) => {
  const { code, out } = analyzeInTerminal(width);
  const table = out.slice(out.indexOf('Connections'), out.indexOf('┘', out.indexOf('Connections')) + 1);

  test('no line is wider than the terminal and nothing is cut', () => {
    expect(code).toBe(1); // findings: a keepalive cut and an idle reset
    expect(table).toMatch(/^Connections/);
    for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
    expect(table).not.toContain('…');
  });

  test('each address, client id and head reads whole when its lines are joined', () => {
    const clients = column(table, 1);
    expect(clients[0]).toContain(`[${LONG_V6}]:54321`);
    expect(clients[1]).toContain(`[${MAPPED_TEXT}]:61234`);
    expect(column(table, 2)[0]).toBe(LONG_ID);
    const head = table.split('\n').filter((l) => l.startsWith('│') && !/^│ *\d/.test(l));
    const headText = head.join(' ');
    for (const h of ['client', 'server', 'lasted', 'ended', 'silent', 'cause']) expect(headText).toContain(h);
  });
});

test('any table: a long word in an ordinary column is broken, never cut with "…"', () => {
  const out = renderSection(
    {
      kind: 'table',
      title: 'T',
      head: ['name', 'value'],
      rows: [['x', `${'a'.repeat(70)} https://example.com/a/very/long/path/that/does/not/fit/in/the/column/at/all`]],
    },
    new Chalk({ level: 0 }),
    60,
  );
  for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(60);
  expect(out).not.toContain('…');
  expect(
    column(out.replace(/^│ name/m, '│ 0'), 1)
      .join('')
      .replace(/\s/g, ''),
  ).toContain(`${'a'.repeat(70)}https://example.com/a/very/long/path/that/does/not/fit/in/the/column/at/all`);
});

test.each([
  // The section indents every line by 2; a line's own indent adds to that.
  ['a numbered cause', '1. Nothing listens on that host:port: wrong port (1883 plain, 8883 TLS, 443 WebSocket)', 5],
  ['a two-digit one', '12. Nothing listens on that host:port: wrong port (1883 plain, 8883 TLS, 443 WebSocket)', 6],
  ['a bullet', '• sensor-7 disconnected 6 times, every ~6 s; each connection lived ~6 s, keepalive 2 s', 4],
  ['an arrow', '  → The client sends nothing within 1.5 × its keepalive (2 s): it does not ping at all', 6],
  ['a plain line', '  fix: Keep the client network loop running and choose a keepalive below the path idle', 6],
])('prose: the continuation of %s hangs under its text', (_name, line, hang) => {
  const out = renderSection({ kind: 'lines', title: 'T', lines: [line] }, new Chalk({ level: 0 }), 60).split('\n');
  expect(out.length).toBeGreaterThan(2);
  for (const l of out.slice(1)) expect(l.length, l).toBeLessThanOrEqual(60);
  for (const l of out.slice(2)) expect(l, l).toMatch(new RegExp(`^ {${hang}}\\S`));
  expect(out.slice(1).join(' ').replace(/\s+/g, ' ').trim()).toBe(line.trim());
});

test('impair --list-profiles in an 80-column terminal: tables fit, every name whole on its row', () => {
  const { code, out } = inTerminal(80, ['impair', '--list-profiles']);
  expect(code).toBe(0);
  const tables = out.slice(0, out.indexOf('Sources'));
  for (const line of tables.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  expect(tables).not.toContain('…');
  for (const { name } of [...PROFILES, ...MIDDLEBOXES]) expect(tables).toMatch(new RegExp(`^│ ${name} +│`, 'm'));
});
