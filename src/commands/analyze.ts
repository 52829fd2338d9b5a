/**
 * `mqtt-doctor analyze <capture>`: capture file (pcap, pcapng, gzip, or `-` for stdin) → connections →
 * diagnosis → report → exit code. Exit 0 every connection ended well, 1 findings (or no MQTT in the
 * capture, or an incomplete capture), 2 not a capture / bad options.
 */
import type { CaptureThresholdResult } from '../analyze/capture/thresholds.js';
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { defineCommand } from './context.js';
import { withHtmlOption, writeAnalyzeHtml } from './html-option.js';
import { checkJunitPath, writeJunit } from './soak-options.js';

export const analyzeCommand = defineCommand({
  command: 'analyze <capture>',
  describe: 'Diagnose a packet capture: who closed each MQTT connection, after what silence, and why',
  builder: (y) =>
    withHtmlOption(y)
      .positional('capture', {
        type: 'string',
        demandOption: true,
        describe: 'pcap / pcapng file (gzip is fine), or - for stdin',
      })
      .option('port', {
        alias: 'p',
        type: 'string',
        describe:
          'Broker ports, e.g. 1883,8883,8083 (default: the usual MQTT ports, plus any flow that starts with CONNECT)',
      })
      .option('client-id', { type: 'string', describe: 'Show only connections with this client id' })
      .option('address', { type: 'string', describe: 'Show only connections from or to this IP address' })
      .option('max-abnormal-closes', {
        type: 'number',
        describe: 'Fail (exit 1) when more connections than this ended badly (any end but a clean DISCONNECT)',
      })
      .option('max-keepalive-cuts', {
        type: 'number',
        describe: 'Fail (exit 1) when the broker cut more connections than this for a missed keepalive',
      })
      .option('max-unanswered-pings', {
        type: 'number',
        describe: 'Fail (exit 1) when more PINGREQs than this got no PINGRESP',
      })
      .option('max-reconnects', {
        type: 'number',
        describe: 'Fail (exit 1) when a client id connected again more often than this',
      })
      .option('junit', { type: 'string', describe: 'Also write a JUnit XML file (one test case per check) for CI' })
      .example('$0 analyze gateway.pcap', 'Who closed each connection, and why')
      .example('$0 analyze broker.pcapng.gz --port 1883,8883 --json', 'Connections, events and findings as JSON')
      .example('$0 analyze gateway.pcap --html gateway.html', 'Also draw every connection on a timeline')
      .example('$0 analyze nightly.pcap --max-keepalive-cuts 0 --junit analyze.xml', 'A CI gate with a JUnit file')
      .example('tcpdump -i eth0 -w - port 1883 | $0 analyze -', 'Live: the summary comes on Ctrl-C'),
  run: async (args, ctx) => {
    const ports = parsePorts(args.port);
    const limits = captureLimits(args);
    checkJunitPath(args.junit);
    const startedAt = new Date();
    const { CaptureAnalyzer } = await import('../analyze/capture/capture.js');
    const { diagnose } = await import('../analyze/capture/diagnose.js');
    const { readCapture } = await import('../measure/capture-source.js');
    const { buildAnalyzeReport } = await import('../report/build-analyze.js');
    const { checkCaptureThresholds } = await import('../analyze/capture/thresholds.js');
    // yargs hands a lone `-` positional over as an empty string.
    const source = args.capture === '' || args.capture === '-' ? '-' : args.capture;
    if (source === '-' && ctx.stdin.isTTY)
      throw new UsageError(
        'analyze - reads a capture from stdin, but stdin is a terminal',
        'e.g. tcpdump -w - port 1883 | mqtt-doctor analyze -',
      );
    const analyzer = new CaptureAnalyzer(ports ? { ports, sniff: false } : {});
    const outcome = await readAsUsage(source, () =>
      readCapture(source, ctx.stdin, analyzer, ctx.signal, (n) =>
        ctx.out.progress(`read ${Math.round(n / 1048576)} MB`),
      ),
    );
    if (outcome.empty) throw new UsageError(outcome.empty, 'give a pcap or pcapng file (tcpdump -w file.pcap)');
    if (outcome.formatError && analyzer.stats.records === 0) {
      throw new UsageError(
        `${source === '-' ? 'stdin' : source} is not a packet capture: ${outcome.formatError}`,
        'give a pcap or pcapng file (tcpdump -w, dumpcap, tshark -w), optionally gzip-compressed',
      );
    }
    const reportOf = (result: ReturnType<typeof analyzer.finish>) => {
      const diagnosis = diagnose(result.connections);
      const shown = pickShown(result.connections, args['client-id'], args.address);
      const thresholds = checkGates(checkCaptureThresholds, limits, result.connections, diagnosis, shown);
      return buildAnalyzeReport({
        source,
        ...outcomeFields(outcome),
        stats: result.stats,
        connections: result.connections,
        diagnosis,
        ...(shown ? { shown } : {}),
        filter: {
          ports: ports ?? [],
          ...(args['client-id'] !== undefined ? { clientId: args['client-id'] } : {}),
          ...(args.address !== undefined ? { address: args.address } : {}),
        },
        startedAt,
        finishedAt: new Date(),
        version: VERSION,
        thresholds,
      });
    };
    // Built in a function of its own so the connection records are garbage once the report exists.
    const report = reportOf(analyzer.finish());
    await ctx.out.emit(report);
    writeJunit(args.junit, report, (await import('../report/render-junit.js')).renderJunit);
    await writeAnalyzeHtml(args.html, report, ctx.out);
    return report.verdict.exitCode;
  },
});

type AnalyzeArgs = Parameters<typeof analyzeCommand.run>[0];
type Connections = ReturnType<
  InstanceType<typeof import('../analyze/capture/capture.js').CaptureAnalyzer>['finish']
>['connections'];
type Diagnosis = ReturnType<typeof import('../analyze/capture/diagnose.js').diagnose>;
type Outcome = Awaited<ReturnType<typeof import('../measure/capture-source.js').readCapture>>;

/** The --max-… gates, each a count. */
function captureLimits(args: AnalyzeArgs) {
  return {
    ...gateArg('max-abnormal-closes', args['max-abnormal-closes'], 'maxAbnormalCloses'),
    ...gateArg('max-keepalive-cuts', args['max-keepalive-cuts'], 'maxKeepaliveCuts'),
    ...gateArg('max-unanswered-pings', args['max-unanswered-pings'], 'maxUnansweredPings'),
    ...gateArg('max-reconnects', args['max-reconnects'], 'maxReconnects'),
  };
}

/** A file that is missing, unreadable or a folder is the user's to fix (exit 2); anything else is ours. */
async function readAsUsage(source: string, read: () => Promise<Outcome>): Promise<Outcome> {
  try {
    return await read();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new UsageError(`no such file: ${source}`);
    if (e.code === 'EACCES' || e.code === 'EISDIR' || /is not a file/.test(e.message))
      throw new UsageError(`cannot read ${source}: ${e.message}`);
    throw err;
  }
}

/** How the reading went: compressed, interrupted, and where it stopped when the capture broke off. */
function outcomeFields(outcome: Outcome) {
  return {
    compressed: outcome.compressed,
    interrupted: outcome.interrupted,
    ...(outcome.formatError
      ? { stoppedAt: outcome.formatError }
      : outcome.stoppedAt
        ? { stoppedAt: outcome.stoppedAt.message }
        : {}),
  };
}

/** The shown connections as the gates read them: each one's diagnosis, client id and pings. */
function gatedConnections(connections: Connections, diagnosis: Diagnosis, shown: Set<number> | undefined) {
  const diagById = new Map(diagnosis.connections.map((d) => [d.id, d]));
  return connections
    .filter((c) => !shown || shown.has(c.id))
    .map((c) => ({ ...diagById.get(c.id)!, ...(c.mqtt ? { clientId: c.mqtt.clientId } : {}), ping: c.ping }));
}

/** A `--max-…` count: a whole number ≥ 0. */
/**
 * The --max-… gates over the connections shown. Without a gate there is nothing to check, and no per-connection
 * copy is made for one (issue 14: memory).
 */
function checkGates(
  check: typeof import('../analyze/capture/thresholds.js').checkCaptureThresholds,
  limits: ReturnType<typeof captureLimits>,
  connections: Connections,
  diagnosis: Diagnosis,
  shown: Set<number> | undefined,
): CaptureThresholdResult[] {
  return Object.keys(limits).length > 0 ? check(gatedConnections(connections, diagnosis, shown), limits) : [];
}

function gateArg<K extends string>(name: string, v: number | undefined, key: K): Partial<Record<K, number>> {
  if (v === undefined) return {};
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`--${name} ${v} is not a count`, `e.g. --${name} 0`);
  return { [key]: v } as Partial<Record<K, number>>;
}

function parsePorts(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const ports = String(text)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new UsageError(`--port ${text} is not a list of ports`, 'e.g. --port 1883,8883');
  }
  return ports;
}

function pickShown(
  conns: Array<{ id: number; mqtt?: { clientId: string }; client: { ip: string }; server: { ip: string } }>,
  clientId?: string,
  address?: string,
): Set<number> | undefined {
  if (clientId === undefined && address === undefined) return undefined;
  return new Set(
    conns
      .filter(
        (c) =>
          (clientId === undefined || c.mqtt?.clientId === clientId) &&
          (address === undefined || c.client.ip === address || c.server.ip === address),
      )
      .map((c) => c.id),
  );
}
