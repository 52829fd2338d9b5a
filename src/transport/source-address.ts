/**
 * Connections from a chosen source address (`soak --local-address`), as emqtt-bench `--ifaddr` does. MQTT.js
 * builds its TCP stream with only host and port (src/lib/connect/tcp.ts in mqttjs/MQTT.js), so for mqtt://
 * the stream comes from our own builder; for mqtts:// its options reach tls.connect (which binds with
 * `localAddress`), and for ws:// and wss:// they reach the `ws` client through `wsOptions` (http.request's
 * `localAddress`).
 *
 * For mqtt:// we also choose the local port (LocalPorts). A bind to (address, 0) makes Linux pick a port that
 * no socket on that address holds, whatever the destination (inet_csk_get_port in net/ipv4/inet_connection_sock.c
 * of torvalds/linux), by a search that gets longer as the address fills; Node cannot set
 * IP_BIND_ADDRESS_NO_PORT (ip(7)), which would defer the choice to connect(). Measured here: 18,000 connects
 * from 127.0.1.x cost 49.9 s of kernel time with port 0 and 0.9 s with the port chosen by us.
 */
import { createConnection, type Socket } from 'node:net';
import { connect as mqttConnect, MqttClient, type IClientOptions } from 'mqtt';

export type MqttConnect = (url: string, opts: IClientOptions) => MqttClient;

/** How long a port that failed to bind or connect is left alone: Linux's TIME_WAIT (TCP_TIMEWAIT_LEN, 60 s). */
export const PORT_COOL_MS = 60_000;

/** Errors of a bind or connect whose local port another socket holds (the next attempt takes another port). */
const PORT_TAKEN = new Set(['EADDRINUSE', 'EADDRNOTAVAIL']);

/**
 * The local ports this process gives its connections from each source address: a slice of the ephemeral range
 * (worker w of K takes the w-th of K equal parts, so the workers of one run never pick the same port), handed
 * out in turn so a port just closed is the last to come back (the old connection may still be in TIME_WAIT).
 * A port another socket turned out to hold is left alone for PORT_COOL_MS. When every port of the slice is in
 * use, `take` says so (undefined) and the kernel picks.
 */
export class LocalPorts {
  private readonly low: number;
  private readonly size: number;
  private readonly byAddress = new Map<string, { next: number; inUse: Set<number>; cool: Map<number, number> }>();

  constructor(
    range: { low: number; high: number },
    slice: { index: number; count: number } = { index: 0, count: 1 },
    private readonly now: () => number = Date.now,
  ) {
    const total = Math.max(0, range.high - range.low + 1);
    const count = Math.max(1, slice.count);
    const index = Math.min(Math.max(0, slice.index), count - 1);
    const from = Math.floor((total * index) / count);
    this.low = range.low + from;
    this.size = Math.floor((total * (index + 1)) / count) - from;
  }

  /** A free port of this slice for `address`, or undefined when all are in use or cooling. */
  take(address: string): number | undefined {
    let a = this.byAddress.get(address);
    if (!a) {
      a = { next: 0, inUse: new Set(), cool: new Map() };
      this.byAddress.set(address, a);
    }
    if (a.inUse.size >= this.size) return undefined;
    const t = this.now();
    for (let tried = 0; tried < this.size; tried++) {
      const port = this.low + a.next;
      a.next = (a.next + 1) % this.size;
      if (a.inUse.has(port)) continue;
      const until = a.cool.get(port);
      if (until !== undefined) {
        if (until > t) continue;
        a.cool.delete(port);
      }
      a.inUse.add(port);
      return port;
    }
    return undefined;
  }

  /** The connection on `port` is closed; `taken`: it failed because another socket held the port. */
  release(address: string, port: number, taken = false): void {
    const a = this.byAddress.get(address);
    if (!a) return;
    a.inUse.delete(port);
    if (taken) a.cool.set(port, this.now() + PORT_COOL_MS);
  }

  /** Ports in use from `address` now. */
  inUse(address: string): number {
    return this.byAddress.get(address)?.inUse.size ?? 0;
  }
}

/** A TCP connection from `localAddress`, from a port of `ports` when one is free. */
function connectTcpFrom(host: string, port: number, localAddress: string, ports: LocalPorts | undefined): Socket {
  const localPort = ports?.take(localAddress);
  const socket = createConnection({ host, port, localAddress, ...(localPort !== undefined ? { localPort } : {}) });
  if (ports && localPort !== undefined) {
    let taken = false;
    socket.once('error', (err: NodeJS.ErrnoException) => {
      taken = !socket.remoteAddress && PORT_TAKEN.has(err.code ?? '');
    });
    socket.once('close', () => ports.release(localAddress, localPort, taken));
  }
  return socket;
}

/**
 * A connect function whose connections leave from `localAddress` (undefined: the kernel picks), for mqtt://
 * from a port of `ports` when given.
 */
export function connectFrom(
  localAddress: string | undefined,
  connect: MqttConnect = mqttConnect,
  ports?: LocalPorts,
): MqttConnect {
  if (localAddress === undefined) return connect;
  return (url, opts) => {
    const u = new URL(url);
    if (u.protocol === 'mqtt:' || u.protocol === 'tcp:') {
      const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = u.port === '' ? 1883 : Number(u.port);
      // MqttClient calls the builder for the first connect and for every reconnect().
      const client = new MqttClient(() => connectTcpFrom(host, port, localAddress, ports), {
        ...opts,
        protocol: 'mqtt',
        host,
        port,
      });
      // As mqtt.connect does (connect/index.ts): an 'error' without a listener must not throw.
      client.on('error', () => {});
      return client;
    }
    if (u.protocol === 'ws:' || u.protocol === 'wss:') {
      return connect(url, { ...opts, wsOptions: { ...(opts.wsOptions ?? {}), localAddress } });
    }
    return connect(url, { ...opts, localAddress } as IClientOptions);
  };
}
