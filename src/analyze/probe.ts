/**
 * Pure analysis of a probe run: RTT/loss statistics like ping, threshold checks, and findings about the
 * broker (what it granted, patterns that are the broker's doing rather than the link's).
 */
import type { ProbeResult, ProbeSample } from './probe-events.js';
import { formatDuration as formatMs } from '../config/units.js';
import { lossPct, summarize, type Summary } from './stats.js';

export interface RttSummary {
  sent: number;
  received: number;
  lost: number;
  /** Replies that came after the per-probe timeout (counted as lost). */
  late: number;
  duplicates: number;
  lossPct: number;
  /** The first probe's RTT: on cellular links it includes the radio's idle→connected promotion. */
  coldMs: number | null;
  /** Statistics over the received probes after the first (all of them when only one came back). */
  stats: Summary | null;
  /** Echo QoS ≥ 1: PUBACK/PUBCOMP times; tcping over tls://: handshake times. */
  ack: Summary | null;
  /** PINGRESPs nobody asked for; when above 0 the RTT figures are withheld (stats null). */
  unsolicited: number;
  /** Back-to-back reference pings on the same connection (taken when the paced RTT sat near the interval). */
  backToBack: Summary | null;
}

export function summarizeRtt(
  samples: readonly ProbeSample[],
  extra: { unsolicited?: number | undefined; backToBackMs?: readonly number[] | undefined } = {},
): RttSummary {
  const unsolicited = extra.unsolicited ?? 0;
  // A probe still in flight when the user stopped the run was neither answered nor lost.
  samples = samples.filter((s) => !s.cutShort);
  const got = samples.filter((s) => s.rttMs !== null);
  const first = samples[0];
  const coldMs = first?.rttMs ?? null;
  const warm = samples
    .slice(1)
    .filter((s) => s.rttMs !== null)
    .map((s) => s.rttMs as number);
  const statsOver = warm.length > 0 ? warm : got.map((s) => s.rttMs as number);
  const acks = samples.filter((s) => typeof s.ackMs === 'number').map((s) => s.ackMs as number);
  return {
    sent: samples.length,
    received: got.length,
    lost: samples.length - got.length,
    late: samples.filter((s) => s.lateMs !== undefined).length,
    duplicates: samples.filter((s) => s.duplicate).length,
    lossPct: lossPct(samples.length, got.length),
    // A reply we did not ask for may have been matched to a request the server had not read yet: no RTT
    // of such a session is a measurement.
    coldMs: unsolicited > 0 ? null : coldMs,
    stats: unsolicited > 0 ? null : (summarize(statsOver) ?? null),
    ack: summarize(acks) ?? null,
    unsolicited,
    backToBack: summarize(extra.backToBackMs ?? []) ?? null,
  };
}

export interface ProbeThresholds {
  maxLossPct?: number;
  maxRttP99Ms?: number;
  maxConnectMs?: number;
}

export interface ThresholdResult {
  id: 'max-loss' | 'max-rtt-p99' | 'max-connect';
  limit: number;
  actual: number | null;
  pass: boolean;
  unit: '%' | 'ms';
}

export function checkThresholds(t: ProbeThresholds, rtt: RttSummary, connectMs: number | undefined): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  if (t.maxLossPct !== undefined) {
    out.push({
      id: 'max-loss',
      limit: t.maxLossPct,
      actual: rtt.lossPct,
      pass: rtt.sent > 0 && rtt.lossPct <= t.maxLossPct,
      unit: '%',
    });
  }
  if (t.maxRttP99Ms !== undefined) {
    const p99 = rtt.stats?.p99 ?? null;
    out.push({
      id: 'max-rtt-p99',
      limit: t.maxRttP99Ms,
      actual: p99,
      pass: p99 !== null && p99 <= t.maxRttP99Ms,
      unit: 'ms',
    });
  }
  if (t.maxConnectMs !== undefined) {
    const c = connectMs ?? null;
    out.push({
      id: 'max-connect',
      limit: t.maxConnectMs,
      actual: c,
      pass: c !== null && c <= t.maxConnectMs,
      unit: 'ms',
    });
  }
  return out;
}

export interface Finding {
  id: string;
  /** fail: the run's figures cannot be trusted (never healthy, exit 1). */
  severity: 'info' | 'warn' | 'fail';
  text: string;
  hint?: string;
}

/** Observations worth a line in the report; each is a fact about the broker or the path, with what to do. */
export function findings(r: ProbeResult, rtt: RttSummary, requestedKeepaliveS: number): Finding[] {
  return [
    mqtt5Refused(r),
    serverKeepalive(r, requestedKeepaliveS),
    certExpiring(r),
    tlsInsecure(r),
    brokerNagle(r, rtt),
    unsolicitedPingresp(rtt),
    rttPaced(r, rtt),
    addressFallback(r),
  ].filter((finding): finding is Finding => finding !== undefined);
}

function mqtt5Refused(result: ProbeResult): Finding | undefined {
  if (!result.fellBackTo311) return undefined;
  return {
    id: 'mqtt5-refused',
    severity: 'info',
    text: 'the broker does not accept MQTT 5; the probe used MQTT 3.1.1',
    hint: 'clients must use protocolVersion 4 (3.1.1) with this broker',
  };
}

function serverKeepalive(result: ProbeResult, requestedKeepaliveS: number): Finding | undefined {
  const ska = result.connack?.properties.serverKeepAlive;
  if (ska === undefined || ska === requestedKeepaliveS) return undefined;
  // MQTT 5 §3.2.2.3.14: the client MUST use the Server Keep Alive instead of its own value.
  return {
    id: 'server-keepalive',
    severity: 'warn',
    text: `the broker overrode keepalive ${requestedKeepaliveS}s with Server Keep Alive ${ska}s`,
    hint: `mqtt-doctor keepalive-tune <url> --verify-broker shows when the broker really cuts idle clients`,
  };
}

function certExpiring(result: ProbeResult): Finding | undefined {
  const cert = result.dial.tls?.certificate;
  if (!(cert && cert.daysToExpiry >= 0 && cert.daysToExpiry < 30)) return undefined;
  return {
    id: 'cert-expiring',
    severity: 'warn',
    text: `the broker certificate expires in ${cert.daysToExpiry} days (${cert.validTo.slice(0, 10)})`,
    hint: 'renew it before devices without a clock-tolerant TLS stack start failing',
  };
}

function tlsInsecure(result: ProbeResult): Finding | undefined {
  const tls = result.dial.tls;
  if (!tls?.insecure) return undefined;
  return {
    id: 'tls-insecure',
    severity: 'warn',
    text: tls.verified
      ? 'TLS verification was turned off (--insecure), though the certificate would have passed'
      : `TLS verification was turned off (--insecure); it would have failed: ${tls.verifyError}`,
  };
}

/**
 * Nagle + delayed ACK at the broker: a QoS 1/2 acknowledgement takes tens of ms on a path whose echo or ping is
 * sub-millisecond. On stock mosquitto this is ~20-40 ms on loopback; set_tcp_nodelay true fixes it.
 */
function brokerNagle(result: ProbeResult, rtt: RttSummary): Finding | undefined {
  const { ack, stats } = rtt;
  if (
    !(
      result.method === 'echo' &&
      ack &&
      stats &&
      ack.p50 >= 15 &&
      ack.p50 > 10 * Math.max(stats.min, 0.05) &&
      stats.min < 5
    )
  )
    return undefined;
  return {
    id: 'broker-nagle',
    severity: 'warn',
    text: `acknowledgements take ${ack.p50.toFixed(1)} ms while the fastest echo took ${stats.min.toFixed(2)} ms: the delay is the broker's (Nagle/delayed ACK), not the link's`,
    hint: 'on mosquitto set `set_tcp_nodelay true`; compare with --method ping, which measures the link',
  };
}

function unsolicitedPingresp(rtt: RttSummary): Finding | undefined {
  if (!(rtt.unsolicited > 0)) return undefined;
  return {
    id: 'unsolicited-pingresp',
    severity: 'fail',
    text: `the server sent ${rtt.unsolicited} PINGRESP${rtt.unsolicited === 1 ? '' : 's'} that no PINGREQ asked for (a reply before its request, more replies than requests, or a flood): no round-trip time can be measured on this session`,
    hint: 'MQTT 3.1.1 §3.12.4 / 5.0 §3.12.4: a server sends PINGRESP only in answer to PINGREQ; check what sits on this port (a proxy, a test double, a broken broker)',
  };
}

function rttPaced(result: ProbeResult, rtt: RttSummary): Finding | undefined {
  const { stats, backToBack } = rtt;
  if (
    !(
      stats &&
      backToBack &&
      stats.p50 - backToBack.p50 > 1 &&
      stats.p50 > 3 * backToBack.p50 &&
      repliesTrailRequests(result, backToBack.p50, rtt.received)
    )
  )
    return undefined;
  return {
    id: 'rtt-paced',
    severity: 'warn',
    text: `pings read p50 ${formatMs(stats.p50)} at this interval while ${backToBack.count} back-to-back pings on the same connection read p50 ${formatMs(backToBack.p50)}: replies wait for the next request (Nagle at the broker meeting delayed ACKs), so ${formatMs(stats.p50)} is the interval showing through, not the link's latency`,
    hint: 'probe with -i 250ms or more, or turn Nagle off at the broker (mosquitto: set_tcp_nodelay true)',
  };
}

function addressFallback(result: ProbeResult): Finding | undefined {
  const { dns, tcp } = result.dial;
  if (!(tcp && tcp.attempts.length > 1)) return undefined;
  const failed = tcp.attempts.filter((a) => a.error).map((a) => `${a.address} (${a.error})`);
  return {
    id: 'address-fallback',
    severity: 'info',
    text: `connected to ${tcp.address} after ${failed.join(', ')} failed`,
    hint:
      dns && !dns.literal
        ? 'clients that try only the first address will fail: listen on both families or connect by IP'
        : undefined,
  } as Finding;
}

/**
 * The signature of replies held until the next request: most answered pings had their reply arrive just after a
 * later request left on time, within about one link RTT (twice the back-to-back figure, plus 1 ms). A reply read
 * late because our own process was held up (a busy machine, GC) also lands just after the next request, but that
 * request left late by about the stall, so it does not count (a timer fires up to ~1 ms late on an idle machine).
 */
function repliesTrailRequests(result: ProbeResult, linkRttMs: number, answered: number): boolean {
  const t = result.trailing;
  if (!t || answered === 0) return false;
  const window = 2 * linkRttMs + 1;
  const close = t.after.filter((a) => a.gapMs <= window && a.sendLateMs <= window + 1).length;
  return close * 2 >= answered;
}
