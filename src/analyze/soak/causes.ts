/**
 * Why a soak connection ended (or an attempt failed), from what MQTT.js and Node told us. Pure: the runner
 * passes the error code/message, the MQTT 5 DISCONNECT reason code and the phase; nothing here touches a socket.
 *
 * Sources:
 * - MQTT.js 5 `src/lib/client.ts` `onKeepaliveTimeout` emits `new Error('Keepalive timeout')`
 *   (https://github.com/mqttjs/MQTT.js/blob/main/src/lib/client.ts).
 * - MQTT.js `connack timeout` when no CONNACK arrives within connectTimeout (same file).
 * - MQTT 5 §3.14.2.1 DISCONNECT reason codes; 0x8E "Session taken over" when another connection uses the
 *   same client id (MQTT 5 §3.1.4; 3.1.1 [MQTT-3.1.4-2] only closes the socket, so 3.1.1 cannot tell it apart
 *   from any other broker close).
 * - Node errno names (nodejs errors.md "Common system errors"): ECONNRESET, ECONNREFUSED, ENOTFOUND, ETIMEDOUT.
 */

import { classifyFailure, type FailureInput } from '../../kb/classify.js';
import { describeConnack, mqtt5ReasonCode } from '../../kb/reason-codes.js';
import { readClose, readServerDisconnect, type Cause, type CloseEvidence } from '../close-cause.js';
import type { MeasurementFailure } from '../failure.js';

export const CAUSES = [
  'keepalive-timeout',
  'broker-closed',
  'reset',
  'disconnect-packet',
  'session-taken-over',
  'tls',
  'dns',
  'refused',
  'connack-refused',
  'connect-timeout',
  'no-connack',
  'not-mqtt',
  'no-suback',
  'timeout',
  'unreachable',
  'run-ended',
  'unknown',
] as const;
export type DisconnectCause = (typeof CAUSES)[number];

export type CauseLayer = 'network' | 'broker' | 'session' | 'tls' | 'dns' | 'auth' | 'unknown';

export interface CauseInfo {
  title: string;
  layer: CauseLayer;
  explanation: string;
}

export const CAUSE_INFO: Record<DisconnectCause, CauseInfo> = {
  'keepalive-timeout': {
    title: 'keepalive timeout',
    layer: 'network',
    explanation:
      'no PINGRESP or ack came back in time (MQTT.js gives up ~1.5 × keepalive after the last reschedule): the path went silent, e.g. a NAT/firewall dropped the idle mapping or the link blackholed',
  },
  'broker-closed': {
    title: 'broker closed',
    layer: 'broker',
    explanation:
      'the broker (or something in between) closed the TCP connection without an MQTT DISCONNECT: restart, crash, its own keepalive check, or a proxy idle timeout',
  },
  reset: {
    title: 'connection reset',
    layer: 'network',
    explanation:
      'a TCP RST arrived (ECONNRESET): broker killed, NAT/load balancer expired the flow and answered with a reset, or a middlebox cut it',
  },
  'disconnect-packet': {
    title: 'DISCONNECT from broker',
    layer: 'broker',
    explanation: 'the broker sent an MQTT 5 DISCONNECT with a reason code (see the reason code)',
  },
  'session-taken-over': {
    title: 'session taken over',
    layer: 'session',
    explanation:
      'another connection used the same client id, so the broker closed this one (MQTT 5 reason 0x8E); not a network problem',
  },
  tls: { title: 'TLS failure', layer: 'tls', explanation: 'the TLS handshake or certificate check failed' },
  dns: { title: 'DNS failure', layer: 'dns', explanation: 'the broker host name did not resolve' },
  refused: {
    title: 'TCP refused',
    layer: 'network',
    explanation: 'nothing listened on the broker port (ECONNREFUSED): broker down or restarting, wrong port',
  },
  'connack-refused': {
    title: 'CONNACK refused',
    layer: 'auth',
    explanation:
      'the broker answered CONNECT with a refusal code (credentials, client id, protocol version, server busy)',
  },
  'connect-timeout': {
    title: 'connect timeout',
    layer: 'network',
    explanation:
      'no CONNACK within --connect-timeout: broker overloaded, wrong protocol on the port, or a blackholed path',
  },
  'no-connack': {
    title: 'no CONNACK',
    layer: 'broker',
    explanation:
      'the TCP connection was accepted but nothing answered CONNECT in time: not an MQTT broker on this port, or a broker too stalled to serve',
  },
  'not-mqtt': {
    title: 'not MQTT',
    layer: 'broker',
    explanation:
      'the server sent bytes that are not valid MQTT (another protocol on the port, or a broker breaking the protocol)',
  },
  'no-suback': {
    title: 'no SUBACK',
    layer: 'broker',
    explanation:
      'the broker accepted the connection (CONNACK) but never acknowledged the subscription, so the client could not start: a stalled or misbehaving broker',
  },
  timeout: {
    title: 'TCP timeout',
    layer: 'network',
    explanation: 'the operating system timed the connection out (ETIMEDOUT)',
  },
  unreachable: {
    title: 'unreachable',
    layer: 'network',
    explanation: 'no route to the broker (EHOSTUNREACH / ENETUNREACH / EPIPE after a silent close)',
  },
  'run-ended': {
    title: 'run ended first',
    layer: 'unknown',
    explanation:
      "the run's duration ended less than 1 s into this first attempt's pending step (the connection, its CONNACK or the SUBACK), before any timeout: too short a wait to tell a slow path or broker from a dead one, so it blames neither",
  },
  unknown: { title: 'unknown', layer: 'unknown', explanation: 'mqtt-doctor could not classify this error text' },
};

export interface DisconnectObservation {
  /** `connect`: the attempt never got a CONNACK accepted; `session`: an established connection ended. */
  phase: 'connect' | 'session';
  errorCode?: string | number | undefined;
  errorMessage?: string | undefined;
  /** MQTT 5 DISCONNECT reason code sent by the broker (phase session), or the CONNACK refusal code. */
  reasonCode?: number | undefined;
  mqttVersion?: 4 | 5 | undefined;
  /** True when a DISCONNECT packet arrived from the broker before the close. */
  disconnectPacket?: boolean;
  /** The transport (TCP, TLS) was up: a missing CONNACK is then the server's silence, not the path's. */
  transportUp?: boolean;
  /** A CONNACK accepted the connection (what ended it came after). */
  connackReceived?: boolean;
  /** The server's bytes failed to parse as MQTT. */
  protocolError?: boolean;
  /** What the first bytes of the server looked like (transport/mqtt-wire.ts `sniff`). */
  looksLike?: 'http' | 'tls' | 'unknown';
  /**
   * Another client of the run with the same client id was connected or connecting when this one closed: a
   * broker close after CONNACK is then a takeover (the shared rule, analyze/close-cause.ts).
   */
  twinActive?: boolean;
  /** The client id, for the takeover's wording. */
  clientId?: string;
}

/**
 * Soak's names for the shared causes (analyze/close-cause.ts) an established connection can end with: soak's
 * JSONL and JSON keep their vocabulary, the decision is the one `analyze` makes from a capture.
 */
const SOAK_CAUSE: Partial<Record<Cause, DisconnectCause>> = {
  'port-closed': 'refused',
  refused: 'connack-refused',
  'no-connack': 'no-connack',
  'not-mqtt': 'not-mqtt',
  'tls-alert': 'tls',
  takeover: 'session-taken-over',
  'keepalive-cut': 'keepalive-timeout',
  'server-disconnect': 'disconnect-packet',
  'broker-closed': 'broker-closed',
  'idle-reset': 'reset',
  'idle-drop': 'keepalive-timeout',
  blackhole: 'keepalive-timeout',
};

/** Soak's name for a shared cause (what `analyze` calls a close), when soak can tell that cause at all. */
export const soakCauseOf = (c: Cause): DisconnectCause | undefined => SOAK_CAUSE[c];

/**
 * The shared classifier's reading of a close soak saw: the peer closed (FIN: the stream ended; RST: ECONNRESET;
 * EPIPE: closed while this client was writing) after CONNACK, with or without a same-id twin active.
 */
function sharedPeerClose(o: DisconnectObservation, kind: 'fin' | 'rst'): Cause {
  const now = 0;
  const e: CloseEvidence = {
    firstMs: now,
    lastMs: now,
    end: { side: 'server', kind, atMs: now },
    keepaliveS: 0,
    pingsSent: 0,
    pingsUnanswered: 0,
    lastDataMs: {},
    clientUnansweredRetransmissions: 0,
    ...(o.clientId !== undefined ? { clientId: o.clientId } : {}),
    ...(o.twinActive ? { twin: { label: 'another client of this run' } } : {}),
  };
  return readClose(e).cause;
}

/**
 * Causes that mean the server answered at the TCP level and then did not serve MQTT (refused it, stayed
 * silent, spoke another protocol, never acknowledged the subscription): probe's exit 4, "refused or not MQTT".
 * The rest are failures to reach it (exit 3).
 */
export const NOT_SERVED_CAUSES: ReadonlySet<DisconnectCause> = new Set([
  'connack-refused',
  'no-connack',
  'not-mqtt',
  'no-suback',
]);

/**
 * CONNACK refusals that a retry cannot cure: bad credentials, not authorised, banned, bad client id or
 * protocol (MQTT 3.1.1 §3.2.2.3 return codes 1, 2, 4, 5, https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718035;
 * MQTT 5 §3.2.2.2 0x84 0x85 0x86 0x87 0x8A 0x8C, https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html#_Toc3901079).
 * Server unavailable, busy, quota and rate limits are transient and are retried.
 */
export function isPermanentRefusal(reasonCode: number | undefined, mqttVersion: 4 | 5): boolean {
  if (reasonCode === undefined) return false;
  if (mqttVersion === 4 || reasonCode < 0x80) return [1, 2, 4, 5].includes(reasonCode);
  return [0x84, 0x85, 0x86, 0x87, 0x8a, 0x8c].includes(reasonCode);
}

export interface Classified {
  cause: DisconnectCause;
  detail: string;
  reasonCode?: number;
  /** Knowledge-base entry that explains it (src/kb, shared with explain-error), when one matches. */
  kb?: string;
}

const KB_PHASE: Record<DisconnectCause, FailureInput['phase']> = {
  'keepalive-timeout': 'mqtt',
  'broker-closed': 'mqtt',
  reset: 'tcp',
  'disconnect-packet': 'mqtt',
  'session-taken-over': 'mqtt',
  tls: 'tls',
  dns: 'dns',
  refused: 'tcp',
  'connack-refused': 'mqtt',
  'connect-timeout': 'mqtt',
  'no-connack': 'mqtt',
  'not-mqtt': 'mqtt',
  'no-suback': 'mqtt',
  timeout: 'tcp',
  unreachable: 'tcp',
  'run-ended': 'mqtt',
  unknown: 'mqtt',
};

/** The kb entry for a classified observation (session takeovers map to MQTT 5 0x8E even when the broker sent none). */
export function kbEntryFor(c: Classified, o: DisconnectObservation): string | undefined {
  const code = typeof o.errorCode === 'string' ? o.errorCode : undefined;
  const input: FailureInput = {
    phase: KB_PHASE[c.cause],
    ...(code ? { code } : {}),
    ...(o.errorMessage ? { message: o.errorMessage } : {}),
    ...(c.cause === 'session-taken-over'
      ? { reasonCode: 0x8e, mqttVersion: 5 as const }
      : c.reasonCode !== undefined
        ? { reasonCode: c.reasonCode }
        : {}),
    ...(o.mqttVersion && c.cause !== 'session-taken-over' ? { mqttVersion: o.mqttVersion } : {}),
  };
  return classifyFailure(input)?.id;
}

const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH|ERR_OSSL)/;

export function classifyDisconnect(o: DisconnectObservation): Classified {
  let c = classifyCause(o);
  // After a CONNACK, the broker's close (FIN, RST, or an EPIPE of a write at that moment) is read by the shared
  // classifier, which names a takeover when a same-id twin is active.
  const peer =
    c.cause === 'broker-closed' || c.cause === 'reset' || (c.cause === 'unreachable' && c.detail === 'EPIPE');
  if (o.connackReceived && peer && o.twinActive) {
    const shared = SOAK_CAUSE[sharedPeerClose(o, c.cause === 'reset' ? 'rst' : 'fin')];
    if (shared && shared !== c.cause)
      c = {
        ...c,
        cause: shared,
        detail: `${c.detail}, while another client with id ${o.clientId ?? '?'} was connecting`,
      };
  }
  const kb = kbEntryFor(c, o);
  return kb ? { ...c, kb } : c;
}

function classifyCause(o: DisconnectObservation): Classified {
  const code = o.errorCode === undefined ? '' : String(o.errorCode);
  const msg = o.errorMessage ?? '';
  if (o.disconnectPacket && o.reasonCode !== undefined) return fromDisconnectPacket(o, o.reasonCode);
  const other = notMqttAnswer(o, msg);
  if (other) return other;
  if (/keepalive timeout/i.test(msg)) return { cause: 'keepalive-timeout', detail: 'Keepalive timeout' };
  if (/connack timeout/i.test(msg)) {
    return o.transportUp
      ? { cause: 'no-connack', detail: 'TCP connected, no CONNACK within --connect-timeout' }
      : { cause: 'connect-timeout', detail: 'connack timeout' };
  }
  if (TLS_CODE.test(code) || /\b(ssl|tls|certificate)\b/i.test(msg)) return { cause: 'tls', detail: code || msg };
  const bySocket = fromSocketCode(code);
  if (bySocket) return bySocket;
  if (o.phase === 'connect' && (o.reasonCode !== undefined || /connection refused/i.test(msg)))
    return connackRefusal(o, msg);
  if (code === '' && msg === '') {
    // Stream ended with no error and no DISCONNECT: the peer closed the TCP connection (FIN).
    return {
      cause: 'broker-closed',
      detail: o.phase === 'connect' ? 'closed before CONNACK' : 'closed without DISCONNECT',
    };
  }
  return { cause: 'unknown', detail: [code, msg].filter(Boolean).join(' ') };
}

/** The observation's reason code, when it has one, goes with the classification. */
function withReasonCode(o: DisconnectObservation, cause: DisconnectCause, detail: string): Classified {
  return o.reasonCode === undefined ? { cause, detail } : { cause, detail, reasonCode: o.reasonCode };
}

/** A DISCONNECT packet from the broker, read by its reason code. */
function fromDisconnectPacket(o: DisconnectObservation, reasonCode: number): Classified {
  const hex = `0x${reasonCode.toString(16).toUpperCase().padStart(2, '0')}`;
  // The shared reading (close-cause.ts): 0x8E session taken over, 0x8D the broker's keepalive check fired.
  const r = readServerDisconnect(reasonCode, undefined);
  if (r.cause === 'takeover') return withReasonCode(o, 'session-taken-over', `DISCONNECT ${hex} session taken over`);
  if (r.cause === 'keepalive-cut')
    return withReasonCode(o, 'keepalive-timeout', `DISCONNECT ${hex} keep alive timeout (broker side)`);
  const info = mqtt5ReasonCode(reasonCode);
  return withReasonCode(o, 'disconnect-packet', `DISCONNECT ${hex}${info ? ` ${info.name}: ${info.meaning}` : ''}`);
}

/**
 * Before CONNACK, an answer that opens like HTTP or a TLS record is another protocol whether or not MQTT.js's
 * parser choked on it first (a TLS alert may arrive whole and be followed by the close).
 */
function notMqttAnswer(o: DisconnectObservation, msg: string): Classified | undefined {
  if (!(o.protocolError || (o.phase === 'connect' && (o.looksLike === 'http' || o.looksLike === 'tls'))))
    return undefined;
  const what =
    o.looksLike === 'http'
      ? 'an HTTP server answered, not an MQTT broker'
      : o.looksLike === 'tls'
        ? 'a TLS server answered a plaintext CONNECT'
        : `the server sent bytes that are not MQTT (${msg || 'unparseable'})`;
  return { cause: 'not-mqtt', detail: o.connackReceived ? `after CONNACK, ${what}` : what };
}

/** Socket and resolver error codes (errno names) that name their cause by themselves. */
function fromSocketCode(code: string): Classified | undefined {
  switch (code) {
    case 'ECONNRESET':
      return { cause: 'reset', detail: 'ECONNRESET' };
    case 'ECONNREFUSED':
      return { cause: 'refused', detail: 'ECONNREFUSED' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return { cause: 'dns', detail: code };
    case 'ETIMEDOUT':
      return { cause: 'timeout', detail: 'ETIMEDOUT' };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EPIPE':
      return { cause: 'unreachable', detail: code };
    default:
      return undefined;
  }
}

/** A refused CONNECT: the CONNACK's code read in the version it was sent in, or the client's own words. */
function connackRefusal(o: DisconnectObservation, msg: string): Classified {
  const info =
    o.reasonCode !== undefined
      ? describeConnack(o.reasonCode, o.mqttVersion ?? (o.reasonCode >= 0x80 ? 5 : 4))
      : undefined;
  return withReasonCode(
    o,
    'connack-refused',
    info ? `CONNACK ${info.hex} ${info.name}: ${info.meaning}` : msg || 'CONNACK refused',
  );
}

/**
 * A failed connect attempt in the terms of the one failure route every command shares (analyze/failure.ts), so
 * soak names "did not speak MQTT", "an HTTP server answered" or a refusal exactly as probe and keepalive-tune do.
 * Undefined for causes that happen after CONNACK (no SUBACK) or say nothing about the server.
 */
export function failureOfSoakAttempt(
  ev: { cause: DisconnectCause; detail: string; reasonCode?: number | undefined; firstBytes?: string | undefined },
  mqttVersion: 4 | 5,
): MeasurementFailure | undefined {
  const f = failureOfCause(ev, mqttVersion);
  // The bytes the server sent before it broke off name what it is (a CONNACK cut short, a TLS record), as probe's.
  return f && ev.firstBytes && f.phase === 'mqtt' ? { ...f, firstBytes: ev.firstBytes } : f;
}

function failureOfCause(
  ev: { cause: DisconnectCause; detail: string; reasonCode?: number | undefined },
  mqttVersion: 4 | 5,
): MeasurementFailure | undefined {
  const message = ev.detail;
  switch (ev.cause) {
    case 'no-connack':
      return { phase: 'mqtt', code: 'CONNACK_TIMEOUT', message };
    case 'not-mqtt':
      return {
        phase: 'mqtt',
        code: /HTTP server/.test(message)
          ? 'HTTP_SERVER'
          : /TLS server/.test(message)
            ? 'TLS_SERVER'
            : 'MALFORMED_PACKET',
        message,
      };
    case 'connack-refused':
      return ev.reasonCode === undefined
        ? undefined
        : { phase: 'mqtt', code: 'CONNACK_REFUSED', reasonCode: ev.reasonCode, mqttVersion, message };
    case 'broker-closed':
      return { phase: 'mqtt', code: 'CLOSED_BEFORE_CONNACK', message };
    case 'reset':
      return { phase: 'mqtt', code: 'ECONNRESET', message };
    case 'dns':
      return { phase: 'dns', code: message, message };
    case 'refused':
      return { phase: 'tcp', code: 'ECONNREFUSED', message };
    case 'tls':
      return { phase: 'tls', code: message, message };
    case 'connect-timeout':
    case 'timeout':
    case 'unreachable':
      return { phase: 'tcp', code: 'ETIMEDOUT', message };
    default:
      return undefined;
  }
}
