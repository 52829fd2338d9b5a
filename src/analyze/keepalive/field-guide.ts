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
  { guide: 'Python/Bemfa guide', network: 'stable broadband', profiles: ['broadband'], loS: 30, hiS: 45, silenceFactor: 4 },
  { guide: 'Python/Bemfa guide', network: 'high-latency international', profiles: ['international'], loS: 60, hiS: 120, silenceFactor: 2 },
  { guide: 'Go keepalive guide', network: 'LAN', profiles: ['lan'], loS: 60, hiS: 60, silenceFactor: 1.5 },
  { guide: 'Go keepalive guide', network: 'mobile 4G/5G', profiles: ['4g', '5g'], loS: 30, hiS: 30, silenceFactor: 1.5, reason: 'to avoid NAT timeout' },
  { guide: 'Go keepalive guide', network: 'high-latency satellite', profiles: ['satellite-geo', 'satellite-leo'], loS: 120, hiS: 120, silenceFactor: 1.5, reason: 'to avoid false timeouts' },
];

const range = (lo: number, hi: number) => (lo === hi ? `${lo} s` : `${lo}–${hi} s`);

export function checkFieldGuides(inp: KeepaliveInputs, rec: Recommendation, idleS: number | undefined): FieldGuideCheck[] {
  const out: FieldGuideCheck[] = [];
  const k = rec.keepaliveS;
  const rows = inp.profileName ? FIELD_TABLE.filter((r) => r.profiles.includes(inp.profileName as string)) : [];
  for (const r of rows) {
    const agrees = k >= r.loS && k <= r.hiS;
    let why: string;
    if (agrees) why = 'the measured and documented bounds land in the same range';
    else if (idleS !== undefined && r.loS >= idleS) {
      why = `the path's idle timeout is ${idleS} s: a ${r.loS} s heartbeat lets the middlebox forget the connection between pings`;
    } else if (r.loS > k) {
      why = `the bounds here (idle timeout, broker, ping timeout) allow at most ${k} s; the table does not look at them`;
    } else if (r.reason === 'to avoid false timeouts') {
      why = `RTT is covered by the ${rec.pingTimeoutS} s ping timeout, not by a longer keepalive; ${k} s is what the ${inp.power} preference and the bounds give`;
    } else {
      why = `nothing on this path needs pings that often: ${k} s stays below every bound and costs ${Math.round(86_400 / r.hiS - 86_400 / k)} fewer pings a day than ${r.hiS} s` +
        (inp.power === 'mains' ? '' : ' (battery)');
    }
    out.push({ guide: r.guide, claim: `${r.network}: heartbeat ${range(r.loS, r.hiS)}${r.reason ? ` "${r.reason}"` : ''}`, theirs: range(r.loS, r.hiS), ours: `${k} s`, agrees, why });
    if (r.silenceFactor !== 1.5) {
      out.push({
        guide: r.guide,
        claim: `${r.network}: tolerate ${r.silenceFactor} × heartbeat of silence`,
        theirs: `${r.silenceFactor} × K`,
        ours: `${(rec.detection.serverS / k).toFixed(2)} × K`,
        agrees: false,
        why: `an MQTT broker does not wait that long: it must drop a client silent for 1.5 × K ([MQTT-3.1.2-24]), here after ${rec.detection.serverS} s (${rec.detection.serverBasis})`,
      });
    }
  }
  if (!inp.profileName) {
    const agrees = k >= 20 && k <= 60;
    out.push({
      guide: 'field guides (general)',
      claim: 'keepalive between 20 and 60 s',
      theirs: '20–60 s',
      ours: `${k} s`,
      agrees,
      why: agrees ? 'inside the usual range' : k < 20 ? `the idle timeout${idleS !== undefined ? ` (${idleS} s)` : ''} forces a shorter keepalive` : `the bounds allow ${k} s, which saves pings (${inp.power})`,
    });
  }
  const third = Math.round((k / 3) * 10) / 10;
  out.push({
    guide: 'field guides (general)',
    claim: 'ping (PINGRESP) timeout ≈ keepalive / 3',
    theirs: `${third} s`,
    ours: `${rec.pingTimeoutS} s`,
    agrees: Math.abs(third - rec.pingTimeoutS) <= Math.max(1, 0.2 * rec.pingTimeoutS),
    why: Math.abs(third - rec.pingTimeoutS) <= Math.max(1, 0.2 * rec.pingTimeoutS)
      ? `close to the ${rec.pingTimeoutS} s that p99 RTT and retransmissions need`
      : third >= rec.pingTimeoutS
      ? `the answer needs only ${rec.pingTimeoutS} s (p99 RTT + retransmissions); waiting ${third} s just delays detection`
      : `K / 3 = ${third} s is shorter than the ${rec.pingTimeoutS} s the RTT and loss need: false dead-link alarms`,
  });
  const twiceK = 2 * k;
  out.push({
    guide: 'field guides (general)',
    claim: 'connection timeout > 2 × heartbeat',
    theirs: `> ${twiceK} s`,
    ours: `${rec.connectTimeoutS} s`,
    agrees: rec.connectTimeoutS > twiceK,
    why: 'the connect timeout covers DNS, TCP, TLS and CONNACK, a few round trips; it is unrelated to the heartbeat, which only starts after CONNACK',
  });
  const tk = rec.tcpKeepalive;
  const tcpDetect = tk.idleS + tk.intervalS * tk.count;
  out.push({
    guide: 'field guides (general)',
    claim: 'Linux TCP keepalive 600 s / 30 s / 3 probes ("dead peer in about 12 minutes")',
    theirs: '600/30/3 → 690 s',
    ours: `${tk.idleS}/${tk.intervalS}/${tk.count} → ${tcpDetect} s`,
    agrees: false,
    why: idleS !== undefined && idleS <= 600
      ? `a 600 s idle never fires before the ${idleS} s idle timeout, so the middlebox has already dropped the flow`
      : `the MQTT ping already detects a dead link in ${rec.detection.clientS} s; TCP keepalive at K backs it up when the application stalls`,
  });
  out.push({
    guide: 'field guides (reconnection)',
    claim: 'exponential backoff min(2^attempt, 300) s',
    theirs: '1 s ×2 up to 300 s, no jitter',
    ours: `${rec.backoff.minS} s ×${rec.backoff.factor} up to ${rec.backoff.maxS} s, ±${rec.backoff.jitterPct} %`,
    agrees: rec.backoff.maxS === 300,
    why: rec.backoff.maxS === 300
      ? 'same cap; add the jitter, or a fleet that lost the same NAT or broker reconnects in lock-step'
      : `without jitter a fleet that lost the same NAT or broker reconnects in lock-step; the ${rec.backoff.maxS} s cap follows the power mode and the session expiry`,
  });
  return out;
}
