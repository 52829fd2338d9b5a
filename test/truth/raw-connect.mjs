// A minimal raw-socket MQTT client, run as its own process: the reference a fresh mqtt-doctor process is
// compared with. CONNECT bytes are written by hand (MQTT 3.1.1 §3.1, 5.0 §3.1); CONNACK is timed from the
// socket write to the first byte read. Prints {"tcpMs":…,"connackMs":…}. Usage: node raw-connect.mjs PORT 4|5
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';

const port = Number(process.argv[2]);
const version = Number(process.argv[3] ?? 4);
const id = Buffer.from('raw-ref');
const props = version === 5 ? [0] : [];
const vh = [0, 4, 0x4d, 0x51, 0x54, 0x54, version, 2, 0, 60, ...props, 0, id.length];
const connectBytes = Buffer.concat([Buffer.from([0x10, vh.length + id.length, ...vh]), id]);
const t0 = performance.now();
const s = connect({ host: '127.0.0.1', port, noDelay: true });
s.once('connect', () => {
  const tcpMs = performance.now() - t0;
  const sentAt = performance.now();
  s.write(connectBytes);
  s.once('data', () => {
    const connackMs = performance.now() - sentAt;
    process.stdout.write(JSON.stringify({ tcpMs, connackMs }) + '\n');
    s.destroy();
  });
});
s.on('error', (e) => {
  process.stderr.write(String(e) + '\n');
  process.exitCode = 1;
});
