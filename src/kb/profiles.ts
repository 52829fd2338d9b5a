/**
 * Network profiles: named sets of link characteristics used by `impair --profile`, `probe --impair` and
 * keepalive-tune. Knowledge as data: every number names its public source (an RFC, a vendor page, a paper) or
 * is marked as derived from such a number, or as an estimate. Where no source gives a figure for a field, the
 * field is 0 (or absent) and listed in `unsourced`, rather than invented.
 *
 * Conventions used for every row (derived rules, not vendor statements):
 * - One-way latency to inject = rttMs.typical / 2 (RTT grows by twice the one-way delay).
 * - jitterMs = min(typical − min, max − typical) / 2: with uniform ±jitter in each direction the injected RTT
 *   stays inside the source's [min, max] range.
 * - stallMs ≈ Linux retransmission timeout: RTO ≈ SRTT + max(4·RTTVAR, 200 ms), so typical RTT + 200 ms.
 *   The 200 ms floor (TCP_RTO_MIN) is what the "hypothetical timeout of 924.6 s" for tcp_retries2 = 15 in
 *   kernel Documentation/networking/ip-sysctl.rst works out to (0.2 s doubling, capped at 120 s).
 * - lossPct: none of the sources gives a packet-loss figure for any link type, so it is 0 everywhere and
 *   stalls are off unless asked for (`--stall 1%:300ms`).
 * - bandwidthBps: none gives a throughput figure, so it is absent (unlimited).
 */
export interface NetworkProfile {
  /** lan | broadband | 4g | 5g | nb-iot | satellite-geo | satellite-leo | international */
  name: string;
  title: string;
  /** Round trip, ms. */
  rttMs: { min: number; typical: number; max: number };
  /** One-way jitter to inject (uniform ±), ms. */
  jitterMs: number;
  /** Packet loss typical of the link, injected as stalls (retransmission delays). */
  lossPct: number;
  /** Retransmission delay used for the stall fault (≈ RTO, ≥ 200 ms on Linux). */
  stallMs: number;
  bandwidthBps?: number;
  /** Typical middlebox idle timeout on that path, if a source gives one. */
  natIdleS?: number;
  natMode?: 'drop' | 'reset';
  /**
   * Cellular radio idle→connected (RRC) promotion: the first packet after an idle period waits this long while
   * the radio wakes: about 2 s on 3G (Qian et al., "Characterizing Radio Resource Allocation for 3G Networks",
   * ACM IMC 2010), a few hundred ms on LTE (Huang et al., "A Close Examination of Performance and Power
   * Characteristics of 4G LTE Networks", ACM MobiSys 2012). keepalive-tune adds it to the ping and connect
   * timeouts.
   */
  radioPromotionMs?: number;
  /** Where the numbers come from (the public source of each). */
  source: string;
  /** How solid the RTT figures are: `reference` (a published measurement or vendor figure), `derived` (computed
   * from one), `estimate` (no published figure; an engineering estimate, flagged so nobody mistakes it for data). */
  confidence: 'reference' | 'derived' | 'estimate';
  /** Fields left at 0 / absent because no source gives a figure for them. */
  unsourced: string[];
}

/** Linux minimum RTO (TCP_RTO_MIN), see the header comment. */
export const LINUX_RTO_MIN_MS = 200;

/** One second: the conservative end of "hundreds of ms to seconds" for a cellular RRC promotion (see radioPromotionMs). */
const CELLULAR_PROMOTION_MS = 1000;

function row(
  p: Omit<NetworkProfile, 'jitterMs' | 'stallMs' | 'lossPct' | 'unsourced'> & { unsourced?: string[] },
): NetworkProfile {
  const { min, typical, max } = p.rttMs;
  const unsourced = [
    'lossPct',
    'bandwidthBps',
    ...(p.natIdleS === undefined ? ['natIdleS'] : []),
    ...(p.unsourced ?? []),
  ];
  return {
    ...p,
    jitterMs: Math.min(typical - min, max - typical) / 2,
    lossPct: 0,
    stallMs: Math.round(typical + LINUX_RTO_MIN_MS),
    unsourced,
  };
}

export const PROFILES: readonly NetworkProfile[] = [
  row({
    name: 'lan',
    title: 'Wired or Wi-Fi LAN',
    // No published LAN RTT figure among the sources (a Go keepalive guide's LAN row gives only a 60 s heartbeat).
    rttMs: { min: 0.2, typical: 1, max: 5 },
    source: 'estimate: no published LAN RTT figure used; a Go keepalive guide\'s "LAN" row gives a heartbeat only',
    confidence: 'estimate',
  }),
  row({
    name: 'broadband',
    title: 'Home broadband behind a consumer NAT',
    rttMs: { min: 10, typical: 30, max: 60 },
    // RFC 5382 REQ-5: a compliant NAT keeps an established TCP mapping ≥ 2 h 4 min (https://www.rfc-editor.org/rfc/rfc5382#section-5).
    natIdleS: 7440,
    natMode: 'drop',
    source:
      'RTT: estimate (no published broadband RTT figure used); NAT idle: RFC 5382 §5 REQ-5 minimum 7440 s for compliant NATs, https://www.rfc-editor.org/rfc/rfc5382#section-5 (measured home gateways vary: Hätönen et al., "An Experimental Study of Home Gateway Characteristics", IMC 2010)',
    confidence: 'estimate',
  }),
  row({
    name: '4g',
    title: '4G LTE mobile',
    rttMs: { min: 30, typical: 60, max: 100 },
    // Cellular NATs drop idle TCP "in minutes to tens of minutes" (Wang et al., "An Untold Story of Middleboxes
    // in Cellular Networks", SIGCOMM 2011); our reading sizes the safe cellular keepalive under ~4–5 min, i.e.
    // a 5 min NAT, dropping silently (carrier NAT/firewall time-outs).
    natIdleS: 300,
    natMode: 'drop',
    radioPromotionMs: CELLULAR_PROMOTION_MS,
    source:
      'RTT: CMU tech report CMU-CS-22-115, "Segmenting Latency in a Private 4G LTE Network" (LTE "fails to reliably meet" < 50 ms; tens of ms to ~100 ms); NAT idle: our reading (cellular keepalive under ~4–5 min) of Wang et al., "An Untold Story of Middleboxes in Cellular Networks", SIGCOMM 2011, and Nordic\'s nRF91 Azure IoT Hub sample README (github.com/nrfconnect/sdk-nrf, samples/cellular/azure_iot_hub: LTE NAT timeouts "considerably lower than 1767 seconds")',
    confidence: 'reference',
  }),
  row({
    name: '5g',
    title: '5G mobile',
    // Only the top 5% of users regularly see < 20 ms minimum latency, so 20 ms is the floor for most.
    rttMs: { min: 20, typical: 40, max: 80 },
    natIdleS: 300,
    natMode: 'drop',
    radioPromotionMs: CELLULAR_PROMOTION_MS,
    source:
      'RTT min: "Third-Party Assessment of Mobile Performance in the 5G Era", https://arxiv.org/abs/2507.18834 (only the top 5% regularly see < 20 ms); typical/max: estimate; NAT idle: as 4g (our reading for cellular paths)',
    confidence: 'estimate',
  }),
  row({
    name: 'satellite-geo',
    title: 'Geostationary satellite (35,786 km)',
    rttMs: { min: 550, typical: 600, max: 700 },
    source:
      '~550–700 ms: physics floor 4 × 35,786 km at the speed of light ≈ 477 ms plus ground segments; secondary sources (FAU cs7 lecture notes "typical RTT ~600 ms"; probsee "Satellite delay")',
    confidence: 'reference',
  }),
  row({
    name: 'satellite-leo',
    title: 'LEO satellite (Starlink, 340–614 km)',
    rttMs: { min: 25, typical: 40, max: 60 },
    source: '~25–60 ms, Starlink target < 20 ms median: secondary sources (god.ad "How Starlink Works"; pluralist.net)',
    confidence: 'reference',
  }),
  row({
    name: 'nb-iot',
    title: 'NB-IoT (narrowband LPWAN cellular)',
    // Figures from public measurements and the 3GPP design target:
    // Ugwuanyi, Paul, Irvine, "Survey of IoT for Developing Countries: Performance Analysis of LoRaWAN and
    // Cellular NB-IoT Networks", Electronics 10(2224), 2021: 837 ms measured latency (taken as one way);
    // 3GPP TR 45.820 traffic model (quoted in vendor NB-IoT training material): exception reports within
    // 10 s at the 164 dB coupling-loss edge, where up to 2048 repetitions stretch every transmission.
    rttMs: { min: 800, typical: 1700, max: 10_000 },
    natIdleS: 300,
    natMode: 'drop',
    radioPromotionMs: CELLULAR_PROMOTION_MS,
    source:
      'estimate: RTT typical ≈ 2 × 837 ms measured (Ugwuanyi et al., Electronics 2021), max = 10 s 3GPP TR 45.820 exception-report latency target at 164 dB MCL; NAT idle: as 4g (our reading for cellular paths)',
    confidence: 'estimate',
  }),
  row({
    name: 'international',
    title: 'High-latency international path',
    // Light in fibre covers ~200 km per ms; 10,000–20,000 km of cable each way gives 100–200 ms RTT.
    rttMs: { min: 100, typical: 180, max: 300 },
    source:
      'estimate: derived from fibre propagation (~5 µs/km one way) over 10,000–20,000 km; a Python field guide\'s "high-latency international" row gives a heartbeat only',
    confidence: 'estimate',
  }),
];

/**
 * Middleboxes with a documented idle timeout (vendor pages, named per row). Not link types: they combine with a profile in
 * an impair spec (`4g,aws-nat`) to set nat-idle and nat-mode.
 */
export interface Middlebox {
  name: string;
  title: string;
  idleS: number;
  mode: 'drop' | 'reset';
  /** With mode reset: RST both ends at expiry (default) or the end that sends next (`use`). */
  resetOn?: 'expiry' | 'use';
  source: string;
}

export const MIDDLEBOXES: readonly Middlebox[] = [
  {
    name: 'aws-nat',
    title: 'AWS NAT Gateway',
    idleS: 350,
    mode: 'reset',
    resetOn: 'use',
    source:
      'https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-troubleshooting.html: idle 350 s, then RST to the inside host when it tries to use the flow',
  },
  {
    name: 'aws-nlb',
    title: 'AWS Network Load Balancer (TLS listener)',
    idleS: 350,
    mode: 'reset',
    resetOn: 'use',
    source:
      'https://docs.aws.amazon.com/elasticloadbalancing/latest/network/update-idle-timeout.html: default 350 s, fixed for TLS listeners (what happens after expiry is not documented there; RST assumed, as for the AWS NAT gateway)',
  },
  {
    name: 'aws-elb',
    title: 'AWS Classic ELB / ALB',
    idleS: 60,
    mode: 'drop',
    source:
      'https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/config-idle-timeout.html: default 60 s; TCP keepalive probes do not count (mode not documented there; drop assumed)',
  },
  {
    name: 'azure-lb',
    title: 'Azure Load Balancer (default)',
    idleS: 240,
    mode: 'drop',
    source:
      'https://learn.microsoft.com/azure/load-balancer/load-balancer-tcp-idle-timeout: 4 min default, drops silently unless TCP reset is enabled',
  },
  {
    name: 'azure-lb-reset',
    title: 'Azure Load Balancer with TCP reset on idle',
    idleS: 240,
    mode: 'reset',
    source: 'https://learn.microsoft.com/azure/load-balancer/load-balancer-tcp-reset: opt-in RST on idle expiry',
  },
  {
    name: 'gcp-nat',
    title: 'Google Cloud NAT',
    idleS: 1200,
    mode: 'drop',
    source:
      'https://cloud.google.com/compute/docs/reference/rest/v1/routers (RouterNat tcpEstablishedIdleTimeoutSec): default 1200 s (mode not documented there; drop assumed)',
  },
];

export function findProfile(name: string): NetworkProfile | undefined {
  const key = name.trim().toLowerCase();
  return PROFILES.find((p) => p.name === key);
}

export function findMiddlebox(name: string): Middlebox | undefined {
  const key = name.trim().toLowerCase();
  return MIDDLEBOXES.find((m) => m.name === key);
}
