/**
 * Connections from a chosen source address (`soak --local-address`), as emqtt-bench `--ifaddr` does. MQTT.js
 * builds its TCP stream with only host and port (src/lib/connect/tcp.ts in mqttjs/MQTT.js), so for mqtt://
 * the stream comes from our own builder; for mqtts:// its options reach tls.connect (which binds with
 * `localAddress`), and for ws:// and wss:// they reach the `ws` client through `wsOptions` (http.request's
 * `localAddress`).
 */
import { createConnection, createServer } from 'node:net';
import { connect as mqttConnect, MqttClient, type IClientOptions } from 'mqtt';

export type MqttConnect = (url: string, opts: IClientOptions) => MqttClient;

/** A connect function whose connections leave from `localAddress` (undefined: the kernel picks). */
export function connectFrom(localAddress: string | undefined, connect: MqttConnect = mqttConnect): MqttConnect {
  if (localAddress === undefined) return connect;
  return (url, opts) => {
    const u = new URL(url);
    if (u.protocol === 'mqtt:' || u.protocol === 'tcp:') {
      const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
      const port = u.port === '' ? 1883 : Number(u.port);
      // MqttClient calls the builder for the first connect and for every reconnect().
      const client = new MqttClient(() => createConnection({ host, port, localAddress }), {
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

/**
 * Whether this host owns `address` (a bind to it succeeds). On Linux every 127.0.0.0/8 address is local
 * without any set-up (the `local 127.0.0.0/8 dev lo` route); an address of another host fails with
 * EADDRNOTAVAIL. Returns the error code, or undefined when the address is usable.
 */
export function bindProbe(address: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    server.listen({ host: address, port: 0, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
