/**
 * `mqtt-doctor soak [url]`: options → config → measure (N clients, own reconnect scheduler) → analyze →
 * report → exit code. Heavy modules (mqtt, prom-client, the runner) are imported inside `run`.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { resolveConnection } from '../config/connection.js';
import { describeReconnectPolicy, parseReconnectPolicy, DEFAULT_RECONNECT } from '../config/reconnect.js';
import { formatTarget, maskTarget } from '../config/target.js';
import { formatDuration, parseBytes, parseDurationMs, parsePercent, parseRate } from '../config/units.js';
import { UsageError } from '../errors.js';
import type { SoakThresholds } from '../analyze/soak/thresholds.js';
import type { SoakEvent, SoakRunInfo } from '../analyze/soak/events.js';
import type { SoakSummary } from '../analyze/soak/summary.js';
import type { Report } from '../report/model.js';
import type { SoakData } from '../report/build-soak.js';

const RECENT_DISCONNECTS = 20;
import { VERSION } from '../version.js';
import { defineCommand } from './context.js';
import { withConnectionOptions, withImpairOption, withTlsOptions } from './options.js';

export interface SoakThresholdArgs {
  maxReconnects: number | undefined;
  maxLoss: string | undefined;
  maxDowntime: string | undefined;
  maxP99: string | undefined;
  junit: string | undefined;
}

/** Thresholds and CI output shared by `soak` and `report`. */
export function withSoakThresholdOptions<T>(y: Argv<T>): Argv<T & SoakThresholdArgs> {
  return y
    .option('max-reconnects', { type: 'number', describe: 'Fail (exit 1) when a client reconnected more often than this' })
    .option('max-loss', { type: 'string', describe: 'Fail (exit 1) when message loss is above this, e.g. 0.1%' })
    .option('max-downtime', { type: 'string', describe: 'Fail (exit 1) when a client was down longer than this in total, e.g. 30s' })
    .option('max-p99', { type: 'string', describe: 'Fail (exit 1) when end-to-end latency p99 is above this, e.g. 500ms' })
    .option('junit', { type: 'string', describe: 'Also write a JUnit XML file (one test case per check) for CI' }) as unknown as Argv<T & SoakThresholdArgs>;
}

export function parseSoakThresholds(a: SoakThresholdArgs): SoakThresholds {
  if (a.maxReconnects !== undefined && (!Number.isInteger(a.maxReconnects) || a.maxReconnects < 0)) {
    throw new UsageError(`--max-reconnects ${a.maxReconnects} is not a whole number ≥ 0`, 'e.g. --max-reconnects 3');
  }
  return {
    maxReconnects: a.maxReconnects,
    maxLossPct: a.maxLoss !== undefined ? parsePercent(a.maxLoss, 'max-loss') : undefined,
    maxDowntimeMs: a.maxDowntime !== undefined ? parseDurationMs(a.maxDowntime, 'max-downtime') : undefined,
    maxP99Ms: a.maxP99 !== undefined ? parseDurationMs(a.maxP99, 'max-p99', 'ms') : undefined,
  };
}

export function writeJunit(path: string | undefined, report: Report, render: (r: Report) => string): void {
  if (path === undefined) return;
  try {
    writeFileSync(path, render(report));
  } catch (err) {
    throw new UsageError(`--junit ${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'check the directory exists and is writable');
  }
}

/** One status line: elapsed, connected, reconnects, loss, p99. */
export function soakStatusLine(s: SoakSummary): string {
  const m = s.messages;
  const p99 = m.latencyMs ? formatDuration(m.latencyMs.p99) : '—';
  return `soak ${formatDuration(s.elapsedMs)} · ${s.connections.connectedNow}/${s.clients} connected · ${s.connections.reconnects} reconnects · ${m.lost} lost of ${m.sent} (${m.lossPct.toFixed(2)}%) · p99 ${p99}`;
}

/** The soak-specific options as text, before validation. */
export interface SoakPlanArgs extends SoakThresholdArgs {
  clients: number;
  duration: string | undefined;
  ramp: string;
  rate: string;
  qos: number;
  'payload-size': string;
  reconnect: string;
  checkpoint: string;
  'loss-grace': string;
  'flap-threshold': string;
  'session-expiry': string;
  'same-client-id': boolean;
  'publish-offline'?: boolean;
  clientId: string | undefined;
}

/** Validate soak's own options into numbers (ms, per second, bytes). Pure; every mistake is a UsageError. */
export function soakPlan(args: SoakPlanArgs) {
  if (!Number.isInteger(args.clients) || args.clients < 1 || args.clients > 200_000) {
    throw new UsageError(`--clients ${args.clients} is not a whole number from 1 to 200000`, 'e.g. -n 100');
  }
  const durationMs = args.duration !== undefined ? parseDurationMs(args.duration, 'duration') : undefined;
  if (durationMs !== undefined && durationMs <= 0) throw new UsageError('--duration must be above zero', 'e.g. -d 10m');
  const rampPerS = parseRate(args.ramp, 'ramp');
  const ratePerS = parseRate(args.rate, 'rate');
  if (ratePerS > 1000) throw new UsageError(`--rate ${args.rate} is above 1000/s per client`, 'use more clients instead');
  const payloadBytes = parseBytes(args['payload-size'], 'payload-size');
  // MQTT §2.2.3: the Remaining Length field caps a packet at 268,435,455 bytes (256 MB).
  if (payloadBytes > 256 * 1024 * 1024) throw new UsageError('--payload-size is above the MQTT maximum of 256 MB', 'e.g. --payload-size 1kb');
  const policy = parseReconnectPolicy(args.reconnect);
  const checkpointMs = parseDurationMs(args.checkpoint, 'checkpoint');
  if (checkpointMs < 100) throw new UsageError('--checkpoint must be at least 100ms', 'e.g. --checkpoint 30s');
  // A Node timer holds at most 2^31 − 1 ms (about 24.8 days); a longer interval would fire every millisecond.
  if (checkpointMs > 2 ** 31 - 1) throw new UsageError('--checkpoint must be at most 24 days', 'e.g. --checkpoint 1h');
  const lossGraceMs = parseDurationMs(args['loss-grace'], 'loss-grace');
  const flapThresholdMs = parseDurationMs(args['flap-threshold'], 'flap-threshold');
  const sessionExpiryS = Math.round(parseDurationMs(args['session-expiry'], 'session-expiry') / 1000);
  // MQTT 5 §3.1.2.11.2: Session Expiry Interval is a Four Byte Integer.
  if (sessionExpiryS > 0xffffffff) throw new UsageError('--session-expiry is above the MQTT 5 maximum (0xFFFFFFFF s)', 'e.g. --session-expiry 1h');
  if (args['same-client-id'] && args.clientId === undefined) {
    throw new UsageError('--same-client-id needs --client-id', 'e.g. --client-id sensor-17 --clients 2 --same-client-id');
  }
  if (args['publish-offline'] && args.qos === 0) {
    throw new UsageError('--publish-offline needs --qos 1 or 2: QoS 0 messages are not queued while offline', 'add --qos 1');
  }
  if (args['publish-offline'] && ratePerS <= 0) {
    throw new UsageError('--publish-offline needs messages: --rate is 0', 'e.g. --rate 1/s');
  }
  return {
    durationMs,
    rampPerS,
    ratePerS,
    payloadBytes,
    policy,
    checkpointMs,
    lossGraceMs,
    flapThresholdMs,
    sessionExpiryS,
    thresholds: parseSoakThresholds(args),
    qos: args.qos as 0 | 1 | 2,
  };
}

export const soakCommand = defineCommand({
  command: 'soak [url]',
  describe: 'Long-running sessions: count reconnects, downtime and lost, duplicated or reordered messages',
  builder: (y) =>
    withSoakThresholdOptions(withImpairOption(withTlsOptions(withConnectionOptions(y))))
      .option('duration', { alias: 'd', type: 'string', describe: 'Stop after this long (default: until Ctrl-C / SIGTERM)' })
      .option('clients', { alias: 'n', type: 'number', default: 1, describe: 'Number of clients in this process' })
      .option('ramp', { type: 'string', default: '100/s', describe: 'Start clients at this rate (0 = all at once)' })
      .option('rate', { type: 'string', default: '1/s', describe: 'Messages per second per client (0 = idle: connections only)' })
      .option('qos', { type: 'number', choices: [0, 1, 2], default: 1, describe: 'QoS of the soak messages and subscription' })
      .option('payload-size', { type: 'string', default: '64', describe: 'Pad messages to this size (a JSON message needs about 80 B, binary 30 B)' })
      .option('payload-format', { type: 'string', choices: ['json', 'binary'], default: 'json', describe: 'json (readable) or binary (compact)' })
      .option('clean', { type: 'boolean', default: true, describe: 'Clean session / clean start (--no-clean keeps the session across reconnects)' })
      .option('publish-offline', {
        type: 'boolean',
        default: false,
        describe: 'Keep publishing while disconnected (QoS ≥ 1: MQTT.js queues and sends after the reconnect); shows whether those arrive',
      })
      .option('session-expiry', { type: 'string', default: '1h', describe: 'MQTT 5 session expiry sent with --no-clean' })
      .option('reconnect', { type: 'string', default: DEFAULT_RECONNECT, describe: 'Reconnect policy under test: fixed:1s, exp:1s..120s[+jitter], schedule:1,3,5,10,30,60,300' })
      .option('out', { alias: 'o', type: 'string', describe: 'Write events and checkpoints as JSONL (read it back with `mqtt-doctor report`)' })
      .option('checkpoint', { type: 'string', default: '30s', describe: 'Write a summary line to --out this often' })
      .option('flap-threshold', { type: 'string', default: '10s', describe: 'Outages shorter than this count as short outages ("false offline")' })
      .option('loss-grace', { type: 'string', default: '10s', describe: 'A message not back after this long counts as lost in live figures' })
      .option('metrics-port', { type: 'number', describe: 'Serve Prometheus metrics on this port (/metrics)' })
      .option('metrics-host', { type: 'string', default: '127.0.0.1', describe: 'Address for --metrics-port' })
      .option('same-client-id', {
        type: 'boolean',
        default: false,
        describe: 'Every client uses exactly --client-id (reproduce a fleet with a duplicated id: watch the takeovers)',
      })
      .example('$0 soak --embedded -d 1m', 'One client for a minute against an in-process broker (any key: running summary)')
      .example('$0 soak mqtt://broker.local:1883 -n 100 --rate 1/s -d 10m --out soak.jsonl', '100 clients, events to a file')
      .example('$0 soak mqtt://broker.local --no-clean --qos 1 --reconnect exp:1s..120s+jitter', 'Kept sessions, backoff with jitter')
      .example('$0 soak mqtt://staging:1883 -d 5m --max-reconnects 0 --max-loss 0% --junit soak.xml', 'CI gate: exit 1 naming what failed')
      .example('$0 soak mqtt://broker.local -n 5000 --rate 0 --ramp 500/s --metrics-port 9464', 'Idle fleet with Prometheus metrics')
      .example('$0 soak --embedded -d 2m --rate 0 -k 60s --impair nat-idle=20s', 'An idle client behind a NAT that forgets flows before the keepalive'),
  run: async (args, ctx) => {
    let conn = resolveConnection(args, ctx.env);
    ctx.out.addSecret(conn.target.password);
    if (conn.target.rawTransport) {
      throw new UsageError(`soak needs an MQTT target; ${conn.target.scheme}:// only tests the transport`, 'use mqtt://, mqtts://, ws:// or wss://, or `probe tcp://…` for tcping');
    }
    const { durationMs, rampPerS, ratePerS, payloadBytes, policy, checkpointMs, lossGraceMs, flapThresholdMs, sessionExpiryS, thresholds, qos } =
      soakPlan(args);

    // Parse the impair spec before anything starts, so bad input fails first.
    const impair = args.impair !== undefined ? { spec: args.impair, faults: (await import('../config/impair.js')).parseImpairSpec(args.impair) } : undefined;
    const startedAt = new Date();
    const cleanups: Array<() => Promise<void> | void> = [];
    try {
      const { stageTarget } = await import('../lab/stage.js');
      const stage = await stageTarget(conn, impair, (l) => ctx.out.progress(l));
      cleanups.push(() => stage.close());
      conn = stage.conn; // the embedded broker's or the proxy's address
      if (stage.embedded && conn.mqttVersion === 5) {
        // aedes speaks MQTT 3.1.1 only.
        conn.mqttVersion = 4;
        ctx.out.note('embedded aedes broker speaks MQTT 3.1.1: soaking with -V 3.1.1');
      }
      const shownTarget = stage.shown;
      const impairText = stage.impair?.faults;

      const runId = randomBytes(8).toString('hex');
      const clientIds = Array.from({ length: args.clients }, (_, i) =>
        args.clientId !== undefined ? (args.clients === 1 || args['same-client-id'] ? args.clientId : `${args.clientId}-${i}`) : `mqd-${runId}-${i}`,
      );
      const info: SoakRunInfo = {
        target: formatTarget(shownTarget) + (impairText ? ` via impair (${impairText})` : ''),
        clients: args.clients,
        qos,
        ratePerS,
        payloadBytes,
        keepaliveS: conn.keepaliveS,
        clean: args.clean,
        publishOffline: args['publish-offline'],
        mqttVersion: conn.mqttVersion,
        reconnect: `${args.reconnect} (${describeReconnectPolicy(policy)})`,
        durationMs: durationMs ?? null,
        checkpointMs,
        flapThresholdMs,
        lossGraceMs,
      };

      const { soakMqttOptions } = await import('../measure/soak/mqtt-options.js');
      const { startSoak } = await import('../measure/soak/runner.js');
      const { checkThresholds, soakFindings } = await import('../analyze/soak/thresholds.js');
      const { buildSoakReport } = await import('../report/build-soak.js');
      const { renderJunit } = await import('../report/render-junit.js');
      const { startStatus } = await import('../ui/spinner.js');
      const { url, options } = soakMqttOptions(conn, { clean: args.clean, sessionExpiryS });

      let writer: { write(ev: SoakEvent): void; close(): void } | undefined;
      if (args.out !== undefined) {
        const { openJsonlWriter } = await import('../measure/soak/jsonl-writer.js');
        try {
          const out = args.out;
          writer = openJsonlWriter(out, (err) => ctx.out.note(`mqtt-doctor: --out ${out}: writing stopped (${(err as NodeJS.ErrnoException).code ?? err.message}); the soak goes on`));
        } catch (err) {
          throw new UsageError(`--out ${args.out}: cannot open (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'check the directory exists and is writable');
        }
        const w = writer;
        cleanups.push(() => w.close());
      }
      let snapshot: (() => SoakSummary) | undefined;
      let metrics: Awaited<ReturnType<typeof import('../measure/soak/metrics.js').startSoakMetrics>> | undefined;
      if (args['metrics-port'] !== undefined) {
        const { startSoakMetrics } = await import('../measure/soak/metrics.js');
        try {
          metrics = await startSoakMetrics({ host: args['metrics-host'], port: args['metrics-port'], snapshot: () => snapshot?.() });
        } catch (err) {
          throw new UsageError(`--metrics-port ${args['metrics-port']}: cannot listen (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'pick a free port');
        }
        const mm = metrics;
        cleanups.push(() => mm.close());
        ctx.out.progress(`Prometheus metrics on http://${args['metrics-host']}:${metrics.port}/metrics`);
      }

      const status = await startStatus(ctx.out, `soak: starting ${args.clients} client${args.clients === 1 ? '' : 's'} → ${formatTarget(shownTarget)}`);
      cleanups.push(() => status.stop());
      // The last disconnects for the report's event list (bounded: a long run keeps only these in memory).
      const recent: SoakData['recentDisconnects'] = [];
      const seenDown = new Set<number>();
      const chatty = args.clients <= 10;
      const onEvent = (ev: SoakEvent) => {
        writer?.write(ev);
        metrics?.onEvent(ev);
        if (ev.type === 'disconnect' || ev.type === 'connect-failed') {
          recent.push(ev);
          if (recent.length > RECENT_DISCONNECTS) recent.shift();
        }
        if (!chatty) return;
        if (ev.type === 'disconnect') {
          seenDown.add(ev.client);
          status.line(`client ${ev.client}: connection lost (${ev.cause}: ${ev.detail})`);
        } else if (ev.type === 'connect' && seenDown.has(ev.client)) {
          status.line(`client ${ev.client}: connected again${ev.sessionExpected ? `, session present ${ev.sessionPresent ? 'yes' : 'NO'}` : ''}`);
        } else if (ev.type === 'connect-failed') {
          seenDown.add(ev.client);
          status.line(`client ${ev.client}: ${ev.attempt === 0 ? 'first connect' : `retry ${ev.attempt}`} failed (${ev.cause}: ${ev.detail})`);
        }
      };

      const run = await startSoak({
        url,
        mqttOptions: options,
        runId,
        clients: args.clients,
        clientIds,
        rampPerS,
        qos,
        ratePerS,
        payloadBytes,
        payloadFormat: args['payload-format'] as 'json' | 'binary',
        clean: args.clean,
        publishOffline: args['publish-offline'],
        policy,
        durationMs,
        checkpointMs,
        lossGraceMs,
        flapThresholdMs,
        drainMs: 3000,
        info,
        signal: ctx.signal,
        onEvent,
        ...(metrics ? { onArrival: metrics.onArrival } : {}),
      });
      snapshot = run.snapshot;

      const statusEveryMs = ctx.out.interactive ? 1000 : 60_000;
      const statusTimer = setInterval(() => status.update(soakStatusLine(run.snapshot())), statusEveryMs);
      cleanups.push(() => clearInterval(statusTimer));
      // SIGUSR1 prints the running summary without stopping (kill -USR1 <pid>).
      const onUsr1 = () => {
        const s = run.snapshot();
        status.line(soakStatusLine(s));
        const by = Object.entries(s.connections.byCause).map(([k, v]) => `${k} ${v}`).join(', ');
        status.line(`  disconnects ${s.connections.disconnects}${by ? ` (${by})` : ''}, downtime ${s.connections.worstClientDowntimeMs === 0 ? '0 s' : formatDuration(s.connections.worstClientDowntimeMs)} worst client, duplicates ${s.messages.duplicates}, out of order ${s.messages.outOfOrder}`);
      };
      process.on('SIGUSR1', onUsr1);
      cleanups.push(() => void process.off('SIGUSR1', onUsr1));
      // On a terminal, any key does the same. Raw mode swallows Ctrl-C, so pass it on as SIGINT.
      const tty = ctx.stdin as NodeJS.ReadStream;
      if (ctx.out.interactive && tty.isTTY && typeof tty.setRawMode === 'function') {
        const onKey = (d: Buffer) => {
          if (d.includes(3)) process.kill(process.pid, 'SIGINT');
          else onUsr1();
        };
        tty.setRawMode(true);
        tty.on('data', onKey);
        tty.resume();
        cleanups.push(() => {
          tty.off('data', onKey);
          tty.setRawMode(false);
          tty.pause();
        });
      }

      const { summary, reason } = await run.done;
      clearInterval(statusTimer);
      status.stop();
      const report = buildSoakReport({
        command: 'soak',
        version: VERSION,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        target: maskTarget(shownTarget),
        insecure: conn.tls.insecure,
        runId,
        info,
        end: reason,
        summary,
        thresholds: checkThresholds(summary, thresholds),
        findings: soakFindings(summary),
        recentDisconnects: recent,
      });
      ctx.out.emit(report);
      writeJunit(args.junit, report, renderJunit);
      return report.verdict.exitCode;
    } finally {
      for (const c of cleanups.reverse()) await c();
    }
  },
});
