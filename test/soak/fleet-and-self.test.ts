/**
 * Fleet connect figures and soak's own saturation. CONNACK time is checked against a scripted server that
 * answers CONNECT after exactly D ms (the injected truth); saturation against a tracker fed known samples
 * and against a real stall of this process's event loop.
 */
import { describe, expect, test } from 'vitest';
import { startFakeServer } from '../helpers/fake-server.js';
import { SaturationTracker } from '../../src/analyze/soak/saturation.js';
import { join } from 'node:path';
import { startMosquitto } from '../helpers/mosquitto.js';
import { countType, soakAgainst, spawnCli, tempDir, until } from './helpers.js';

const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);
const PINGRESP = Buffer.from([0xd0, 0x00]);

/**
 * PINGREQ → PINGRESP. Soak's end asks every connected client for a PINGRESP and waits up to 10 s for one that
 * does not come (a link that died in the last keepalive window); these servers are alive, so they answer.
 */
const answerPing = (d: Buffer, s: { write(b: Buffer): unknown }) => {
  if (d[0] === 0xc0) s.write(PINGRESP);
};

describe('fleet connects', () => {
  test.each([50, 200])('CONNACK after %i ms: p50 reads the injected delay, not our own work', async (delayMs) => {
    // Accept, wait D ms after the CONNECT arrives, answer CONNACK; SUBSCRIBE is answered at once. The
    // server's own span (accept → CONNACK written) is the truth, so a late timer on a busy machine moves both.
    const spans: number[] = [];
    const server = await startFakeServer((s) => {
      const accepted = performance.now();
      s.on('data', (d: Buffer) => {
        if (d[0] === 0x10) {
          setTimeout(() => {
            spans.push(performance.now() - accepted);
            s.write(CONNACK_OK);
          }, delayMs);
        } else if ((d[0]! & 0xf0) === 0x80) s.write(Buffer.from([0x90, 0x03, d[2]!, d[3]!, 0x01]));
        else answerPing(d, s);
      });
    });
    try {
      const h = await soakAgainst(server.url, { clients: 4, ratePerS: 0, drainMs: 0 });
      await until(() => h.run.connectedNow() === 4, 10_000, 'four connected');
      h.abort.abort();
      const { summary } = await h.run.done;
      const cm = summary.fleet!.connackMs!;
      expect(cm.count).toBe(4);
      // The server's timer cannot fire early; loopback and parsing add well under 50 ms to its span.
      expect(cm.p50).toBeGreaterThanOrEqual(delayMs - 1);
      expect(cm.p50).toBeGreaterThanOrEqual(Math.min(...spans) - 5);
      expect(cm.p50).toBeLessThanOrEqual(Math.max(...spans) + 50);
      expect(summary.fleet!.firstConnects).toBe(4);
    } finally {
      await server.close();
    }
  });
});

describe('saturation of the measuring process', () => {
  test('windows over a bound are marked, failures inside them counted, failures outside not', () => {
    const t = new SaturationTracker(200, 95);
    t.failure(500); // inside the first (healthy) window
    expect(t.sample({ atMs: 1000, windowMs: 1000, loopDelayMaxMs: 5, cpuPct: 30 })).toBe(false);
    t.failure(1500);
    t.failure(1900);
    expect(t.sample({ atMs: 2000, windowMs: 1000, loopDelayMaxMs: 900, cpuPct: 40 })).toBe(true);
    t.failure(2100); // a timeout that fired late, just after the stall: still ours
    expect(t.sample({ atMs: 3000, windowMs: 1000, loopDelayMaxMs: 3, cpuPct: 99 })).toBe(true);
    t.failure(5000);
    expect(t.sample({ atMs: 6000, windowMs: 1000, loopDelayMaxMs: 3, cpuPct: 10 })).toBe(false);
    expect(t.summary()).toMatchObject({
      windows: 2,
      totalMs: 2000,
      loopDelayMaxMs: 900,
      cpuMaxPct: 99,
      failuresDuring: 3,
      firstMs: 1000,
      lastMs: 3000,
    });
  });

  // 'as the run starts': the stall begins before the loop-delay watch has ticked once, where Node's
  // monitorEventLoopDelay (soak's earlier watch) recorded nothing for it.
  test.each(['as the run starts', 'once connected'])(
    'a real stall of our event loop %s is seen and reported as ours',
    async (when) => {
      const server = await startFakeServer((s) => {
        s.once('data', () => {
          s.write(CONNACK_OK);
          s.on('data', (d: Buffer) => answerPing(d, s));
        });
      });
      try {
        const h = await soakAgainst(server.url, { ratePerS: 0, drainMs: 0 });
        if (when === 'once connected') await until(() => h.run.connectedNow() === 1, 10_000, 'connected');
        const end = Date.now() + 700;
        while (Date.now() < end) {
          // Busy: this is the stall under test.
        }
        // Well inside the 1 s sampling period: the stall lands in the run's last, partial window, which stop() samples.
        await new Promise((r) => setTimeout(r, 300));
        h.abort.abort();
        const { summary } = await h.run.done;
        const seen = JSON.stringify(summary.saturation);
        expect(summary.saturation!.windows, seen).toBeGreaterThanOrEqual(1);
        expect(summary.saturation!.loopDelayMaxMs, seen).toBeGreaterThanOrEqual(400);
      } finally {
        await server.close();
      }
    },
  );
});

/** A finished run's summary with two saturated seconds (CPU at 100%), for the findings alone. */
const saturatedRun = (failuresDuring: number, keepaliveTimeouts: number) =>
  ({
    atMs: 10_000,
    startedMs: 0,
    elapsedMs: 10_000,
    clients: 1,
    perClient: [],
    connections: {
      byCause: { 'keepalive-timeout': keepaliveTimeouts },
      connectedMs: null,
      flaps: 0,
      flapThresholdMs: 10_000,
      sessionsLost: 0,
      connects: 2,
      neverConnected: 0,
    },
    messages: { sent: 10, received: 10 },
    saturation: {
      windows: 2,
      totalMs: 2000,
      loopDelayMaxMs: 900,
      cpuMaxPct: 100,
      failuresDuring,
      firstMs: 1000,
      lastMs: 3000,
    },
  }) as unknown as import('../../src/analyze/soak/summary.js').SoakSummary;

describe('who held the measuring process back', () => {
  test('stopped by the machine (SIGSTOP): late timers at low CPU are the machine, not our own work', async () => {
    const broker = await startMosquitto();
    try {
      const file = join(tempDir('mqd-starved-'), 'soak.jsonl');
      // 6 s: the stall lands well inside the run even when this worker sees the first connect late (a 3 s run once
      // ended inside the stop, loaded).
      const soak = await spawnCli(['soak', broker.url, '-d', '6s', '--rate', '2/s', '--json', '--out', file]);
      await until(() => countType(file, 'connect') >= 1, 20_000, 'connected');
      // What a busy machine does to a process, without a busy machine: it gets no CPU at all for 800 ms.
      soak.child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 800));
      soak.child.kill('SIGCONT');
      const r = await soak.done;
      const doc = JSON.parse(r.stdout) as {
        data: { summary: { saturation: { loopDelayMaxMs: number; cpuMaxPct: number } } };
        checks: Array<{ id: string; summary: string }>;
      };
      const sat = doc.data.summary.saturation;
      expect(sat.loopDelayMaxMs).toBeGreaterThanOrEqual(600);
      const finding = doc.checks.find((c) => c.id === 'finding.saturated');
      expect(sat.cpuMaxPct).toBeLessThan(50);
      expect(finding?.summary).toMatch(/^other processes kept mqtt-doctor waiting for the CPU/);
    } finally {
      await broker.stop();
    }
  });

  test.each([
    [100, /^mqtt-doctor itself was the bottleneck/, /fewer clients/],
    [6, /^other processes kept mqtt-doctor waiting/, /CPU is free/],
  ])('CPU up to %i%% of a core: %s', async (cpuMaxPct, summary, hint) => {
    const { soakFindings } = await import('../../src/analyze/soak/thresholds.js');
    const run = saturatedRun(0, 0);
    const s = { ...run, saturation: { ...run.saturation!, cpuMaxPct } };
    const f = soakFindings(s, { ratePerS: 1, end: 'duration' }).find((x) => x.id === 'saturated');
    expect(f?.summary).toMatch(summary);
    expect(f?.hint).toMatch(hint);
  });
});

describe('failures while we were saturated are not blamed on the path', () => {
  test.each([
    ['every timeout inside a saturated second: no path finding', 2, 2, false],
    ['one timeout outside: the path finding stays', 1, 2, true],
  ])('%s', async (_n, during, total, pathFinding) => {
    const { soakFindings } = await import('../../src/analyze/soak/thresholds.js');
    const ids = soakFindings(saturatedRun(during, total), { ratePerS: 1, end: 'duration' }).map((f) => f.id);
    expect(ids).toContain('saturated');
    expect(ids.includes('keepalive')).toBe(pathFinding);
  });
});
