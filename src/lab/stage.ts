/**
 * Set up what a command's flags put in front of its target: the embedded aedes broker (`--embedded`) and an
 * in-process impair proxy (`--impair`). Used by probe, soak and keepalive-tune so the three behave alike.
 */
import type { ConnectionConfig } from '../config/connection.js';
import { describeFaults, type ImpairFaults } from '../config/impair.js';
import { formatHostPort, parseTarget, type Target } from '../config/target.js';

export interface Stage {
  /** The target as the user should see it: the embedded broker's URL, never the proxy's. */
  shown: Target;
  embedded: boolean;
  impair?: { spec: string; via: string; faults: string };
  close(): Promise<void>;
}

/**
 * Start the embedded broker and/or the impair proxy and point `conn` at them (it is changed in place). With a
 * proxy in front of a TLS target, the certificate is still verified against the real host name.
 * `impair` must be parsed already (parseImpairSpec), so bad input fails before anything starts.
 */
export async function stageTarget(
  conn: ConnectionConfig,
  impair: { spec: string; faults: ImpairFaults } | undefined,
  progress: (line: string) => void,
): Promise<Stage> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse()) await c();
  };
  try {
    if (conn.embedded) {
      const { startEmbeddedBroker } = await import('./embedded-broker.js');
      const broker = await startEmbeddedBroker();
      closers.push(() => broker.close());
      conn.target = { ...parseTarget(broker.url), username: conn.target.username, password: conn.target.password };
      progress(`embedded aedes broker listening on ${broker.url} (it speaks MQTT ${broker.protocol})`);
    }
    const shown = { ...conn.target };
    let via: Stage['impair'];
    if (impair) {
      const { startImpairProxy } = await import('./impair/proxy.js');
      const proxy = await startImpairProxy({
        listenHost: '127.0.0.1',
        listenPort: 0,
        targetHost: conn.target.host,
        targetPort: conn.target.port,
        faults: impair.faults,
      });
      closers.push(() => proxy.close());
      via = { spec: impair.spec, via: formatHostPort(proxy.host, proxy.port), faults: describeFaults(impair.faults) };
      if (conn.target.secure && conn.tls.servername === undefined) conn.tls.servername = conn.target.host;
      conn.target = { ...conn.target, host: proxy.host, port: proxy.port };
      progress(`through impair proxy ${via.via} (${impair.spec})`);
    }
    return { shown, embedded: conn.embedded, ...(via ? { impair: via } : {}), close };
  } catch (err) {
    await close();
    throw err;
  }
}
