/**
 * `mqtt-doctor probe [url]`: options → config → measure → report → exit code.
 */
import { resolveConnection } from '../config/connection.js';
import { formatDuration, parseDurationMs, parsePercent } from '../config/units.js';
import { UsageError } from '../errors.js';
import type { ProbeSample } from '../analyze/probe-events.js';
import { VERSION } from '../version.js';
import { defineCommand } from './context.js';
import { withConnectionOptions, withImpairOption, withTlsOptions } from './options.js';
import { withHtmlOption, writeProbeHtml } from './html-option.js';

export const probeCommand = defineCommand({
  command: 'probe [url]',
  describe: 'Time each connection phase (DNS, TCP, TLS, WS, CONNACK) and measure RTT and loss like ping',
  builder: (y) =>
    withHtmlOption(withImpairOption(withTlsOptions(withConnectionOptions(y))))
      .option('count', {
        alias: 'c',
        type: 'number',
        default: 10,
        describe: 'Number of RTT probes; 0 probes until Ctrl-C, then prints the summary',
      })
      .option('interval', { alias: 'i', type: 'string', default: '1s', describe: 'Time between probes' })
      .option('timeout', { alias: 'W', type: 'string', default: '2s', describe: 'Wait this long for each reply' })
      .option('method', {
        type: 'string',
        choices: ['ping', 'echo'],
        default: 'ping',
        describe: 'ping: PINGREQ→PINGRESP (needs no topic rights); echo: PUBLISH to a topic it subscribes to',
      })
      .option('qos', { type: 'number', choices: [0, 1, 2], default: 0, describe: 'QoS for --method echo' })
      .option('max-loss', { type: 'string', describe: 'Fail (exit 1) when loss is above this, e.g. 0%' })
      .option('max-rtt-p99', { type: 'string', describe: 'Fail (exit 1) when RTT p99 is above this, e.g. 200ms' })
      .option('max-connect', { type: 'string', describe: 'Fail (exit 1) when DNS→CONNACK takes longer, e.g. 2s' })
      .option('brief', {
        type: 'boolean',
        default: false,
        describe: 'Print one line (verdict, connect time, RTT); exit code as usual',
      })
      .example('$0 probe --embedded', 'Try it with no broker: start one in-process and probe it')
      .example('$0 probe mqtt://broker.local:1883 -c 20 -i 200ms', '20 PINGREQ probes, 5 per second')
      .example(
        '$0 probe mqtts://broker.local:8883 --ca ca.pem -u dev',
        'TLS waterfall; password from MQTT_DOCTOR_PASSWORD',
      )
      .example('$0 probe wss://broker.local/mqtt --method echo --qos 1', 'Publish/subscribe echo, with PUBACK time')
      .example('$0 probe tcp://broker.local:1883 -c 5', 'tcping: repeated TCP connects, no MQTT')
      .example('$0 probe mqtt://broker.local:1883 -c 1 --brief', 'One line: is it up, how fast')
      .example('$0 probe --embedded --impair 4g', 'What would a 4G link do to these numbers?')
      .example('$0 probe mqtt://staging:1883 --max-loss 0% --max-rtt-p99 200ms --json', 'CI gate: exit 1 on failure'),
  run: async (args, ctx) => {
    const conn = resolveConnection(args, ctx.env);
    ctx.out.addSecret(conn.target.password);
    const timing = probeTiming(args, conn.target, ctx.out.json);
    const thresholds = probeThresholds(args);
    // Validate everything the user typed before starting anything.
    const impair =
      args.impair !== undefined
        ? { spec: args.impair, faults: (await import('../config/impair.js')).parseImpairSpec(args.impair) }
        : undefined;
    const startedAt = new Date();
    const { runProbe } = await import('../measure/probe.js');
    const { buildProbeReport, briefLine } = await import('../report/build-probe.js');
    const { stageTarget } = await import('../lab/stage.js');
    const stage = await stageTarget(conn, impair, (l) => ctx.out.progress(l));
    try {
      const result = await runProbe({
        conn: stage.conn,
        method: args.method as 'ping' | 'echo',
        qos: args.qos as 0 | 1 | 2,
        count: timing.watch ? Number.POSITIVE_INFINITY : args.count,
        intervalMs: timing.intervalMs,
        timeoutMs: timing.timeoutMs,
        signal: ctx.signal,
        onNote: (t) => ctx.out.note(t),
        onSample: (sample) => {
          // --brief is the one line a script or a glance wants: no per-probe lines around it.
          if (!args.brief) ctx.out.progress(sampleLine(sample, conn.target.rawTransport, timing.timeoutMs));
        },
      });
      // In watch mode Ctrl-C is how the run ends once probing has begun, not an interruption of it.
      if (timing.watch && result.samples.length > 0) {
        result.interrupted = false;
        ctx.stopEndsRun = true;
      }
      const report = buildProbeReport({
        result,
        target: stage.shown,
        keepaliveS: conn.keepaliveS,
        thresholds,
        startedAt,
        finishedAt: new Date(),
        version: VERSION,
        embedded: stage.embedded,
        ...(stage.impair ? { impair: { spec: stage.impair.spec, via: stage.impair.via } } : {}),
      });
      if (result.failure?.firstBytes) ctx.out.debug(`first bytes from the server (hex): ${result.failure.firstBytes}`);
      if (args.brief) ctx.out.write(`${briefLine(report)}\n`);
      else ctx.out.emit(report);
      await writeProbeHtml(args.html, report, ctx.out);
      return report.verdict.exitCode;
    } finally {
      await stage.close();
    }
  },
});

type ProbeArgs = Parameters<typeof probeCommand.run>[0];

/** -c, -i, -W, --brief, --method and --qos checked together, in the order a user reads them. */
function probeTiming(
  args: ProbeArgs,
  target: { rawTransport: boolean; scheme: string },
  json: boolean,
): { watch: boolean; intervalMs: number; timeoutMs: number } {
  if (!Number.isInteger(args.count) || args.count < 0 || args.count > 1_000_000) {
    throw new UsageError(
      `--count ${args.count} is not a whole number from 0 to 1000000`,
      'e.g. -c 10, or -c 0 to probe until Ctrl-C',
    );
  }
  if (args.brief && json)
    throw new UsageError(
      '--brief and --json are two different outputs; pick one',
      'drop --json for one line, or --brief for the full JSON',
    );
  // -c 0: like ping without -c, probe until stopped; Ctrl-C then ends the run normally, with the summary.
  const watch = args.count === 0;
  const intervalMs = parseDurationMs(args.interval, 'interval');
  const timeoutMs = parseDurationMs(args.timeout, 'timeout');
  if (intervalMs < 1) throw new UsageError('--interval must be at least 1ms', 'e.g. -i 200ms');
  if (timeoutMs <= 0) throw new UsageError('--timeout must be above zero', 'e.g. -W 2s');
  if (args.method === 'echo' && target.rawTransport)
    throw new UsageError(
      `--method echo needs MQTT; ${target.scheme}:// only tests the transport`,
      'use mqtt:// or mqtts://, or drop --method',
    );
  if (args.qos !== 0 && args.method !== 'echo') {
    throw new UsageError('--qos applies to --method echo only', 'add --method echo, or drop --qos');
  }
  return { watch, intervalMs, timeoutMs };
}

function probeThresholds(args: ProbeArgs) {
  return {
    ...(args['max-loss'] !== undefined ? { maxLossPct: parsePercent(args['max-loss'], 'max-loss') } : {}),
    ...(args['max-rtt-p99'] !== undefined
      ? { maxRttP99Ms: parseDurationMs(args['max-rtt-p99'], 'max-rtt-p99', 'ms') }
      : {}),
    ...(args['max-connect'] !== undefined ? { maxConnectMs: parseDurationMs(args['max-connect'], 'max-connect') } : {}),
  };
}

/** One probe as ping prints it: `seq=3 time=1.2 ms ack=…`, or why no reply came. */
function sampleLine(sample: ProbeSample, rawTransport: boolean, timeoutMs: number): string {
  if (sample.rttMs !== null) {
    const ack =
      typeof sample.ackMs === 'number' ? ` ${rawTransport ? 'tls' : 'ack'}=${formatDuration(sample.ackMs)}` : '';
    return `seq=${sample.seq} time=${formatDuration(sample.rttMs)}${ack}${sample.duplicate ? ' (DUP)' : ''}`;
  }
  return `seq=${sample.seq} ${sample.error ? `failed: ${sample.error}` : `no reply within ${formatDuration(timeoutMs)}`}`;
}
