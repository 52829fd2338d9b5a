/**
 * A broker that announces a 200 MB PUBLISH and trickles it: probe and keepalive-tune read the Remaining Length
 * as it arrives and end the session at once ("packet of N bytes exceeds our limit"), instead of letting
 * mqtt-packet buffer the packet whole. Memory is judged against a run of the same command against a
 * well-behaved server in this test (peak RSS of the spawned process), not against an absolute figure.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { startFakeServer, type FakeServer } from '../helpers/fake-server.js';
import { hugePublish, wellBehaved } from './servers.js';
import { plainConnection } from '../soak/helpers.js';

interface Run {
  code: number | null;
  out: string;
  peakRssKb: number;
  ms: number;
}

/** Spawn the built CLI and sample its resident set from /proc every 20 ms; the peak is kept. */
function run(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: 'true' };
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let peakRssKb = 0;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const sample = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakRssKb = Math.max(peakRssKb, Number(m[1]));
      } catch {
        // the process has just exited
      }
    }, 20);
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sample);
      clearTimeout(killer);
      resolve({ code, out, peakRssKb, ms: performance.now() - t0 });
    });
  });
}

const servers: FakeServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const ANNOUNCED = 200 * 1024 * 1024;

// The four commands run at once: each judges its own process against its own baseline (peak RSS is per process),
// and each spends its time waiting on its servers, not computing.
test.concurrent.each([
  ['probe', 4],
  ['probe', 5],
  ['keepalive-tune', 4],
  ['soak', 4],
] as const)(
  '%s -V %i: a 200 MB PUBLISH trickled after CONNACK ends the session at once, memory near the baseline',
  async (command, version) => {
    const args = (url: string) =>
      command === 'probe'
        ? ['probe', url, '-V', String(version), '-c', '5', '-i', '300ms', '-W', '1s', '--connect-timeout', '2s']
        : command === 'soak'
          ? ['soak', url, '-V', String(version), '-d', '2s', '-n', '1', '--connect-timeout', '2s']
          : ['keepalive-tune', url, '-V', String(version), '--samples', '5', '--connect-timeout', '2s'];
    const good = await startFakeServer(wellBehaved());
    // 256 KiB every 2 ms: a client that buffered the packet would hold over 100 MB within the run.
    const huge = await startFakeServer(hugePublish(ANNOUNCED, 256 * 1024, 2));
    servers.push(good, huge);
    const baseline = await run(args(good.url));
    // soak's verdict against the scripted broker is not the point here; probe and keepalive-tune must pass.
    if (command !== 'soak') expect(baseline.code, baseline.out).toBe(0);
    const r = await run(args(huge.url));
    // The hostile run may hold a few socket buffers more than the baseline, never the packet (200 MB).
    expect(r.peakRssKb, `baseline ${baseline.peakRssKb} kB, hostile ${r.peakRssKb} kB`).toBeLessThan(
      baseline.peakRssKb + 32 * 1024,
    );
    expect([1, 4], r.out).toContain(r.code);
    expect(r.out).toMatch(/packet of \d+ bytes exceeds our limit/);
    expect(r.out).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  },
  120_000,
);

test('soak announces Maximum Packet Size = its payload + 64 KiB in an MQTT 5 CONNECT, nothing at 3.1.1', async () => {
  const { soakMqttOptions } = await import('../../src/measure/soak/mqtt-options.js');
  const conn = (mqttVersion: 4 | 5) => plainConnection('mqtt://127.0.0.1:1883', mqttVersion === 5 ? '5' : '3.1.1');
  const at = (v: 4 | 5, payloadBytes: number, clean = true) =>
    soakMqttOptions(conn(v), { clean, sessionExpiryS: 60, payloadBytes }).options.properties;
  expect(at(5, 1000)).toEqual({ maximumPacketSize: 1000 + 65536 });
  expect(at(5, 256 * 1024 * 1024)).toEqual({ maximumPacketSize: 268_435_455 });
  expect(at(5, 10, false)).toEqual({ maximumPacketSize: 10 + 65536, sessionExpiryInterval: 60 });
  expect(at(4, 1000)).toBeUndefined();
});
