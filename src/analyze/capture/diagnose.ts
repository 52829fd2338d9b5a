/**
 * From connections to a diagnosis: per connection who ended it, how, after what silence in each direction and
 * the likely cause; across connections, takeovers, duplicate client ids, reconnect policy, clients in
 * lockstep after a broker restart. Pure: Connection records in, values out.
 *
 * The rules, and what each rests on:
 * - Keepalive cut: a server "MUST close the Network Connection" when it hears nothing for one and a half
 *   times the Keep Alive (MQTT 3.1.1 §3.1.2.10, https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718030;
 *   MQTT 5.0 §3.1.2.10). Brokers check on a timer, so the cut lands after 1.5 × K, late by up to the check
 *   interval: mosquitto compares whole seconds about every 5 s (eclipse-mosquitto/mosquitto src/keepalive.c),
 *   EMQX checks every mqtt.keepalive_check_interval (default 30 s, apps/emqx/src/emqx_schema.erl), RabbitMQ
 *   closes after two idle checks 0.75 × K apart, i.e. up to 2.25 × K (deps/rabbitmq_mqtt/src/rabbit_mqtt_keepalive.erl).
 * - Idle timeout (NAT, load balancer): a silence longer than every silence the connection survived before,
 *   followed by an RST (reset on idle / on use) or by the client's data going unanswered (silent drop). Its
 *   length is compared with the documented middlebox timeouts in kb/profiles.ts.
 * - Blackhole: the client's data goes unanswered although the connection had survived longer silences, so
 *   the path stopped delivering regardless of idleness (a route, a firewall, a dead host).
 * - Takeover: the broker closes a connection when a CONNECT with the same client id arrives on another
 *   (MQTT 3.1.1 §3.1.4 step 2; MQTT 5 sends DISCONNECT 0x8E first).
 */
import { formatDuration } from '../../config/units.js';
import { MIDDLEBOXES } from '../../kb/profiles.js';
import { describeConnack, mqtt5ReasonCode, hex2 } from '../../kb/reason-codes.js';
import type { Connection, Side } from './connections.js';

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

export interface ConnDiagnosis {
  id: number;
  cause: Cause;
  severity: Severity;
  /** Who sent the first FIN/RST (as seen on the wire: a middlebox's RST looks like the far side's). */
  endedBy?: Side;
  how: 'fin' | 'rst' | 'open';
  durationMs: number;
  /** Silence of each side just before the end (or the capture's end for open connections). */
  silentMs: Record<Side, number | null>;
  /** Idle in both directions that the cause is about (idle timeouts). */
  idleMs?: number;
  /** Documented middlebox timeouts within tolerance of idleMs. */
  matches?: string[];
  /** 1.5 × keepalive ratio for keepalive cuts: client silence / keepalive. */
  keepaliveRatio?: number;
  explanation: string;
}

export interface Finding {
  id: string;
  severity: Severity;
  title: string;
  explanation: string;
  hint?: string;
  connections: number[];
  metrics?: Record<string, unknown>;
}

export interface Diagnosis {
  connections: ConnDiagnosis[];
  findings: Finding[];
}

const SEVERITY: Record<Cause, Severity> = {
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

/** Tolerances. A takeover's close follows the new CONNECT within this. */
const TAKEOVER_WINDOW_MS = 2000;
/** Server-side closes of several connections within this window read as one broker event (restart, crash). */
const CLUSTER_WINDOW_MS = 1000;
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

function silence(c: Connection, side: Side, atMs: number): number | null {
  const last = c.dir[side].lastDataMs;
  if (last === undefined) return null;
  return Math.max(0, atMs - last);
}

function serverSpoke(c: Connection): boolean {
  return c.dir.server.bytes > 0;
}

/** Diagnose one connection (the takeover rule needs the others: see diagnose()). */
function diagnoseOne(c: Connection, takeoverBy: Connection | undefined): ConnDiagnosis {
  const endAt = c.end?.atMs ?? c.lastMs;
  const base = {
    id: c.id,
    how: c.end?.kind ?? ('open' as const),
    durationMs: endAt - c.firstMs,
    silentMs: { client: silence(c, 'client', endAt), server: silence(c, 'server', endAt) },
    ...(c.end ? { endedBy: c.end.side } : {}),
  };
  const out = (cause: Cause, explanation: string, extra: Partial<ConnDiagnosis> = {}): ConnDiagnosis => ({
    ...base,
    cause,
    severity: SEVERITY[cause],
    explanation,
    ...extra,
  });
  const version = (c.mqtt?.protocolVersion === 5 ? 5 : 4) as 4 | 5;

  if (c.refusedSyn)
    return out(
      'port-closed',
      `SYN answered by RST: nothing listened on ${c.server.ip}:${c.server.port} (broker down or restarting)`,
    );
  if (c.sawSyn && c.dir.server.segments === 0) {
    return out(
      'no-answer',
      `SYN never answered within the capture (${fmt(c.lastMs - c.firstMs)}): host down, filtered port or wrong address`,
    );
  }
  // TLS problems first: they decide everything after.
  if (c.tls?.alert && c.tls.alert.description !== undefined) {
    const a = c.tls.alert;
    return out(
      'tls-alert',
      `TLS alert ${a.description} (${a.level === 1 ? 'warning' : 'fatal'}) from the ${a.side}${c.tls.sni ? ` (SNI ${c.tls.sni})` : ''}: the handshake failed; check certificates, CA and SNI`,
    );
  }
  if (c.transport === 'tls' && c.tls?.clientHelloMs !== undefined && c.tls.serverHelloMs === undefined && c.end) {
    if (c.end.side === 'server' || !serverSpoke(c)) {
      return out(
        'tls-to-plain-port',
        `TLS ClientHello sent, the server ${c.end.side === 'server' ? `closed (${c.end.kind.toUpperCase()})` : 'never answered'} without a ServerHello: a TLS client on a plain MQTT port (use mqtt:// or the TLS port)`,
      );
    }
  }
  if (c.serverMismatch)
    return out(
      'plain-to-tls-port',
      `${c.serverMismatch}: a plain MQTT client on a TLS port (use mqtts:// or the plain port)`,
    );
  if (c.ws?.status !== undefined && c.ws.status !== 101)
    return out(
      'ws-refused',
      `WebSocket upgrade refused with HTTP ${c.ws.status}${c.ws.path ? ` for ${c.ws.path}` : ''}: wrong path or a proxy in the way`,
    );
  if (!c.mqtt && c.transport !== 'tls') {
    if (c.dir.client.bytes === 0 && c.end) {
      // Connect and close without a byte: a port check or load-balancer health probe, not an MQTT client.
      if (c.end.side === 'client')
        return out(
          'not-mqtt',
          `TCP connect and close (${c.end.kind.toUpperCase()}) without a byte of MQTT: a port check or health probe`,
        );
      return out('broker-closed', `closed by the server (${c.end.kind.toUpperCase()}) before the client sent anything`);
    }
    if (c.dir.client.bytes > 0 && !c.sawSyn) {
      // Joined mid-way: continue with what the segments tell (no CONNECT).
    } else if (
      c.dir.client.bytes > 0 &&
      (c.dir.client.mqtt['connect'] ?? 0) === 0 &&
      Object.keys(c.dir.client.mqtt).length === 0
    ) {
      return out('not-mqtt', 'the client bytes are not MQTT');
    }
  }
  if (c.connack && c.connack.code !== 0) {
    const info = describeConnack(c.connack.code, version);
    return out(
      'refused',
      `CONNACK ${info.hex} ${info.name}: ${info.meaning}${c.mqtt ? ` (client id "${c.mqtt.clientId}")` : ''}`,
    );
  }
  if (c.mqtt && !c.connack && c.end && c.end.atMs >= c.mqtt.atMs) {
    if (c.end.side === 'server') {
      if (takeoverBy)
        return out(
          'takeover',
          `closed by the broker ${fmt(c.end.atMs - (takeoverBy.mqtt?.atMs ?? c.end.atMs))} after connection #${takeoverBy.id} connected with the same client id "${c.mqtt.clientId}"`,
        );
      return out(
        'no-connack',
        `the server closed (${c.end.kind.toUpperCase()}) after CONNECT without a CONNACK: not an MQTT listener, a TLS listener, an auth plugin failure, or a broker rejecting the CONNECT as malformed`,
      );
    }
  }
  if (c.disconnect?.side === 'client')
    return out(
      'clean-disconnect',
      `the client sent DISCONNECT${c.disconnect.reasonCode ? ` (${hex2(c.disconnect.reasonCode)})` : ''} and closed`,
    );
  if (c.disconnect?.side === 'server') {
    const rc = c.disconnect.reasonCode ?? 0;
    const info = mqtt5ReasonCode(rc);
    const text = `the broker sent DISCONNECT ${hex2(rc)} ${info?.name ?? ''}${info ? `: ${info.meaning}` : ''}`;
    if (rc === 0x8e || takeoverBy)
      return out(
        'takeover',
        takeoverBy ? `${text}; connection #${takeoverBy.id} had just connected with the same client id` : text,
      );
    if (rc === 0x8d) return out('keepalive-cut', text, keepaliveExtra(c, c.disconnect.atMs));
    return out('server-disconnect', text);
  }
  const mtu = mtuVerdict(c);
  if (mtu) return out('mtu', mtu);
  if (!c.end) {
    // Still open at the end of the capture: only a finding if the client is already talking to nobody.
    const verdict = pathVerdict(c);
    if (verdict) return out(verdict.cause, `still open at the end of the capture, but ${verdict.text}`, verdict.extra);
    return out('open', `still open at the end of the capture (${fmt(c.lastMs - c.firstMs)} seen)`);
  }
  const end = c.end;
  const K = c.connack?.serverKeepAliveS ?? c.mqtt?.keepaliveS ?? 0;
  const clientSilentAtEnd = base.silentMs.client ?? end.atMs - c.firstMs;
  const keepaliveCut = end.side === 'server' && K > 0 && isKeepaliveSilence(clientSilentAtEnd, K);
  // A client that resets after its own data went unanswered is giving up (path verdict below), not a middlebox.
  if (!keepaliveCut && !takeoverBy && !(end.side === 'client' && c.unanswered)) {
    const idle = idleBefore(c);
    if (end.kind === 'rst' && idle !== undefined) {
      const matches = matchMiddleboxes(idle);
      return out(
        'idle-reset',
        `RST ${end.side === 'server' ? 'towards the client' : 'towards the broker'} after ${fmt(idle)} idle in both directions, longer than any silence the connection survived before${c.maxAnsweredIdleMs ? ` (${fmt(c.maxAnsweredIdleMs)})` : ''}: a middlebox (NAT, load balancer, firewall) idle timeout; ${matches.length ? `matches ${matches.join(', ')}` : 'matches no documented timeout in the knowledge base'}`,
        { idleMs: idle, matches },
      );
    }
  }
  if (end.side === 'server') {
    if (takeoverBy)
      return out(
        'takeover',
        `closed by the broker (${end.kind.toUpperCase()}) ${fmt(Math.max(0, end.atMs - (takeoverBy.mqtt?.atMs ?? end.atMs)))} after connection #${takeoverBy.id} connected with the same client id "${c.mqtt?.clientId ?? ''}"`,
      );
    const clientSilent = base.silentMs.client ?? end.atMs - c.firstMs;
    if (keepaliveCut) {
      return out(
        'keepalive-cut',
        `the broker closed (${end.kind.toUpperCase()}) after the client was silent ${fmt(clientSilent)} = ${(clientSilent / (K * 1000)).toFixed(2)} × its keepalive ${K}s (the spec's 1.5 × rule, checked on the broker's timer): the client did not ping in time${c.ping.sent === 0 ? ' (it sent no PINGREQ at all)' : ''}, or its pings were lost on the way`,
        keepaliveExtra(c, end.atMs),
      );
    }
    return out(
      'broker-closed',
      `the broker closed (${end.kind.toUpperCase()}) without DISCONNECT while the client was ${clientSilent < 1000 ? 'active' : `silent only ${fmt(clientSilent)}${K ? ` (< keepalive ${K}s)` : ''}`}: broker restart or crash, an admin kick, or a protocol error it did not explain`,
    );
  }
  // The client ended it.
  const verdict = pathVerdict(c);
  if (verdict)
    return out(
      verdict.cause,
      `the client closed (${end.kind.toUpperCase()}) ${fmt(end.atMs - (c.unanswered?.atMs ?? end.atMs))} after its data went unanswered: ${verdict.text}`,
      verdict.extra,
    );
  return out(
    'client-closed',
    `the client closed (${end.kind.toUpperCase()}) without DISCONNECT: application exit, a client-side timeout, or a network change on its side`,
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

function keepaliveExtra(c: Connection, atMs: number): Partial<ConnDiagnosis> {
  const K = c.connack?.serverKeepAliveS ?? c.mqtt?.keepaliveS ?? 0;
  const s = silence(c, 'client', atMs);
  return K > 0 && s !== null ? { keepaliveRatio: Math.round((s / (K * 1000)) * 100) / 100 } : {};
}

/** Idle in both directions right before the end, if it is longer than every silence survived before. */
function idleBefore(c: Connection): number | undefined {
  if (!c.end) return undefined;
  const lastData = Math.max(c.dir.client.lastDataMs ?? c.firstMs, c.dir.server.lastDataMs ?? c.firstMs);
  let idle = c.end.atMs - lastData;
  // Reset on use: the client spoke after the silence and got the RST at once.
  if (c.unanswered && c.end.atMs - c.unanswered.atMs < 1000 && c.unanswered.idleBeforeMs > idle)
    idle = c.unanswered.idleBeforeMs;
  const survived = c.maxAnsweredIdleMs ?? 0;
  if (idle < MIN_IDLE_MS || idle <= Math.max(survived * 1.1, survived + 250)) return undefined;
  return idle;
}

/** Smallest segment we call "large": above what any sane path MTU carries (IPv6 minimum MTU 1280 − headers). */
const MTU_SUSPECT_BYTES = 1200;

/**
 * Path-MTU blackhole: one side keeps retransmitting a large segment that is never acknowledged, while the
 * connection had carried smaller packets both ways (RFC 2923 §2.1, "PMTUD black hole",
 * https://www.rfc-editor.org/rfc/rfc2923#section-2.1). Typical during a TLS handshake's certificate flight.
 */
function mtuVerdict(c: Connection): string | undefined {
  for (const side of ['server', 'client'] as const) {
    const d = c.dir[side];
    const other = c.dir[side === 'client' ? 'server' : 'client'];
    if (d.unansweredRetransmissions >= 2 && d.unansweredRetransMaxBytes >= MTU_SUSPECT_BYTES && other.bytes > 0) {
      const during = c.transport === 'tls' && c.tls?.firstAppDataMs === undefined ? ' during the TLS handshake' : '';
      return `the ${side} retransmitted a ${d.unansweredRetransMaxBytes}-byte segment ${d.unansweredRetransmissions} times${during} and it was never acknowledged, while smaller packets got through: a path MTU blackhole (a link with a smaller MTU drops it and the ICMP "fragmentation needed" never arrives)`;
    }
  }
  return undefined;
}

/** Unanswered client data at the end: an idle drop or a blackhole. */
function pathVerdict(c: Connection): { cause: Cause; text: string; extra: Partial<ConnDiagnosis> } | undefined {
  const u = c.unanswered;
  if (!u) return undefined;
  const tail = c.dir.client;
  const tcp =
    tail.unansweredRetransmissions > 0
      ? `${tail.unansweredRetransmissions} TCP retransmissions never acknowledged`
      : c.ping.unanswered > 0
        ? `${c.ping.unanswered} PINGREQ without PINGRESP (TCP-acknowledged: a proxy or the broker stopped answering)`
        : 'no reply';
  const survived = c.maxAnsweredIdleMs ?? 0;
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

const sameServer = (a: Connection, b: Connection): boolean =>
  a.server.ip === b.server.ip && a.server.port === b.server.port;

/** Connection that took over `c` (same client id, CONNECT shortly before c's end), if any. */
function findTakeover(c: Connection, byId: Map<string, Connection[]>): Connection | undefined {
  if (!c.mqtt?.clientId || !c.end || c.end.side !== 'server') return undefined;
  if (c.disconnect?.side === 'client') return undefined;
  for (const o of byId.get(c.mqtt.clientId) ?? []) {
    // Same broker only: the same session relayed by a proxy shows up as two legs to different servers.
    if (o === c || !o.mqtt || !sameServer(o, c)) continue;
    if (o.mqtt.atMs > c.mqtt.atMs && o.mqtt.atMs <= c.end.atMs + 50 && c.end.atMs - o.mqtt.atMs <= TAKEOVER_WINDOW_MS)
      return o;
  }
  return undefined;
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

const FINDING_HINT: Partial<Record<Cause, string>> = {
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

export function diagnose(conns: Connection[]): Diagnosis {
  const byId = new Map<string, Connection[]>();
  for (const c of conns) {
    if (!c.mqtt?.clientId) continue;
    const l = byId.get(c.mqtt.clientId) ?? [];
    l.push(c);
    byId.set(c.mqtt.clientId, l);
  }
  const diags = conns.map((c) => diagnoseOne(c, findTakeover(c, byId)));
  const findings: Finding[] = [];

  // Broker-wide events: several connections closed by the server side within a second.
  const serverCloses = conns
    .map((c, i) => ({ c, d: diags[i]! }))
    .filter(({ c, d }) => c.end?.side === 'server' && (d.cause === 'broker-closed' || d.cause === 'idle-reset'))
    .sort((a, b) => a.c.end!.atMs - b.c.end!.atMs);
  const clusters: Array<typeof serverCloses> = [];
  for (const x of serverCloses) {
    const last = clusters[clusters.length - 1];
    if (
      last &&
      x.c.end!.atMs - last[last.length - 1]!.c.end!.atMs <= CLUSTER_WINDOW_MS &&
      x.c.server.port === last[0]!.c.server.port
    )
      last.push(x);
    else clusters.push([x]);
  }
  for (const cl of clusters) {
    if (cl.length < 2) continue;
    const at = cl[0]!.c.end!.atMs;
    for (const { d } of cl) {
      if (d.cause === 'idle-reset') continue; // a reset after its own long idle stays an idle reset
      d.explanation = `the broker closed ${cl.length} connections within ${fmt(cl[cl.length - 1]!.c.end!.atMs - at)}: a broker restart or crash (not this client's doing)`;
    }
    // Lockstep: the affected clients' next attempts.
    const ids = new Set(cl.map(({ c }) => c.mqtt?.clientId ?? c.client.ip));
    const next: number[] = [];
    for (const id of ids) {
      const n = conns.find((o) => o.firstMs > at && (o.mqtt?.clientId ?? o.client.ip) === id);
      if (n) next.push(n.firstMs);
    }
    if (next.length >= 3) {
      const spread = Math.max(...next) - Math.min(...next);
      const delay = Math.min(...next) - at;
      if (spread < Math.max(200, delay * 0.1)) {
        findings.push({
          id: 'lockstep',
          severity: 'warn',
          title: 'Clients reconnect in lockstep',
          explanation: `${next.length} clients came back within ${fmt(spread)} of each other, ${fmt(delay)} after the broker closed them: a thundering herd on every restart`,
          hint: 'add random jitter to the reconnect delay (and exponential backoff)',
          connections: cl.map(({ c }) => c.id),
          metrics: { clients: next.length, spreadMs: Math.round(spread), delayMs: Math.round(delay) },
        });
      }
    }
  }

  // One finding per non-ok cause.
  const byCause = new Map<Cause, ConnDiagnosis[]>();
  for (const d of diags) {
    const l = byCause.get(d.cause) ?? [];
    l.push(d);
    byCause.set(d.cause, l);
  }
  for (const [cause, ds] of byCause) {
    if (SEVERITY[cause] === 'ok' || SEVERITY[cause] === 'info') continue;
    const first = ds[0]!;
    const hint = FINDING_HINT[cause];
    const idles = ds.map((d) => d.idleMs).filter((x): x is number => x !== undefined);
    findings.push({
      id: `cause.${cause}`,
      severity: SEVERITY[cause],
      title: `${CAUSE_TITLE[cause]}: ${ds.length} connection${ds.length === 1 ? '' : 's'}`,
      explanation: `#${first.id}: ${first.explanation}`,
      ...(hint ? { hint } : {}),
      connections: ds.map((d) => d.id),
      ...(idles.length
        ? { metrics: { idleMsMin: Math.round(Math.min(...idles)), idleMsMax: Math.round(Math.max(...idles)) } }
        : {}),
    });
  }

  // Clients quieter than the keepalive they asked for: the broker may cut them (1.5 × K), a NAT may forget them.
  const late = conns.filter((c) => {
    const K = c.connack?.serverKeepAliveS ?? c.mqtt?.keepaliveS ?? 0;
    return K > 0 && (c.clientMaxGapMs ?? 0) > K * 1000 + Math.max(500, K * 50);
  });
  if (late.length) {
    const worst = late.reduce((a, b) =>
      (b.clientMaxGapMs ?? 0) / (b.mqtt?.keepaliveS ?? 1) > (a.clientMaxGapMs ?? 0) / (a.mqtt?.keepaliveS ?? 1) ? b : a,
    );
    findings.push({
      id: 'late-pings',
      severity: 'warn',
      title: `Clients silent longer than their keepalive: ${late.length} connection${late.length === 1 ? '' : 's'}`,
      explanation: `#${worst.id} ("${worst.mqtt?.clientId ?? ''}") went ${fmt(worst.clientMaxGapMs ?? 0)} without sending a packet with keepalive ${worst.connack?.serverKeepAliveS ?? worst.mqtt?.keepaliveS}s: a client must send something (PINGREQ) within the keepalive (MQTT 3.1.1 §3.1.2.10); its ping timer is late or blocked`,
      hint: 'check the client loop (blocked network thread, sleeping device); mqtt-doctor keepalive-tune suggests a keepalive it can keep',
      connections: late.map((c) => c.id),
    });
  }
  const unacked = conns.filter((c) => c.pendingAcks.client + c.pendingAcks.server > 0 && c.end);
  if (unacked.length) {
    const n = unacked.reduce((s, c) => s + c.pendingAcks.client + c.pendingAcks.server, 0);
    findings.push({
      id: 'unacknowledged',
      severity: 'warn',
      title: `QoS 1/2 publishes never acknowledged: ${n} in ${unacked.length} connection${unacked.length === 1 ? '' : 's'}`,
      explanation: `messages were in flight when the connection${unacked.length === 1 ? '' : 's'} ended (#${unacked
        .map((c) => c.id)
        .slice(0, 5)
        .join(
          ', #',
        )}): they are sent again only if the session persists (clean session false / session expiry > 0) and the client reconnects`,
      connections: unacked.map((c) => c.id),
      metrics: { publishes: n },
    });
  }

  // Duplicate client ids: two connections with the same id open at the same time from different endpoints.
  for (const [id, list] of byId) {
    const overlapping = list.filter((a) =>
      list.some(
        (b) =>
          b !== a && sameServer(a, b) && b.firstMs < (a.end?.atMs ?? a.lastMs) && a.firstMs < (b.end?.atMs ?? b.lastMs),
      ),
    );
    const endpoints = new Set(overlapping.map((c) => `${c.client.ip}:${c.client.port}`));
    if (overlapping.length >= 2 && endpoints.size >= 2) {
      const hosts = new Set(overlapping.map((c) => c.client.ip));
      findings.push({
        id: 'duplicate-client-id',
        severity: 'warn',
        title: `Client id "${id}" used by ${overlapping.length} connections at once`,
        explanation: `connections ${overlapping.map((c) => `#${c.id}`).join(', ')} from ${hosts.size} host${hosts.size === 1 ? '' : 's'} overlap: the broker keeps only the newest, so they take each other over`,
        hint: FINDING_HINT.takeover!,
        connections: overlapping.map((c) => c.id),
      });
    }
  }

  // Reconnect intervals per client id and broker (a refused SYN carries no client id: it cannot be attributed).
  const byClient = new Map<string, Connection[]>();
  for (const c of conns) {
    if (!c.mqtt?.clientId) continue;
    const k = `${c.mqtt.clientId}|${c.server.ip}|${c.server.port}`;
    const l = byClient.get(k) ?? [];
    l.push(c);
    byClient.set(k, l);
  }
  for (const [key, list] of byClient) {
    const k = key.split('|')[0]!;
    if (list.length < 3) continue;
    const ended = list.filter((c, i) => i < list.length - 1 && (c.end || c.refusedSyn));
    const intervals = ended.map((c) => {
      const nextStart = list[list.indexOf(c) + 1]!.firstMs;
      return Math.max(0, nextStart - (c.end?.atMs ?? c.lastMs));
    });
    if (intervals.length < 2) continue;
    const policy = reconnectPolicy(intervals);
    const med = median(intervals);
    findings.push({
      id: 'reconnects',
      severity: med < 1000 ? 'warn' : 'info',
      title: `"${k}" reconnected ${intervals.length} times`,
      explanation: `delays ${fmt(Math.min(...intervals))}…${fmt(Math.max(...intervals))} (median ${fmt(med)}): ${policy === 'fixed' ? 'a fixed delay' : policy === 'exponential' ? 'exponential backoff' : policy === 'jittered' ? 'a jittered delay' : 'no clear policy'}${med < 1000 ? '; under a second between attempts is a tight loop that hammers the broker' : ''}`,
      ...(policy === 'fixed'
        ? {
            hint: 'a fixed delay without jitter brings every client back at once after an outage; add jitter and backoff',
          }
        : {}),
      connections: list.map((c) => c.id),
      metrics: { intervalsMs: intervals.map((x) => Math.round(x)), policy },
    });
  }

  findings.sort((a, b) => rank(b.severity) - rank(a.severity));
  return { connections: diags, findings };
}

const rank = (s: Severity): number => ({ ok: 0, info: 1, warn: 2, fail: 3 })[s];
