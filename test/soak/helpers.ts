/**
 * Run the soak runner in-process against a real broker and collect its events (for ground-truth tests).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { parseReconnectPolicy } from '../../src/config/reconnect.js';
import type { SoakEvent, SoakRunInfo } from '../../src/analyze/soak/events.js';
import { startSoak, type SoakRun, type SoakRunOptions } from '../../src/measure/soak/runner.js';

export interface SoakHarness {
  run: SoakRun;
  events: SoakEvent[];
  abort: AbortController;
}

export async function soakAgainst(
  url: string,
  o: Partial<Omit<SoakRunOptions, 'mqttOptions'>> & { mqttOptions?: IClientOptions; reconnect?: string } = {},
): Promise<SoakHarness> {
  const events: SoakEvent[] = [];
  const abort = new AbortController();
  const clients = o.clients ?? 1;
  const info: SoakRunInfo = {
    target: url, clients, qos: o.qos ?? 1, ratePerS: o.ratePerS ?? 10, payloadBytes: 64, keepaliveS: 60,
    clean: o.clean ?? true, mqttVersion: 4, reconnect: o.reconnect ?? 'fixed:200ms', durationMs: o.durationMs ?? null,
    checkpointMs: o.checkpointMs ?? 60_000, flapThresholdMs: 10_000, lossGraceMs: 10_000,
  };
  const runId = o.runId ?? Math.random().toString(16).slice(2, 18).padEnd(16, '0');
  const run = await startSoak({
    url,
    mqttOptions: { protocolVersion: 4, keepalive: 60, connectTimeout: 5000, ...o.mqttOptions },
    runId,
    clients,
    clientIds: o.clientIds ?? Array.from({ length: clients }, (_, i) => `mqd-test-${runId}-${i}`),
    rampPerS: 0,
    qos: o.qos ?? 1,
    ratePerS: o.ratePerS ?? 10,
    payloadBytes: 64,
    payloadFormat: o.payloadFormat ?? 'json',
    clean: o.clean ?? true,
    publishOffline: o.publishOffline ?? false,
    policy: parseReconnectPolicy(o.reconnect ?? 'fixed:200ms'),
    durationMs: o.durationMs,
    checkpointMs: o.checkpointMs ?? 60_000,
    lossGraceMs: 10_000,
    flapThresholdMs: 10_000,
    drainMs: o.drainMs ?? 3000,
    info,
    signal: abort.signal,
    onEvent: (ev) => events.push(ev),
  });
  return { run, events, abort };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolve once `pred` holds (polling), or throw after `timeoutMs`. */
export async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
