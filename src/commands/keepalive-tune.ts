/**
 * `mqtt-doctor keepalive-tune [url]`: inputs (profile, live RTT, idle timeout, broker limits, power) →
 * recommended keepalive, timeouts, backoff and TCP keepalive, with the reasoning and per-library snippets.
 * Offline when no target is named (profile/flags only); live when a URL, --embedded, --discover-idle or
 * --verify-broker is given.
 */
import type { IdleInput, KeepaliveInputs, PathInput, PowerMode, TransportKind } from '../analyze/keepalive/types.js';
import { resolveConnection, type ConnectionConfig } from '../config/connection.js';
import type { Target } from '../config/target.js';
import { formatDuration, parseDurationMs } from '../config/units.js';
import { RefusedError, UnreachableError, UsageError } from '../errors.js';
import { getBroker } from '../kb/brokers.js';
import { CLIENT_LIBS, type ClientLibId } from '../kb/clients.js';
import { findMiddlebox, getProfile, MIDDLEBOXES, PROFILES } from '../kb/profiles.js';
import type { KeepaliveReportInput } from '../report/build-keepalive.js';
import { VERSION } from '../version.js';
import { defineCommand, type CommandContext } from './context.js';
import { withConnectionOptions, withImpairOption, withTlsOptions } from './options.js';

const CLIENT_CHOICES = ['all', ...CLIENT_LIBS.map((l) => l.id), 'mosquitto'];
/** explain-error spells the mosquitto tools `--client mosquitto`; accept that spelling here too. */
const CLIENT_ALIASES: Record<string, ClientLibId> = { mosquitto: 'mosquitto-cli' };

function transportOf(t: Target | undefined): TransportKind {
  if (!t) return 'tcp';
  if (t.scheme === 'ws' || t.scheme === 'wss') return t.scheme;
  return t.secure ? 'tls' : 'tcp';
}

/** `--nat-idle 350s` or a middlebox name from kb/profiles (`aws-nat`, `azure-lb`, …). */
export function parseNatIdle(text: string): IdleInput {
  const box = findMiddlebox(text);
  if (box) return { source: 'middlebox', label: `${box.name} (${box.title})`, lowMs: box.idleS * 1000, highMs: box.idleS * 1000 };
  let ms: number;
  try {
    ms = parseDurationMs(text, 'nat-idle');
  } catch {
    throw new UsageError(`--nat-idle ${text} is neither a duration nor a known middlebox`, `e.g. --nat-idle 350s, or one of ${MIDDLEBOXES.map((m) => m.name).join(', ')}`);
  }
  if (ms < 2000) throw new UsageError(`--nat-idle ${text} is too short to keep anything alive`, 'give at least 2s');
  return { source: 'flag', label: `--nat-idle ${text}`, lowMs: ms, highMs: ms };
}

export const keepaliveTuneCommand = defineCommand({
  command: 'keepalive-tune [url]',
  describe: 'Recommend keepalive, ping/connect timeouts, backoff and TCP keepalive, and show why, number by number',
  builder: (y) =>
    withImpairOption(withTlsOptions(withConnectionOptions(y)))
      .option('profile', { type: 'string', describe: `Network profile: ${PROFILES.map((p) => p.name).join(', ')}` })
      .option('samples', { type: 'number', default: 20, describe: 'PINGREQ round trips to measure on a live target' })
      .option('sample-interval', { type: 'string', default: '200ms', describe: 'Time between RTT samples' })
      .option('nat-idle', { type: 'string', describe: 'Known middlebox idle timeout (350s) or a middlebox name (aws-nat, azure-lb, gcp-nat, …)' })
      .option('discover-idle', { type: 'boolean', default: false, describe: 'Measure the path idle timeout: parallel silent connections, bracket search' })
      .option('max-idle', { type: 'string', default: '30m', describe: 'Longest silence --discover-idle tries' })
      .option('idle-probes', { type: 'number', default: 8, describe: 'Connections per --discover-idle round' })
      .option('broker', { type: 'string', choices: ['aws-iot', 'azure-iot-hub', 'mosquitto', 'emqx', 'hivemq'], describe: 'Apply this broker\'s documented keepalive caps' })
      .option('verify-broker', { type: 'boolean', default: false, describe: 'Stay silent and time when the broker cuts us (expected 1.5 × K), and whether the Will fires' })
      .option('verify-keepalive', { type: 'string', default: '5s', describe: 'Keepalive used by --verify-broker' })
      .option('power', { type: 'string', choices: ['mains', 'battery'], default: 'mains', describe: 'Trade detection time (mains) against wake-ups (battery)' })
      .option('session-expiry', { type: 'string', describe: 'Session expiry the app relies on; caps the reconnect backoff' })
      .option('client', { type: 'string', choices: CLIENT_CHOICES, default: 'all', describe: 'Snippets for this client library only' })
      .example('$0 keepalive-tune --profile 4g --broker aws-iot', 'Offline: from the 4G profile and AWS IoT limits')
      .example('$0 keepalive-tune --profile 4g --nat-idle aws-nat --power battery', 'Known middlebox, battery device')
      .example('$0 keepalive-tune mqtt://broker.local:1883 --samples 50', 'Measure RTT and the broker limit live')
      .example('$0 keepalive-tune --embedded --impair nat-idle=7s --discover-idle --max-idle 20s', 'Find a 7 s NAT timeout on a lab link')
      .example('$0 keepalive-tune mqtt://broker.local:1883 --verify-broker --verify-keepalive 4s', 'Does the broker cut at 1.5 × K, does the Will fire?'),
  run: async (args, ctx) => {
    const startedAt = new Date();
    const power = args.power as PowerMode;
    const profile = args.profile !== undefined ? getProfile(args.profile) : undefined;
    const broker = args.broker !== undefined ? getBroker(args.broker) : undefined;
    if (args['nat-idle'] !== undefined && args['discover-idle']) {
      throw new UsageError('--nat-idle and --discover-idle both set the idle timeout', 'give the known value, or measure it, not both');
    }
    let idle: IdleInput | undefined = args['nat-idle'] !== undefined ? parseNatIdle(args['nat-idle']) : undefined;
    const sessionExpiryS = args['session-expiry'] !== undefined ? parseDurationMs(args['session-expiry'], 'session-expiry') / 1000 : undefined;
    const maxIdleMs = parseDurationMs(args['max-idle'], 'max-idle');
    if (maxIdleMs < 3000 || maxIdleMs > 4 * 3_600_000) throw new UsageError(`--max-idle ${args['max-idle']} must be between 3s and 4h`, 'e.g. --max-idle 30m');
    const verifyKeepaliveS = parseDurationMs(args['verify-keepalive'], 'verify-keepalive') / 1000;
    if (!Number.isInteger(verifyKeepaliveS) || verifyKeepaliveS < 1 || verifyKeepaliveS > 600) {
      throw new UsageError(`--verify-keepalive ${args['verify-keepalive']} must be whole seconds from 1 to 600`, 'e.g. --verify-keepalive 5s');
    }
    if (!Number.isInteger(args.samples) || args.samples < 1 || args.samples > 10_000) throw new UsageError('--samples must be 1 to 10000', 'e.g. --samples 20');
    if (!Number.isInteger(args['idle-probes']) || args['idle-probes'] < 2 || args['idle-probes'] > 64) throw new UsageError('--idle-probes must be 2 to 64', 'e.g. --idle-probes 8');
    const sampleIntervalMs = parseDurationMs(args['sample-interval'], 'sample-interval', 'ms');
    const clients = (args.client === 'all' ? CLIENT_LIBS.map((l) => l.id) : [CLIENT_ALIASES[args.client] ?? args.client]) as ClientLibId[];
    const live = args.url !== undefined || args.embedded || args['discover-idle'] || args['verify-broker'];
    if (!live && args.impair !== undefined) throw new UsageError('--impair needs a target to measure', 'add a URL or --embedded');
    if (!live && !profile && !idle && !broker) {
      throw new UsageError('nothing to tune from', 'give --profile, --nat-idle or --broker, or a URL / --embedded to measure');
    }

    // Offline, snippets and byte counts assume TLS for the cloud brokers (they only speak TLS) and plain MQTT otherwise.
    const cloud = broker?.name === 'aws-iot' || broker?.name === 'azure-iot-hub';
    const inputs: KeepaliveInputs = {
      ...(profile ? { profileName: profile.name } : {}),
      power,
      transport: cloud ? 'tls' : 'tcp',
      ...(sessionExpiryS !== undefined ? { sessionExpiryS } : {}),
    };
    if (profile) {
      inputs.path = { source: 'profile', label: profile.name, rttP50Ms: profile.rttMs.typical, rttP99Ms: profile.rttMs.max, jitterMs: profile.jitterMs, lossPct: profile.lossPct };
      if (!idle && profile.natIdleS !== undefined) idle = { source: 'profile', label: profile.name, lowMs: profile.natIdleS * 1000, highMs: profile.natIdleS * 1000 };
    }
    if (broker) inputs.broker = { limits: broker };

    let conn: ConnectionConfig | undefined;
    let shown: Target | undefined;
    let impairInfo: { spec: string; via: string } | undefined;
    const measured: Measured = {};
    const cleanups: Array<() => Promise<void>> = [];
    try {
      if (live) {
        conn = resolveConnection(args, ctx.env);
        ctx.out.addSecret(conn.target.password);
        if (conn.target.rawTransport) throw new UsageError('keepalive-tune needs an MQTT target, not tcp:// or tls://', 'use mqtt://, mqtts://, ws:// or wss://');
        const { parseImpairSpec } = await import('../config/impair.js');
        const { stageTarget } = await import('../lab/stage.js');
        const impair = args.impair !== undefined ? { spec: args.impair, faults: parseImpairSpec(args.impair) } : undefined;
        const stage = await stageTarget(conn, impair, (l) => ctx.out.progress(l));
        cleanups.push(() => stage.close());
        shown = stage.shown;
        if (stage.impair) impairInfo = { spec: stage.impair.spec, via: stage.impair.via };
        inputs.transport = transportOf(conn.target);
        await measureLive(conn, args.samples, sampleIntervalMs, ctx, measured, inputs);
        if (args['discover-idle']) {
          const { discoverIdleTimeout } = await import('../measure/idle-discovery.js');
          const p99 = inputs.path?.source === 'measured' ? inputs.path.rttP99Ms : 300;
          const d = await wrapNet(() =>
            discoverIdleTimeout({
              conn: conn as ConnectionConfig,
              maxIdleMs,
              parallel: args['idle-probes'],
              pingTimeoutMs: Math.max(2000, Math.ceil(4 * p99)),
              ...(brokerCapS(inputs) !== undefined ? { maxKeepaliveS: brokerCapS(inputs) } : {}),
              signal: ctx.signal,
              onProgress: (l) => ctx.out.progress(l),
            }),
          );
          measured.discovery = d;
          if (d.rounds.some((r) => r.results.some((x) => !x.alive))) {
            idle = { source: 'discovered', label: `--discover-idle (${d.connections} connections, ${formatDuration(d.tookMs)})`, lowMs: d.lowMs, highMs: d.highMs };
          } else if (d.aboveMax) {
            ctx.out.note(`no idle timeout up to ${formatDuration(d.maxIdleMs)}${d.cappedByBrokerS !== undefined ? ` (the broker's keepalive cap of ${d.cappedByBrokerS} s limits the search)` : ''}; rules use the profile or the assumed value`);
          }
        }
        if (args['verify-broker'] && !ctx.signal.aborted) {
          const { verifyBroker } = await import('../measure/verify-broker.js');
          measured.verify = await wrapNet(() =>
            verifyBroker({ conn: conn as ConnectionConfig, keepaliveS: verifyKeepaliveS, signal: ctx.signal, onProgress: (l) => ctx.out.progress(l) }),
          );
          const v = measured.verify;
          if (v.cutAfterMs !== undefined) inputs.broker = { ...inputs.broker, measured: { keepaliveS: v.keepaliveS, cutAfterMs: v.cutAfterMs } };
        }
      }
      if (idle) inputs.idle = idle;
      const { recommend } = await import('../analyze/keepalive/recommend.js');
      const { buildKeepaliveReport } = await import('../report/build-keepalive.js');
      const rec = recommend(inputs);
      const report = buildKeepaliveReport({
        inputs,
        rec,
        ...(shown ? { target: shown } : {}),
        given: {
          ...(profile ? { profile: profile.name } : {}),
          ...(broker ? { broker: broker.name } : {}),
          ...(args['nat-idle'] !== undefined ? { natIdle: args['nat-idle'] } : {}),
        },
        ...measured,
        snippetTarget: shown ? { host: shown.host, port: shown.port, secure: shown.secure } : { host: 'broker.example.com', port: cloud ? 8883 : 1883, secure: cloud },
        clients,
        startedAt,
        finishedAt: new Date(),
        version: VERSION,
        interrupted: ctx.signal.aborted,
        ...(impairInfo ? { impair: impairInfo } : {}),
      });
      ctx.out.emit(report);
      return report.verdict.exitCode;
    } finally {
      for (const c of cleanups.reverse()) await c();
    }
  },
});

type Measured = Pick<KeepaliveReportInput, 'rtt' | 'limits' | 'discovery' | 'verify'>;

/** The lowest keepalive cap known for the broker: measured (Server Keep Alive, rc 2 search) or documented
 * (`--broker`, e.g. AWS IoT clamps to 1200 s without refusing). Silent probes beyond it are cut by the broker. */
export function brokerCapS(inputs: KeepaliveInputs): number | undefined {
  const caps = [inputs.broker?.maxAcceptedS, inputs.broker?.limits?.maxKeepaliveS].filter((x): x is number => x !== undefined);
  return caps.length ? Math.min(...caps) : undefined;
}

async function measureLive(
  conn: ConnectionConfig,
  samples: number,
  intervalMs: number,
  ctx: CommandContext,
  measured: Measured,
  inputs: KeepaliveInputs,
): Promise<void> {
  const { measureRtt, probeBrokerLimits } = await import('../measure/idle-discovery.js');
  const { summarize, lossPct } = await import('../analyze/stats.js');
  const m = await wrapNet(() =>
    measureRtt(conn, {
      samples,
      intervalMs,
      timeoutMs: 2000,
      signal: ctx.signal,
      onSample: (i, r) => ctx.out.progress(r.ok ? `ping ${i}: ${formatDuration(r.rttMs)}` : `ping ${i}: ${r.detail}`),
    }),
  );
  const summary = summarize(m.samplesMs);
  const loss = lossPct(m.sent, m.received);
  measured.rtt = { summary, sent: m.sent, received: m.received, lossPct: loss, mqttVersion: m.version };
  if (summary) {
    const path: PathInput = { source: 'measured', label: conn.target.host, rttP50Ms: summary.p50, rttP99Ms: summary.p99, jitterMs: summary.jitter, lossPct: loss, samples: summary.count };
    // A profile still contributes its worst case when it is worse than a short sample suggests.
    if (inputs.path && inputs.path.rttP99Ms > path.rttP99Ms) path.label += ` (profile ${inputs.path.label} p99 ${inputs.path.rttP99Ms} ms kept)`;
    inputs.path = inputs.path && inputs.path.rttP99Ms > path.rttP99Ms ? { ...path, rttP99Ms: inputs.path.rttP99Ms } : path;
  }
  if (ctx.signal.aborted) return;
  measured.limits = await wrapNet(() => probeBrokerLimits(conn, ctx.signal));
  if (measured.limits.maxAcceptedS !== undefined) {
    inputs.broker = { ...inputs.broker, maxAcceptedS: measured.limits.maxAcceptedS, maxAcceptedHow: measured.limits.how };
  }
}

/** Turn dial/CONNECT failures into the typed errors the CLI funnel prints (exit 3 / 4). */
async function wrapNet<T>(fn: () => Promise<T>): Promise<T> {
  const { ConnackRefused } = await import('../measure/idle-discovery.js');
  const { PhaseError } = await import('../transport/types.js');
  const { WireError } = await import('../transport/mqtt-wire.js');
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConnackRefused) {
      throw new RefusedError(err.message, err.reasonCode === 2 ? 'rc 2 to a keepalive probe: mosquitto ≥ 2.0.12 refuses 3.1.1 keepalive 0 or above max_keepalive' : 'check credentials with mqtt-doctor probe');
    }
    if (err instanceof PhaseError) {
      const E = err.phase === 'mqtt' ? RefusedError : UnreachableError;
      throw new E(`${err.phase}: ${err.message}`, 'mqtt-doctor probe shows each connection phase');
    }
    if (err instanceof WireError) throw new UnreachableError(err.message, 'mqtt-doctor probe shows each connection phase');
    throw err;
  }
}
