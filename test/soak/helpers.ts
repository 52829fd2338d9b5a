/**
 * Run the soak runner in-process against a real broker and collect its events (for ground-truth tests).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { parseReconnectPolicy } from '../../src/config/reconnect.js';
import { resolveConnection, type ConnectionConfig } from '../../src/config/connection.js';
import type { SoakEvent, SoakRunInfo } from '../../src/analyze/soak/events.js';
import { ConnectionTimeline } from '../../src/analyze/soak/connection.js';
import { summarizeConnections, summarizeMessages, type SoakSummary } from '../../src/analyze/soak/summary.js';
import { LatencyHistogram } from '../../src/analyze/stats.js';
import { buildSoakReport, type SoakReportInput } from '../../src/report/build-soak.js';
import { startSoak, type SoakRun, type SoakRunOptions } from '../../src/measure/soak/runner.js';

/** A plaintext connection as the CLI resolves it from a URL alone (keepalive 30 s, connect timeout 5 s). */
export function plainConnection(url: string, mqttVersion: '5' | '3.1.1'): ConnectionConfig {
  const none = { ca: undefined, cert: undefined, key: undefined, servername: undefined, alpn: undefined };
  return resolveConnection(
    {
      ...none,
      url,
      embedded: false,
      mqttVersion,
      clientId: undefined,
      keepalive: '30s',
      username: undefined,
      password: undefined,
      passwordFile: undefined,
      connectTimeout: '5s',
      wsPath: undefined,
      insecure: false,
    },
    {},
  );
}

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
    target: url,
    clients,
    qos: o.qos ?? 1,
    ratePerS: o.ratePerS ?? 10,
    payloadBytes: 64,
    keepaliveS: 60,
    clean: o.clean ?? true,
    mqttVersion: 4,
    reconnect: o.reconnect ?? 'fixed:200ms',
    durationMs: o.durationMs ?? null,
    checkpointMs: o.checkpointMs ?? 60_000,
    flapThresholdMs: 10_000,
    lossGraceMs: 10_000,
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

/** Resolve once `pred` holds (polling), or throw after `timeoutMs`; `what` may add what was seen meanwhile. */
export async function until(pred: () => boolean, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(20);
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The built CLI as a child process the test can signal when its own output says so (not after a sleep). */
export async function spawnCli(args: string[], timeoutMs = 30_000) {
  const { spawn } = await import('node:child_process');
  const { BIN } = await import('../helpers/cli.js');
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) =>
      child.on('close', (code, signal) => {
        clearTimeout(kill);
        resolve({ code, signal, ...out });
      }),
  );
  return { child, out, done };
}

/** JSONL lines of a soak --out file written so far (a torn last line is skipped). */
export function linesOf(file: string): Array<{ type: string; summary?: { messages: { sent: number } } }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Array<{ type: string; summary?: { messages: { sent: number } } }> = [];
  for (const l of text.split('\n')) {
    try {
      out.push(JSON.parse(l) as { type: string });
    } catch {
      // torn or empty
    }
  }
  return out;
}

export const countType = (file: string, type: string): number => linesOf(file).filter((e) => e.type === type).length;

/** The run info of an idle (--rate 0), one-client run: the fixture report tests build their files and reports on. */
export const IDLE_RUN_INFO: SoakRunInfo = {
  target: 'mqtt://127.0.0.1:1883',
  clients: 1,
  qos: 1,
  ratePerS: 0,
  payloadBytes: 64,
  keepaliveS: 60,
  clean: true,
  mqttVersion: 4,
  reconnect: 'fixed:1s',
  durationMs: 10_000,
  checkpointMs: 30_000,
  flapThresholdMs: 10_000,
  lossGraceMs: 10_000,
};

/** A one-client, 10 s summary from a tiny script of timeline calls (no messages). */
export function oneClientSummary(script: (tl: ConnectionTimeline) => void): SoakSummary {
  const tl = new ConnectionTimeline(0, 0);
  script(tl);
  return {
    atMs: 10_000,
    startedMs: 0,
    elapsedMs: 10_000,
    clients: 1,
    perClient: [],
    connections: summarizeConnections([tl], 10_000, 10_000),
    messages: summarizeMessages([], 10_000, 0, new LatencyHistogram()),
  };
}

/** The soak report of a 10 s run (`soak`, end by duration unless told) over `summary`, with nothing else in it. */
export function reportOf(summary: SoakSummary, over: Partial<SoakReportInput> = {}) {
  return buildSoakReport({
    command: 'soak',
    version: '0.0.0',
    startedAt: new Date(0).toISOString(),
    finishedAt: new Date(10_000).toISOString(),
    runId: 'r',
    info: IDLE_RUN_INFO,
    end: 'duration',
    summary,
    thresholds: [],
    findings: [],
    recentDisconnects: [],
    ...over,
  });
}

/**
 * The verdict line of a clean run in soak's text report: HEALTHY, unless this machine was so busy that soak's own
 * loop stalled past its bound (a saturated second), when DEGRADED naming that and nothing else is the true verdict.
 */
export const CLEAN_VERDICT_LINE = /^(HEALTHY |DEGRADED .*: the measuring machine was saturated for [\d.]+ (ms|s)$)/m;

/** The same for a JSON report: healthy, or degraded by soak's own measured saturation alone. */
export function isCleanVerdict(rep: { verdict: { status: string; summary: string }; data: { summary: SoakSummary } }) {
  if (rep.verdict.status === 'healthy') return true;
  const saturated = (rep.data.summary.saturation?.windows ?? 0) > 0;
  return rep.verdict.status === 'degraded' && saturated && CLEAN_VERDICT_LINE.test(`DEGRADED ${rep.verdict.summary}`);
}
