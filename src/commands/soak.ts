/**
 * `mqtt-doctor soak [url]`: options → config → measure (N clients, own reconnect scheduler) → analyze →
 * report → exit code. Heavy modules (mqtt, prom-client, the runner) are imported inside the steps.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolveConnection, type ConnectionConfig } from '../config/connection.js';
import { describeReconnectPolicy } from '../config/reconnect.js';
import {
  shardOutPath,
  soakClientIds,
  soakPlan,
  soakShardPlan,
  type SoakPlan,
  type SoakShardPlan,
} from '../config/soak.js';
import { budgetLine, connectionBudget, parseLocalAddresses, type ConnectionBound } from '../config/source-address.js';
import { workerCount } from '../config/workers.js';
import { formatTarget, maskTarget, type Target } from '../config/target.js';
import { formatDuration } from '../config/units.js';
import { UsageError } from '../errors.js';
import type { SoakEvent, SoakRunInfo } from '../analyze/soak/events.js';
import type { SoakSummary } from '../analyze/soak/summary.js';
import type { MergedRun } from '../analyze/soak/merge.js';
import type { SoakData } from '../report/build-soak.js';
import type { Status } from '../ui/spinner.js';
import { soakDetailLine, soakEventNarrator, soakStatusLine } from '../ui/soak-status.js';
import { watchSoakKeys } from '../ui/soak-keys.js';
import { VERSION } from '../version.js';
import { defineCommand, type CommandContext } from './context.js';
import { withConnectionOptions, withImpairOption, withTlsOptions } from './options.js';
import {
  checkJunitPath,
  withSoakRunOptions,
  withSoakScaleOptions,
  withSoakThresholdOptions,
  withSoakWorkersOption,
  writeJunit,
} from './soak-options.js';
import { soakPictures, withHtmlOption, writeSoakHtmlFromEvents } from './html-option.js';

/** Disconnects kept for the report's event list (a long run keeps only these in memory). */
const RECENT_DISCONNECTS = 20;
/** Runs with at most this many clients narrate every connection event on stderr. */
const CHATTY_CLIENTS = 10;

type Cleanup = () => Promise<void> | void;

export const soakCommand = defineCommand({
  command: 'soak [url]',
  describe: 'Long-running sessions: count reconnects, downtime and lost, duplicated or reordered messages',
  builder: (y) =>
    withHtmlOption(
      withSoakWorkersOption(
        withSoakScaleOptions(
          withSoakRunOptions(withSoakThresholdOptions(withImpairOption(withTlsOptions(withConnectionOptions(y))))),
        ),
      ),
    )
      .example(
        '$0 soak --embedded -d 1m',
        'One client for a minute against an in-process broker (any key: running summary)',
      )
      .example(
        '$0 soak mqtt://broker.local:1883 -n 100 --rate 1/s -d 10m --out soak.jsonl',
        '100 clients, events to a file',
      )
      .example(
        '$0 soak mqtt://broker.local --no-clean --qos 1 --reconnect exp:1s..120s+jitter',
        'Kept sessions, backoff with jitter',
      )
      .example(
        '$0 soak mqtt://staging:1883 -d 5m --max-reconnects 0 --max-loss 0% --junit soak.xml',
        'CI gate: exit 1 naming what failed',
      )
      .example(
        '$0 soak mqtt://broker.local -n 5000 --rate 0 --ramp 500/s --metrics-port 9464',
        'Idle fleet with Prometheus metrics',
      )
      .example(
        '$0 soak --embedded -d 2m --rate 0 -k 60s --impair nat-idle=20s',
        'An idle client behind a NAT that forgets flows before the keepalive',
      ),
  run: async (args, ctx) => {
    const prepared = await prepareSoak(args, ctx);
    const { plan, sharding } = prepared;
    const startedAt = new Date();
    const cleanups: Cleanup[] = [];
    try {
      const shown = await stage(prepared.conn, prepared.impair, ctx, cleanups);
      const conn = shown.conn; // the embedded broker's or the proxy's address
      const runId = sharding.runId;
      const info = runInfo(args, plan, conn, shown);
      const outputs = await openOutputs(args, sharding, prepared.workers.count, ctx, cleanups);
      const run = {
        runId,
        info,
        shown: shown.target,
        sharding,
        sources: prepared.sources,
        workers: prepared.workers.count,
      };
      const measured = await measure(args, plan, conn, run, outputs, ctx, cleanups);
      const { summary } = measured;
      const connectedStrip = outputs.pictures.strip(summary.startedMs, summary.atMs, summary.clients);
      const report = await buildReport({
        plan,
        conn,
        runId,
        info,
        shown: shown.target,
        startedAt,
        connectedStrip,
        ...measured,
      });
      await emitReport(args, report, measured.merged, outputs, ctx);
      return report.verdict.exitCode;
    } finally {
      for (const c of cleanups.reverse()) await c();
    }
  },
});

type SoakArgs = Parameters<typeof soakCommand.run>[0];

/**
 * Everything read from the command line before anything starts, in the order a bad option should fail: the
 * target, the plan, the shard, --junit, the workers, the impair spec, the source addresses and budget.
 */
async function prepareSoak(args: SoakArgs, ctx: CommandContext) {
  const conn = resolveConnection(args, ctx.env);
  ctx.out.addSecret(conn.target.password);
  if (conn.target.rawTransport) {
    throw new UsageError(
      `soak needs an MQTT target; ${conn.target.scheme}:// only tests the transport`,
      'use mqtt://, mqtts://, ws:// or wss://, or `probe tcp://…` for tcping',
    );
  }
  const plan = soakPlan(args);
  const sharding = soakShardPlan(args, ctx.env, Date.now(), () => randomBytes(8).toString('hex'));
  checkJunitPath(args.junit);
  const workers = workerCount(args['workers'], sharding.slice.to - sharding.slice.from, availableParallelism());
  // Parse the impair spec before anything starts, so bad input fails first.
  const impair =
    args.impair !== undefined
      ? { spec: args.impair, faults: (await import('../config/impair.js')).parseImpairSpec(args.impair) }
      : undefined;
  const sources = await sourcePlan(args, conn, workers, ctx);
  return { conn, plan, sharding, workers, impair, sources };
}

/** The report on stdout, then --junit and --html. */
async function emitReport(
  args: SoakArgs,
  report: Awaited<ReturnType<typeof buildReport>>,
  merged: MergedRun | undefined,
  outputs: Outputs,
  ctx: CommandContext,
): Promise<void> {
  ctx.out.emit(report);
  writeJunit(args.junit, report, (await import('../report/render-junit.js')).renderJunit);
  // --workers: the page draws the merged run (one start line, merged checkpoint windows), as `report --html`
  // of the --out file does; the workers' own lines would draw each worker's windows one after another.
  if (merged) await writeSoakHtmlFromEvents(args.html, report, merged.events, ctx.out);
  else await outputs.pictures.writeHtml(report, ctx.out);
}

interface SourcePlan {
  addresses: string[] | undefined;
  /** The bound on connections that binds this run (ports, open files, broker), when one is known. */
  bound: ConnectionBound | undefined;
}

/**
 * --local-address and the connection budget, before anything connects: every source address must be this
 * host's and of the target's family; the bound that will stop the fleet is said now, not found mid-ramp.
 */
async function sourcePlan(
  args: SoakArgs,
  conn: ConnectionConfig,
  workers: { count: number; said: string | undefined },
  ctx: CommandContext,
): Promise<SourcePlan> {
  const addresses = args['local-address'] !== undefined ? parseLocalAddresses(args['local-address']) : undefined;
  const brokerMax = args['broker-max-connections'];
  if (brokerMax !== undefined && (!Number.isInteger(brokerMax) || brokerMax < 1))
    throw new UsageError(
      `--broker-max-connections ${brokerMax} is not a whole number ≥ 1`,
      'e.g. --broker-max-connections 10000',
    );
  const { readHostLimits, firstUnusableAddress } = await import('../measure/soak/host-limits.js');
  if (addresses) {
    const targetFamily = isIP(conn.target.host);
    const other = targetFamily === 0 ? undefined : addresses.find((a) => isIP(a) !== targetFamily);
    if (other !== undefined)
      throw new UsageError(
        `--local-address ${other}: an IPv${isIP(other)} source cannot reach the IPv${targetFamily} target ${conn.target.host}`,
        'use source addresses of the target’s family',
      );
    const bad = await firstUnusableAddress(addresses);
    if (bad)
      throw new UsageError(
        `--local-address ${bad.address}: not an address of this host (${bad.code})`,
        'list them with `ip -brief address` (on Linux every 127.x.y.z is on loopback)',
      );
  }
  // Notes come after every check of the command line, so a usage error is the only line a bad one prints.
  if (workers.said) ctx.out.note(workers.said);
  const budget = connectionBudget({
    clients: args.clients,
    sourceAddresses: addresses?.length ?? 1,
    workers: workers.count,
    limits: readHostLimits(),
    brokerMaxConnections: brokerMax,
  });
  const line = budgetLine(args.clients, budget);
  // Said when it matters: the fleet is over a bound or within half of one, or the user spread the sources.
  if (line && (addresses || !budget.fits || 2 * args.clients >= (budget.binding?.limit ?? Infinity)))
    ctx.out.note(line);
  return { addresses, bound: budget.binding };
}

/** Start the embedded broker and/or the impair proxy when asked; returns the target to show. */
async function stage(
  conn: ConnectionConfig,
  impair: { spec: string; faults: import('../config/impair.js').ImpairFaults } | undefined,
  ctx: CommandContext,
  cleanups: Cleanup[],
): Promise<{ conn: ConnectionConfig; target: Target; impairText: string | undefined }> {
  const { stageTarget } = await import('../lab/stage.js');
  const staged = await stageTarget(conn, impair, (l) => ctx.out.progress(l));
  cleanups.push(() => staged.close());
  const dial = staged.conn;
  if (staged.embedded && dial.mqttVersion === 5) {
    // aedes speaks MQTT 3.1.1 only.
    dial.mqttVersion = 4;
    ctx.out.note('embedded aedes broker speaks MQTT 3.1.1: soaking with -V 3.1.1');
  }
  return { conn: dial, target: staged.shown, impairText: staged.impair?.faults };
}

/** The settings the report and the JSONL start line carry (never credentials). */
function runInfo(
  args: SoakArgs,
  plan: SoakPlan,
  conn: ConnectionConfig,
  shown: { target: Target; impairText: string | undefined },
): SoakRunInfo {
  return {
    target: formatTarget(shown.target) + (shown.impairText ? ` via impair (${shown.impairText})` : ''),
    clients: args.clients,
    qos: plan.qos,
    ratePerS: plan.ratePerS,
    payloadBytes: plan.payloadBytes,
    keepaliveS: conn.keepaliveS,
    clean: args.clean,
    publishOffline: args['publish-offline'],
    mqttVersion: conn.mqttVersion,
    reconnect: `${args.reconnect} (${describeReconnectPolicy(plan.policy)})`,
    durationMs: plan.durationMs ?? null,
    checkpointMs: plan.checkpointMs,
    flapThresholdMs: plan.flapThresholdMs,
    lossGraceMs: plan.lossGraceMs,
  };
}

interface Outputs {
  writer: { write(ev: SoakEvent): void } | undefined;
  metrics: Awaited<ReturnType<typeof import('../measure/soak/metrics.js').startSoakMetrics>> | undefined;
  /** --html: keeps what the page draws while the run goes on. */
  pictures: ReturnType<typeof soakPictures>;
  /** Set once the run exists, so /metrics can read live figures. */
  setSnapshot(fn: () => SoakSummary): void;
}

/** --out (JSONL) and --metrics-port (Prometheus): opened before the run so a bad path fails first. */
async function openOutputs(
  args: SoakArgs,
  sharding: SoakShardPlan,
  workers: number,
  ctx: CommandContext,
  cleanups: Cleanup[],
): Promise<Outputs> {
  let writer: Outputs['writer'];
  if (args.out !== undefined) {
    const { openJsonlWriter } = await import('../measure/soak/jsonl-writer.js');
    const out = shardOutPath(args.out, sharding.shard);
    try {
      const w = openJsonlWriter(
        out,
        (err) =>
          ctx.out.note(
            `mqtt-doctor: --out ${out}: writing stopped (${(err as NodeJS.ErrnoException).code ?? err.message}); the soak goes on`,
          ),
        // --workers: each worker's lines come tagged with its own shard of the run.
        workers > 1 ? undefined : sharding.shard,
      );
      cleanups.push(() => w.close());
      writer = w;
    } catch (err) {
      throw new UsageError(
        `--out ${out}: cannot open (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        'check the directory exists and is writable',
      );
    }
  }
  let snapshot: (() => SoakSummary) | undefined;
  let metrics: Outputs['metrics'];
  if (args['metrics-port'] !== undefined) {
    const { startSoakMetrics } = await import('../measure/soak/metrics.js');
    try {
      metrics = await startSoakMetrics({
        host: args['metrics-host'],
        port: args['metrics-port'],
        snapshot: () => snapshot?.(),
        ...(sharding.shard ? { shard: sharding.shard.index } : {}),
      });
    } catch (err) {
      throw new UsageError(
        `--metrics-port ${args['metrics-port']}: cannot listen (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        'pick a free port',
      );
    }
    const m = metrics;
    cleanups.push(() => m.close());
    ctx.out.progress(`Prometheus metrics on http://${args['metrics-host']}:${metrics.port}/metrics`);
  }
  // --workers: the page is drawn from the final merge (emitReport), so the pictures keep no copy of every line.
  const pictures = soakPictures(workers > 1 ? undefined : args.html);
  return { writer, metrics, pictures, setSnapshot: (fn) => (snapshot = fn) };
}

/** What one run is, for the runner: its id and settings, the target shown, its shard, sources and workers. */
interface RunShape {
  runId: string;
  info: SoakRunInfo;
  shown: Target;
  sharding: SoakShardPlan;
  sources: SourcePlan;
  workers: number;
}

/** Run the clients until the duration, a signal or a permanent refusal; status and keys on stderr meanwhile. */
async function measure(
  args: SoakArgs,
  plan: SoakPlan,
  conn: ConnectionConfig,
  run: RunShape,
  outputs: Outputs,
  ctx: CommandContext,
  cleanups: Cleanup[],
) {
  const { soakMqttOptions } = await import('../measure/soak/mqtt-options.js');
  const { startStatus } = await import('../ui/spinner.js');
  const mqtt = soakMqttOptions(conn, {
    clean: args.clean,
    sessionExpiryS: plan.sessionExpiryS,
    payloadBytes: plan.payloadBytes,
  });
  const starting = startingLine(args.clients, run);
  const status = await startStatus(ctx.out, starting);
  cleanups.push(() => status.stop());
  // A log (not a terminal) gets the start as its first line too; a spinner already shows it.
  status.update(starting);
  const sink = eventSink(args.clients, outputs, status);
  const startAtMs = announceStart(run.sharding.startAt, status, ctx);
  const common = runnerOptions(args, plan, conn, run, mqtt, startAtMs);
  const soak = await startFleet(args, run, common, sink.onEvent, outputs, status, ctx);
  outputs.setSnapshot(soak.snapshot);
  if ('arrivals' in soak) outputs.metrics?.useArrivals(soak.arrivals);
  const stopUi = showProgress(status, soak.snapshot, plan.durationMs, ctx);
  cleanups.push(stopUi);
  const done = await soak.done;
  stopUi();
  status.stop();
  const merged: MergedRun | undefined = 'merged' in done ? (done.merged as MergedRun) : undefined;
  const crossCheck = 'crossCheck' in done ? done.crossCheck : undefined;
  return { summary: done.summary, reason: done.reason, recent: sink.recent, crossCheck, merged };
}

/** "soak: starting 5 clients (shard 1/2: clients 5–9 of 10) → mqtt://…". */
function startingLine(fleet: number, run: RunShape): string {
  const { shard, slice } = run.sharding;
  const clients = slice.to - slice.from;
  return `soak: starting ${clients} client${clients === 1 ? '' : 's'}${shard ? ` (shard ${shard.index}/${shard.count}: clients ${slice.from}–${slice.to - 1} of ${fleet})` : ''} → ${formatTarget(run.shown)}`;
}

/**
 * Where every event goes: --out, --html, /metrics, the recent disconnects the report lists, and (small
 * fleets) one narrated line on stderr.
 */
function eventSink(fleet: number, outputs: Outputs, status: Status) {
  const recent: SoakData['recentDisconnects'] = [];
  const narrate = fleet <= CHATTY_CLIENTS ? soakEventNarrator() : undefined;
  const onEvent = (ev: SoakEvent) => {
    outputs.writer?.write(ev);
    outputs.pictures.onEvent(ev);
    outputs.metrics?.onEvent(ev);
    if (ev.type === 'disconnect' || ev.type === 'connect-failed') {
      recent.push(ev);
      if (recent.length > RECENT_DISCONNECTS) recent.shift();
    }
    const line = narrate?.(ev);
    if (line !== undefined) status.line(line);
  };
  return { onEvent, recent };
}

/** The runner's options every worker shares (the client slice and ids are per runner). */
function runnerOptions(
  args: SoakArgs,
  plan: SoakPlan,
  conn: ConnectionConfig,
  run: RunShape,
  mqtt: ReturnType<typeof import('../measure/soak/mqtt-options.js').soakMqttOptions>,
  startAtMs: number | undefined,
) {
  return {
    ...(startAtMs !== undefined ? { startAtMs } : {}),
    url: mqtt.url,
    mqttOptions: mqtt.options,
    runId: run.runId,
    rampPerS: plan.rampPerS,
    qos: plan.qos,
    ratePerS: plan.ratePerS,
    payloadBytes: plan.payloadBytes,
    payloadFormat: args['payload-format'] as 'json' | 'binary',
    clean: args.clean,
    publishOffline: args['publish-offline'],
    policy: plan.policy,
    durationMs: plan.durationMs,
    checkpointMs: plan.checkpointMs,
    lossGraceMs: plan.lossGraceMs,
    flapThresholdMs: plan.flapThresholdMs,
    drainMs: 3000,
    readyTimeoutMs: conn.connectTimeoutMs,
    ...(plan.stopAfterRefusals !== undefined ? { stopAfterRefusals: plan.stopAfterRefusals } : {}),
    ...(run.sources.addresses ? { localAddresses: run.sources.addresses } : {}),
    ...(run.sources.bound ? { bound: run.sources.bound } : {}),
    info: run.info,
  };
}

/**
 * The clients in this process, or (--workers K) in K worker processes merged into one run. Each imports only its
 * own side: the runner (with MQTT.js and the knowledge base its causes classify by) added 18-19 MB to the RSS of
 * a workers' parent that never runs a client.
 */
async function startFleet(
  args: SoakArgs,
  run: RunShape,
  common: ReturnType<typeof runnerOptions>,
  onEvent: (ev: SoakEvent) => void,
  outputs: Outputs,
  status: Status,
  ctx: CommandContext,
) {
  const { shard, slice } = run.sharding;
  const ids = (sl: { from: number; to: number }) =>
    soakClientIds(args.clients, run.runId, args.clientId, args['same-client-id'], sl);
  return run.workers > 1
    ? (await import('../measure/soak/workers.js')).startWorkers({
        workers: run.workers,
        fleet: args.clients,
        shard,
        base: common,
        clientIds: ids,
        signal: ctx.signal,
        onEvent,
        onWorker: (line) => status.line(line),
        statusEveryMs: ctx.out.interactive ? 1000 : 5000,
        tallyArrivals: outputs.metrics !== undefined,
      })
    : await (await import('../measure/soak/runner.js')).startSoak({
        ...common,
        clients: slice.to - slice.from,
        firstClient: slice.from,
        clientIds: ids(slice),
        signal: ctx.signal,
        onEvent,
        ...(outputs.metrics ? { onArrival: outputs.metrics.onArrival } : {}),
      });
}

/**
 * --start-at: shards started by hand or by a scheduler wait for one agreed time, so they start together
 * without a coordinator (the runner waits, with its modules loaded). Ctrl-C while waiting ends the run at
 * once (nothing measured: an interrupted report).
 */
function announceStart(startAt: SoakShardPlan['startAt'], status: Status, ctx: CommandContext): number | undefined {
  if (!startAt) return undefined;
  const at = new Date(startAt.atMs).toISOString();
  const waitMs = startAt.atMs - Date.now();
  if (waitMs <= 0) {
    ctx.out.note(`mqtt-doctor: --start-at ${at} has passed: starting now`);
    return undefined;
  }
  status.line(`soak: waiting until ${at} to start (${formatDuration(waitMs)})`);
  return startAt.atMs;
}

/** The status line (every second on a terminal, every minute in a log) and the on-demand summary. */
function showProgress(
  status: Status,
  snapshot: () => SoakSummary,
  durationMs: number | undefined,
  ctx: CommandContext,
): () => void {
  const timer = setInterval(
    () => status.update(soakStatusLine(snapshot(), durationMs)),
    ctx.out.interactive ? 1000 : 60_000,
  );
  const unwatch = watchSoakKeys({
    stdin: ctx.stdin,
    interactive: ctx.out.interactive,
    onSummary: () => {
      const s = snapshot();
      status.line(soakStatusLine(s, durationMs));
      status.line(soakDetailLine(s));
    },
  });
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    unwatch();
  };
}

async function buildReport(r: {
  plan: SoakPlan;
  conn: ConnectionConfig;
  runId: string;
  info: SoakRunInfo;
  shown: Target;
  startedAt: Date;
  summary: SoakSummary;
  reason: import('../analyze/soak/events.js').EndReason;
  recent: SoakData['recentDisconnects'];
  connectedStrip: string | undefined;
  crossCheck: import('../analyze/soak/events.js').PortCheck | undefined;
  /** --workers: the merge of the workers' lines (a dead worker is named in its findings). */
  merged: MergedRun | undefined;
}) {
  const { checkThresholds, soakFindings } = await import('../analyze/soak/thresholds.js');
  const { buildSoakReport } = await import('../report/build-soak.js');
  return buildSoakReport({
    command: 'soak',
    version: VERSION,
    startedAt: r.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    target: maskTarget(r.shown),
    insecure: r.conn.tls.insecure,
    runId: r.runId,
    info: r.info,
    end: r.reason,
    summary: r.summary,
    thresholds: checkThresholds(r.summary, r.plan.thresholds),
    findings: [...(r.merged?.findings ?? []), ...soakFindings(r.summary, { ratePerS: r.plan.ratePerS, end: r.reason })],
    recentDisconnects: r.merged?.recentDisconnects ?? r.recent,
    connectedStrip: r.connectedStrip,
    crossCheck: r.crossCheck,
    ...(r.merged ? { shards: { count: r.merged.shardCount, list: r.merged.shards } } : {}),
  });
}
