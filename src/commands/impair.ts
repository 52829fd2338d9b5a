/**
 * `mqtt-doctor impair --listen 127.0.0.1:1884 --target broker:1883 [faults]`: a fault-injecting TCP proxy
 * (latency, jitter, bandwidth, stalls, NAT idle expiry, blackhole/reset, outage windows), so a device or a
 * probe can be rehearsed against a link whose badness we chose. options → faults → proxy → events → report.
 */
import {
  parseListen,
  resolveImpairFaults,
  SPEC_KEYS,
  describeFaults,
  type ImpairFaults,
  type ImpairInput,
} from '../config/impair.js';
import { formatHostPort, formatTarget, parseTarget, type Target } from '../config/target.js';
import type { ImpairEvent, ImpairProxy } from '../lab/impair/proxy.js';
import { parseDurationMs } from '../config/units.js';
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import type { Argv } from 'yargs';
import { defineCommand } from './context.js';

/** Where the proxy listens, where it forwards, and the profile it starts from. */
function withProxyOptions<T>(y: Argv<T>) {
  return y
    .option('listen', {
      type: 'string',
      default: '127.0.0.1:1884',
      describe: 'Listen on HOST:PORT (port 0: any free port)',
    })
    .option('target', { type: 'string', describe: 'Forward to this broker: host:port or an mqtt(s)/ws(s) URL' })
    .option('profile', {
      type: 'string',
      describe: 'Start from a network profile and/or middlebox: 4g, satellite-geo, 4g+aws-nat … (--list-profiles)',
    });
}

/** The link: delay, jitter, bandwidth and stalls. */
function withLinkFaultOptions<T>(y: Argv<T>) {
  return y
    .option('latency', {
      type: 'string',
      describe: 'One-way delay added in each direction (RTT grows by twice it), e.g. 50ms',
    })
    .option('jitter', {
      type: 'string',
      describe: 'Uniform ± jitter on that delay, without reordering bytes, e.g. 10ms',
    })
    .option('bandwidth', { type: 'string', describe: 'Rate limit per direction, e.g. 256kbit, 10mbit' })
    .option('stall', {
      type: 'string',
      describe: 'Retransmission-like stall on a share of chunks: PERCENT:DELAY, e.g. 1%:300ms',
    });
}

/** Middleboxes and outages: NAT idle expiry, per-connection blackhole or reset, downtime windows. */
function withMiddleboxFaultOptions<T>(y: Argv<T>) {
  return y
    .option('nat-idle', { type: 'string', describe: 'A flow idle both ways this long loses its mapping, e.g. 30s' })
    .option('nat-mode', {
      type: 'string',
      choices: ['drop', 'reset'],
      describe: 'After the mapping is lost: drop bytes silently (default) or send RSTs (see --nat-reset-on)',
    })
    .option('nat-reset-on', {
      type: 'string',
      choices: ['expiry', 'use'],
      describe:
        'With --nat-mode reset: reset both ends at expiry (default) or the end that sends next (AWS NAT gateway)',
    })
    .option('blackhole-after', { type: 'string', describe: 'Per connection: bytes vanish this long after it opened' })
    .option('reset-after', { type: 'string', describe: 'Per connection: reset both ends this long after it opened' })
    .option('outage', {
      type: 'string',
      describe: 'Downtime windows DURATION@START from proxy start, e.g. 20s@1m,10s@5m',
    })
    .option('outage-mode', {
      type: 'string',
      choices: ['refuse', 'hang'],
      describe: 'During an outage new connections are refused (ECONNREFUSED, default) or hang',
    });
}

/** How long it runs, the seed to replay it, and the profile list. */
function withImpairRunOptions<T>(y: Argv<T>) {
  return y
    .option('duration', {
      type: 'string',
      describe: 'Stop by itself after this long, e.g. 10m (default: until Ctrl-C)',
    })
    .option('seed', { type: 'number', describe: 'Seed for jitter and stall draws, to replay a run exactly' })
    .option('list-profiles', {
      type: 'boolean',
      default: false,
      describe: 'Print the network profiles and their sources',
    });
}

export const impairCommand = defineCommand({
  command: 'impair',
  describe: 'Run a fault-injecting TCP proxy (latency, jitter, bandwidth, stalls, NAT idle timeout, outages)',
  builder: (y) =>
    withImpairRunOptions(withMiddleboxFaultOptions(withLinkFaultOptions(withProxyOptions(y))))
      .example(
        '$0 impair --listen 127.0.0.1:1884 --target localhost:1883 --profile 4g',
        'A 4G link in front of a local broker',
      )
      .example(
        '$0 impair --target localhost:1883 --latency 50ms --jitter 10ms --nat-idle 30s',
        'RTT +100 ms, NAT forgets idle flows after 30 s',
      )
      .example(
        '$0 impair --target localhost:1883 --profile satellite-geo+azure-lb --duration 10m',
        'GEO satellite behind an Azure LB',
      )
      .example('$0 impair --target localhost:1883 --outage 20s@1m,10s@5m --outage-mode refuse', 'Broker "down" twice')
      .example('$0 impair --list-profiles', 'Profiles, middleboxes and where their numbers come from'),
  run: async (args, ctx) => {
    const { buildImpairReport, buildProfilesReport, formatImpairEvent, impairEventJson } = await import(
      '../report/build-impair.js'
    );
    if (args['list-profiles']) {
      const report = buildProfilesReport(VERSION, new Date());
      ctx.out.emit(report);
      return report.verdict.exitCode;
    }
    const plan = impairPlan(args);
    ctx.out.addSecret(plan.target.password);
    // One formatter, picked once: text lines or JSON lines on stdout. Nothing follows the report: events stop
    // once it is written.
    const line = ctx.out.json ? impairEventJson : formatImpairEvent;
    let reported = false;
    const startedAt = new Date();
    const proxy = await startProxy(
      plan,
      args.quiet ? undefined : (event) => !reported && ctx.out.write(line(event) + '\n'),
    );
    ctx.out.note(
      `impair: ${formatHostPort(proxy.host, proxy.port)} → ${formatTarget(plan.target)}  ${describeFaults(plan.faults)}`,
    );
    const stoppedBy = await waitForStop(ctx.signal, plan.durationMs);
    // close() waits for every connection's `closed` event, so the counters and the event stream are final.
    await proxy.close();
    reported = true;
    const report = buildImpairReport({
      listen: { host: proxy.host, port: proxy.port },
      target: plan.target,
      faults: plan.faults,
      counters: proxy.counters(),
      startedAt,
      finishedAt: new Date(),
      stoppedBy,
      version: VERSION,
      lateness: proxy.lateness(),
    });
    ctx.out.emit(report);
    return report.verdict.exitCode;
  },
});

const FAULT_OPTIONS = ['profile', ...SPEC_KEYS] as const;

type ImpairArgs = { [K in (typeof FAULT_OPTIONS)[number]]: string | undefined } & {
  target: string | undefined;
  listen: string;
  duration: string | undefined;
  seed: number | undefined;
};

interface ImpairPlan {
  target: Target;
  listen: { host: string; port: number };
  faults: ImpairFaults;
  durationMs: number | undefined;
  seed: number | undefined;
}

/** Options → a validated plan, before anything listens. */
function impairPlan(args: ImpairArgs): ImpairPlan {
  if (args.target === undefined || args.target.trim() === '') {
    throw new UsageError(
      'impair needs --target',
      'e.g. mqtt-doctor impair --listen 127.0.0.1:1884 --target localhost:1883',
    );
  }
  const target = parseTarget(args.target);
  const listen = parseListen(args.listen);
  const input: ImpairInput = {};
  for (const key of FAULT_OPTIONS) {
    const value = args[key];
    if (value !== undefined) input[key] = value;
  }
  const faults = resolveImpairFaults(input);
  const durationMs = args.duration !== undefined ? parseDurationMs(args.duration, 'duration', 's', 'timer') : undefined;
  if (args.seed !== undefined && !Number.isInteger(args.seed))
    throw new UsageError(`--seed ${args.seed} is not a whole number`);
  return { target, listen, faults, durationMs, seed: args.seed };
}

/** Start the proxy; a listen address already taken is the user's to change (exit 2). */
async function startProxy(plan: ImpairPlan, onEvent: ((event: ImpairEvent) => void) | undefined): Promise<ImpairProxy> {
  const { startImpairProxy } = await import('../lab/impair/proxy.js');
  const { seededRandom } = await import('../lab/impair/faults.js');
  try {
    return await startImpairProxy({
      listenHost: plan.listen.host,
      listenPort: plan.listen.port,
      targetHost: plan.target.host,
      targetPort: plan.target.port,
      faults: plan.faults,
      // --quiet: counters on exit only.
      onEvent,
      ...(plan.seed !== undefined ? { random: seededRandom(plan.seed) } : {}),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--listen ${formatHostPort(plan.listen.host, plan.listen.port)}: ${code === 'EADDRINUSE' ? 'address already in use' : (err as Error).message}`,
      code === 'EADDRINUSE' ? 'pick another port, or 0 for any free one' : undefined,
    );
  }
}

/** Resolve on Ctrl-C / SIGTERM (ctx.signal) or after `durationMs`, whichever comes first. */
function waitForStop(signal: AbortSignal, durationMs: number | undefined): Promise<'signal' | 'duration'> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve('signal');
    const timer = durationMs !== undefined ? setTimeout(() => done('duration'), durationMs) : undefined;
    const onAbort = (): void => done('signal');
    function done(why: 'signal' | 'duration'): void {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(why);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
