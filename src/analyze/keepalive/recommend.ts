/**
 * The keepalive rule engine: inputs (path RTT and loss, middlebox idle timeout, broker limits, power) in,
 * recommended settings plus one "why" row per rule out. Pure: no clock, no sockets.
 *
 * The rules are those of ../shared/reference/keepalive-and-errors.md section F, with the numbers they need
 * from sections A–D (cited per rule below).
 */
import { serverDetectionMs } from '../../kb/brokers.js';
import { checkFieldGuides } from './field-guide.js';
import type { KeepaliveInputs, Recommendation, WhyRow } from './types.js';

/** Linux TCP_RTO_MIN (reference C4: the tcp_retries2 arithmetic in ip-sysctl.rst starts from 0.2 s). */
const RTO_MIN_MS = 200;
/** Accept one false "dead link" per this many pings when sizing retransmissions for loss. */
const FALSE_ALARM_PER_PING = 1e-4;
/** Below this a GC pause or a busy event loop passes for a dead link. */
const PING_TIMEOUT_FLOOR_S = 2;
/** Cellular idle→connected (RRC) promotion: "hundreds of ms to seconds" for the first packet after idle (C3). */
const CELLULAR_PROMOTION_MS = 1000;
const CELLULAR = new Set(['4g', '5g', 'nb-iot']);
/** Without any idle input: reference C2 "practical reading": unknown cellular paths want K under ~4–5 min. */
const ASSUMED_IDLE_S = 300;
/** Preferred keepalive before the bounds: detection within ~1.5 min on mains, few wake-ups on battery. */
const PREFERRED_K_S = { mains: 60, battery: 1200 } as const;
/** RFC 6298 §2: the initial RTO (and so the first SYN retransmission) is 1 s; a second loss waits 2 s more. */
const SYN_RETRY_MS = 3000;

const fmtS = (s: number) => `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${Math.round(ms)} ms`);

/** Retransmissions to budget so that a ping round trip fails for loss alone less than once per 10⁴ pings. */
export function retransmissionsFor(lossPct: number): number {
  const p = Math.min(Math.max(lossPct, 0), 99) / 100;
  if (p === 0) return 1; // one lost segment must still not look like a dead link
  const q = 1 - (1 - p) ** 2; // PINGREQ or PINGRESP lost
  return Math.min(6, Math.max(1, Math.ceil(Math.log(FALSE_ALARM_PER_PING) / Math.log(q)) - 1));
}

/** The margin kept below an idle timeout T: 15 s, at least 20 % of T, at most 25 % of T (reference F). */
export function idleMarginS(idleS: number): number {
  return Math.min(Math.max(15, 0.2 * idleS), 0.25 * idleS);
}

/** paho.mqtt.golang checks every 5 s (K/4 when K ≤ 10 s), so its ping can leave that much after K (D2). */
function latestPingS(k: number): number {
  return k + (k > 10 ? 5 : k / 4);
}

/** Bytes on the wire for one PINGREQ/PINGRESP exchange and the final ACK, IPv4 with TCP timestamps. */
export function bytesPerPing(transport: KeepaliveInputs['transport']): number {
  const header = 20 + 32; // IPv4 + TCP with the timestamp option
  // TLS 1.3 record: 5-byte header, 1-byte inner type, 16-byte AEAD tag. WebSocket: 2-byte frame header,
  // plus a 4-byte mask on client frames (RFC 6455 §5.2). MQTT PINGREQ/PINGRESP are 2 bytes each (3.12/3.13).
  const tls = transport === 'tls' || transport === 'wss' ? 22 : 0;
  const wsUp = transport === 'ws' || transport === 'wss' ? 6 : 0;
  const wsDown = transport === 'ws' || transport === 'wss' ? 2 : 0;
  return header + 2 + tls + wsUp + (header + 2 + tls + wsDown) + header;
}

export function recommend(inp: KeepaliveInputs): Recommendation {
  const why: WhyRow[] = [];
  const warnings: string[] = [];
  const add = (id: string, rule: string, inputs: string, result: string) => why.push({ id, rule, inputs, result });

  // --- Path: RTT and loss --------------------------------------------------------------------------------
  const path = inp.path ?? { source: 'profile' as const, label: 'unknown path (assumed)', rttP50Ms: 150, rttP99Ms: 300, jitterMs: 50, lossPct: 0 };
  if (!inp.path) warnings.push('no --profile and no live measurement: RTT assumed 150 ms typical, 300 ms p99');
  const cellular = inp.profileName !== undefined && CELLULAR.has(inp.profileName);

  // --- Ping timeout --------------------------------------------------------------------------------------
  // Reference F: ping timeout must exceed RTT plus the retransmissions the loss implies. Linux RTO ≈
  // SRTT + max(4·RTTVAR, 200 ms), doubling per retransmission (C4).
  const rtoMs = path.rttP50Ms + Math.max(4 * path.jitterMs, RTO_MIN_MS);
  const retrans = retransmissionsFor(path.lossPct);
  const retransMs = rtoMs * (2 ** retrans - 1);
  const promotionMs = cellular ? CELLULAR_PROMOTION_MS : 0;
  const pingNeedMs = path.rttP99Ms + retransMs + promotionMs;
  const pingTimeoutS = Math.max(PING_TIMEOUT_FLOOR_S, Math.ceil(pingNeedMs / 1000));
  add(
    'ping-timeout.rtt-loss',
    'ping timeout > p99 RTT + retransmissions for the loss (+ cellular radio wake-up); time queued behind large publishes on slow links comes on top',
    `p99 ${fmtMs(path.rttP99Ms)} (${path.source} ${path.label}), loss ${path.lossPct}% → ${retrans} retransmission(s) of RTO ${fmtMs(rtoMs)} = ${fmtMs(retransMs)}` +
      (promotionMs ? `, RRC promotion ${fmtMs(promotionMs)}` : '') +
      `, floor ${PING_TIMEOUT_FLOOR_S} s`,
    `${pingTimeoutS} s (needs ${fmtMs(pingNeedMs)})`,
  );

  // --- Keepalive: upper bounds ---------------------------------------------------------------------------
  let idle = inp.idle;
  if (!idle) {
    idle = { source: 'assumed', label: `unknown middleboxes (cellular NATs: under ~4–5 min)`, lowMs: ASSUMED_IDLE_S * 1000, highMs: ASSUMED_IDLE_S * 1000 };
    if (inp.profileName !== 'lan') warnings.push(`no idle timeout given: assumed ${ASSUMED_IDLE_S} s; measure it with --discover-idle or pass --nat-idle`);
  }
  const skipIdle = idle.source === 'assumed' && inp.profileName === 'lan';
  let idleBoundS: number | undefined;
  if (!skipIdle) {
    const t = idle.lowMs / 1000;
    const margin = idleMarginS(t);
    let bound = Math.max(1, Math.floor(t - margin));
    const plain = bound;
    while (bound > 1 && latestPingS(bound) >= t) bound -= 1;
    idleBoundS = bound;
    if (latestPingS(bound) >= t) {
      // Keep Alive is whole seconds ≥ 1 (§3.1.2.10, 0 = off): no value pings inside an idle timeout this short.
      warnings.push(`idle timeout ${fmtMs(idle.lowMs)} is too short for any keepalive: even ${bound} s may ping after the mapping expired; send application traffic more often or fix the middlebox`);
    }
    const range = idle.highMs - idle.lowMs >= 50 ? `between ${fmtMs(idle.lowMs)} and ${fmtMs(idle.highMs)} (lower end used)` : fmtMs(idle.lowMs);
    add(
      'keepalive.idle-bound',
      'keepalive < idle timeout − margin (15 s, at least 20 %, at most 25 % of it)',
      `idle timeout ${range} from ${idle.source} ${idle.label}, margin ${fmtS(Math.round(margin * 10) / 10)}` +
        (bound !== plain ? `; paho.mqtt.golang may ping ${bound > 10 ? '5 s' : 'K/4'} late, so lowered from ${plain} s` : ''),
      `≤ ${bound} s`,
    );
  }
  const limits = inp.broker?.limits;
  let brokerMaxS = 65535; // MQTT §3.1.2.10: two-byte field
  let brokerMaxWhy = 'MQTT Keep Alive field maximum (§3.1.2.10)';
  if (limits && limits.maxKeepaliveS < brokerMaxS) {
    brokerMaxS = limits.maxKeepaliveS;
    brokerMaxWhy = `${limits.title} documented maximum`;
  }
  if (inp.broker?.maxAcceptedS !== undefined && inp.broker.maxAcceptedS < brokerMaxS) {
    brokerMaxS = inp.broker.maxAcceptedS;
    brokerMaxWhy = `live broker: ${inp.broker.maxAcceptedHow ?? 'largest accepted keepalive'}`;
  }

  // --- Keepalive: choose -------------------------------------------------------------------------------
  const preferred = PREFERRED_K_S[inp.power];
  let k = Math.min(preferred, brokerMaxS, idleBoundS ?? Number.POSITIVE_INFINITY);
  add(
    'keepalive.preference',
    inp.power === 'battery' ? 'battery: as long as the bounds allow (each ping wakes the radio)' : 'mains: short enough to notice a dead link within ~1–2 min',
    `preferred ${preferred} s, broker max ${brokerMaxS} s (${brokerMaxWhy})${idleBoundS !== undefined ? `, idle bound ${idleBoundS} s` : ''}`,
    `${k} s`,
  );
  // Soft lower bounds, applied only where they do not break an upper bound.
  const hardUpper = Math.min(brokerMaxS, idleBoundS ?? Number.POSITIVE_INFINITY);
  const mqttjsNeed = 2 * pingTimeoutS; // MQTT.js waits only 0.5 × K for PINGRESP (D2)
  if (k < mqttjsNeed) {
    if (mqttjsNeed <= hardUpper) {
      add('keepalive.mqttjs-wait', 'K ≥ 2 × ping timeout, because MQTT.js waits only 0.5 × K for PINGRESP', `ping timeout ${pingTimeoutS} s`, `raised ${k} → ${mqttjsNeed} s`);
      k = mqttjsNeed;
    } else {
      warnings.push(`MQTT.js would wait only ${k / 2} s for PINGRESP (0.5 × K), less than the ${pingTimeoutS} s ping timeout; the idle bound does not allow K = ${mqttjsNeed} s`);
    }
  }
  if (limits && k < limits.minKeepaliveS) {
    warnings.push(
      `${limits.title} treats keepalive below ${limits.minKeepaliveS} s as ${limits.minKeepaliveS} s for its own timeout; the client still pings every ${k} s, which is what keeps the middlebox open`,
    );
    add('keepalive.broker-min', 'broker minimum keepalive', `${limits.title}: ${limits.minKeepaliveS} s`, `server-side timeout uses ${limits.minKeepaliveS} s`);
  }
  if (limits && limits.maxKeepaliveS >= k) {
    add('keepalive.broker-bounds', 'within the broker bounds', `${limits.title}: ${limits.minKeepaliveS}–${limits.maxKeepaliveS} s`, `${k} s ${k >= limits.minKeepaliveS ? 'inside' : 'below the minimum (see warning)'}`);
  }
  if (k < 5) warnings.push(`libmosquitto (mosquitto_sub/pub) refuses keepalive below 5 s; ${k} s needs another client`);

  // --- Detection times ------------------------------------------------------------------------------
  const clientS = k + pingTimeoutS;
  add('detection.client', 'client notices a dead link after K + ping timeout', `K ${k} s, ping timeout ${pingTimeoutS} s`, `${clientS} s (per library: see snippets)`);
  let serverS: number;
  let serverBasis: string;
  const seen = inp.broker?.measured;
  if (seen) {
    // A broker cuts at 1.5 × K once its periodic check notices (reference B3), so the overshoot measured at a
    // short keepalive is a lag added to 1.5 × K, not a factor to scale K by. A cut before 1.5 × K (a broker
    // that counts differently) scales instead.
    const factor = seen.cutAfterMs / 1000 / seen.keepaliveS;
    const lagS = seen.cutAfterMs / 1000 - 1.5 * seen.keepaliveS;
    if (lagS >= 0) {
      serverS = Math.ceil(1.5 * k + lagS);
      serverBasis = `measured: 1.5 × K + ${lagS.toFixed(1)} s check lag (--verify-broker: K ${seen.keepaliveS} s cut after ${(seen.cutAfterMs / 1000).toFixed(1)} s = ${factor.toFixed(2)} × K)`;
    } else {
      serverS = Math.ceil(k * factor);
      serverBasis = `measured factor ${factor.toFixed(2)} × K (--verify-broker: K ${seen.keepaliveS} s cut after ${(seen.cutAfterMs / 1000).toFixed(1)} s)`;
    }
  } else if (limits) {
    serverS = Math.ceil(serverDetectionMs(limits, k) / 1000);
    serverBasis = `${limits.title}: ${limits.timeoutFactor} × K${limits.checkIntervalS ? ` + ${limits.checkIntervalS} s check interval` : ''}${limits.timeoutCapS ? `, capped at ${limits.timeoutCapS} s` : ''}`;
  } else {
    serverS = Math.ceil(1.5 * k);
    serverBasis = 'spec 1.5 × K ([MQTT-3.1.2-24]); brokers add their check interval';
  }
  add('detection.server', 'broker drops a silent client (and publishes its Will)', serverBasis, `${serverS} s`);

  // --- Connect timeout -------------------------------------------------------------------------------
  // DNS + TCP + TLS + (WS upgrade) + CONNACK ≈ 4–6 round trips; one lost SYN costs the 1 s initial RTO and a
  // second one 2 s more (RFC 6298 §2, §5.5).
  const connectNeedMs = 6 * path.rttP99Ms + SYN_RETRY_MS + promotionMs;
  const connectTimeoutS = Math.min(60, Math.max(10, Math.ceil(connectNeedMs / 1000)));
  add('connect-timeout', 'connect timeout ≥ 6 round trips (DNS, TCP, TLS, CONNACK) + two lost SYNs (1 s + 2 s)', `p99 ${fmtMs(path.rttP99Ms)}, range 10–60 s`, `${connectTimeoutS} s`);

  // --- Reconnect backoff --------------------------------------------------------------------------------
  const minS = inp.power === 'battery' ? 5 : 1;
  let maxS = inp.power === 'battery' ? 300 : 60;
  let capWhy = inp.power === 'battery' ? 'battery: 300 s between attempts at most' : 'mains: retry at least every minute';
  if (inp.sessionExpiryS !== undefined && inp.sessionExpiryS > 0 && inp.sessionExpiryS / 2 < maxS) {
    maxS = Math.max(minS, Math.floor(inp.sessionExpiryS / 2));
    capWhy = `half the session expiry (${inp.sessionExpiryS} s), so the session survives a failed attempt`;
  }
  // Reset to the minimum only once a connection has survived a full ping round (K + ping timeout): a link that
  // connects and dies at once must keep backing off (the AWS IoT iOS SDK likewise waits 20 s: reference D1).
  const resetAfterS = clientS;
  const backoff = { minS, maxS, factor: 2, jitterPct: 25, resetAfterS };
  add(
    'backoff',
    'exponential backoff, cap below session expiry, ±25 % jitter against fleet reconnect storms; reset only after a connection survived one ping round',
    capWhy + (limits?.name === 'aws-iot' ? '; AWS throttles connects per client id' : ''),
    `${minS} s ×2 up to ${maxS} s, ±25 %, reset after ${resetAfterS} s up`,
  );

  // --- OS TCP keepalive -----------------------------------------------------------------------------
  // Reference F/C4: TCP keepalive helps only if its idle < T; NLB and NAT count probes, ALB/ELB do not.
  const tcpCount = 3;
  const tcpKeepalive = { idleS: k, intervalS: Math.max(1, Math.ceil(pingTimeoutS / tcpCount)), count: tcpCount };
  add(
    'tcp-keepalive',
    'TCP keepalive idle = K (below the idle timeout, keeps NAT/NLB mappings even if the app stalls), probes ≈ ping timeout',
    `K ${k} s, ping timeout ${pingTimeoutS} s; Linux default 7200 s would never fire in time`,
    `idle ${tcpKeepalive.idleS} s, interval ${tcpKeepalive.intervalS} s, count ${tcpCount}`,
  );

  // --- Cost -------------------------------------------------------------------------------------------
  const pingsPerDay = Math.ceil(86_400 / k);
  const bytesPerDay = pingsPerDay * bytesPerPing(inp.transport);
  add('cost', 'pings per day when idle = 86400 / K; bytes include IP/TCP(/TLS/WS) headers', `K ${k} s, ${inp.transport}, ${bytesPerPing(inp.transport)} B per exchange`, `${pingsPerDay} pings, ${bytesPerDay} B per day`);

  const rec: Recommendation = {
    keepaliveS: k,
    pingTimeoutS,
    connectTimeoutS,
    backoff,
    tcpKeepalive,
    detection: { clientS, serverS, serverBasis },
    pingsPerDay,
    bytesPerDay,
    why,
    fieldGuide: [],
    warnings,
  };
  if (idleBoundS !== undefined) rec.idleBoundS = idleBoundS;
  rec.fieldGuide = checkFieldGuides(inp, rec, idle.source === 'assumed' ? undefined : Math.round(idle.lowMs / 100) / 10);
  return rec;
}
