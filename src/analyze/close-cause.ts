/**
 * Why a connection ended: the one classifier that `analyze` (from the wire, capture/diagnose.ts) and `soak` (from
 * what MQTT.js and Node report, soak/causes.ts) share, so a capture and a soak of the same fault say the same thing
 * (issue 14). Each side turns what it saw into a CloseEvidence and calls readClose(); the causes, their severity,
 * titles and hints, the keepalive, middlebox and takeover rules and the reconnect-policy reading live here once.
 * Pure: evidence in, a cause and its explanation out.
 *
 * The rules, and what each rests on:
 * - Keepalive cut: a server "MUST close the Network Connection" when it hears nothing for one and a half
 *   times the Keep Alive (MQTT 3.1.1 §3.1.2.10, https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718030;
 *   MQTT 5.0 §3.1.2.10); MQTT 5 may say so first with DISCONNECT 0x8D (§3.14.2.1). Brokers check on a timer, so
 *   the cut lands after 1.5 × K, late by up to the check interval: mosquitto compares whole seconds about every
 *   5 s (eclipse-mosquitto/mosquitto src/keepalive.c), EMQX checks every mqtt.keepalive_check_interval (default
 *   30 s, apps/emqx/src/emqx_schema.erl), RabbitMQ closes after two idle checks 0.75 × K apart, i.e. up to
 *   2.25 × K (deps/rabbitmq_mqtt/src/rabbit_mqtt_keepalive.erl).
 * - Idle timeout (NAT, load balancer): a silence longer than every silence the connection survived before,
 *   followed by an RST (reset on idle / on use) or by the client's data going unanswered (silent drop). Its
 *   length is compared with the documented middlebox timeouts in kb/profiles.ts.
 * - Blackhole: the client's data goes unanswered although the connection had survived longer silences, so
 *   the path stopped delivering regardless of idleness (a route, a firewall, a dead host).
 * - Takeover: the broker closes a connection when a CONNECT with the same client id arrives on another
 *   (MQTT 3.1.1 §3.1.4 step 2; MQTT 5 sends DISCONNECT 0x8E first). Mosquitto 2.0 closes the old connection
 *   without the 0x8E ("Client x already connected, closing old connection."), so the twin decides, whether the
 *   close is seen as a FIN, an RST, or an EPIPE of a client writing at that moment.
 */
import { formatDuration } from '../config/units.js';
import { MIDDLEBOXES } from '../kb/profiles.js';
import { hex2, mqtt5ReasonCode } from '../kb/reason-codes.js';

export type Side = 'client' | 'server';

/** The shared vocabulary: every way a connection can end, as either observer names it. */
export type Cause =
  | 'clean-disconnect'
  | 'open'
  | 'refused'
  | 'port-closed'
  | 'no-answer'
  | 'tls-alert'
  | 'tls-to-plain-port'
  | 'plain-to-tls-port'
  | 'no-connack'
  | 'ws-refused'
  | 'takeover'
  | 'server-disconnect'
  | 'keepalive-cut'
  | 'idle-reset'
  | 'idle-drop'
  | 'blackhole'
  | 'mtu'
  | 'broker-closed'
  | 'client-closed'
  | 'not-mqtt';

export type Severity = 'ok' | 'info' | 'warn' | 'fail';

export const SEVERITY: Record<Cause, Severity> = {
  'clean-disconnect': 'ok',
  open: 'info',
  refused: 'fail',
  'port-closed': 'fail',
  'no-answer': 'fail',
  'tls-alert': 'fail',
  'tls-to-plain-port': 'fail',
  'plain-to-tls-port': 'fail',
  'no-connack': 'fail',
  'ws-refused': 'fail',
  takeover: 'warn',
  'server-disconnect': 'warn',
  'keepalive-cut': 'warn',
  'idle-reset': 'warn',
  'idle-drop': 'warn',
  blackhole: 'fail',
  mtu: 'fail',
  'broker-closed': 'warn',
  'client-closed': 'warn',
  'not-mqtt': 'info',
};

const CAUSE_TITLE: Record<Cause, string> = {
  'clean-disconnect': 'Clean disconnects',
  open: 'Open at the end of the capture',
  refused: 'CONNECT refused',
  'port-closed': 'Connection refused (port closed)',
  'no-answer': 'SYN never answered',
  'tls-alert': 'TLS alert',
  'tls-to-plain-port': 'TLS to a plain MQTT port',
  'plain-to-tls-port': 'Plain MQTT to a TLS port',
  'no-connack': 'Closed after CONNECT without CONNACK',
  'ws-refused': 'WebSocket upgrade refused',
  takeover: 'Session taken over (same client id)',
  'server-disconnect': 'Broker sent DISCONNECT',
  'keepalive-cut': 'Broker keepalive cut',
  'idle-reset': 'Middlebox idle timeout (reset)',
  'idle-drop': 'Middlebox idle timeout (silent drop)',
  blackhole: 'Blackhole (data unanswered)',
  mtu: 'Path MTU blackhole (large segments lost)',
  'broker-closed': 'Broker closed connections',
  'client-closed': 'Client closed without DISCONNECT',
  'not-mqtt': 'Not MQTT',
};

export const causeTitle = (c: Cause): string => CAUSE_TITLE[c];

/** Short label for table cells. */
export const causeLabel = (c: Cause): string => c.replace(/-/g, ' ');

export const FINDING_HINT: Partial<Record<Cause, string>> = {
  'keepalive-cut':
    'make the client ping: a keepalive it can keep (mqtt-doctor keepalive-tune) and a network loop that is not blocked',
  'idle-reset': 'send a PINGREQ well inside the idle timeout: mqtt-doctor keepalive-tune --discover-idle finds it',
  'idle-drop': 'send a PINGREQ well inside the idle timeout: mqtt-doctor keepalive-tune --discover-idle finds it',
  mtu: 'lower the MTU/MSS on the path (e.g. MSS clamping on the router) or let ICMP "fragmentation needed" through',
  blackhole:
    'check the route and firewalls between client and broker; mqtt-doctor probe from the client side shows where it stops',
  takeover:
    'give every device its own client id; check for a second process or a reconnect while the old socket was half-open',
  refused: 'mqtt-doctor explain-error with the CONNACK code for causes and fixes',
  'port-closed': 'the broker was down or restarting; clients should back off with jitter',
  'tls-alert': 'mqtt-doctor probe mqtts://host:port --ca ... shows the certificate problem',
  'tls-to-plain-port': 'use mqtt:// for this port, or point the client at the TLS listener (usually 8883)',
  'plain-to-tls-port': 'use mqtts:// for this port, or point the client at the plain listener (usually 1883)',
  'broker-closed': 'read the broker log at that moment (mqtt-doctor explain-error --file broker.log)',
  'client-closed': 'check the client application log for why it closed',
};

/** A takeover's close follows the twin's CONNECT within this. */
export const TAKEOVER_WINDOW_MS = 2000;
/** The slowest documented broker keepalive check interval (EMQX default 30 s; see the header). */
const KEEPALIVE_CHECK_SLACK_MS = 30_000;
/** Silences shorter than this are not "idle timeouts": they are just traffic. */
const MIN_IDLE_MS = 1000;

const fmt = formatDuration;

/** Middleboxes whose documented idle timeout is within max(2 s, 5 %) of `idleMs`. */
export function matchMiddleboxes(idleMs: number): string[] {
  return MIDDLEBOXES.filter((m) => Math.abs(idleMs - m.idleS * 1000) <= Math.max(2000, m.idleS * 50)).map(
    (m) => `${m.title} (${m.idleS} s)`,
  );
}

/**
 * Is a client silence of `ms` what a keepalive cut at K seconds looks like? From 1.5 × K less the one-second
 * resolution some brokers compare in (never below K), to 1.5 × K plus the slowest documented check interval
 * (30 s) or 2.5 × K, whichever is larger (see the header).
 */
export function isKeepaliveSilence(ms: number, keepaliveS: number): boolean {
  const k = keepaliveS * 1000;
  return ms >= Math.max(k, 1.5 * k - 1000) && ms <= Math.max(2.5 * k, 1.5 * k + KEEPALIVE_CHECK_SLACK_MS);
}

/**
 * What one observer knows about how a connection ended, after the handshake questions (port, TLS, CONNACK) are
 * settled. Times are ms on one clock (capture time, or soak's wall clock); anything unknown is left out.
 */
export interface CloseEvidence {
  firstMs: number;
  /** The last moment the connection was seen (the capture's last segment of it, or now). */
  lastMs: number;
  /** The first close: who, FIN or RST, when. Absent while it is still open (a capture that ends first). */
  end?: { side: Side; kind: 'fin' | 'rst'; atMs: number };
  /** An MQTT DISCONNECT, who sent it and its MQTT 5 reason code. */
  disconnect?: { side: Side; atMs: number; reasonCode?: number };
  clientId?: string;
  /** The keepalive in force, s (the server's Server Keep Alive over the client's), 0 when none. */
  keepaliveS: number;
  pingsSent: number;
  pingsUnanswered: number;
  /** When each side last sent data. */
  lastDataMs: Partial<Record<Side, number>>;
  /** Client data that got no answer, when, and after how long idle both ways. */
  unanswered?: { atMs: number; idleBeforeMs: number };
  /** The longest idle (both ways) the connection survived: answered afterwards. */
  survivedIdleMs?: number;
  /** TCP retransmissions of the client's unanswered tail. */
  clientUnansweredRetransmissions: number;
  /** Another connection with the same client id (to the same broker) connected shortly before the close. */
  twin?: { label: string; connectedAtMs?: number };
  /** A path-MTU blackhole seen by the observer (it needs segment sizes), as a sentence. */
  mtu?: string;
}

/** The cause, its explanation, and the figures a reader checks it by. */
export interface CloseReading {
  cause: Cause;
  explanation: string;
  /** Idle in both directions that the cause is about (idle timeouts). */
  idleMs?: number;
  /** Documented middlebox timeouts within tolerance of idleMs. */
  matches?: string[];
  /** Client silence / keepalive, for keepalive cuts. */
  keepaliveRatio?: number;
}

function silenceOf(e: CloseEvidence, side: Side, atMs: number): number | null {
  const last = e.lastDataMs[side];
  return last === undefined ? null : Math.max(0, atMs - last);
}

function keepaliveExtra(e: CloseEvidence, atMs: number): { keepaliveRatio?: number } {
  const K = e.keepaliveS;
  const s = silenceOf(e, 'client', atMs);
  return K > 0 && s !== null ? { keepaliveRatio: Math.round((s / (K * 1000)) * 100) / 100 } : {};
}

/** Idle in both directions right before the end, if it is longer than every silence survived before. */
function idleBefore(e: CloseEvidence): number | undefined {
  if (!e.end) return undefined;
  const lastData = Math.max(e.lastDataMs.client ?? e.firstMs, e.lastDataMs.server ?? e.firstMs);
  let idle = e.end.atMs - lastData;
  // Reset on use: the client spoke after the silence and got the RST at once.
  if (e.unanswered && e.end.atMs - e.unanswered.atMs < 1000 && e.unanswered.idleBeforeMs > idle)
    idle = e.unanswered.idleBeforeMs;
  const survived = e.survivedIdleMs ?? 0;
  if (idle < MIN_IDLE_MS || idle <= Math.max(survived * 1.1, survived + 250)) return undefined;
  return idle;
}

/** Unanswered client data at the end: an idle drop or a blackhole. */
function pathVerdict(e: CloseEvidence): { cause: Cause; text: string; extra: Partial<CloseReading> } | undefined {
  const u = e.unanswered;
  if (!u) return undefined;
  const tcp =
    e.clientUnansweredRetransmissions > 0
      ? `${e.clientUnansweredRetransmissions} TCP retransmissions never acknowledged`
      : e.pingsUnanswered > 0
        ? `${e.pingsUnanswered} PINGREQ without PINGRESP (TCP-acknowledged: a proxy or the broker stopped answering)`
        : 'no reply';
  const survived = e.survivedIdleMs ?? 0;
  // A silence clearly longer than every one survived (10 % and 250 ms of slack for timer jitter).
  if (u.idleBeforeMs >= MIN_IDLE_MS && u.idleBeforeMs > Math.max(survived * 1.1, survived + 250)) {
    const matches = matchMiddleboxes(u.idleBeforeMs);
    return {
      cause: 'idle-drop',
      text: `${tcp}, after ${fmt(u.idleBeforeMs)} idle in both directions, longer than any silence it survived before (${fmt(survived)}): a NAT or load balancer dropped the idle flow silently (its timeout is between ${fmt(survived)} and ${fmt(u.idleBeforeMs)}); ${matches.length ? `matches ${matches.join(', ')}` : 'matches no documented timeout in the knowledge base'}`,
      extra: { idleMs: u.idleBeforeMs, matches },
    };
  }
  return {
    cause: 'blackhole',
    text: `${tcp}, while the connection had survived longer silences (${fmt(survived)} > ${fmt(u.idleBeforeMs)}): the path stopped delivering (blackhole: route, firewall, dead host), not an idle timeout`,
    extra: { idleMs: u.idleBeforeMs },
  };
}

/** The DISCONNECT a broker sent, read: takeover (0x8E, or a twin), keepalive cut (0x8D), or another reason. */
export function readServerDisconnect(
  reasonCode: number,
  twin: CloseEvidence['twin'],
): { cause: 'takeover' | 'keepalive-cut' | 'server-disconnect'; text: string } {
  const info = mqtt5ReasonCode(reasonCode);
  const text = `the broker sent DISCONNECT ${hex2(reasonCode)} ${info?.name ?? ''}${info ? `: ${info.meaning}` : ''}`;
  if (reasonCode === 0x8e || twin)
    return {
      cause: 'takeover',
      text: twin ? `${text}; ${twin.label} had just connected with the same client id` : text,
    };
  if (reasonCode === 0x8d) return { cause: 'keepalive-cut', text };
  return { cause: 'server-disconnect', text };
}

/**
 * Why an established connection ended (or, still open, whether it is already talking to nobody): DISCONNECT,
 * path MTU, keepalive cut, middlebox idle reset or drop, takeover, blackhole, or a plain close by either side.
 */
export function readClose(e: CloseEvidence): CloseReading {
  const byPacket = readDisconnectPacket(e);
  if (byPacket) return byPacket;
  if (e.mtu) return reading('mtu', e.mtu);
  if (!e.end) return readStillOpen(e);
  const end = e.end;
  const K = e.keepaliveS;
  const clientSilent = silenceOf(e, 'client', end.atMs) ?? end.atMs - e.firstMs;
  const keepaliveCut = end.side === 'server' && K > 0 && isKeepaliveSilence(clientSilent, K);
  // A client that resets after its own data went unanswered is giving up (path verdict below), not a middlebox.
  if (!keepaliveCut && !e.twin && !(end.side === 'client' && e.unanswered)) {
    const idleReset = readIdleReset(e, end);
    if (idleReset) return idleReset;
  }
  return end.side === 'server' ? readServerClose(e, end, clientSilent, keepaliveCut) : readClientClose(e, end);
}

type CloseEnd = NonNullable<CloseEvidence['end']>;

function reading(cause: Cause, explanation: string, extra: Partial<CloseReading> = {}): CloseReading {
  return { cause, explanation, ...extra };
}

/** A DISCONNECT packet decides: the client's is a clean end, the broker's is read by its reason code. */
function readDisconnectPacket(e: CloseEvidence): CloseReading | undefined {
  if (e.disconnect?.side === 'client')
    return reading(
      'clean-disconnect',
      `the client sent DISCONNECT${e.disconnect.reasonCode ? ` (${hex2(e.disconnect.reasonCode)})` : ''} and closed`,
    );
  if (e.disconnect?.side === 'server') {
    const r = readServerDisconnect(e.disconnect.reasonCode ?? 0, e.twin);
    return reading(r.cause, r.text, r.cause === 'keepalive-cut' ? keepaliveExtra(e, e.disconnect.atMs) : {});
  }
  return undefined;
}

/** Still open at the end of the capture: only a finding if the client is already talking to nobody. */
function readStillOpen(e: CloseEvidence): CloseReading {
  const verdict = pathVerdict(e);
  if (verdict)
    return reading(verdict.cause, `still open at the end of the capture, but ${verdict.text}`, verdict.extra);
  return reading('open', `still open at the end of the capture (${fmt(e.lastMs - e.firstMs)} seen)`);
}

/** An RST after a silence longer than any the connection survived: a middlebox idle timeout. */
function readIdleReset(e: CloseEvidence, end: CloseEnd): CloseReading | undefined {
  const idle = idleBefore(e);
  if (end.kind !== 'rst' || idle === undefined) return undefined;
  const matches = matchMiddleboxes(idle);
  return reading(
    'idle-reset',
    `RST ${end.side === 'server' ? 'towards the client' : 'towards the broker'} after ${fmt(idle)} idle in both directions, longer than any silence the connection survived before${e.survivedIdleMs ? ` (${fmt(e.survivedIdleMs)})` : ''}: a middlebox (NAT, load balancer, firewall) idle timeout; ${matches.length ? `matches ${matches.join(', ')}` : 'matches no documented timeout in the knowledge base'}`,
    { idleMs: idle, matches },
  );
}

/** The broker closed without DISCONNECT: a takeover (a twin connected), a keepalive cut, or its own reasons. */
function readServerClose(e: CloseEvidence, end: CloseEnd, clientSilent: number, keepaliveCut: boolean): CloseReading {
  const K = e.keepaliveS;
  if (e.twin)
    return reading(
      'takeover',
      `closed by the broker (${end.kind.toUpperCase()}) ${fmt(Math.max(0, end.atMs - (e.twin.connectedAtMs ?? end.atMs)))} after ${e.twin.label} connected with the same client id "${e.clientId ?? ''}"`,
    );
  if (keepaliveCut) {
    return reading(
      'keepalive-cut',
      `the broker closed (${end.kind.toUpperCase()}) after the client was silent ${fmt(clientSilent)} = ${(clientSilent / (K * 1000)).toFixed(2)} × its keepalive ${K}s (the spec's 1.5 × rule, checked on the broker's timer): the client did not ping in time${e.pingsSent === 0 ? ' (it sent no PINGREQ at all)' : ''}, or its pings were lost on the way`,
      keepaliveExtra(e, end.atMs),
    );
  }
  return reading(
    'broker-closed',
    `the broker closed (${end.kind.toUpperCase()}) without DISCONNECT while the client was ${clientSilent < 1000 ? 'active' : `silent only ${fmt(clientSilent)}${K ? ` (< keepalive ${K}s)` : ''}`}: broker restart or crash, an admin kick, or a protocol error it did not explain`,
  );
}

/** The client ended it: giving up on a path that stopped answering, or its own decision. */
function readClientClose(e: CloseEvidence, end: CloseEnd): CloseReading {
  const verdict = pathVerdict(e);
  if (verdict)
    return reading(
      verdict.cause,
      `the client closed (${end.kind.toUpperCase()}) ${fmt(end.atMs - (e.unanswered?.atMs ?? end.atMs))} after its data went unanswered: ${verdict.text}`,
      verdict.extra,
    );
  return reading(
    'client-closed',
    `the client closed (${end.kind.toUpperCase()}) without DISCONNECT: application exit, a client-side timeout, or a network change on its side`,
  );
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Reconnect policy from intervals between one connection's end and the next attempt's start. */
export function reconnectPolicy(intervalsMs: number[]): 'fixed' | 'exponential' | 'jittered' | 'irregular' {
  if (intervalsMs.length < 2) return 'irregular';
  const min = Math.min(...intervalsMs);
  const max = Math.max(...intervalsMs);
  const med = median(intervalsMs);
  if (med > 0 && (max - min) / med < 0.2) return 'fixed';
  const ratios = intervalsMs.slice(1).map((x, i) => x / Math.max(1, intervalsMs[i]!));
  const doubling = ratios.filter((r) => r >= 1.5 && r <= 2.6).length;
  if (doubling >= Math.ceil(ratios.length * 0.6)) return 'exponential';
  return med > 0 && (max - min) / med < 1.5 ? 'jittered' : 'irregular';
}

export { median };
