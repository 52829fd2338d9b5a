/**
 * After a failure that looks like a transport mismatch, ask the port what it does speak, so the report can say
 * "this port speaks TLS: use mqtts://" instead of guessing. Sends no credentials, bounded in time.
 */
import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { encodeConnect } from '../transport/mqtt-wire.js';

export function speaksTls(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    // Only the handshake is attempted; nothing is sent over it, so not verifying is harmless here.
    const s = tlsConnect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['mqtt'] });
    const done = (v: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('secureConnect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * One bounded question to a port: open it (plain or TLS, unverified: nothing secret is sent), write `ask`,
 * and let `judge` read the answer (true/false to settle, undefined to read on). Closed, failed or silent: false.
 */
function askPort(
  host: string,
  port: number,
  timeoutMs: number,
  secure: boolean,
  ask: Buffer | string,
  judge: (answer: Buffer) => boolean | undefined,
): Promise<boolean> {
  return new Promise((resolve) => {
    const s = secure
      ? tlsConnect({ host, port, rejectUnauthorized: false })
      : netConnect({ host, port, noDelay: true });
    let answer = Buffer.alloc(0);
    const done = (v: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once(secure ? 'secureConnect' : 'connect', () => s.write(ask));
    s.on('data', (d: Buffer) => {
      answer = Buffer.concat([answer, d]).subarray(0, 4096);
      const v = judge(answer);
      if (v !== undefined) done(v);
    });
    s.once('error', () => done(false));
    s.once('close', () => done(false));
  });
}

/** An anonymous 3.1.1 CONNECT: any CONNACK (even a refusal) proves the port speaks MQTT (over TLS for wss://). */
export function speaksPlainMqtt(host: string, port: number, timeoutMs: number, secure = false): Promise<boolean> {
  return askPort(
    host,
    port,
    timeoutMs,
    secure,
    encodeConnect({ clientId: 'mqtt-doctor-xcheck', keepaliveS: 10 }, 4),
    (a) => a[0] === 0x20,
  );
}

/**
 * Does the port upgrade to a WebSocket with the "mqtt" subprotocol (MQTT 3.1.1 §6, 5.0 §6; RFC 6455 §4.1)?
 * A hand-written upgrade request; only the status line of the answer is read. Sends no credentials.
 */
export function speaksWebSocket(
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
  secure = false,
): Promise<boolean> {
  const hostHeader = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const ask =
    `GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`;
  return askPort(host, port, timeoutMs, secure, ask, (a) => {
    const head = a.toString('latin1');
    return head.includes('\r\n') ? /^HTTP\/1\.[01] 101 /.test(head) : undefined;
  });
}
