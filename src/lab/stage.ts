/**
 * Set up what a command's flags put in front of its target: the embedded aedes broker (`--embedded`) and an
 * in-process impair proxy (`--impair`). Used by probe, soak and keepalive-tune so the three behave alike.
 */
import type { ConnectionConfig } from '../config/connection.js';
import { describeFaults, type ImpairFaults } from '../config/impair.js';
import { formatHostPort, parseTarget, type Target } from '../config/target.js';

export interface Stage {
  /** What to dial: the caller's connection pointed at the embedded broker and/or the proxy (a copy; TLS still
   * verifies the real host name through the proxy). */
  conn: ConnectionConfig;
  /** The target as the user should see it: the embedded broker's URL, never the proxy's. */
  shown: Target;
  embedded: boolean;
  impair?: { spec: string; via: string; faults: string };
  close(): Promise<void>;
}

/**
 * Start the embedded broker and/or the impair proxy and return the connection to dial and the target to show.
 * The caller's `conn` is left as it is. With a proxy in front of a TLS target, the certificate is still verified
 * against the real host name. `impair` must be parsed already (parseImpairSpec), so bad input fails before
 * anything starts.
 */
export async function stageTarget(
  conn: ConnectionConfig,
  impair: { spec: string; faults: ImpairFaults } | undefined,
  progress: (line: string) => void,
): Promise<Stage> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    let shown: Target = { ...conn.target };
    if (conn.embedded) {
      const { startEmbeddedBroker } = await import('./embedded-broker.js');
      const broker = await startEmbeddedBroker();
      closers.push(() => broker.close());
      shown = { ...parseTarget(broker.url), username: conn.target.username, password: conn.target.password };
      progress(`embedded aedes broker listening on ${broker.url} (it speaks MQTT ${broker.protocol})`);
    }
    let dial: ConnectionConfig = { ...conn, target: shown, tls: { ...conn.tls } };
    let via: Stage['impair'];
    if (impair) {
      const { startImpairProxy } = await import('./impair/proxy.js');
      const proxy = await startImpairProxy({
        listenHost: '127.0.0.1',
        listenPort: 0,
        targetHost: shown.host,
        targetPort: shown.port,
        faults: impair.faults,
      });
      closers.push(() => proxy.close());
      via = { spec: impair.spec, via: formatHostPort(proxy.host, proxy.port), faults: describeFaults(impair.faults) };
      dial = {
        ...dial,
        target: { ...shown, host: proxy.host, port: proxy.port },
        tls: shown.secure && dial.tls.servername === undefined ? { ...dial.tls, servername: shown.host } : dial.tls,
      };
      progress(`through impair proxy ${via.via} (${impair.spec})`);
    }
    return { conn: dial, shown, embedded: conn.embedded, ...(via ? { impair: via } : {}), close };
  } catch (err) {
    await close();
    throw err;
  }
}
