/**
 * The keepalive rule engine: inputs (path RTT and loss, middlebox idle timeout, broker limits, power) in,
 * recommended settings plus one "why" row per rule out. Pure: no clock, no sockets. `recommend` runs the rules
 * as named steps, each adding its "why" row; each rule cites the public source of its numbers.
 */
import { serverDetectionMs, type BrokerLimits } from '../../kb/brokers.js';
import { findProfile } from '../../kb/profiles.js';
import { checkFieldGuides } from './field-guide.js';
import type { IdleInput, KeepaliveInputs, PathInput, Recommendation, WhyRow } from './types.js';

/**
 * Linux TCP_RTO_MIN, HZ/5 = 200 ms (torvalds/linux include/net/tcp.h); the tcp_retries2 arithmetic in
 * Documentation/networking/ip-sysctl.rst starts from it too.
 */
const RTO_MIN_MS = 200;
/** Accept one false "dead link" per this many pings when sizing retransmissions for loss. */
const FALSE_ALARM_PER_PING = 1e-4;
/** Below this a GC pause or a busy event loop passes for a dead link. */
const PING_TIMEOUT_FLOOR_S = 2;
/**
 * Without any idle input: cloud middleboxes expire idle flows after 4 min (Azure Load Balancer,
 * learn.microsoft.com/azure/load-balancer/load-balancer-tcp-idle-timeout) or 350 s (AWS NAT gateway,
 * docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-troubleshooting.html), and carrier NATs in minutes
 * (Wang et al., "An Untold Story of Middleboxes in Cellular Networks", SIGCOMM 2011). 300 s is our own reading of
 * these, not a published figure.
 */
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

/**
 * The margin kept below an idle timeout T: 15 s, at least 20 % of T, at most 25 % of T. Our own rule: it covers
 * client check granularity (paho.mqtt.golang ping.go checks every 5 s) and timer jitter, with no published source.
 */
export function idleMarginS(idleS: number): number {
  return Math.min(Math.max(15, 0.2 * idleS), 0.25 * idleS);
}

/** paho.mqtt.golang checks every 5 s (K/4 when K ≤ 10 s: eclipse/paho.mqtt.golang ping.go), so its ping can leave that much after K. */
function latestPingS(keepaliveS: number): number {
  return keepaliveS + (keepaliveS > 10 ? 5 : keepaliveS / 4);
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

type AddWhy = (id: string, rule: string, inputs: string, result: string) => void;

/** Used when neither a profile nor a measurement describes the path. */
const ASSUMED_PATH: PathInput = {
  source: 'profile',
  label: 'unknown path (assumed)',
  rttP50Ms: 150,
  rttP99Ms: 300,
  jitterMs: 50,
  lossPct: 0,
};

/**
 * Ping timeout > p99 RTT + the retransmissions the loss implies (+ a cellular radio wake-up). RTO = SRTT +
 * max(G, 4·RTTVAR) (RFC 6298 §2, https://www.rfc-editor.org/rfc/rfc6298#section-2) with Linux's 200 ms floor,
 * doubling per retransmission (§5.5).
 */
function pingTimeoutStep(path: PathInput, promotionMs: number, add: AddWhy): number {
  const rtoMs = path.rttP50Ms + Math.max(4 * path.jitterMs, RTO_MIN_MS);
  const retrans = retransmissionsFor(path.lossPct);
  const retransMs = rtoMs * (2 ** retrans - 1);
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
  return pingTimeoutS;
}

/** The idle timeout the rules use: the given one, or the assumed one with a warning (not on a LAN). */
function idleOrAssumed(inp: KeepaliveInputs, warnings: string[]): IdleInput {
  if (inp.idle) return inp.idle;
  if (inp.profileName !== 'lan')
    warnings.push(
      `no idle timeout given: assumed ${ASSUMED_IDLE_S} s; measure it with --discover-idle or pass --nat-idle`,
    );
  return {
    source: 'assumed',
    label: `unknown middleboxes (cellular NATs: under ~4–5 min)`,
    lowMs: ASSUMED_IDLE_S * 1000,
    highMs: ASSUMED_IDLE_S * 1000,
  };
}

/** K < idle timeout − margin, lowered until even a late paho.mqtt.golang ping lands inside the timeout. */
function idleBoundStep(idle: IdleInput, warnings: string[], add: AddWhy): number {
  const idleS = idle.lowMs / 1000;
  const margin = idleMarginS(idleS);
  const plain = Math.max(1, Math.floor(idleS - margin));
  let bound = plain;
  while (bound > 1 && latestPingS(bound) >= idleS) bound -= 1;
  if (latestPingS(bound) >= idleS) {
    // Keep Alive is whole seconds ≥ 1 (MQTT 3.1.1 §3.1.2.10, 0 = off): no value pings inside an idle timeout this short.
    warnings.push(
      `idle timeout ${fmtMs(idle.lowMs)} is too short for any keepalive: even ${bound} s may ping after the mapping expired; send application traffic more often or fix the middlebox`,
    );
  }
  const range =
    idle.highMs - idle.lowMs >= 50
      ? `between ${fmtMs(idle.lowMs)} and ${fmtMs(idle.highMs)} (lower end used)`
      : fmtMs(idle.lowMs);
  add(
    'keepalive.idle-bound',
    'keepalive < idle timeout − margin (15 s, at least 20 %, at most 25 % of it)',
    `idle timeout ${range} from ${idle.source} ${idle.label}, margin ${fmtS(Math.round(margin * 10) / 10)}` +
      (bound !== plain
        ? `; paho.mqtt.golang may ping ${bound > 10 ? '5 s' : 'K/4'} late, so lowered from ${plain} s`
        : ''),
    `≤ ${bound} s`,
  );
  return bound;
}

/** The broker's ceiling: the 2-byte field (MQTT §3.1.2.10), a documented maximum, or what the live broker accepted. */
function brokerMaxStep(inp: KeepaliveInputs): { maxS: number; why: string } {
  const limits = inp.broker?.limits;
  let ceiling = { maxS: 65535, why: 'MQTT Keep Alive field maximum (§3.1.2.10)' };
  if (limits && limits.maxKeepaliveS < ceiling.maxS)
    ceiling = { maxS: limits.maxKeepaliveS, why: `${limits.title} documented maximum` };
  const accepted = inp.broker?.maxAcceptedS;
  if (accepted !== undefined && accepted < ceiling.maxS)
    ceiling = { maxS: accepted, why: `live broker: ${inp.broker?.maxAcceptedHow ?? 'largest accepted keepalive'}` };
  return ceiling;
}

/** Prefer the power mode's keepalive inside the hard bounds, then apply the soft lower bounds where they fit. */
function chooseKeepalive(
  inp: KeepaliveInputs,
  bounds: { brokerMax: { maxS: number; why: string }; idleBoundS: number | undefined; pingTimeoutS: number },
  warnings: string[],
  add: AddWhy,
): number {
  const { brokerMax, idleBoundS, pingTimeoutS } = bounds;
  const preferred = PREFERRED_K_S[inp.power];
  const hardUpper = Math.min(brokerMax.maxS, idleBoundS ?? Number.POSITIVE_INFINITY);
  let keepaliveS = Math.min(preferred, hardUpper);
  add(
    'keepalive.preference',
    inp.power === 'battery'
      ? 'battery: as long as the bounds allow (each ping wakes the radio)'
      : 'mains: short enough to notice a dead link within ~1–2 min',
    `preferred ${preferred} s, broker max ${brokerMax.maxS} s (${brokerMax.why})${idleBoundS !== undefined ? `, idle bound ${idleBoundS} s` : ''}`,
    `${keepaliveS} s`,
  );
  // MQTT.js gives up 1.5 × K after the last reschedule, so it waits only 0.5 × K for PINGRESP
  // (mqttjs/MQTT.js src/lib/KeepaliveManager.ts).
  const mqttjsNeed = 2 * pingTimeoutS;
  if (keepaliveS < mqttjsNeed) {
    if (mqttjsNeed <= hardUpper) {
      add(
        'keepalive.mqttjs-wait',
        'K ≥ 2 × ping timeout, because MQTT.js waits only 0.5 × K for PINGRESP',
        `ping timeout ${pingTimeoutS} s`,
        `raised ${keepaliveS} → ${mqttjsNeed} s`,
      );
      keepaliveS = mqttjsNeed;
    } else {
      warnings.push(
        `MQTT.js would wait only ${keepaliveS / 2} s for PINGRESP (0.5 × K), less than the ${pingTimeoutS} s ping timeout; the idle bound does not allow K = ${mqttjsNeed} s`,
      );
    }
  }
  brokerBoundsStep(inp.broker?.limits, keepaliveS, warnings, add);
  // libmosquitto refuses keepalive below 5 s (eclipse/mosquitto lib/connect.c, mosquitto__connect_init).
  if (keepaliveS < 5)
    warnings.push(`libmosquitto (mosquitto_sub/pub) refuses keepalive below 5 s; ${keepaliveS} s needs another client`);
  return keepaliveS;
}

function brokerBoundsStep(limits: BrokerLimits | undefined, keepaliveS: number, warnings: string[], add: AddWhy): void {
  if (!limits) return;
  if (keepaliveS < limits.minKeepaliveS) {
    warnings.push(
      `${limits.title} treats keepalive below ${limits.minKeepaliveS} s as ${limits.minKeepaliveS} s for its own timeout; the client still pings every ${keepaliveS} s, which is what keeps the middlebox open`,
    );
    add(
      'keepalive.broker-min',
      'broker minimum keepalive',
      `${limits.title}: ${limits.minKeepaliveS} s`,
      `server-side timeout uses ${limits.minKeepaliveS} s`,
    );
  }
  if (limits.maxKeepaliveS >= keepaliveS) {
    add(
      'keepalive.broker-bounds',
      'within the broker bounds',
      `${limits.title}: ${limits.minKeepaliveS}–${limits.maxKeepaliveS} s`,
      `${keepaliveS} s ${keepaliveS >= limits.minKeepaliveS ? 'inside' : 'below the minimum (see warning)'}`,
    );
  }
}

/**
 * When the broker drops a silent client: 1.5 × K by the spec ([MQTT-3.1.2-24], MQTT 3.1.1 §3.1.2.10,
 * https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718030), plus the broker's check
 * interval; measured by --verify-broker when asked.
 */
function serverDetection(inp: KeepaliveInputs, keepaliveS: number): { serverS: number; serverBasis: string } {
  const seen = inp.broker?.measured;
  const limits = inp.broker?.limits;
  if (seen) {
    // A broker cuts at 1.5 × K once its periodic check notices, so the overshoot measured at a short keepalive
    // is a lag added to 1.5 × K, not a factor to scale K by. A cut before 1.5 × K (a broker that counts
    // differently) scales instead.
    const factor = seen.cutAfterMs / 1000 / seen.keepaliveS;
    const lagS = seen.cutAfterMs / 1000 - 1.5 * seen.keepaliveS;
    const cut = `--verify-broker: K ${seen.keepaliveS} s cut after ${(seen.cutAfterMs / 1000).toFixed(1)} s`;
    return lagS >= 0
      ? {
          serverS: Math.ceil(1.5 * keepaliveS + lagS),
          serverBasis: `measured: 1.5 × K + ${lagS.toFixed(1)} s check lag (${cut} = ${factor.toFixed(2)} × K)`,
        }
      : { serverS: Math.ceil(keepaliveS * factor), serverBasis: `measured factor ${factor.toFixed(2)} × K (${cut})` };
  }
  if (limits) {
    return {
      serverS: Math.ceil(serverDetectionMs(limits, keepaliveS) / 1000),
      serverBasis: `${limits.title}: ${limits.timeoutFactor} × K${limits.checkIntervalS ? ` + ${limits.checkIntervalS} s check interval` : ''}${limits.timeoutCapS ? `, capped at ${limits.timeoutCapS} s` : ''}`,
    };
  }
  return {
    serverS: Math.ceil(1.5 * keepaliveS),
    serverBasis: 'spec 1.5 × K ([MQTT-3.1.2-24]); brokers add their check interval',
  };
}

/**
 * DNS + TCP + TLS + (WS upgrade) + CONNACK ≈ 4–6 round trips; one lost SYN costs the 1 s initial RTO and a second
 * one 2 s more (RFC 6298 §2 and §5.5).
 */
function connectTimeoutStep(path: PathInput, promotionMs: number, add: AddWhy): number {
  const connectNeedMs = 6 * path.rttP99Ms + SYN_RETRY_MS + promotionMs;
  const connectTimeoutS = Math.min(60, Math.max(10, Math.ceil(connectNeedMs / 1000)));
  add(
    'connect-timeout',
    'connect timeout ≥ 6 round trips (DNS, TCP, TLS, CONNACK) + two lost SYNs (1 s + 2 s)',
    `p99 ${fmtMs(path.rttP99Ms)}, range 10–60 s`,
    `${connectTimeoutS} s`,
  );
  return connectTimeoutS;
}

/**
 * Exponential backoff with ±25 % jitter, capped below the session expiry. Reset to the minimum only once a
 * connection survived a full ping round (K + ping timeout): a link that connects and dies at once must keep
 * backing off (the AWS IoT iOS SDK likewise resets only after 20 s connected: AWSIoTMQTTConfiguration,
 * aws-amplify.github.io/aws-sdk-ios).
 */
function backoffStep(inp: KeepaliveInputs, resetAfterS: number, add: AddWhy): Recommendation['backoff'] {
  const minS = inp.power === 'battery' ? 5 : 1;
  let maxS = inp.power === 'battery' ? 300 : 60;
  let capWhy =
    inp.power === 'battery' ? 'battery: 300 s between attempts at most' : 'mains: retry at least every minute';
  if (inp.sessionExpiryS !== undefined && inp.sessionExpiryS > 0 && inp.sessionExpiryS / 2 < maxS) {
    maxS = Math.max(minS, Math.floor(inp.sessionExpiryS / 2));
    capWhy = `half the session expiry (${inp.sessionExpiryS} s), so the session survives a failed attempt`;
  }
  add(
    'backoff',
    'exponential backoff, cap below session expiry, ±25 % jitter against fleet reconnect storms; reset only after a connection survived one ping round',
    capWhy + (inp.broker?.limits?.name === 'aws-iot' ? '; AWS throttles connects per client id' : ''),
    `${minS} s ×2 up to ${maxS} s, ±25 %, reset after ${resetAfterS} s up`,
  );
  return { minS, maxS, factor: 2, jitterPct: 25, resetAfterS };
}

/**
 * TCP keepalive helps only if its idle time is below the middlebox's; Linux's default tcp_keepalive_time of
 * 7200 s (Documentation/networking/ip-sysctl.rst) never is. AWS ALB/ELB ignore TCP keepalive probes (they carry
 * no payload), NAT gateways and NLBs count them.
 */
function tcpKeepaliveStep(keepaliveS: number, pingTimeoutS: number, add: AddWhy): Recommendation['tcpKeepalive'] {
  const count = 3;
  const tcpKeepalive = { idleS: keepaliveS, intervalS: Math.max(1, Math.ceil(pingTimeoutS / count)), count };
  add(
    'tcp-keepalive',
    'TCP keepalive idle = K (below the idle timeout, keeps NAT/NLB mappings even if the app stalls), probes ≈ ping timeout',
    `K ${keepaliveS} s, ping timeout ${pingTimeoutS} s; Linux default 7200 s would never fire in time`,
    `idle ${tcpKeepalive.idleS} s, interval ${tcpKeepalive.intervalS} s, count ${count}`,
  );
  return tcpKeepalive;
}

/** How soon each side notices a dead link: the client after K + ping timeout, the broker by its own rule. */
function detectionStep(
  inp: KeepaliveInputs,
  keepaliveS: number,
  pingTimeoutS: number,
  add: AddWhy,
): Recommendation['detection'] {
  const clientS = keepaliveS + pingTimeoutS;
  add(
    'detection.client',
    'client notices a dead link after K + ping timeout',
    `K ${keepaliveS} s, ping timeout ${pingTimeoutS} s`,
    `${clientS} s (per library: see snippets)`,
  );
  const { serverS, serverBasis } = serverDetection(inp, keepaliveS);
  add('detection.server', 'broker drops a silent client (and publishes its Will)', serverBasis, `${serverS} s`);
  return { clientS, serverS, serverBasis };
}

/** What keeping the link alive costs per idle day: pings, and bytes with every header of the transport. */
function costStep(
  keepaliveS: number,
  transport: KeepaliveInputs['transport'],
  add: AddWhy,
): Pick<Recommendation, 'pingsPerDay' | 'bytesPerDay'> {
  const pingsPerDay = Math.ceil(86_400 / keepaliveS);
  const bytesPerDay = pingsPerDay * bytesPerPing(transport);
  add(
    'cost',
    'pings per day when idle = 86400 / K; bytes include IP/TCP(/TLS/WS) headers',
    `K ${keepaliveS} s, ${transport}, ${bytesPerPing(transport)} B per exchange`,
    `${pingsPerDay} pings, ${bytesPerDay} B per day`,
  );
  return { pingsPerDay, bytesPerDay };
}

export function recommend(inp: KeepaliveInputs): Recommendation {
  const why: WhyRow[] = [];
  const warnings: string[] = [];
  const add: AddWhy = (id, rule, inputs, result) => why.push({ id, rule, inputs, result });

  const path = inp.path ?? ASSUMED_PATH;
  if (!inp.path) warnings.push('no --profile and no live measurement: RTT assumed 150 ms typical, 300 ms p99');
  const promotionMs = (inp.profileName !== undefined ? findProfile(inp.profileName)?.radioPromotionMs : undefined) ?? 0;
  const pingTimeoutS = pingTimeoutStep(path, promotionMs, add);

  const idle = idleOrAssumed(inp, warnings);
  // On a LAN with no middlebox named, there is no idle timeout to stay under.
  const idleBoundS =
    idle.source === 'assumed' && inp.profileName === 'lan' ? undefined : idleBoundStep(idle, warnings, add);
  const keepaliveS = chooseKeepalive(inp, { brokerMax: brokerMaxStep(inp), idleBoundS, pingTimeoutS }, warnings, add);

  const { clientS, serverS, serverBasis } = detectionStep(inp, keepaliveS, pingTimeoutS, add);

  const connectTimeoutS = connectTimeoutStep(path, promotionMs, add);
  const backoff = backoffStep(inp, clientS, add);
  const tcpKeepalive = tcpKeepaliveStep(keepaliveS, pingTimeoutS, add);

  const { pingsPerDay, bytesPerDay } = costStep(keepaliveS, inp.transport, add);

  const rec: Recommendation = {
    keepaliveS,
    pingTimeoutS,
    connectTimeoutS,
    backoff,
    tcpKeepalive,
    detection: { clientS, serverS, serverBasis },
    pingsPerDay,
    bytesPerDay,
    ...(idleBoundS !== undefined ? { idleBoundS } : {}),
    why,
    fieldGuide: [],
    warnings,
  };
  rec.fieldGuide = checkFieldGuides(
    inp,
    rec,
    idle.source === 'assumed' ? undefined : Math.round(idle.lowMs / 100) / 10,
  );
  return rec;
}
