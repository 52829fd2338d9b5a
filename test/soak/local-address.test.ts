/**
 * `soak --local-address`: the address list and CIDR parser, the connection budget, and real connections from
 * 127.0.0.2 / 127.0.0.3 to a real mosquitto, checked on the broker's side (its log names each client's
 * source address).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { budgetLine, connectionBudget, parseLocalAddresses } from '../../src/config/source-address.js';
import { parseOpenFilesSoft, parsePortRange, readPortRange } from '../../src/measure/soak/host-limits.js';
import { connectFrom, LocalPorts, PORT_COOL_MS } from '../../src/transport/source-address.js';
import { createServer, type Server, type Socket } from 'node:net';
import { reportVerdict, runCli, runMain } from '../helpers/cli.js';
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

describe('local ports', () => {
  const take = (p: LocalPorts, n: number, a = '127.0.0.2') => Array.from({ length: n }, () => p.take(a));

  test.each([
    // range, slice → the ports it hands out, in order
    [{ low: 100, high: 109 }, { index: 0, count: 1 }, [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]],
    [{ low: 100, high: 109 }, { index: 0, count: 2 }, [100, 101, 102, 103, 104]],
    [{ low: 100, high: 109 }, { index: 1, count: 2 }, [105, 106, 107, 108, 109]],
    [{ low: 100, high: 109 }, { index: 2, count: 3 }, [106, 107, 108, 109]],
  ])('%j, slice %j → %j, then none', (range, slice, want) => {
    const p = new LocalPorts(range, slice);
    expect(take(p, want.length)).toEqual(want);
    expect(p.take('127.0.0.2')).toBeUndefined();
    // Another address has its own ports.
    expect(p.take('127.0.0.3')).toBe(want[0]);
  });

  test('the slices of K workers cover the range once', () => {
    const range = { low: 32768, high: 60999 };
    const all = [0, 1, 2].flatMap((index) => {
      const p = new LocalPorts(range, { index, count: 3 });
      const got: number[] = [];
      for (let port = p.take('a'); port !== undefined; port = p.take('a')) got.push(port);
      return got;
    });
    expect(all).toHaveLength(60999 - 32768 + 1);
    expect(new Set(all).size).toBe(all.length);
  });

  test('a released port comes back last; a port another socket held cools for a TIME_WAIT', () => {
    let t = 0;
    const p = new LocalPorts({ low: 1, high: 3 }, undefined, () => t);
    expect(take(p, 2)).toEqual([1, 2]);
    p.release('127.0.0.2', 1);
    expect(take(p, 2)).toEqual([3, 1]);
    p.release('127.0.0.2', 2, true);
    p.release('127.0.0.2', 3);
    expect(p.take('127.0.0.2')).toBe(3);
    expect(p.take('127.0.0.2')).toBeUndefined();
    t += PORT_COOL_MS;
    expect(p.take('127.0.0.2')).toBe(2);
  });

  describe('real connections', () => {
    const servers: Server[] = [];
    const accepted: Socket[] = [];
    // Closing a server leaves the connections it accepted open: they go too (the worker runs other files next).
    afterAll(() => {
      for (const s of servers) s.close();
      for (const c of accepted) c.destroy();
    });
    const listen = async (host: string, port = 0, onPeer?: (port: number) => void) => {
      const s = createServer((c) => {
        accepted.push(c);
        onPeer?.(c.remotePort ?? -1);
        c.on('error', () => {});
      });
      servers.push(s);
      await new Promise<void>((r) => s.listen({ host, port, exclusive: true }, r));
      return s;
    };
    const portOf = (s: Server) => (s.address() as { port: number }).port;

    test('the server sees the port chosen; a port held by another socket fails once, cools, and the kernel picks', async () => {
      const peers: number[] = [];
      const broker = await listen('127.0.0.1', 0, (port) => peers.push(port));
      // The port the client will be given, held by a listener on the same source address.
      const blocker = await listen('127.0.0.2');
      const held = portOf(blocker);
      let t = 0;
      const ports = new LocalPorts({ low: held, high: held }, undefined, () => t);
      const dial = () => {
        const c = connectFrom(
          '127.0.0.2',
          undefined,
          ports,
        )(`mqtt://127.0.0.1:${portOf(broker)}`, {
          reconnectPeriod: 0,
          connectTimeout: 5000,
        });
        return c;
      };
      // 1: EADDRINUSE at bind: closed without reaching the server; the port cools.
      const first = dial();
      await new Promise((r) => first.stream.once('close', r));
      expect(peers).toEqual([]);
      expect(ports.inUse('127.0.0.2')).toBe(0);
      expect(ports.take('127.0.0.2')).toBeUndefined();
      // 2: no port of the slice is free: the kernel picks another.
      const second = dial();
      await expect.poll(() => peers.length, { timeout: 5000 }).toBe(1);
      expect(peers[0]).not.toBe(held);
      second.end(true);
      // 3: the blocker gone and the cool-down over, the port is ours.
      await new Promise<void>((r) => blocker.close(() => r()));
      t += PORT_COOL_MS;
      const third = dial();
      await expect.poll(() => peers.length, { timeout: 5000 }).toBe(2);
      expect(peers[1]).toBe(held);
      expect(ports.inUse('127.0.0.2')).toBe(1);
      third.end(true);
      await new Promise((r) => third.stream.once('close', r));
      expect(ports.inUse('127.0.0.2')).toBe(0);
    });
  });
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

  /** The run failed because it measured nothing: a client never ready, no message sent or none back. */
  const measuredNothing = (stdout: string): boolean => {
    const checks = (JSON.parse(stdout) as { checks: Array<{ id: string; status: string }> }).checks;
    const nothing = new Set(['finding.not-ready', 'finding.no-traffic', 'finding.no-echo']);
    return checks.some((c) => c.status === 'fail' && nothing.has(c.id));
  };

  test.each([
    ['mqtt', 'src-tcp'],
    ['ws', 'src-ws'],
    ['mqtts', 'src-tls'],
  ])('%s: clients alternate over 127.0.0.2 and 127.0.0.3, as the broker saw them', async (scheme, id) => {
    const url =
      scheme === 'ws' ? `ws://127.0.0.1:${m.wsPort}` : scheme === 'mqtts' ? `mqtts://127.0.0.1:${m.tlsPort}` : m.url;
    const soak = (durationMs: number) =>
      runCli(
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
          `${durationMs}ms`,
          '--local-address',
          '127.0.0.2,127.0.0.3',
          '--json',
          ...(scheme === 'mqtts' ? ['--ca', certs.caFile] : []),
        ],
        { timeoutMs: 30_000 },
      );
    let r = await soak(1500);
    // Clients not all ready within 1.5 s on a loaded machine: soak says so (exit 1, "clients never ready" or no
    // traffic), which is its job, not what this test checks; the same run once more, four times as long.
    if (r.code === 1 && measuredNothing(r.stdout)) r = await soak(6000);
    expect(r.stderr).toMatch(/connection budget: 4 of \d+/);
    expect(r.code, reportVerdict(r.stdout)).toBe(0);
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

  test('2 workers bind from their own halves of the ephemeral range', async () => {
    const range = readPortRange()!;
    const mid = range.low + Math.floor((range.high - range.low + 1) / 2);
    const r = await runCli(
      [
        'soak',
        m.url,
        '-n',
        '6',
        '--workers',
        '2',
        '--client-id',
        'src-workers',
        '--rate',
        '0',
        '-d',
        '1500ms',
        '--local-address',
        '127.0.0.2',
        '--json',
      ],
      { timeoutMs: 30_000 },
    );
    expect(r.code).toBe(0);
    const ports = new Map<string, number>();
    for (const match of m.log().matchAll(/New client connected from 127\.0\.0\.2:(\d+) as (src-workers-\d+)/g))
      ports.set(match[2]!, Number(match[1]));
    // Worker 0 runs clients 0–2, worker 1 clients 3–5 (the shard contract's contiguous slices).
    expect([...ports.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `src-workers-${i}`));
    for (const [id, port] of ports) {
      const i = Number(id.split('-').at(-1));
      if (i < 3) expect(port, id).toBeLessThan(mid);
      else expect(port, id).toBeGreaterThanOrEqual(mid);
      expect(port).toBeGreaterThanOrEqual(range.low);
      expect(port).toBeLessThanOrEqual(range.high);
    }
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
