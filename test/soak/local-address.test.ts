/**
 * `soak --local-address`: the address list and CIDR parser, the connection budget, and real connections from
 * 127.0.0.2 / 127.0.0.3 to a real mosquitto, checked on the broker's side (its log names each client's
 * source address).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { budgetLine, connectionBudget, parseLocalAddresses } from '../../src/config/source-address.js';
import { parseOpenFilesSoft, parsePortRange } from '../../src/measure/soak/host-limits.js';
import { runCli, runMain } from '../helpers/cli.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { cleanup, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

describe('address list', () => {
  test.each([
    ['127.0.0.2,127.0.0.3', ['127.0.0.2', '127.0.0.3']],
    [' 127.0.0.2 , 127.0.0.2 ,127.0.0.3', ['127.0.0.2', '127.0.0.3']],
    ['127.0.0.0/30', ['127.0.0.1', '127.0.0.2']],
    ['127.0.0.6/31', ['127.0.0.6', '127.0.0.7']],
    ['127.0.0.9/32', ['127.0.0.9']],
    ['10.1.2.77/29', ['10.1.2.73', '10.1.2.74', '10.1.2.75', '10.1.2.76', '10.1.2.77', '10.1.2.78']],
    ['::1', ['::1']],
    ['[::1]', ['::1']],
    ['fd00::0:10/126', ['fd00::11', 'fd00::12', 'fd00::13']],
    ['fd00::10/127', ['fd00::10', 'fd00::11']],
    ['::ffff:127.0.0.2', ['::ffff:7f00:2']],
  ])('%s → %j', (spec, want) => {
    expect(parseLocalAddresses(spec)).toEqual(want);
  });

  test.each([
    ['localhost', /not an IP address/],
    ['127.0.0.300', /not an IP address/],
    ['127.0.0.0/33', /not an IP address/],
    ['127.0.0.0/x', /not an IP address/],
    ['10.0.0.0/8', /more than 1024/],
    ['10.0.0.0/21', /more than 1024/],
    ['0.0.0.0', /wildcard/],
    ['::', /wildcard/],
    [',', /empty/],
  ])('%s is refused', (spec, why) => {
    expect(() => parseLocalAddresses(spec)).toThrow(why);
  });

  test('a /22 gives its 1022 host addresses, the network and broadcast addresses left out', () => {
    const all = parseLocalAddresses('10.9.0.0/22');
    expect(all).toHaveLength(1022);
    expect(all[0]).toBe('10.9.0.1');
    expect(all.at(-1)).toBe('10.9.3.254');
  });
});

describe('connection budget', () => {
  const limits = { ephemeralPorts: { low: 32768, high: 60999 }, openFilesSoft: 20_000, openFilesInUse: 18 };
  test.each([
    // clients, sources, workers, broker → binding kind, limit, fits
    [1000, 1, 1, undefined, 'open-files', 20_000 - 18 - 32, true],
    [36_000, 1, 2, undefined, 'ephemeral-ports', 28_232, false],
    [36_000, 2, 2, undefined, 'open-files', 2 * (20_000 - 50), true],
    [36_000, 2, 4, undefined, 'ephemeral-ports', 2 * 28_232, true],
    [500, 2, 4, 400, 'broker-limit', 400, false],
  ] as const)(
    '-n %i from %i address(es), %i process(es), broker %s → %s %i',
    (n, src, w, broker, kind, limit, fits) => {
      const b = connectionBudget({
        clients: n,
        sourceAddresses: src,
        workers: w,
        limits,
        brokerMaxConnections: broker,
      });
      expect(b.binding?.kind).toBe(kind);
      expect(b.binding?.limit).toBe(limit);
      expect(b.fits).toBe(fits);
      expect(budgetLine(n, b)).toMatch(fits ? /^connection budget: \d+ of \d+/ : new RegExp(`over the ${kind} bound`));
    },
  );

  test('nothing known: no bound, no line', () => {
    const b = connectionBudget({
      clients: 10,
      sourceAddresses: 1,
      workers: 1,
      limits: { ephemeralPorts: undefined, openFilesSoft: undefined, openFilesInUse: 0 },
    });
    expect(b).toEqual({ bounds: [], binding: undefined, fits: true });
    expect(budgetLine(10, b)).toBeUndefined();
  });

  test.each([
    ['32768\t60999\n', { low: 32768, high: 60999 }],
    ['1024 65535', { low: 1024, high: 65535 }],
    ['', undefined],
    ['junk', undefined],
  ])('port range %j', (text, want) => expect(parsePortRange(text)).toEqual(want));

  const limitsText = (soft: string) =>
    `Limit                     Soft Limit           Hard Limit           Units\nMax processes             63445                63445                processes\nMax open files            ${soft.padEnd(20)} 1048576              files\n`;
  test.each([
    [limitsText('20000'), 20000],
    [limitsText('unlimited'), undefined],
    ['', undefined],
  ])('open-file limit of %#', (text, want) => expect(parseOpenFilesSoft(text)).toBe(want));
});

describe('against mosquitto', () => {
  let m: Mosquitto;
  let certs: CertSet;
  beforeAll(async () => {
    certs = makeCerts();
    m = await startMosquitto({
      websockets: true,
      tls: { certFile: certs.valid.certFile, keyFile: certs.valid.keyFile },
    });
  });
  afterAll(async () => {
    await m.stop();
    cleanup(m);
  });

  /**
   * Source address of each client id, from mosquitto's "New client connected from A:P as ID" lines (its
   * WebSocket listener writes IPv4 as ::ffff:A).
   */
  const sourcesInLog = (prefix: string): Map<string, string> => {
    const out = new Map<string, string>();
    for (const match of m.log().matchAll(/New client connected from (?:::ffff:)?([\d.]+):\d+ as (\S+)/g))
      if (match[2]!.startsWith(prefix)) out.set(match[2]!, match[1]!);
    return out;
  };

  test.each([
    ['mqtt', 'src-tcp'],
    ['ws', 'src-ws'],
    ['mqtts', 'src-tls'],
  ])('%s: clients alternate over 127.0.0.2 and 127.0.0.3, as the broker saw them', async (scheme, id) => {
    const url =
      scheme === 'ws' ? `ws://127.0.0.1:${m.wsPort}` : scheme === 'mqtts' ? `mqtts://127.0.0.1:${m.tlsPort}` : m.url;
    const r = await runCli(
      [
        'soak',
        url,
        '-n',
        '4',
        '--client-id',
        id,
        '--rate',
        '20/s',
        '--ramp',
        '0',
        '-d',
        '1500ms',
        '--local-address',
        '127.0.0.2,127.0.0.3',
        '--json',
        ...(scheme === 'mqtts' ? ['--ca', certs.caFile] : []),
      ],
      { timeoutMs: 30_000 },
    );
    expect(r.stderr).toMatch(/connection budget: 4 of \d+/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      data: { summary: { fleet: { sources: unknown[]; bound: { kind: string } }; messages: { received: number } } };
    };
    expect(report.data.summary.fleet.sources).toEqual([
      { address: '127.0.0.2', clients: 2, connectedNow: 2, peakConnected: 2 },
      { address: '127.0.0.3', clients: 2, connectedNow: 2, peakConnected: 2 },
    ]);
    expect(report.data.summary.messages.received).toBeGreaterThan(0);
    // The broker's side: client i came from the (i mod 2)-th address.
    const seen = sourcesInLog(`${id}-`);
    expect(Object.fromEntries(seen)).toEqual({
      [`${id}-0`]: '127.0.0.2',
      [`${id}-1`]: '127.0.0.3',
      [`${id}-2`]: '127.0.0.2',
      [`${id}-3`]: '127.0.0.3',
    });
  });

  test('the text report lists each source address', async () => {
    const r = await runCli(
      ['soak', m.url, '-n', '2', '--rate', '0', '--ramp', '0', '-d', '1s', '--local-address', '127.0.0.4/31'],
      { timeoutMs: 30_000 },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/from 127\.0\.0\.4\s+1 connected at the end, at most 1 \(1 client\)/);
    expect(r.stdout).toMatch(/from 127\.0\.0\.5\s+1 connected at the end/);
  });

  test('over the broker limit: said before the ramp', async () => {
    const r = await runCli(
      ['soak', m.url, '-n', '3', '--rate', '0', '-d', '500ms', '--broker-max-connections', '2', '--json'],
      { timeoutMs: 30_000 },
    );
    const budgetAt = r.stderr.indexOf('over the broker-limit bound of 2');
    expect(budgetAt).toBeGreaterThanOrEqual(0);
    expect(budgetAt).toBeLessThan(r.stderr.indexOf('soak: starting'));
    expect(r.stderr).toMatch(/1 clients will fail to connect/);
  });
});

describe('usage errors, before any connect', () => {
  test.each([
    [['--local-address', '192.0.2.1'], /--local-address 192\.0\.2\.1: not an address of this host \(EADDRNOTAVAIL\)/],
    [['--local-address', 'nonsense'], /not an IP address or CIDR block/],
    [['--local-address', '::1'], /an IPv6 source cannot reach the IPv4 target 127\.0\.0\.1/],
    [['--broker-max-connections', '0'], /--broker-max-connections 0 is not a whole number/],
  ])('%j', async (extra, why) => {
    // Port 9 (discard) is closed here: a usage error must come before any connection is tried.
    const r = await runMain(['soak', 'mqtt://127.0.0.1:9', '-d', '1s', ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(r.stderr).not.toMatch(/connection refused|unreachable/i);
  });
});
