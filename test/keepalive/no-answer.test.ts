/**
 * A broker that accepts the connection and never answers a PINGREQ: that is the finding (exit 1), never a
 * recommendation computed from a path that did not answer. Ground truth: a scripted server that sends CONNACK
 * for every CONNECT and nothing else. The two tests wait out the same ping timeouts side by side (test.concurrent).
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startFakeServer, type FakeServer } from '../helpers/fake-server.js';
import { runMain } from '../helpers/cli.js';

/** CONNACK "accepted" at the CONNECT's own protocol level (byte 7 of a CONNECT with a 1-byte length: 3.1.1 §3.1.2.2). */
function connackOnly(s: Socket): void {
  s.on('data', (chunk: Buffer) => {
    if (chunk[0] !== 0x10) return; // PINGREQ (0xc0) and everything else: no answer
    const level = chunk[8];
    s.write(level === 5 ? Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]) : Buffer.from([0x20, 0x02, 0x00, 0x00]));
  });
}

let server: FakeServer;
beforeAll(async () => {
  server = await startFakeServer(connackOnly);
});
afterAll(async () => {
  await server.close();
});

test.concurrent('100% unanswered PINGREQs: exit 1, the finding, no settings', async () => {
  const r = await runMain(['keepalive-tune', server.url, '--samples', '2', '--sample-interval', '10ms', '--json']);
  const report = JSON.parse(r.stdout) as {
    verdict: { status: string; exitCode: number; summary: string };
    data: { recommendation?: unknown; measured?: { rtt?: { sent: number; received: number } } };
  };
  expect(r.code).toBe(1);
  expect(report.verdict).toMatchObject({ status: 'failed', exitCode: 1 });
  expect(report.verdict.summary).toMatch(/no PINGRESP to any of 2 PINGREQs/);
  expect(report.data.measured?.rtt).toMatchObject({ sent: 2, received: 0 });
  expect(report.data.recommendation).toBeUndefined();
}, 20_000);

test.concurrent('the text report leads with the finding and recommends nothing', async () => {
  const r = await runMain(['keepalive-tune', server.url, '--samples', '1']);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/FAILED\s+no PINGRESP to any of 1 PINGREQ:/);
  expect(r.stdout).not.toMatch(/Recommended settings/);
}, 20_000);
