/**
 * `mqtt-doctor keepalive-tune [url]`: inputs (profile, live RTT, idle timeout, broker limits, power) →
 * recommended keepalive, timeouts, backoff and TCP keepalive, with the reasoning and per-library snippets.
 * Offline when no target is named (profile/flags only); live when a URL, --embedded, --discover-idle or
 * --verify-broker is given. Options → plan → (stage, measure) → recommend → report → exit code.
 */
import type { ClassifiedFailure, MeasurementFailure } from '../analyze/failure.js';
import { resolveConnection } from '../config/connection.js';
import { CLIENT_CHOICES, keepalivePlan, type KeepalivePlan } from '../config/keepalive-tune.js';
import { UsageError } from '../errors.js';
import { BROKERS } from '../kb/brokers.js';
import { PROFILES } from '../kb/profiles.js';
import type { KeepaliveMeasured } from '../measure/keepalive-tune.js';
import type { Target } from '../config/target.js';
import type { TransportKind } from '../analyze/keepalive/types.js';
import { VERSION } from '../version.js';
import { defineCommand, type CommandContext } from './context.js';
import { withConnectionOptions, withImpairOption, withTlsOptions } from './options.js';

export const keepaliveTuneCommand = defineCommand({
  command: 'keepalive-tune [url]',
  describe: 'Recommend keepalive, ping/connect timeouts, backoff and TCP keepalive, and show why, number by number',
  builder: (y) =>
    withImpairOption(withTlsOptions(withConnectionOptions(y)))
      .option('profile', { type: 'string', describe: `Network profile: ${PROFILES.map((p) => p.name).join(', ')}` })
      .option('samples', { type: 'number', default: 20, describe: 'PINGREQ round trips to measure on a live target' })
      .option('sample-interval', { type: 'string', default: '200ms', describe: 'Time between RTT samples' })
      .option('nat-idle', {
        type: 'string',
        describe: 'Known middlebox idle timeout (350s) or a middlebox name (aws-nat, azure-lb, gcp-nat, …)',
      })
      .option('discover-idle', {
        type: 'boolean',
        default: false,
        describe: 'Measure the path idle timeout: parallel silent connections, bracket search',
      })
      .option('max-idle', { type: 'string', default: '30m', describe: 'Longest silence --discover-idle tries' })
      .option('idle-probes', { type: 'number', default: 8, describe: 'Connections per --discover-idle round' })
      .option('broker', {
        type: 'string',
        choices: BROKERS.map((b) => b.name),
        describe: "Apply this broker's documented keepalive caps",
      })
      .option('verify-broker', {
        type: 'boolean',
        default: false,
        describe: 'Stay silent and time when the broker cuts us (expected 1.5 × K), and whether the Will fires',
      })
      .option('verify-keepalive', { type: 'string', default: '5s', describe: 'Keepalive used by --verify-broker' })
      .option('power', {
        type: 'string',
        choices: ['mains', 'battery'],
        default: 'mains',
        describe: 'Trade detection time (mains) against wake-ups (battery)',
      })
      .option('session-expiry', {
        type: 'string',
        describe: 'Session expiry the app relies on; caps the reconnect backoff',
      })
      .option('client', {
        type: 'string',
        choices: CLIENT_CHOICES,
        default: 'all',
        describe: 'Snippet for this client library (default: the first; all with --explain)',
      })
      .option('explain', {
        type: 'boolean',
        default: false,
        describe: "Also show the rule behind each number, the field guides and every library's snippet",
      })
      .example('$0 keepalive-tune --profile 4g --broker aws-iot', 'Offline: from the 4G profile and AWS IoT limits')
      .example('$0 keepalive-tune --profile 4g --nat-idle aws-nat --power battery', 'Known middlebox, battery device')
      .example('$0 keepalive-tune mqtt://broker.local:1883 --samples 50', 'Measure RTT and the broker limit live')
      .example(
        '$0 keepalive-tune --embedded --impair nat-idle=7s --discover-idle --max-idle 20s',
        'Find a 7 s NAT timeout on a lab link',
      )
      .example(
        '$0 keepalive-tune mqtt://broker.local:1883 --verify-broker --verify-keepalive 4s',
        'Does the broker cut at 1.5 × K, does the Will fire?',
      ),
  run: async (args, ctx) => {
    const startedAt = new Date();
    const plan = keepalivePlan(args);
    const live = plan.live ? await measureLive(plan, args, ctx) : undefined;
    const { recommend } = await import('../analyze/keepalive/recommend.js');
    const { buildKeepaliveReport } = await import('../report/build-keepalive.js');
    const inputs = live?.inputs ?? plan.inputs;
    const idle = live ? live.idle : plan.idle;
    const rec = recommend({ ...inputs, ...(idle ? { idle } : {}) });
    const report = buildKeepaliveReport({
      inputs: { ...inputs, ...(idle ? { idle } : {}) },
      rec,
      given: plan.given,
      ...live?.measured,
      ...(live ? { target: live.shown } : {}),
      snippetTarget: live
        ? { host: live.shown.host, port: live.shown.port, secure: live.shown.secure }
        : offlineSnippetTarget(plan),
      clients: plan.clients,
      startedAt,
      finishedAt: new Date(),
      version: VERSION,
      interrupted: ctx.signal.aborted,
      explain: plan.explain,
      ...(live?.impair ? { impair: live.impair } : {}),
      ...(live?.failure ? { failure: live.failure } : {}),
    });
    ctx.out.emit(report);
    if (report.error)
      ctx.out.note(`mqtt-doctor: ${report.error.message}${report.error.hint ? ` (hint: ${report.error.hint})` : ''}`);
    return report.verdict.exitCode;
  },
});

/** Offline snippets name a placeholder host, on the TLS port for brokers that speak only TLS. */
function offlineSnippetTarget(plan: KeepalivePlan): { host: string; port: number; secure: boolean } {
  const secure = plan.broker?.tlsOnly === true;
  return { host: 'broker.example.com', port: secure ? 8883 : 1883, secure };
}

/** host:port for hints, with an IPv6 address in brackets ([::1]:1883). */
function hostPort(target: Target): string {
  return target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

function transportOf(target: Target): TransportKind {
  if (target.scheme === 'ws' || target.scheme === 'wss') return target.scheme;
  return target.secure ? 'tls' : 'tcp';
}

interface LiveRun {
  shown: Target;
  inputs: KeepalivePlan['inputs'];
  idle: KeepalivePlan['idle'];
  measured: KeepaliveMeasured;
  impair?: { spec: string; via: string };
  failure?: { classified: ClassifiedFailure; failure: MeasurementFailure };
}

/** Stage the target (embedded broker, impair proxy), measure, and classify whatever stopped the measurement. */
async function measureLive(
  plan: KeepalivePlan,
  args: Parameters<typeof resolveConnection>[0] & { impair: string | undefined },
  ctx: CommandContext,
): Promise<LiveRun> {
  const conn = resolveConnection(args, ctx.env);
  ctx.out.addSecret(conn.target.password);
  if (conn.target.rawTransport)
    throw new UsageError(
      'keepalive-tune needs an MQTT target, not tcp:// or tls://',
      'use mqtt://, mqtts://, ws:// or wss://',
    );
  const impair =
    args.impair !== undefined
      ? { spec: args.impair, faults: (await import('../config/impair.js')).parseImpairSpec(args.impair) }
      : undefined;
  const { stageTarget } = await import('../lab/stage.js');
  const { measureKeepalive } = await import('../measure/keepalive-tune.js');
  const { classifyMeasurementFailure, failureOf } = await import('../analyze/failure.js');
  const stage = await stageTarget(conn, impair, (line) => ctx.out.progress(line));
  try {
    const r = await measureKeepalive({
      conn: stage.conn,
      label: stage.shown.host,
      inputs: { ...plan.inputs, transport: transportOf(stage.shown) },
      idle: plan.idle,
      samples: plan.samples,
      sampleIntervalMs: plan.sampleIntervalMs,
      discoverIdle: plan.discoverIdle,
      verifyBroker: plan.verifyBroker,
      signal: ctx.signal,
      progress: (line) => ctx.out.progress(line),
      note: (line) => ctx.out.note(line),
    });
    const run: LiveRun = {
      shown: stage.shown,
      inputs: r.inputs,
      idle: r.idle,
      measured: r.measured,
      ...(stage.impair ? { impair: { spec: stage.impair.spec, via: stage.impair.via } } : {}),
    };
    if (r.stoppedBy !== undefined) {
      const failure = failureOf(r.stoppedBy);
      if (!failure) throw r.stoppedBy; // not a measurement failure: a bug, for the funnel
      const classified = classifyMeasurementFailure(failure, {
        aborted: ctx.signal.aborted,
        hostPort: hostPort(stage.shown),
      });
      run.failure = { classified, failure };
    }
    return run;
  } finally {
    await stage.close();
  }
}
