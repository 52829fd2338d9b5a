import { describe, expect, test } from 'vitest';
import { SeqTracker } from '../../src/analyze/soak/sequence.js';
import { ConnectionTimeline } from '../../src/analyze/soak/connection.js';
import { classifyDisconnect } from '../../src/analyze/soak/causes.js';
import { summarizeConnections, summarizeMessages, type SoakSummary } from '../../src/analyze/soak/summary.js';
import { checkThresholds, soakFindings } from '../../src/analyze/soak/thresholds.js';
import { parseSoakLines, replaySoak, type SoakEvent } from '../../src/analyze/soak/events.js';
import { LatencyHistogram } from '../../src/analyze/stats.js';

/** Drive a tracker from a compact script: "s" sends at t, "r<n>" receives seq n at t. */
function run(script: Array<[number, string]>, graceMs = 1000, endMs = 10_000) {
  const tr = new SeqTracker(5000);
  const arrivals: string[] = [];
  for (const [t, op] of script) {
    if (op === 's') tr.send(t);
    else if (op === 'x') tr.disconnected();
    else arrivals.push(tr.receive(Number(op.slice(1)), t));
  }
  return { counts: tr.counts(endMs, graceMs), arrivals, tr };
}

describe('SeqTracker', () => {
  test.each([
    [
      'in order',
      [
        [0, 's'],
        [1, 's'],
        [5, 'r0'],
        [6, 'r1'],
      ],
      { sent: 2, received: 2, lost: 0, duplicates: 0, outOfOrder: 0 },
      ['new', 'new'],
    ],
    [
      'one lost',
      [
        [0, 's'],
        [1, 's'],
        [2, 's'],
        [5, 'r0'],
        [6, 'r2'],
      ],
      { sent: 3, received: 2, lost: 1, duplicates: 0, outOfOrder: 0 },
      ['new', 'new'],
    ],
    [
      'duplicate',
      [
        [0, 's'],
        [5, 'r0'],
        [6, 'r0'],
      ],
      { sent: 1, received: 1, lost: 0, duplicates: 1 },
      ['new', 'duplicate'],
    ],
    [
      'out of order',
      [
        [0, 's'],
        [1, 's'],
        [5, 'r1'],
        [6, 'r0'],
      ],
      { received: 2, outOfOrder: 1, lost: 0 },
      ['new', 'out-of-order'],
    ],
    [
      'foreign seq',
      [
        [0, 's'],
        [5, 'r7'],
      ],
      { received: 0, foreign: 1, lost: 1 },
      ['foreign'],
    ],
    [
      'late arrival is received, not lost',
      [
        [0, 's'],
        [6000, 'r0'],
      ],
      { received: 1, lost: 0, late: 1 },
      ['new'],
    ],
    [
      'in flight at disconnect then recovered',
      [
        [0, 's'],
        [1, 's'],
        [2, 'x'],
        [3000, 'r0'],
      ],
      { inflightAtDisconnect: 2, recoveredAfterReconnect: 1, lost: 1 },
      ['new'],
    ],
  ] as Array<[string, Array<[number, string]>, Record<string, number>, string[]]>)(
    '%s',
    (_n, script, want, arrivals) => {
      const r = run(script);
      expect(r.counts).toMatchObject(want);
      expect(r.arrivals).toEqual(arrivals);
    },
  );

  test('missing respects the grace period (pending younger than grace is not lost yet)', () => {
    const tr = new SeqTracker();
    tr.send(0);
    tr.send(900);
    expect(tr.missing(1000, 500)).toBe(1);
    expect(tr.missing(1000, 0)).toBe(2);
    expect(tr.missing(1000, 2000)).toBe(0);
  });

  test('latency is recorded from the send time', () => {
    const tr = new SeqTracker();
    tr.send(100);
    tr.receive(0, 142);
    expect(tr.latency?.max).toBe(42);
  });
});

describe('ConnectionTimeline on a fake clock', () => {
  test('three outages: reconnects, downtime, longest, flaps, attempts', () => {
    const tl = new ConnectionTimeline(0, 0, 1000);
    tl.connect(50, false, false);
    // outages of 2 s, 5 s and 300 ms (a flap with a 1 s threshold)
    tl.disconnect(10_000, 'reset');
    tl.connectFailed(10_200, 'refused');
    tl.connect(12_000, false, true);
    tl.disconnect(20_000, 'broker-closed');
    tl.connect(25_000, true, true);
    tl.disconnect(30_000, 'keepalive-timeout');
    tl.connect(30_300, true, true);
    expect(tl.reconnects).toBe(3);
    expect(tl.sessionsLost).toBe(1);
    expect(tl.outagesMs).toEqual([2000, 5000, 300]);
    expect(tl.attemptsPerOutage).toEqual([2, 1, 1]);
    expect(tl.downtimeMs(40_000)).toBe(7300);
    expect(tl.longestOutage(40_000)).toMatchObject({ fromMs: 20_000, toMs: 25_000, cause: 'broker-closed' });
    const s = summarizeConnections([tl], 40_000, 1000);
    expect(s).toMatchObject({
      connects: 4,
      reconnects: 3,
      disconnects: 3,
      connectFailures: 1,
      flaps: 1,
      byCause: { reset: 1, refused: 1, 'broker-closed': 1, 'keepalive-timeout': 1 },
      timeToReconnectMs: { count: 3, max: 5000 },
      attemptsPerOutage: { max: 2 },
    });
    expect(s.uptimePct).toBeCloseTo(100 * (1 - 7300 / 40_000), 6);
  });

  test('a client looping for days keeps bounded samples but exact counts', () => {
    const tl = new ConnectionTimeline(0, 0, 1000);
    tl.connect(0, false, false);
    for (let i = 0; i < 2000; i += 1) {
      tl.disconnect(i * 10_000 + 5000, 'keepalive-timeout');
      tl.connect(i * 10_000 + 5000 + (i === 7 ? 4000 : 500), false, false);
    }
    expect(tl.outagesMs).toHaveLength(500);
    const s = summarizeConnections([tl], 2000 * 10_000, 1000);
    expect(s.timeToReconnectMs).toEqual({ count: 2000, p50: 500, max: 4000 });
    expect(s.flaps).toBe(1999);
    expect(s.reconnects).toBe(2000);
  });

  test('an outage still open at the end counts to now', () => {
    const tl = new ConnectionTimeline(1, 0);
    tl.connect(10, false, false);
    tl.disconnect(1000, 'reset');
    expect(tl.downtimeMs(5000)).toBe(4000);
    expect(tl.longestOutage(5000)).toMatchObject({ fromMs: 1000, toMs: undefined });
  });

  test('a broker down at start is an outage from the start', () => {
    const tl = new ConnectionTimeline(2, 1000);
    tl.connectFailed(1001, 'refused');
    tl.connect(4000, false, false);
    expect(tl.outagesMs).toEqual([3000]);
    expect(tl.reconnects).toBe(0);
  });

  test('a first connect without failures is not downtime', () => {
    const tl = new ConnectionTimeline(3, 1000);
    tl.connect(1005, false, false);
    expect(tl.downtimeMs(9000)).toBe(0);
    expect(tl.firstConnectMs).toBe(5);
  });
});

describe('classifyDisconnect', () => {
  test.each([
    ['keepalive', { phase: 'session', errorMessage: 'Keepalive timeout' }, 'keepalive-timeout'],
    ['reset', { phase: 'session', errorCode: 'ECONNRESET', errorMessage: 'read ECONNRESET' }, 'reset'],
    ['stream end, no error', { phase: 'session' }, 'broker-closed'],
    ['0x8E', { phase: 'session', disconnectPacket: true, reasonCode: 0x8e }, 'session-taken-over'],
    ['0x8D broker keepalive', { phase: 'session', disconnectPacket: true, reasonCode: 0x8d }, 'keepalive-timeout'],
    ['0x8B server shutting down', { phase: 'session', disconnectPacket: true, reasonCode: 0x8b }, 'disconnect-packet'],
    ['refused', { phase: 'connect', errorCode: 'ECONNREFUSED' }, 'refused'],
    ['dns', { phase: 'connect', errorCode: 'ENOTFOUND' }, 'dns'],
    ['tls', { phase: 'connect', errorCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'tls'],
    ['connack timeout', { phase: 'connect', errorMessage: 'connack timeout' }, 'connect-timeout'],
    [
      'connack refusal',
      { phase: 'connect', errorMessage: 'Connection refused: Not authorized', reasonCode: 5 },
      'connack-refused',
    ],
    ['unknown text', { phase: 'session', errorMessage: 'weird' }, 'unknown'],
  ] as const)('%s', (_n, obs, cause) => {
    expect(classifyDisconnect(obs).cause).toBe(cause);
  });

  test.each([
    [{ phase: 'session', disconnectPacket: true, reasonCode: 0x8b }, /DISCONNECT 0x8B Server shutting down/],
    [
      { phase: 'connect', errorMessage: 'Connection refused: Not authorized', reasonCode: 5, mqttVersion: 4 },
      /CONNACK 0x05 Connection Refused, not authorized/,
    ],
    [
      {
        phase: 'connect',
        errorMessage: 'Connection refused: Bad User Name or Password',
        reasonCode: 0x86,
        mqttVersion: 5,
      },
      /CONNACK 0x86 Bad User Name or Password/,
    ],
  ] as const)('detail names the reason code from the kb: %j', (obs, re) => {
    expect(classifyDisconnect(obs).detail).toMatch(re);
  });
});

function fakeSummary(
  over: Partial<{
    reconnects: number;
    lost: number;
    sent: number;
    down: number;
    p99: number | null;
    byCause: Record<string, number>;
    connected: number[];
  }>,
): SoakSummary {
  const tl = new ConnectionTimeline(0, 0);
  const conn = summarizeConnections([tl], 1000, 1000);
  const msgs = summarizeMessages([], 1000, 0, new LatencyHistogram());
  return {
    atMs: 1000,
    startedMs: 0,
    elapsedMs: 1000,
    clients: 1,
    perClient: [],
    connections: {
      ...conn,
      maxReconnectsPerClient: over.reconnects ?? 0,
      worstClientDowntimeMs: over.down ?? 0,
      byCause: over.byCause ?? {},
      connectedMs: over.connected
        ? {
            count: over.connected.length,
            min: Math.min(...over.connected),
            p50: over.connected[0] ?? 0,
            max: Math.max(...over.connected),
          }
        : null,
    },
    messages: {
      ...msgs,
      sent: over.sent ?? 1000,
      received: (over.sent ?? 1000) - (over.lost ?? 0),
      lost: over.lost ?? 0,
      lossPct: (100 * (over.lost ?? 0)) / (over.sent ?? 1000),
      latencyMs: over.p99 === null ? null : { count: 1, avg: 1, p50: 1, p90: 1, p99: over.p99 ?? 1, max: 1 },
    },
  };
}

describe('thresholds', () => {
  test.each([
    ['reconnects within', { reconnects: 3 }, { maxReconnects: 3 }, [true]],
    ['reconnects over', { reconnects: 4 }, { maxReconnects: 3 }, [false]],
    ['loss within', { lost: 1, sent: 1000 }, { maxLossPct: 0.1 }, [true]],
    ['loss over', { lost: 2, sent: 1000 }, { maxLossPct: 0.1 }, [false]],
    ['downtime over', { down: 31_000 }, { maxDowntimeMs: 30_000 }, [false]],
    ['p99 within', { p99: 499 }, { maxP99Ms: 500 }, [true]],
    ['p99 unknown fails', { p99: null }, { maxP99Ms: 500 }, [false]],
    [
      'all at once',
      { reconnects: 1, lost: 0, p99: 800 },
      { maxReconnects: 0, maxLossPct: 0, maxP99Ms: 500 },
      [false, true, false],
    ],
  ] as const)('%s', (_n, s, t, want) => {
    expect(checkThresholds(fakeSummary(s), t).map((r) => r.pass)).toEqual(want);
  });
});

describe('findings', () => {
  test('regular keepalive timeouts name keepalive-tune', () => {
    const f = soakFindings(fakeSummary({ byCause: { 'keepalive-timeout': 3 }, connected: [5000, 5200, 5100] }));
    expect(f[0]?.title).toMatch(/reconnect loop/);
    expect(f[0]?.hint).toMatch(/keepalive-tune/);
  });
  test('session taken over is a session finding, not network', () => {
    const f = soakFindings(fakeSummary({ byCause: { 'session-taken-over': 1 } }));
    expect(f.map((x) => x.id)).toEqual(['session-taken-over']);
  });
});

describe('replay', () => {
  test('events rebuild the timelines; a torn last line is counted', () => {
    const evs: SoakEvent[] = [
      { type: 'client', t: 0, client: 0, clientId: 'a' },
      { type: 'connect', t: 10, client: 0, attempt: 0, sessionPresent: false, sessionExpected: false },
      { type: 'disconnect', t: 1000, client: 0, cause: 'reset', detail: 'ECONNRESET' },
      { type: 'connect-failed', t: 1200, client: 0, attempt: 0, cause: 'refused', detail: 'ECONNREFUSED' },
      { type: 'connect', t: 3000, client: 0, attempt: 1, sessionPresent: true, sessionExpected: true },
    ];
    const text = evs.map((e) => JSON.stringify(e)).join('\n') + '\n{"type":"disc';
    const { events, badLines } = parseSoakLines(text);
    expect(badLines).toBe(1);
    const r = replaySoak(events);
    expect(r.timelines[0]?.reconnects).toBe(1);
    expect(r.timelines[0]?.outagesMs).toEqual([2000]);
    expect(r.recentDisconnects).toHaveLength(2);
  });
});

describe('payload', () => {
  test.each([
    ['json', 128],
    ['json', 10],
    ['binary', 64],
    ['binary', 0],
  ] as const)('%s round trip at size %i', async (format, size) => {
    const { encodeSoakMessage, decodeSoakMessage, BINARY_HEADER_BYTES } = await import(
      '../../src/measure/soak/payload.js'
    );
    const m = { run: '0123456789abcdef', client: 7, seq: 2 ** 40 + 3, sentMs: 1_795_306_631_931.25 };
    const buf = encodeSoakMessage(m, format, size);
    expect(decodeSoakMessage(buf)).toEqual(m);
    if (format === 'binary') expect(buf.length).toBe(Math.max(size, BINARY_HEADER_BYTES));
    else if (size >= 100) expect(buf.length).toBe(size);
  });
  test.each(['json', 'binary'] as const)(
    '%s: one client encoder gives each message its own buffer, as encodeSoakMessage would',
    async (format) => {
      const { soakEncoder, encodeSoakMessage, decodeSoakMessage } = await import('../../src/measure/soak/payload.js');
      const encode = soakEncoder('0123456789abcdef', 3, format, 64);
      // MQTT.js may still hold a message (queued offline, awaiting its PUBACK) when the next one is built.
      const first = encode(1, 1000.5);
      const second = encode(2, 2000.25);
      expect(first).not.toBe(second);
      expect(decodeSoakMessage(first)).toEqual({ run: '0123456789abcdef', client: 3, seq: 1, sentMs: 1000.5 });
      expect(second).toEqual(
        encodeSoakMessage({ run: '0123456789abcdef', client: 3, seq: 2, sentMs: 2000.25 }, format, 64),
      );
    },
  );
  test('foreign payloads decode to undefined', async () => {
    const { decodeSoakMessage } = await import('../../src/measure/soak/payload.js');
    expect(decodeSoakMessage(Buffer.from('hello'))).toBeUndefined();
    expect(decodeSoakMessage(Buffer.from('{"run":1}'))).toBeUndefined();
  });
});

test('messages queued while offline are counted apart and kept out of the latency figures', () => {
  const tr = new SeqTracker();
  tr.send(0);
  tr.send(100, true);
  tr.send(200, true);
  tr.receive(0, 5);
  tr.receive(1, 3100);
  expect(tr.isOffline(2)).toBe(true);
  expect(tr.counts(4000, 0)).toMatchObject({ sent: 3, received: 2, sentOffline: 2, deliveredOffline: 1, lost: 1 });
  expect(tr.latency?.max).toBe(5);
});
