/**
 * From connections to a diagnosis: per connection who ended it, how, after what silence in each direction and
 * the likely cause; across connections, takeovers, duplicate client ids, reconnect policy, clients in
 * lockstep after a broker restart. Pure: Connection records in, values out.
 *
 * The rules for how an established connection ended (keepalive cut, middlebox idle timeout, blackhole, takeover)
 * are the ones soak uses too: analyze/close-cause.ts, with their sources.
 */
import { formatDuration } from '../../config/units.js';
import { describeConnack } from '../../kb/reason-codes.js';
import {
  FINDING_HINT,
  SEVERITY,
  TAKEOVER_WINDOW_MS,
  causeTitle,
  median,
  readClose,
  reconnectPolicy,
  type Cause,
  type CloseEvidence,
  type Severity,
} from '../close-cause.js';
import type { Connection, Side } from './connections.js';

export {
  causeLabel,
  causeTitle,
  isKeepaliveSilence,
  matchMiddleboxes,
  reconnectPolicy,
  type Cause,
  type Severity,
} from '../close-cause.js';

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

/** Server-side closes of several connections within this window read as one broker event (restart, crash). */
const CLUSTER_WINDOW_MS = 1000;

const fmt = formatDuration;

function silence(c: Connection, side: Side, atMs: number): number | null {
  const last = c.dir[side].lastDataMs;
  if (last === undefined) return null;
  return Math.max(0, atMs - last);
}

function serverSpoke(c: Connection): boolean {
  return c.dir.server.bytes > 0;
}

/** A cause and its explanation: what each step of diagnoseOne decides, or undefined to pass to the next step. */
type Verdict = { cause: Cause; explanation: string } | undefined;
const verdict = (cause: Cause, explanation: string): Verdict => ({ cause, explanation });

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
  // In this order: the first step that recognises the connection decides.
  const early = tcpSetupVerdict(c) ?? transportVerdict(c) ?? notMqttVerdict(c) ?? mqttSetupVerdict(c, takeoverBy);
  if (early) return out(early.cause, early.explanation);
  const r = readClose(closeEvidence(c, takeoverBy));
  const { cause, explanation, ...extra } = r;
  return out(cause, explanation, extra);
}

/** The TCP handshake failed: refused, or never answered. */
function tcpSetupVerdict(c: Connection): Verdict {
  if (c.refusedSyn)
    return verdict(
      'port-closed',
      `SYN answered by RST: nothing listened on ${c.server.ip}:${c.server.port} (broker down or restarting)`,
    );
  if (c.sawSyn && c.dir.server.segments === 0) {
    return verdict(
      'no-answer',
      `SYN never answered within the capture (${fmt(c.lastMs - c.firstMs)}): host down, filtered port or wrong address`,
    );
  }
  return undefined;
}

/** TLS and WebSocket problems, and a client speaking the wrong protocol for the port: they decide everything after. */
function transportVerdict(c: Connection): Verdict {
  if (c.tls?.alert && c.tls.alert.description !== undefined) {
    const a = c.tls.alert;
    return verdict(
      'tls-alert',
      `TLS alert ${a.description} (${a.level === 1 ? 'warning' : 'fatal'}) from the ${a.side}${c.tls.sni ? ` (SNI ${c.tls.sni})` : ''}: the handshake failed; check certificates, CA and SNI`,
    );
  }
  if (c.transport === 'tls' && c.tls?.clientHelloMs !== undefined && c.tls.serverHelloMs === undefined && c.end) {
    if (c.end.side === 'server' || !serverSpoke(c)) {
      return verdict(
        'tls-to-plain-port',
        `TLS ClientHello sent, the server ${c.end.side === 'server' ? `closed (${c.end.kind.toUpperCase()})` : 'never answered'} without a ServerHello: a TLS client on a plain MQTT port (use mqtt:// or the TLS port)`,
      );
    }
  }
  if (c.serverMismatch)
    return verdict(
      'plain-to-tls-port',
      `${c.serverMismatch}: a plain MQTT client on a TLS port (use mqtts:// or the plain port)`,
    );
  if (c.ws?.status !== undefined && c.ws.status !== 101)
    return verdict(
      'ws-refused',
      `WebSocket upgrade refused with HTTP ${c.ws.status}${c.ws.path ? ` for ${c.ws.path}` : ''}: wrong path or a proxy in the way`,
    );
  return undefined;
}

/** No CONNECT seen on a plain flow: a port check, a server that closed first, or bytes that are not MQTT. */
function notMqttVerdict(c: Connection): Verdict {
  if (c.mqtt || c.transport === 'tls') return undefined;
  if (c.dir.client.bytes === 0 && c.end) {
    // Connect and close without a byte: a port check or load-balancer health probe, not an MQTT client.
    if (c.end.side === 'client')
      return verdict(
        'not-mqtt',
        `TCP connect and close (${c.end.kind.toUpperCase()}) without a byte of MQTT: a port check or health probe`,
      );
    return verdict(
      'broker-closed',
      `closed by the server (${c.end.kind.toUpperCase()}) before the client sent anything`,
    );
  }
  // Joined mid-way (client bytes, no SYN): continue with what the segments tell (no CONNECT).
  if (c.dir.client.bytes > 0 && !c.sawSyn) return undefined;
  if (
    c.dir.client.bytes > 0 &&
    (c.dir.client.mqtt['connect'] ?? 0) === 0 &&
    Object.keys(c.dir.client.mqtt).length === 0
  )
    return verdict('not-mqtt', 'the client bytes are not MQTT');
  return undefined;
}

/** CONNECT refused by its CONNACK, or closed by the server before any CONNACK (a takeover, or not a broker). */
function mqttSetupVerdict(c: Connection, takeoverBy: Connection | undefined): Verdict {
  if (c.connack && c.connack.code !== 0) {
    const info = describeConnack(c.connack.code, c.mqtt?.protocolVersion === 5 ? 5 : 4);
    return verdict(
      'refused',
      `CONNACK ${info.hex} ${info.name}: ${info.meaning}${c.mqtt ? ` (client id "${c.mqtt.clientId}")` : ''}`,
    );
  }
  if (c.mqtt && !c.connack && c.end && c.end.atMs >= c.mqtt.atMs && c.end.side === 'server') {
    if (takeoverBy)
      return verdict(
        'takeover',
        `closed by the broker ${fmt(c.end.atMs - (takeoverBy.mqtt?.atMs ?? c.end.atMs))} after connection #${takeoverBy.id} connected with the same client id "${c.mqtt.clientId}"`,
      );
    return verdict(
      'no-connack',
      `the server closed (${c.end.kind.toUpperCase()}) after CONNECT without a CONNACK: not an MQTT listener, a TLS listener, an auth plugin failure, or a broker rejecting the CONNECT as malformed`,
    );
  }
  return undefined;
}

/** What the wire says about how an established connection ended, for the classifier soak shares. */
function closeEvidence(c: Connection, takeoverBy: Connection | undefined): CloseEvidence {
  const mtu = mtuVerdict(c);
  return {
    firstMs: c.firstMs,
    lastMs: c.lastMs,
    ...(c.end ? { end: c.end } : {}),
    ...(c.disconnect ? { disconnect: c.disconnect } : {}),
    ...(c.mqtt ? { clientId: c.mqtt.clientId } : {}),
    keepaliveS: c.connack?.serverKeepAliveS ?? c.mqtt?.keepaliveS ?? 0,
    pingsSent: c.ping.sent,
    pingsUnanswered: c.ping.unanswered,
    lastDataMs: {
      ...(c.dir.client.lastDataMs !== undefined ? { client: c.dir.client.lastDataMs } : {}),
      ...(c.dir.server.lastDataMs !== undefined ? { server: c.dir.server.lastDataMs } : {}),
    },
    ...(c.unanswered ? { unanswered: c.unanswered } : {}),
    ...(c.maxAnsweredIdleMs !== undefined ? { survivedIdleMs: c.maxAnsweredIdleMs } : {}),
    clientUnansweredRetransmissions: c.dir.client.unansweredRetransmissions,
    ...(takeoverBy
      ? {
          twin: {
            label: `connection #${takeoverBy.id}`,
            ...(takeoverBy.mqtt ? { connectedAtMs: takeoverBy.mqtt.atMs } : {}),
          },
        }
      : {}),
    ...(mtu ? { mtu } : {}),
  };
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

export function diagnose(conns: Connection[]): Diagnosis {
  const byId = groupBy(conns, (c) => c.mqtt?.clientId || undefined);
  const diags = conns.map((c) => diagnoseOne(c, findTakeover(c, byId)));
  // In this order (the sort below is stable): findings of the same severity keep it.
  const findings: Finding[] = [
    ...brokerCloseFindings(conns, diags),
    ...causeFindings(diags),
    ...latePingFindings(conns),
    ...unacknowledgedFindings(conns),
    ...duplicateIdFindings(byId),
    ...reconnectFindings(conns),
  ];
  findings.sort((a, b) => rank(b.severity) - rank(a.severity));
  return { connections: diags, findings };
}

/** Items grouped by a key, in first-seen order; items whose key is undefined are left out. */
function groupBy<T, K>(items: T[], key: (x: T) => K | undefined): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const x of items) {
    const k = key(x);
    if (k === undefined) continue;
    const l = m.get(k) ?? [];
    l.push(x);
    m.set(k, l);
  }
  return m;
}

/**
 * Broker-wide events: several connections closed by the server side within a second. Their diagnoses are
 * rewritten to say so (a restart or crash), and the affected clients' next attempts are checked for lockstep.
 */
function brokerCloseFindings(conns: Connection[], diags: ConnDiagnosis[]): Finding[] {
  const findings: Finding[] = [];
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
  return findings;
}

/** One finding per cause that is not ok or info, led by its first connection's explanation. */
function causeFindings(diags: ConnDiagnosis[]): Finding[] {
  const findings: Finding[] = [];
  const byCause = groupBy(diags, (d) => d.cause);
  for (const [cause, ds] of byCause) {
    if (SEVERITY[cause] === 'ok' || SEVERITY[cause] === 'info') continue;
    const first = ds[0]!;
    const hint = FINDING_HINT[cause];
    const idles = ds.map((d) => d.idleMs).filter((x): x is number => x !== undefined);
    findings.push({
      id: `cause.${cause}`,
      severity: SEVERITY[cause],
      title: `${causeTitle(cause)}: ${ds.length} connection${ds.length === 1 ? '' : 's'}`,
      explanation: `#${first.id}: ${first.explanation}`,
      ...(hint ? { hint } : {}),
      connections: ds.map((d) => d.id),
      ...(idles.length
        ? { metrics: { idleMsMin: Math.round(Math.min(...idles)), idleMsMax: Math.round(Math.max(...idles)) } }
        : {}),
    });
  }
  return findings;
}

/** Clients quieter than the keepalive they asked for: the broker may cut them (1.5 × K), a NAT may forget them. */
function latePingFindings(conns: Connection[]): Finding[] {
  const findings: Finding[] = [];
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
  return findings;
}

/** QoS 1/2 publishes still in flight when their connection ended. */
function unacknowledgedFindings(conns: Connection[]): Finding[] {
  const findings: Finding[] = [];
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
  return findings;
}

/** Duplicate client ids: two connections with the same id open at the same time from different endpoints. */
function duplicateIdFindings(byId: Map<string, Connection[]>): Finding[] {
  const findings: Finding[] = [];
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
  return findings;
}

/** Reconnect intervals per client id and broker (a refused SYN carries no client id: it cannot be attributed). */
function reconnectFindings(conns: Connection[]): Finding[] {
  const findings: Finding[] = [];
  const byClient = groupBy(conns, (c) =>
    c.mqtt?.clientId ? `${c.mqtt.clientId}|${c.server.ip}|${c.server.port}` : undefined,
  );
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
  return findings;
}

const rank = (s: Severity): number => ({ ok: 0, info: 1, warn: 2, fail: 3 })[s];
