/**
 * Truth suite, keepalive-tune's figures: PINGREQ round trips (measureRtt, pingOnce) against a scripted server
 * that holds each PINGRESP for exactly D ms, and --verify-broker's cut time against a server that closes the
 * silent connection a known time after reading its CONNECT.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { measureRtt } from '../../src/measure/idle-discovery.js';
import { verifyBroker } from '../../src/measure/verify-broker.js';
import { conn } from '../probe/helpers.js';
import { rawExcess } from './raw-pings.js';
import { startScriptedBroker, type ScriptedBroker } from './scripted-broker.js';

const D = 10;
const CUT = 400;
let server: ScriptedBroker;
beforeAll(async () => {
  server = await startScriptedBroker({ pingrespDelayMs: D, cutWillAfterMs: CUT });
});
afterAll(async () => {
  await server?.close();
});

test('keepalive-tune RTT samples read the server hold, no more above it than a raw loop', async () => {
  const rawEx = await rawExcess(server, 6, 5);
  const from = server.holds.length;
  const m = await measureRtt(conn(server.url, { mqttVersion: '3.1.1' }), {
    samples: 6,
    intervalMs: D + 20,
    timeoutMs: 2000,
    signal: new AbortController().signal,
  });
  const holds = server.holds
    .slice(from)
    .filter((h) => h.kind === 'pingresp')
    .map((h) => h.heldMs);
  expect(m.received).toBe(6);
  m.samplesMs.forEach((x, i) => expect(x).toBeGreaterThanOrEqual(holds[i]! - 0.05));
  const excess = m.samplesMs.map((x, i) => x - holds[i]!).sort((a, b) => a - b);
  expect(
    excess[3]!,
    `doctor ${excess.map((x) => x.toFixed(2))} raw ${rawEx.map((x) => x.toFixed(2))}`,
  ).toBeLessThanOrEqual(2 * Math.max(...rawEx) + 1);
});

test('--verify-broker cut time matches the server-side cut', async () => {
  // A bias of the measurement shows in every run; a wake-up delay on a saturated machine (one cut read 5.5 ms late
  // against a raw loop's 1.1 ms, with stress-ng on both cores) only in some. So up to 3 runs, each against the
  // slack of a raw loop taken just before it, and one must land inside; the lower bound must hold in every run.
  const seen: string[] = [];
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const slack = 2 * Math.max(...(await rawExcess(server, 6, 5))) + 1;
    const r = await verifyBroker({
      conn: conn(server.url, { mqttVersion: '3.1.1' }),
      keepaliveS: 1,
      signal: new AbortController().signal,
      maxWaitMs: 5000,
      willWaitMs: 50,
    });
    expect(r.outcome).toBe('cut');
    const cut = server.holds.filter((h) => h.kind === 'cut').at(-1)!;
    // Measured from half-way through CONNECT→CONNACK (when the server read CONNECT) to the socket seeing the
    // close; the server's own record is read → close. On loopback the two differ by transit and scheduling only.
    // The read is known to within CONNECT→CONNACK (taken as its middle): ± half of it, plus detection lateness.
    const half = r.connectRttMs! / 2;
    expect(r.cutAfterMs!).toBeGreaterThanOrEqual(cut.heldMs - half - 0.05);
    const bound = cut.heldMs + half + slack;
    seen.push(`cut ${r.cutAfterMs} server ${cut.heldMs} connect RTT ${r.connectRttMs} slack ${slack}`);
    if (r.cutAfterMs! <= bound) return;
  }
  expect.fail(`no run read the cut within the raw loop's slack: ${seen.join('; ')}`);
});
