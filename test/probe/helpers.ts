import { resolveConnection, type ConnectionConfig } from '../../src/config/connection.js';
import type { ConnectionArgs, TlsArgs } from '../../src/commands/options.js';
import { runProbe, type ProbeOptions, type ProbeResult } from '../../src/measure/probe.js';
import { buildProbeReport } from '../../src/report/build-probe.js';
import type { ProbeThresholds } from '../../src/analyze/probe.js';

export function conn(url: string, extra: Partial<ConnectionArgs & TlsArgs> = {}): ConnectionConfig {
  return resolveConnection(
    {
      url,
      embedded: false,
      mqttVersion: '5',
      clientId: undefined,
      keepalive: '60s',
      username: undefined,
      password: undefined,
      passwordFile: undefined,
      connectTimeout: '3s',
      wsPath: undefined,
      ca: undefined,
      cert: undefined,
      key: undefined,
      servername: undefined,
      alpn: undefined,
      insecure: false,
      ...extra,
    },
    {},
  );
}

export async function probe(
  c: ConnectionConfig,
  o: Partial<Omit<ProbeOptions, 'conn'>> = {},
  thresholds: ProbeThresholds = {},
): Promise<{ result: ProbeResult; report: ReturnType<typeof buildProbeReport>; ms: number }> {
  const t0 = performance.now();
  const result = await runProbe({
    conn: c,
    method: 'ping',
    qos: 0,
    count: 3,
    intervalMs: 20,
    timeoutMs: 1000,
    signal: new AbortController().signal,
    ...o,
  });
  const ms = performance.now() - t0;
  const report = buildProbeReport({
    result,
    target: c.target,
    keepaliveS: c.keepaliveS,
    thresholds,
    startedAt: new Date(),
    finishedAt: new Date(),
    version: 'test',
  });
  return { result, report, ms };
}
