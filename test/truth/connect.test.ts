/**
 * Truth suite, connect step: a fresh mqtt-doctor process probes a scripted server that answers CONNACK after
 * exactly D ms, and a raw-socket client (its own fresh process) does the same in the same run. The server
 * records its own hold (CONNECT read → CONNACK written); both clients' windows contain it, so each must read at
 * least the hold, and what mqtt-doctor reads above it may not exceed what the raw client reads above it by more
 * than the raw client's own spread. Margins come from the raw reference, so a saturated machine widens both.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startScriptedBroker, type ScriptedBroker } from './scripted-broker.js';

const RAW = fileURLToPath(new URL('./raw-connect.mjs', import.meta.url));
const D = 25;
const RUNS = 3;

let server: ScriptedBroker;
beforeAll(async () => {
  server = await startScriptedBroker({ connackDelayMs: D });
});
afterAll(async () => {
  await server?.close();
});

function rawConnect(port: number, version: 4 | 5): Promise<{ tcpMs: number; connackMs: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [RAW, String(port), String(version)], { timeout: 15_000 }, (err, stdout) => {
      if (err) return reject(err);
      resolve(JSON.parse(stdout) as { tcpMs: number; connackMs: number });
    });
  });
}

/** The hold the server recorded for the connection just made. */
function lastHold(): number {
  const h = server.holds.filter((x) => x.kind === 'connack').at(-1);
  if (!h) throw new Error('the server recorded no CONNACK');
  return h.heldMs;
}

test.each([
  ['3.1.1', 4],
  ['5', 5],
] as const)(
  'CONNECT→CONNACK from a fresh process (MQTT %s) reads the server hold, as a raw client does',
  async (flag, version) => {
    const doctorExcess: number[] = [];
    const rawExcess: number[] = [];
    const doctorTcp: number[] = [];
    const rawTcp: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      // Interleaved, so load on the machine hits both alike.
      const r = await runCli(['probe', server.url, '-V', flag, '-c', '1', '--json'], { timeoutMs: 20_000 });
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as {
        data: { phases: { connack: { ms: number }; tcp: { ms: number } }; connectMs: number };
      };
      doctorTcp.push(doc.data.phases.tcp.ms);
      const held = lastHold();
      // The client's window contains the server's: reading less than the hold would be a wrong clock.
      expect(doc.data.phases.connack.ms).toBeGreaterThanOrEqual(held - 0.05);
      expect(doc.data.connectMs).toBeGreaterThanOrEqual(doc.data.phases.connack.ms);
      doctorExcess.push(doc.data.phases.connack.ms - held);
      const raw = await rawConnect(server.port, version);
      const rawHeld = lastHold();
      expect(raw.connackMs).toBeGreaterThanOrEqual(rawHeld - 0.05);
      rawExcess.push(raw.connackMs - rawHeld);
      rawTcp.push(raw.tcpMs);
    }
    // Before the fix the first CONNECT was encoded inside the window (mqtt-packet's 65,536-entry cache):
    // 30–300 ms above the hold in EVERY fresh process, where the raw client reads 0.1–10 ms. A bias of every run
    // shows in the fastest run; a saturated machine (stress-ng on both cores) only adds a wake-up delay to some
    // runs of either client (5.6 ms median against the raw client's 1.1 ms worst, once), so the fastest is compared.
    const margin = 2 * Math.max(...rawExcess) + 3;
    expect(
      Math.min(...doctorExcess),
      `mqtt-doctor ${doctorExcess.map((x) => x.toFixed(2))} vs raw ${rawExcess.map((x) => x.toFixed(2))}`,
    ).toBeLessThanOrEqual(margin);
    // TCP connect on loopback: the first connect in a process used to carry ~10 ms of Node's own set-up, in
    // every fresh process; the fastest of the runs shows that bias, while a busy machine only adds to some runs.
    expect(
      Math.min(...doctorTcp),
      `tcp ${doctorTcp.map((x) => x.toFixed(2))} vs raw ${rawTcp.map((x) => x.toFixed(2))}`,
    ).toBeLessThanOrEqual(2 * Math.max(...rawTcp) + 3);
  },
);
