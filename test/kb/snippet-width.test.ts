/**
 * A snippet is copied, never wrapped (README "Output"), so each of its lines must fit an 80-column terminal
 * with the report's 2-column indent: 78 columns, tabs counted as 4, for ordinary settings (a 20-character host,
 * TLS on or off, a 26-character will topic, three-digit backoff).
 */
import { expect, test } from 'vitest';
import { CLIENT_LIBS, type SnippetSettings } from '../../src/kb/clients.js';

const settings = (secure: boolean, keepaliveS: number): SnippetSettings => ({
  host: 'broker.example.com',
  port: secure ? 8883 : 1883,
  secure,
  keepaliveS,
  pingTimeoutS: 10,
  connectTimeoutS: 10,
  backoff: { minS: 1, maxS: 120, factor: 2, jitterPct: 20, resetAfterS: 60 },
  tcpKeepalive: { idleS: 45, intervalS: 10, count: 5 },
  willTopic: 'devices/mqtt-doctor/status',
});

test.each(CLIENT_LIBS.map((lib) => [lib.id, lib] as const))('%s: every snippet line fits 78 columns', (_id, lib) => {
  for (const [secure, k] of [
    [true, 60],
    [false, 4],
    [true, 1200],
  ] as const) {
    for (const line of lib.snippet(settings(secure, k)).split('\n')) {
      expect(line.replace(/\t/g, '    ').length, line).toBeLessThanOrEqual(78);
    }
  }
});
