/**
 * `--metrics-port`: Prometheus metrics for a running soak (prom-client, its own registry, no process-wide
 * default metrics), served on 127.0.0.1 unless told otherwise. Gauges the reference's monitoring practice
 * names: connection status, reconnects by cause, messages by outcome, RTT histogram, last message time.
 */
import { createServer, type Server } from 'node:http';
import type { SoakEvent } from '../../analyze/soak/events.js';
import type { SoakSummary } from '../../analyze/soak/summary.js';

export interface SoakMetrics {
  port: number;
  onEvent(ev: SoakEvent): void;
  onArrival(latencyMs: number | undefined, kind: string): void;
  close(): Promise<void>;
}

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
  const messages = new prom.Counter({
    name: 'mqtt_doctor_soak_messages_total',
    help: 'Messages received, by outcome (received, duplicate, out-of-order, foreign)',
    labelNames: ['outcome'] as const,
    registers,
  });
  new prom.Gauge({
    name: 'mqtt_doctor_soak_messages_lost',
    help: 'Messages sent longer ago than the loss grace and not received',
    registers,
    collect() {
      this.set(opts.snapshot()?.messages.lost ?? 0);
    },
  });
  new prom.Gauge({
    name: 'mqtt_doctor_soak_messages_sent',
    help: 'Soak messages published so far',
    registers,
    collect() {
      this.set(opts.snapshot()?.messages.sent ?? 0);
    },
  });
  new prom.Gauge({
    name: 'mqtt_doctor_soak_downtime_seconds',
    help: 'Total downtime of the worst client so far',
    registers,
    collect() {
      this.set((opts.snapshot()?.connections.worstClientDowntimeMs ?? 0) / 1000);
    },
  });
  const rtt = new prom.Histogram({
    name: 'mqtt_doctor_soak_rtt_seconds',
    help: 'Publish-to-receive time of soak messages',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const lastMessage = new prom.Gauge({
    name: 'mqtt_doctor_soak_last_message_timestamp_seconds',
    help: 'Unix time of the last soak message received',
    registers,
  });

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
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  const up = new Set<number>();
  const seen = new Set<number>();
  return {
    port: typeof addr === 'object' && addr ? addr.port : opts.port,
    onEvent(ev) {
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
    },
    onArrival(latencyMs, kind) {
      messages.inc({ outcome: kind === 'new' ? 'received' : kind });
      if (kind === 'out-of-order') messages.inc({ outcome: 'received' });
      if (latencyMs !== undefined) rtt.observe(latencyMs / 1000);
      lastMessage.set(Date.now() / 1000);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
