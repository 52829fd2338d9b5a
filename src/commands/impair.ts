/**
 * `mqtt-doctor impair --listen 127.0.0.1:1884 --target broker:1883 [faults]`: a fault-injecting TCP proxy
 * (latency, jitter, bandwidth, stalls, NAT idle expiry, blackhole/reset, outage windows), so a device or a
 * probe can be rehearsed against a link whose badness we chose. options → faults → proxy → events → report.
 */
import { parseListen, resolveImpairFaults, describeFaults, type ImpairInput } from '../config/impair.js';
import { formatHostPort, formatTarget, parseTarget } from '../config/target.js';
import { parseDurationMs } from '../config/units.js';
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { defineCommand } from './context.js';

export const impairCommand = defineCommand({
  command: 'impair',
  describe: 'Run a fault-injecting TCP proxy (latency, jitter, bandwidth, stalls, NAT idle timeout, outages)',
  builder: (y) =>
    y
      .option('listen', { type: 'string', default: '127.0.0.1:1884', describe: 'Listen on HOST:PORT (port 0: any free port)' })
      .option('target', { type: 'string', describe: 'Forward to this broker: host:port or an mqtt(s)/ws(s) URL' })
      .option('profile', {
        type: 'string',
        describe: 'Start from a network profile and/or middlebox: 4g, satellite-geo, 4g+aws-nat … (--list-profiles)',
      })
      .option('latency', { type: 'string', describe: 'One-way delay added in each direction (RTT grows by twice it), e.g. 50ms' })
      .option('jitter', { type: 'string', describe: 'Uniform ± jitter on that delay, without reordering bytes, e.g. 10ms' })
      .option('bandwidth', { type: 'string', describe: 'Rate limit per direction, e.g. 256kbit, 10mbit' })
      .option('stall', { type: 'string', describe: 'Retransmission-like stall on a share of chunks: PERCENT:DELAY, e.g. 1%:300ms' })
      .option('nat-idle', { type: 'string', describe: 'A flow idle both ways this long loses its mapping, e.g. 30s' })
      .option('nat-mode', {
        type: 'string',
        choices: ['drop', 'reset'],
        describe: 'After the mapping is lost: drop bytes silently (default) or send RSTs (see --nat-reset-on)',
      })
      .option('nat-reset-on', {
        type: 'string',
        choices: ['expiry', 'use'],
        describe: 'With --nat-mode reset: reset both ends at expiry (default) or the end that sends next (AWS NAT gateway)',
      })
      .option('blackhole-after', { type: 'string', describe: 'Per connection: bytes vanish this long after it opened' })
      .option('reset-after', { type: 'string', describe: 'Per connection: reset both ends this long after it opened' })
      .option('outage', { type: 'string', describe: 'Downtime windows DURATION@START from proxy start, e.g. 20s@1m,10s@5m' })
      .option('outage-mode', {
        type: 'string',
        choices: ['refuse', 'hang'],
        describe: 'During an outage new connections are refused (ECONNREFUSED, default) or hang',
      })
      .option('duration', { type: 'string', describe: 'Stop by itself after this long, e.g. 10m (default: until Ctrl-C)' })
      .option('seed', { type: 'number', describe: 'Seed for jitter and stall draws, to replay a run exactly' })
      .option('list-profiles', { type: 'boolean', default: false, describe: 'Print the network profiles and their sources' })
      .example('$0 impair --listen 127.0.0.1:1884 --target localhost:1883 --profile 4g', 'A 4G link in front of a local broker')
      .example('$0 impair --target localhost:1883 --latency 50ms --jitter 10ms --nat-idle 30s', 'RTT +100 ms, NAT forgets idle flows after 30 s')
      .example('$0 impair --target localhost:1883 --profile satellite-geo+azure-lb --duration 10m', 'GEO satellite behind an Azure LB')
      .example('$0 impair --target localhost:1883 --outage 20s@1m,10s@5m --outage-mode refuse', 'Broker "down" twice')
      .example('$0 impair --list-profiles', 'Profiles, middleboxes and where their numbers come from'),
  run: async (args, ctx) => {
    const { buildImpairReport, buildProfilesReport, formatImpairEvent, impairEventJson } = await import('../report/build-impair.js');
    if (args['list-profiles']) {
      const report = buildProfilesReport(VERSION, new Date());
      ctx.out.emit(report);
      return report.verdict.exitCode;
    }
    if (args.target === undefined || args.target.trim() === '') {
      throw new UsageError('impair needs --target', 'e.g. mqtt-doctor impair --listen 127.0.0.1:1884 --target localhost:1883');
    }
    const target = parseTarget(args.target);
    ctx.out.addSecret(target.password);
    const listen = parseListen(args.listen);
    const input: ImpairInput = {};
    for (const key of ['profile', 'latency', 'jitter', 'bandwidth', 'stall', 'nat-idle', 'nat-mode', 'nat-reset-on', 'blackhole-after', 'reset-after', 'outage', 'outage-mode'] as const) {
      const v = args[key];
      if (v !== undefined) input[key] = v;
    }
    const faults = resolveImpairFaults(input);
    const durationMs = args.duration !== undefined ? parseDurationMs(args.duration, 'duration', 's', 'timer') : undefined;
    if (args.seed !== undefined && !Number.isInteger(args.seed)) throw new UsageError(`--seed ${args.seed} is not a whole number`);

    const { startImpairProxy } = await import('../lab/impair/proxy.js');
    const { seededRandom } = await import('../lab/impair/faults.js');
    // One formatter, picked once: text lines or JSON lines on stdout.
    const line = ctx.out.json ? impairEventJson : formatImpairEvent;
    const startedAt = new Date();
    let reported = false;
    let proxy;
    try {
      proxy = await startImpairProxy({
        listenHost: listen.host,
        listenPort: listen.port,
        targetHost: target.host,
        targetPort: target.port,
        faults,
        // --quiet: counters on exit only. Nothing follows the report: events stop once it is written.
        onEvent: args.quiet ? undefined : (e) => !reported && ctx.out.write(line(e) + '\n'),
        ...(args.seed !== undefined ? { random: seededRandom(args.seed) } : {}),
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(
        `--listen ${formatHostPort(listen.host, listen.port)}: ${code === 'EADDRINUSE' ? 'address already in use' : (err as Error).message}`,
        code === 'EADDRINUSE' ? 'pick another port, or 0 for any free one' : undefined,
      );
    }
    ctx.out.note(`impair: ${formatHostPort(proxy.host, proxy.port)} → ${formatTarget(target)}  ${describeFaults(faults)}`);
    const stoppedBy = await waitForStop(ctx.signal, durationMs);
    // close() waits for every connection's `closed` event, so the counters and the event stream are final.
    await proxy.close();
    const counters = proxy.counters();
    const lateness = proxy.lateness();
    reported = true;
    const report = buildImpairReport({
      listen: { host: proxy.host, port: proxy.port },
      target,
      faults,
      counters,
      startedAt,
      finishedAt: new Date(),
      stoppedBy,
      version: VERSION,
      lateness,
    });
    ctx.out.emit(report);
    return report.verdict.exitCode;
  },
});

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
