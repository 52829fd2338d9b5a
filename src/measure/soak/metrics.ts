/**
 * `--metrics-port`: Prometheus metrics for a running soak (prom-client, its own registry, no process-wide
 * default metrics), served on 127.0.0.1 unless told otherwise. Gauges the reference's monitoring practice
 * names: connection status, reconnects by cause, messages by outcome, RTT histogram, last message time.
 *
 * The per-message figures (messages by outcome, the RTT histogram, the last message time) are kept in an
 * ArrivalTally: with `soak --workers K` each worker keeps one and sends it with its live summary, and the
 * parent serves their sum, exact, under the same series names as a single process.
 */
import { createServer, type Server } from 'node:http';
import type { SoakEvent } from '../../analyze/soak/events.js';
import type { SoakSummary } from '../../analyze/soak/summary.js';

export interface SoakMetrics {
  port: number;
  onEvent(ev: SoakEvent): void;
  onArrival(latencyMs: number | undefined, kind: string): void;
  /** --workers: serve these per-message figures (the workers' tallies summed) instead of this process's own. */
  useArrivals(fn: () => ArrivalCounts): void;
  close(): Promise<void>;
}

/** Upper bounds (seconds) of the RTT histogram's buckets. */
export const RTT_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** The per-message figures of /metrics, as plain data (it crosses the worker → parent IPC channel). */
export interface ArrivalCounts {
  /** Messages by outcome: received, duplicate, out-of-order, foreign. */
  outcomes: Record<string, number>;
  /** RTT observations per bucket of RTT_BUCKETS_S (not cumulative); those above the last bucket only in count. */
  rttBuckets: number[];
  rttSumS: number;
  rttCount: number;
  /** Unix time (s) of the last message received; undefined before the first. */
  lastMessageS: number | undefined;
}

export function emptyArrivals(): ArrivalCounts {
  return { outcomes: {}, rttBuckets: RTT_BUCKETS_S.map(() => 0), rttSumS: 0, rttCount: 0, lastMessageS: undefined };
}

/** Record one arrival (the runner's onArrival) into `c`. */
export function recordArrival(c: ArrivalCounts, latencyMs: number | undefined, kind: string, nowS: number): void {
  const outcome = kind === 'new' ? 'received' : kind;
  c.outcomes[outcome] = (c.outcomes[outcome] ?? 0) + 1;
  // An out-of-order message is received too (it was not lost).
  if (kind === 'out-of-order') c.outcomes.received = (c.outcomes.received ?? 0) + 1;
  if (latencyMs !== undefined) {
    const v = latencyMs / 1000;
    // A value on a bound belongs to that bucket (Prometheus `le`).
    const k = RTT_BUCKETS_S.findIndex((le) => v <= le);
    if (k >= 0) c.rttBuckets[k]! += 1;
    c.rttSumS += v;
    c.rttCount += 1;
  }
  c.lastMessageS = nowS;
}

/** The sum of several processes' figures (counts add; the last message is the latest). */
export function addArrivals(parts: readonly ArrivalCounts[]): ArrivalCounts {
  const out = emptyArrivals();
  for (const p of parts) {
    for (const [k, n] of Object.entries(p.outcomes)) out.outcomes[k] = (out.outcomes[k] ?? 0) + n;
    p.rttBuckets.forEach((n, k) => (out.rttBuckets[k]! += n));
    out.rttSumS += p.rttSumS;
    out.rttCount += p.rttCount;
    if (p.lastMessageS !== undefined && (out.lastMessageS === undefined || p.lastMessageS > out.lastMessageS))
      out.lastMessageS = p.lastMessageS;
  }
  return out;
}

type Prom = typeof import('prom-client');

export async function startSoakMetrics(opts: {
  host: string;
  port: number;
  snapshot: () => SoakSummary | undefined;
  /** A sharded soak: every series carries `shard="I"`, so a dashboard can sum the shards (or tell them apart). */
  shard?: number;
}): Promise<SoakMetrics> {
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  // prom-client Registry.setDefaultLabels adds the label to every metric of this registry
  // (https://github.com/siimon/prom-client#default-labels-segmented-by-registry).
  if (opts.shard !== undefined) registry.setDefaultLabels({ shard: String(opts.shard) });
  const onEvent = connectionMetrics(prom, registry);
  const own = emptyArrivals();
  let arrivals = (): ArrivalCounts => own;
  messageMetrics(prom, registry, opts.snapshot, () => arrivals());
  const server = await serveMetrics(registry, opts.host, opts.port);
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : opts.port,
    onEvent,
    onArrival(latencyMs, kind) {
      recordArrival(own, latencyMs, kind, Date.now() / 1000);
    },
    useArrivals(fn) {
      arrivals = fn;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Clients, connected now, reconnects, disconnects and failed attempts by cause: fed by the run's events. */
function connectionMetrics(prom: Prom, registry: import('prom-client').Registry): (ev: SoakEvent) => void {
  const registers = [registry];
  const connected = new prom.Gauge({
    name: 'mqtt_doctor_soak_clients_connected',
    help: 'Soak clients connected now',
    registers,
  });
  const clients = new prom.Gauge({ name: 'mqtt_doctor_soak_clients', help: 'Soak clients started', registers });
  const disconnects = new prom.Counter({
    name: 'mqtt_doctor_soak_disconnects_total',
    help: 'Connections lost, by classified cause',
    labelNames: ['cause'] as const,
    registers,
  });
  const failures = new prom.Counter({
    name: 'mqtt_doctor_soak_connect_failures_total',
    help: 'Failed connect attempts, by classified cause',
    labelNames: ['cause'] as const,
    registers,
  });
  const reconnects = new prom.Counter({
    name: 'mqtt_doctor_soak_reconnects_total',
    help: 'Successful reconnects',
    registers,
  });
  const up = new Set<number>();
  const seen = new Set<number>();
  return (ev) => {
    switch (ev.type) {
      case 'client':
        clients.inc();
        break;
      case 'connect':
        up.add(ev.client);
        if (seen.has(ev.client)) reconnects.inc();
        seen.add(ev.client);
        break;
      case 'disconnect':
        up.delete(ev.client);
        disconnects.inc({ cause: ev.cause });
        break;
      case 'connect-failed':
        failures.inc({ cause: ev.cause });
        break;
      default:
        break;
    }
    connected.set(up.size);
  };
}

/**
 * Messages by outcome, the RTT histogram and the last message time (from the per-message figures), and sent,
 * lost and the worst downtime (from the live summary), read when /metrics is scraped.
 */
function messageMetrics(
  prom: Prom,
  registry: import('prom-client').Registry,
  snapshot: () => SoakSummary | undefined,
  arrivals: () => ArrivalCounts,
): void {
  const registers = [registry];
  new prom.Counter({
    name: 'mqtt_doctor_soak_messages_total',
    help: 'Messages received, by outcome (received, duplicate, out-of-order, foreign)',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      this.reset();
      for (const [outcome, n] of Object.entries(arrivals().outcomes)) this.inc({ outcome }, n);
    },
  });
  new prom.Gauge({
    name: 'mqtt_doctor_soak_messages_lost',
    help: 'Messages sent longer ago than the loss grace and not received',
    registers,
    collect() {
      this.set(snapshot()?.messages.lost ?? 0);
    },
  });
  new prom.Gauge({
    name: 'mqtt_doctor_soak_messages_sent',
    help: 'Soak messages published so far',
    registers,
    collect() {
      this.set(snapshot()?.messages.sent ?? 0);
    },
  });
  new prom.Gauge({
    name: 'mqtt_doctor_soak_downtime_seconds',
    help: 'Total downtime of the worst client so far',
    registers,
    collect() {
      this.set((snapshot()?.connections.worstClientDowntimeMs ?? 0) / 1000);
    },
  });
  registry.registerMetric(
    countsHistogram('mqtt_doctor_soak_rtt_seconds', 'Publish-to-receive time of soak messages', () =>
      arrivals(),
    ) as unknown as import('prom-client').Metric,
  );
  new prom.Gauge({
    name: 'mqtt_doctor_soak_last_message_timestamp_seconds',
    help: 'Unix time of the last soak message received',
    registers,
    collect() {
      const t = arrivals().lastMessageS;
      if (t !== undefined) this.set(t);
    },
  });
}

/** GET /metrics on host:port (port 0: any free one); anything else is a 404. */
async function serveMetrics(registry: import('prom-client').Registry, host: string, port: number): Promise<Server> {
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('try /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/**
 * A histogram served from ArrivalCounts, in the shape prom-client's own Histogram gives its registry
 * (lib/histogram.js in siimon/prom-client: cumulative `_bucket` series by `le`, then `+Inf`, `_sum`, `_count`),
 * since a prom-client Histogram can only be fed one observation at a time and the workers' sums arrive whole.
 */
function countsHistogram(name: string, help: string, counts: () => ArrivalCounts) {
  const values = () => {
    const c = counts();
    let acc = 0;
    return [
      ...RTT_BUCKETS_S.map((le, k) => {
        acc += c.rttBuckets[k] ?? 0;
        return { metricName: `${name}_bucket`, labels: { le }, value: acc };
      }),
      { metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: c.rttCount },
      { metricName: `${name}_sum`, labels: {}, value: c.rttSumS },
      { metricName: `${name}_count`, labels: {}, value: c.rttCount },
    ];
  };
  return {
    name,
    help,
    type: 'histogram' as const,
    aggregator: 'sum' as const,
    get: () =>
      Promise.resolve({ name, help, type: 'histogram' as const, aggregator: 'sum' as const, values: values() }),
  };
}
