/**
 * The one close classifier (analyze/close-cause.ts) that analyze and soak share: one row per rule, and the same
 * fault told by each observer's evidence lands on the same cause.
 */
import { expect, test } from 'vitest';
import { readClose, type Cause, type CloseEvidence } from '../../src/analyze/close-cause.js';
import { classifyDisconnect, type DisconnectCause } from '../../src/analyze/soak/causes.js';

const T0 = 1_764_000_000_000;
const base: CloseEvidence = {
  firstMs: T0,
  lastMs: T0 + 100_000,
  keepaliveS: 10,
  pingsSent: 3,
  pingsUnanswered: 0,
  lastDataMs: { client: T0 + 99_000, server: T0 + 99_000 },
  clientUnansweredRetransmissions: 0,
  survivedIdleMs: 10_000,
};
const at = (s: number) => T0 + s * 1000;

test.each<[string, Partial<CloseEvidence>, Cause]>([
  ['client DISCONNECT', { disconnect: { side: 'client', atMs: at(99) } }, 'clean-disconnect'],
  ['broker DISCONNECT 0x8E', { disconnect: { side: 'server', atMs: at(99), reasonCode: 0x8e } }, 'takeover'],
  ['broker DISCONNECT 0x8D', { disconnect: { side: 'server', atMs: at(99), reasonCode: 0x8d } }, 'keepalive-cut'],
  ['broker DISCONNECT 0x89', { disconnect: { side: 'server', atMs: at(99), reasonCode: 0x89 } }, 'server-disconnect'],
  [
    'broker FIN after the client was silent 1.5 × K',
    { end: { side: 'server', kind: 'fin', atMs: at(100) }, lastDataMs: { client: at(85), server: at(85) } },
    'keepalive-cut',
  ],
  [
    'broker FIN with a same-id twin just connected',
    { end: { side: 'server', kind: 'fin', atMs: at(100) }, twin: { label: 'connection #2', connectedAtMs: at(99.9) } },
    'takeover',
  ],
  [
    'broker FIN while the client was active',
    { end: { side: 'server', kind: 'fin', atMs: at(100) }, lastDataMs: { client: at(99.9), server: at(99.9) } },
    'broker-closed',
  ],
  [
    'RST after 350 s idle, longer than any survived',
    { end: { side: 'server', kind: 'rst', atMs: at(450) }, lastDataMs: { client: at(100), server: at(100) } },
    'idle-reset',
  ],
  [
    'the client gave up after its data went unanswered past a long idle',
    {
      end: { side: 'client', kind: 'fin', atMs: at(420) },
      unanswered: { atMs: at(400), idleBeforeMs: 300_000 },
      lastDataMs: { client: at(400), server: at(100) },
      pingsUnanswered: 1,
    },
    'idle-drop',
  ],
  [
    'the client gave up after its data went unanswered, no long idle',
    {
      end: { side: 'client', kind: 'fin', atMs: at(120) },
      unanswered: { atMs: at(100), idleBeforeMs: 1000 },
      clientUnansweredRetransmissions: 5,
    },
    'blackhole',
  ],
  ['the client closed without DISCONNECT', { end: { side: 'client', kind: 'fin', atMs: at(100) } }, 'client-closed'],
  ['still open', {}, 'open'],
])('%s → %s', (_name, over, cause) => {
  expect(readClose({ ...base, ...over }).cause).toBe(cause);
});

test('the idle reading names the documented middleboxes near the idle (350 s: AWS NAT gateway)', () => {
  const r = readClose({
    ...base,
    end: { side: 'server', kind: 'rst', atMs: at(450) },
    lastDataMs: { client: at(100), server: at(100) },
  });
  expect(r.idleMs).toBe(350_000);
  expect(r.matches?.join(' ')).toMatch(/350 s/);
});

// Soak's evidence for the same faults (what MQTT.js and Node report) reaches the same shared cause, in soak's names.
test.each<[string, Parameters<typeof classifyDisconnect>[0], DisconnectCause]>([
  [
    'a FIN after CONNACK while a same-id twin is connecting',
    { phase: 'session', connackReceived: true, twinActive: true, clientId: 'twin' },
    'session-taken-over',
  ],
  [
    'an RST after CONNACK while a same-id twin is connecting',
    { phase: 'session', connackReceived: true, twinActive: true, errorCode: 'ECONNRESET' },
    'session-taken-over',
  ],
  [
    'an EPIPE after CONNACK while a same-id twin is connecting',
    { phase: 'session', connackReceived: true, twinActive: true, errorCode: 'EPIPE' },
    'session-taken-over',
  ],
  ['a FIN after CONNACK, no twin', { phase: 'session', connackReceived: true }, 'broker-closed'],
  [
    'a twin but no CONNACK yet',
    { phase: 'connect', connackReceived: false, twinActive: true, transportUp: true },
    'broker-closed',
  ],
  [
    'DISCONNECT 0x8E',
    { phase: 'session', connackReceived: true, disconnectPacket: true, reasonCode: 0x8e },
    'session-taken-over',
  ],
  [
    'DISCONNECT 0x8D',
    { phase: 'session', connackReceived: true, disconnectPacket: true, reasonCode: 0x8d },
    'keepalive-timeout',
  ],
])('soak: %s → %s', (_name, obs, cause) => {
  expect(classifyDisconnect(obs).cause).toBe(cause);
});
