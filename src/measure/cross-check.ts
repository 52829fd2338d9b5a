/**
 * After a failure that looks like a transport mismatch, ask the port what it does speak, so the report can say
 * "this port speaks TLS: use mqtts://" instead of guessing. Sends no credentials, bounded in time.
 */
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { encodeConnect } from '../transport/mqtt-wire.js';

export interface CrossCheck {
  /** What we tried on the same port. */
  tried: 'tls' | 'mqtt';
  /** It answered as that protocol. */
  answered: boolean;
}

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

export function speaksPlainMqtt(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host, port, noDelay: true });
    const done = (v: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.once('connect', () => {
      // An anonymous 3.1.1 CONNECT: any CONNACK (even a refusal) proves the port speaks plain MQTT.
      s.write(encodeConnect({ clientId: 'mqtt-doctor-xcheck', keepaliveS: 10 }, 4));
    });
    s.once('data', (d: Buffer) => done(d[0] === 0x20));
    s.once('error', () => done(false));
    s.once('close', () => done(false));
  });
}
