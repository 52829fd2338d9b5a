// A minimal raw-socket MQTT client, run as its own process: the reference a fresh mqtt-doctor process is
// compared with. CONNECT bytes are written by hand (MQTT 3.1.1 §3.1, 5.0 §3.1); CONNACK is timed from the
// socket write to the first byte read. Over WebSocket the upgrade request and the masked binary frame are
// written by hand too (RFC 6455 §4.1, §5.2), so no library work sits in the window.
// Prints {"tcpMs":…,"connackMs":…}. Usage: node raw-connect.mjs PORT 4|5 [plain|tls|ws|wss] [CA-FILE]
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

const port = Number(process.argv[2]);
const version = Number(process.argv[3] ?? 4);
const mode = process.argv[4] ?? 'plain';
const ca = process.argv[5] ? readFileSync(process.argv[5]) : undefined;
const id = Buffer.from(`raw-ref-${process.pid}`);
const props = version === 5 ? [0] : [];
const vh = [0, 4, 0x4d, 0x51, 0x54, 0x54, version, 2, 0, 60, ...props, 0, id.length];
const connectBytes = Buffer.concat([Buffer.from([0x10, vh.length + id.length, ...vh]), id]);
const secure = mode === 'tls' || mode === 'wss';
const ws = mode === 'ws' || mode === 'wss';

function wsFrame(payload) {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from([0x82, 0x80 | payload.length]), mask, masked]);
}

// Warm the connect path with a throwaway connection (the first connect in a process costs ms of Node's own
// set-up), so tcpMs below is the network's. mqtt-doctor warms the same way (transport/dial.ts warmTransport).
await new Promise((resolve) => {
  const w = netConnect({ host: '127.0.0.1', port, noDelay: true });
  w.once('connect', () => (w.destroy(), resolve()));
  w.once('error', resolve);
});
const t0 = performance.now();
let tcpMs = 0;
const s = secure
  ? tlsConnect({ host: 'localhost', port, ca, servername: 'localhost' })
  : netConnect({ host: '127.0.0.1', port, noDelay: true });
s.once('connect', () => (tcpMs = performance.now() - t0));
s.setNoDelay?.(true);
s.on('error', (e) => {
  process.stderr.write(String(e) + '\n');
  process.exitCode = 1;
});

function timeConnect() {
  const bytes = ws ? wsFrame(connectBytes) : connectBytes;
  const sentAt = performance.now();
  s.write(bytes);
  s.once('data', () => {
    const connackMs = performance.now() - sentAt;
    process.stdout.write(JSON.stringify({ tcpMs, connackMs }) + '\n');
    s.destroy();
  });
}

s.once(secure ? 'secureConnect' : 'connect', () => {
  if (!ws) return timeConnect();
  const key = randomBytes(16).toString('base64');
  s.write(
    `GET /mqtt HTTP/1.1\r\nHost: localhost:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`,
  );
  let head = '';
  const onHead = (d) => {
    head += d.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    s.off('data', onHead);
    if (!head.startsWith('HTTP/1.1 101')) {
      process.stderr.write(head.split('\r\n')[0] + '\n');
      process.exitCode = 1;
      s.destroy();
      return;
    }
    timeConnect();
  };
  s.on('data', onHead);
});
