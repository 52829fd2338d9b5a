/**
 * analyze against captures the test records itself, the idle faults: a keepalive cut by mosquitto and NAT idle
 * timeouts of the impair proxy (reset and silent drop), each read back against the idle the test injected and
 * observed. The other recorded faults are in faults.test.ts: a file each, so the two run at once in the serial
 * group (their tests share one broker, so within a file they run one at a time).
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { startImpairProxy, type ImpairEvent } from '../../src/lab/impair/proxy.js';
import type { Mosquitto } from '../helpers/mosquitto.js';
import {
  analyzeAndTshark,
  expectTsharkAgrees,
  faults,
  HAS_TCPDUMP,
  onPort,
  RawClient,
  SKIP_REASON,
  sleep,
  startTcpdump,
  captureFolder,
  brokerForFile,
} from './record.js';

const file = captureFolder();

if (!HAS_TCPDUMP) console.warn(`test/analyze/faults-idle.test.ts skipped: ${SKIP_REASON}`);

describe.skipIf(!HAS_TCPDUMP)('analyze: idle faults recorded with tcpdump', () => {
  const broker = brokerForFile();
  let m: Mosquitto;
  beforeEach(() => {
    m = broker();
  });

  test('keepalive cut of a client that never pings: broker FIN after ≈ 1.5 × K of client silence', async () => {
    const f = file('keepalive');
    const rec = await startTcpdump(f, [m.port]);
    const c = await RawClient.open(m.port);
    await c.connect('never-pings', 1);
    const closedAt = await c.closed(6000);
    await rec.stop();
    expect(closedAt).toBeDefined();
    const observedSilence = closedAt! - c.lastWriteMs;
    const { code, json } = await analyzeAndTshark(f, [m.port]);
    expect(code).toBe(1);
    const [conn] = onPort(json, m.port);
    expect(conn).toMatchObject({
      clientId: 'never-pings',
      keepaliveS: 1,
      cause: 'keepalive-cut',
      endedBy: 'server',
      how: 'fin',
    });
    // On the wire the close comes before our process hears of it: silence ≤ what we observed, ≥ K.
    expect(conn!.silentMs.client!).toBeGreaterThanOrEqual(1000);
    expect(conn!.silentMs.client!).toBeLessThanOrEqual(observedSilence + 5);
    // mosquitto checks about every 5 s: the cut lands between 1.5 × K and 1.5 × K + 5 s (+ slack for a busy CPU).
    expect(conn!.keepaliveRatio!).toBeGreaterThanOrEqual(1.5 - 1);
    expect(conn!.keepaliveRatio!).toBeLessThanOrEqual(1.5 + 5 + 2);
    expect(json.data.findings[0]!.id).toBe('cause.keepalive-cut');
    await expectTsharkAgrees(f, [m.port], json);
  });

  test('NAT idle timeout with reset: RST on both legs after the idle the proxy enforced', async () => {
    const events: ImpairEvent[] = [];
    const proxy = await startImpairProxy({
      targetHost: '127.0.0.1',
      targetPort: m.port,
      faults: faults({ natIdleMs: 1500, natMode: 'reset' }),
      onEvent: (e) => events.push(e),
    });
    const f = file('nat-reset');
    const rec = await startTcpdump(f, [proxy.port, m.port]);
    const c = await RawClient.open(proxy.port);
    await c.connect('nat-reset', 0);
    await c.closed(6000);
    await rec.stop();
    await proxy.close();
    const expired = events.find((e) => e.type === 'mapping-expired') as
      | Extract<ImpairEvent, { type: 'mapping-expired' }>
      | undefined;
    expect(expired).toBeDefined();
    const { json } = await analyzeAndTshark(f, [proxy.port, m.port]);
    const [front] = onPort(json, proxy.port);
    const [back] = onPort(json, m.port);
    expect(front).toMatchObject({ cause: 'idle-reset', endedBy: 'server', how: 'rst' });
    expect(back).toMatchObject({ cause: 'idle-reset', endedBy: 'client', how: 'rst' });
    // The idle on the wire is at least the configured one and the idle the proxy measured when its timer fired
    // (late when the CPU is busy); the wire's last byte precedes the proxy's read of it, so allow that lag above.
    for (const leg of [front!, back!]) {
      expect(leg.idleMs!).toBeGreaterThanOrEqual(1500 - 2);
      expect(leg.idleMs!).toBeGreaterThanOrEqual(expired!.idleMs - 5);
      expect(leg.idleMs!).toBeLessThan(expired!.idleMs + 250);
    }
    await expectTsharkAgrees(f, [proxy.port, m.port], json);
  });

  test('NAT idle timeout that drops silently: the ping after the long silence goes unanswered, the client gives up', async () => {
    const proxy = await startImpairProxy({
      targetHost: '127.0.0.1',
      targetPort: m.port,
      faults: faults({ natIdleMs: 1500, natMode: 'drop' }),
    });
    const f = file('nat-drop');
    const rec = await startTcpdump(f, [proxy.port]);
    const c = await RawClient.open(proxy.port);
    await c.connect('nat-drop', 10);
    await sleep(300);
    c.send({ cmd: 'pingreq' });
    await c.waitFor('pingresp', 2000);
    await sleep(2200); // longer than the NAT's 1.5 s
    c.send({ cmd: 'pingreq' });
    await sleep(800);
    expect(c.received.filter((p) => p.cmd === 'pingresp')).toHaveLength(1);
    c.end();
    await c.closed(2000);
    await rec.stop();
    await proxy.close();
    const { json } = await analyzeAndTshark(f, [proxy.port]);
    const [conn] = onPort(json, proxy.port);
    expect(conn).toMatchObject({ cause: 'idle-drop', endedBy: 'client' });
    expect(conn!.ping).toMatchObject({ sent: 2, answered: 1, unanswered: 1 });
    // Idle before the unanswered ping: at least the NAT timeout, and the survived silence stayed below it.
    expect(conn!.idleMs!).toBeGreaterThanOrEqual(1500);
    expect(conn!.explanation).toMatch(/timeout is between/);
    await expectTsharkAgrees(f, [proxy.port], json);
  });
});
