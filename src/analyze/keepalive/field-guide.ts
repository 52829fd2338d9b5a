/**
 * Compare a recommendation with the heartbeat tables in circulation in published field guides (a Python guide
 * for the Bemfa IoT cloud, a Go MQTT keepalive guide) and say, claim by claim, whether they agree and why not.
 * Pure: the claims are data, the verdicts are computed from the recommendation's own numbers.
 */
import type { FieldGuideCheck, KeepaliveInputs, Recommendation } from './types.js';

interface TableRow {
  guide: string;
  network: string;
  profiles: string[];
  loS: number;
  hiS: number;
  /** Server-side silence the guide assumes, as a multiple of the heartbeat. */
  silenceFactor: number;
  reason?: string;
}

/**
 * The guides' own tables, as quoted. No stable public URL is known for either guide: the rows name the guide
 * and are checked against this path's numbers rather than trusted.
 */
export const FIELD_TABLE: readonly TableRow[] = [
  { guide: 'Python/Bemfa guide', network: '4G mobile', profiles: ['4g'], loS: 45, hiS: 60, silenceFactor: 3 },
  {
    guide: 'Python/Bemfa guide',
    network: 'stable broadband',
    profiles: ['broadband'],
    loS: 30,
    hiS: 45,
    silenceFactor: 4,
  },
  {
    guide: 'Python/Bemfa guide',
    network: 'high-latency international',
    profiles: ['international'],
    loS: 60,
    hiS: 120,
    silenceFactor: 2,
  },
  { guide: 'Go keepalive guide', network: 'LAN', profiles: ['lan'], loS: 60, hiS: 60, silenceFactor: 1.5 },
  {
    guide: 'Go keepalive guide',
    network: 'mobile 4G/5G',
    profiles: ['4g', '5g'],
    loS: 30,
    hiS: 30,
    silenceFactor: 1.5,
    reason: 'to avoid NAT timeout',
  },
  {
    guide: 'Go keepalive guide',
    network: 'high-latency satellite',
    profiles: ['satellite-geo', 'satellite-leo'],
    loS: 120,
    hiS: 120,
    silenceFactor: 1.5,
    reason: 'to avoid false timeouts',
  },
];

const range = (lo: number, hi: number) => (lo === hi ? `${lo} s` : `${lo}–${hi} s`);

/** Why our keepalive differs from (or agrees with) a table row's heartbeat on this path. */
function heartbeatWhy(row: TableRow, inp: KeepaliveInputs, rec: Recommendation, idleS: number | undefined): string {
  const keepaliveS = rec.keepaliveS;
  if (keepaliveS >= row.loS && keepaliveS <= row.hiS)
    return 'the measured and documented bounds land in the same range';
  if (idleS !== undefined && row.loS >= idleS)
    return `the path's idle timeout is ${idleS} s: a ${row.loS} s heartbeat lets the middlebox forget the connection between pings`;
  if (row.loS > keepaliveS)
    return `the bounds here (idle timeout, broker, ping timeout) allow at most ${keepaliveS} s; the table does not look at them`;
  if (row.reason === 'to avoid false timeouts') {
    return `RTT is covered by the ${rec.pingTimeoutS} s ping timeout, not by a longer keepalive; ${keepaliveS} s is what the ${inp.power} preference and the bounds give`;
  }
  return (
    `nothing on this path needs pings that often: ${keepaliveS} s stays below every bound and costs ${Math.round(86_400 / row.hiS - 86_400 / keepaliveS)} fewer pings a day than ${row.hiS} s` +
    (inp.power === 'mains' ? '' : ' (battery)')
  );
}

/** A table row: its heartbeat claim, and its tolerated silence when that is not the spec's 1.5 × K. */
function tableRowChecks(
  row: TableRow,
  inp: KeepaliveInputs,
  rec: Recommendation,
  idleS: number | undefined,
): FieldGuideCheck[] {
  const keepaliveS = rec.keepaliveS;
  const heartbeat: FieldGuideCheck = {
    guide: row.guide,
    claim: `${row.network}: heartbeat ${range(row.loS, row.hiS)}${row.reason ? ` "${row.reason}"` : ''}`,
    theirs: range(row.loS, row.hiS),
    ours: `${keepaliveS} s`,
    agrees: keepaliveS >= row.loS && keepaliveS <= row.hiS,
    why: heartbeatWhy(row, inp, rec, idleS),
  };
  if (row.silenceFactor === 1.5) return [heartbeat];
  return [
    heartbeat,
    {
      guide: row.guide,
      claim: `${row.network}: tolerate ${row.silenceFactor} × heartbeat of silence`,
      theirs: `${row.silenceFactor} × K`,
      ours: `${(rec.detection.serverS / keepaliveS).toFixed(2)} × K`,
      agrees: false,
      why: `an MQTT broker does not wait that long: it must drop a client silent for 1.5 × K ([MQTT-3.1.2-24]), here after ${rec.detection.serverS} s (${rec.detection.serverBasis})`,
    },
  ];
}

function keepaliveRangeCheck(inp: KeepaliveInputs, keepaliveS: number, idleS: number | undefined): FieldGuideCheck {
  const agrees = keepaliveS >= 20 && keepaliveS <= 60;
  return {
    guide: 'field guides (general)',
    claim: 'keepalive between 20 and 60 s',
    theirs: '20–60 s',
    ours: `${keepaliveS} s`,
    agrees,
    why: agrees
      ? 'inside the usual range'
      : keepaliveS < 20
        ? `the idle timeout${idleS !== undefined ? ` (${idleS} s)` : ''} forces a shorter keepalive`
        : `the bounds allow ${keepaliveS} s, which saves pings (${inp.power})`,
  };
}

function pingTimeoutCheck(rec: Recommendation): FieldGuideCheck {
  const third = Math.round((rec.keepaliveS / 3) * 10) / 10;
  const close = Math.abs(third - rec.pingTimeoutS) <= Math.max(1, 0.2 * rec.pingTimeoutS);
  return {
    guide: 'field guides (general)',
    claim: 'ping (PINGRESP) timeout ≈ keepalive / 3',
    theirs: `${third} s`,
    ours: `${rec.pingTimeoutS} s`,
    agrees: close,
    why: close
      ? `close to the ${rec.pingTimeoutS} s that p99 RTT and retransmissions need`
      : third >= rec.pingTimeoutS
        ? `the answer needs only ${rec.pingTimeoutS} s (p99 RTT + retransmissions); waiting ${third} s just delays detection`
        : `K / 3 = ${third} s is shorter than the ${rec.pingTimeoutS} s the RTT and loss need: false dead-link alarms`,
  };
}

function connectTimeoutCheck(rec: Recommendation): FieldGuideCheck {
  const twiceK = 2 * rec.keepaliveS;
  return {
    guide: 'field guides (general)',
    claim: 'connection timeout > 2 × heartbeat',
    theirs: `> ${twiceK} s`,
    ours: `${rec.connectTimeoutS} s`,
    agrees: rec.connectTimeoutS > twiceK,
    why: 'the connect timeout covers DNS, TCP, TLS and CONNACK, a few round trips; it is unrelated to the heartbeat, which only starts after CONNACK',
  };
}

function tcpKeepaliveCheck(rec: Recommendation, idleS: number | undefined): FieldGuideCheck {
  const tk = rec.tcpKeepalive;
  return {
    guide: 'field guides (general)',
    claim: 'Linux TCP keepalive 600 s / 30 s / 3 probes ("dead peer in about 12 minutes")',
    theirs: '600/30/3 → 690 s',
    ours: `${tk.idleS}/${tk.intervalS}/${tk.count} → ${tk.idleS + tk.intervalS * tk.count} s`,
    agrees: false,
    why:
      idleS !== undefined && idleS <= 600
        ? `a 600 s idle never fires before the ${idleS} s idle timeout, so the middlebox has already dropped the flow`
        : `the MQTT ping already detects a dead link in ${rec.detection.clientS} s; TCP keepalive at K backs it up when the application stalls`,
  };
}

function backoffCheck(rec: Recommendation): FieldGuideCheck {
  const sameCap = rec.backoff.maxS === 300;
  return {
    guide: 'field guides (reconnection)',
    claim: 'exponential backoff min(2^attempt, 300) s',
    theirs: '1 s ×2 up to 300 s, no jitter',
    ours: `${rec.backoff.minS} s ×${rec.backoff.factor} up to ${rec.backoff.maxS} s, ±${rec.backoff.jitterPct} %`,
    agrees: sameCap,
    why: sameCap
      ? 'same cap; add the jitter, or a fleet that lost the same NAT or broker reconnects in lock-step'
      : `without jitter a fleet that lost the same NAT or broker reconnects in lock-step; the ${rec.backoff.maxS} s cap follows the power mode and the session expiry`,
  };
}

export function checkFieldGuides(
  inp: KeepaliveInputs,
  rec: Recommendation,
  idleS: number | undefined,
): FieldGuideCheck[] {
  const profile = inp.profileName;
  const rows = profile ? FIELD_TABLE.filter((row) => row.profiles.includes(profile)) : [];
  return [
    ...rows.flatMap((row) => tableRowChecks(row, inp, rec, idleS)),
    ...(profile ? [] : [keepaliveRangeCheck(inp, rec.keepaliveS, idleS)]),
    pingTimeoutCheck(rec),
    connectTimeoutCheck(rec),
    tcpKeepaliveCheck(rec, idleS),
    backoffCheck(rec),
  ];
}
