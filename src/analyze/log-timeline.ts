/**
 * Log mode of explain-error: recognise each line, group by cause, and read the timeline for three patterns
 * that a per-line view hides:
 *  - regular disconnects every ~N s for one client: an idle timeout (NAT / load balancer) or a keepalive the
 *    client does not honour; the connection lifetime is the suspect interval;
 *  - a takeover loop: the same client id kicked off again and again within seconds (two devices, one id);
 *  - a reconnect storm: many clients reconnecting within a second or two of a broker restart (no jitter).
 * Pure: text in, analysis out. Timestamps: mosquitto epoch seconds (`1700000000: …`) or ISO-8601.
 */
import type { KbEntry } from '../kb/entry.js';
import { entryById } from '../kb/catalog.js';
import { explainText, type Candidate, type ExplainOptions } from './explain.js';
import { percentile } from './stats.js';

export interface LogEvent {
  lineNo: number;
  tsMs: number | undefined;
  entryId: string;
  event: KbEntry['event'];
  clientId: string | undefined;
}

export interface CauseGroup {
  entryId: string;
  title: string;
  layer: KbEntry['layer'];
  count: number;
  firstLine: number;
  firstMs: number | undefined;
  lastMs: number | undefined;
  /** Distinct client ids seen with this cause (at most 10 listed). */
  clients: string[];
  sample: string;
}

export type FindingKind = 'regular-disconnects' | 'takeover-loop' | 'reconnect-storm';

export interface TimelineFinding {
  kind: FindingKind;
  summary: string;
  clientId?: string;
  count: number;
  /** Median time between events, seconds. */
  intervalS?: number;
  /** Median connection lifetime (connect → disconnect), seconds: the suspect idle / keepalive interval. */
  lifetimeS?: number;
  /** Keepalive the broker logged for the client, seconds. */
  keepaliveS?: number;
  /** Known middlebox idle timeouts close to the interval. */
  suspects: string[];
  hint: string;
}

export interface LogAnalysis {
  lines: number;
  recognised: number;
  /** Routine lines (config loaded, listener opened, CONNACK 0…) that carry no error. */
  informational: number;
  unrecognised: number;
  spanMs: number | undefined;
  groups: CauseGroup[];
  findings: TimelineFinding[];
  /** A few lines nothing matched (to show the user what was skipped). */
  unrecognisedSamples: string[];
}

/** Idle timeouts of common middleboxes, reference keepalive-and-errors.md §C1 and §B1. */
export const KNOWN_IDLE_TIMEOUTS_S: Array<[number, string]> = [
  [60, 'AWS ALB / Classic ELB default idle timeout (60 s)'],
  [240, 'Azure Load Balancer default idle timeout (4 min)'],
  [350, 'AWS NAT gateway / NLB idle timeout (350 s)'],
  [600, 'API Gateway WebSocket idle timeout (10 min)'],
  [1200, 'GCP Cloud NAT established-TCP idle timeout (1200 s)'],
  [1767, 'Azure IoT Hub keepalive cap (1767 s)'],
];

/** Parse a leading timestamp: mosquitto epoch seconds, or an ISO-8601 date-time (UTC when no zone). */
export function parseTimestampMs(line: string): number | undefined {
  const epoch = /^\s*\[?(\d{9,10})(\.\d+)?\]?:?\s/.exec(line);
  if (epoch?.[1]) return Math.round(Number(epoch[1] + (epoch[2] ?? '')) * 1000);
  const iso = /^\s*\[?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})([.,]\d+)?(Z|[+-]\d{2}:?\d{2})?/.exec(line);
  if (iso?.[1] && iso[2]) {
    const frac = (iso[3] ?? '').replace(',', '.');
    const zone = iso[4] ?? 'Z';
    const ms = Date.parse(`${iso[1]}T${iso[2]}${frac}${zone.length === 5 ? zone.slice(0, 3) + ':' + zone.slice(3) : zone}`);
    return Number.isNaN(ms) ? undefined : ms;
  }
  // syslog / journalctl short format, "Nov 22 00:10:40 host prog[pid]: …" (RFC 3164 TIMESTAMP): no year, so
  // a fixed leap year stands in; the timeline uses only differences between lines.
  const sys = /^\s*(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\s/.exec(line);
  if (sys?.[1] && sys[2] && sys[3] && sys[4] && sys[5]) {
    const month = SYSLOG_MONTHS.indexOf(sys[1]);
    const fracMs = sys[6] ? Math.round(Number(`0.${sys[6]}`) * 1000) : 0;
    return Date.UTC(2000, month, Number(sys[2]), Number(sys[3]), Number(sys[4]), Number(sys[5])) + fracMs;
  }
  return undefined;
}

const SYSLOG_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const CLIENT_ID_RES: RegExp[] = [
  /New client connected from \S+ as (\S+) \(/,
  /Client (\S+?),? (?:has exceeded|already connected|closed its|disconnected|\[)/,
  /Socket error on client (\S+?),/,
  /Expiring client (\S+) due/,
  /\bclient ~?p? ?(?:with username \S+ )?"?([\w.:-]+)"? stopped/i,
  /\bclient[_ ]?id[=: ]+"?([\w.:/-]+)"?/i,
  /\bclientId["']?\s*[:=]\s*["']?([\w.:/-]+)/,
];

/** Routine broker lines: neither an error nor unknown. mosquitto src/*.c log_printf texts. */
const INFO_LINES: RegExp[] = [
  /Config loaded from/i, /Opening ipv[46] listen socket/i, /mosquitto version \S+ running/i, /New connection from \S+ on port/i,
  /No will message specified/i, /Sending CONNACK to \S+ \(\d, 0\)/, /Will message specified/i, /Saving in-memory database/i,
  /Received (PINGREQ|PUBLISH|SUBSCRIBE|UNSUBSCRIBE|DISCONNECT|PUBACK|PUBREC|PUBREL|PUBCOMP) from/i,
  /Sending (PINGRESP|PUBLISH|SUBACK|UNSUBACK|PUBACK|PUBREC|PUBREL|PUBCOMP) to/i,
];

/** mosquitto logs the CONNACK it sends: `Sending CONNACK to ID (session-present, rc)`. */
function connackCandidate(line: string): Candidate | undefined {
  const m = /Sending CONNACK to \S+ \((\d), (\d+)\)/.exec(line);
  const rc = Number(m?.[2] ?? 0);
  if (!m || rc === 0) return undefined;
  const entry = rc >= 0x80 ? entryById(`mqtt5.0x${rc.toString(16).toUpperCase()}`) : entryById(`connack311.${rc}`);
  return entry ? { entry, score: 200, via: 'number', reading: `CONNACK code ${rc} sent by mosquitto`, matched: m[0] } : undefined;
}

function clientIdOf(line: string): string | undefined {
  for (const re of CLIENT_ID_RES) {
    const m = re.exec(line);
    if (m?.[1] && m[1] !== '<unknown>') return m[1];
  }
  return undefined;
}

function keepaliveOf(line: string): number | undefined {
  const m = /\(p\d+, c\d+, k(\d+)/.exec(line);
  return m?.[1] ? Number(m[1]) : undefined;
}

/** Median (0 for no values); the 50th percentile of stats.ts, which averages the middle pair. */
function median(xs: number[]): number {
  return xs.length === 0 ? 0 : percentile([...xs].sort((a, b) => a - b), 50);
}

/** Intervals are regular when at least 3/4 lie within ±max(20 %, 2 s) of their median. */
export function isRegular(intervalsS: number[]): boolean {
  if (intervalsS.length < 2) return false;
  const m = median(intervalsS);
  if (m <= 0) return false;
  const tol = Math.max(0.2 * m, 2);
  const close = intervalsS.filter((d) => Math.abs(d - m) <= tol).length;
  return close / intervalsS.length >= 0.75;
}

function suspectsFor(seconds: number): string[] {
  return KNOWN_IDLE_TIMEOUTS_S.filter(([t]) => Math.abs(seconds - t) <= Math.max(0.1 * t, 5)).map(([, name]) => name);
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function analyzeLog(text: string, opts: Omit<ExplainOptions, 'numbers'> = {}): LogAnalysis {
  const rawLines = text.split(/\r?\n/);
  const events: LogEvent[] = [];
  const groups = new Map<string, CauseGroup>();
  const keepalive = new Map<string, number>();
  const unrecognisedSamples: string[] = [];
  let recognised = 0;
  let informational = 0;
  let nonEmpty = 0;
  let firstMs: number | undefined;
  let lastMs: number | undefined;

  rawLines.forEach((line, i) => {
    if (!line.trim()) return;
    nonEmpty++;
    const tsMs = parseTimestampMs(line);
    if (tsMs !== undefined) {
      firstMs ??= tsMs;
      lastMs = tsMs;
    }
    const best = connackCandidate(line) ?? explainText(line, { ...opts, numbers: false }).candidates[0];
    if (!best && INFO_LINES.some((re) => re.test(line))) {
      informational++;
      return;
    }
    if (!best) {
      if (unrecognisedSamples.length < 5) unrecognisedSamples.push(line.trim().slice(0, 200));
      return;
    }
    recognised++;
    const e = best.entry;
    const clientId = clientIdOf(line);
    const ka = keepaliveOf(line);
    if (clientId && ka !== undefined) keepalive.set(clientId, ka);
    events.push({ lineNo: i + 1, tsMs, entryId: e.id, event: e.event, clientId });
    const g = groups.get(e.id) ?? {
      entryId: e.id, title: e.title, layer: e.layer, count: 0, firstLine: i + 1, firstMs: tsMs, lastMs: tsMs, clients: [], sample: line.trim().slice(0, 200),
    };
    g.count++;
    g.lastMs = tsMs ?? g.lastMs;
    if (clientId && !g.clients.includes(clientId) && g.clients.length < 10) g.clients.push(clientId);
    groups.set(e.id, g);
  });

  const findings = [...regularDisconnects(events, keepalive), ...takeoverLoops(events), ...reconnectStorms(events)];
  return {
    lines: nonEmpty,
    recognised,
    informational,
    unrecognised: nonEmpty - recognised - informational,
    spanMs: firstMs !== undefined && lastMs !== undefined ? lastMs - firstMs : undefined,
    groups: [...groups.values()].sort((a, b) => b.count - a.count || a.firstLine - b.firstLine),
    findings,
    unrecognisedSamples,
  };
}

function byClient(events: LogEvent[], pred: (e: LogEvent) => boolean): Map<string, LogEvent[]> {
  const m = new Map<string, LogEvent[]>();
  for (const e of events) {
    if (!pred(e) || e.tsMs === undefined || !e.clientId) continue;
    const list = m.get(e.clientId) ?? [];
    list.push(e);
    m.set(e.clientId, list);
  }
  return m;
}

function intervalsS(list: LogEvent[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < list.length; i++) out.push(((list[i]?.tsMs ?? 0) - (list[i - 1]?.tsMs ?? 0)) / 1000);
  return out;
}

const KEEPALIVE_IDS = /keepalive|KEEP_ALIVE|0x8D|404104/i;

function regularDisconnects(events: LogEvent[], keepalive: Map<string, number>): TimelineFinding[] {
  const out: TimelineFinding[] = [];
  const connects = byClient(events, (e) => e.event === 'connect');
  for (const [clientId, list] of byClient(events, (e) => e.event === 'disconnect' && !/\.disconnected$|CLIENT_INITIATED/.test(e.entryId))) {
    if (list.length < 2) continue;
    const iv = intervalsS(list);
    // Lifetime: from the last connect before each disconnect (needs the broker's connect lines).
    const lifetimes: number[] = [];
    for (const d of list) {
      const c = (connects.get(clientId) ?? []).filter((x) => (x.tsMs ?? 0) <= (d.tsMs ?? 0) && x.lineNo < d.lineNo).at(-1);
      if (c?.tsMs !== undefined && d.tsMs !== undefined) lifetimes.push((d.tsMs - c.tsMs) / 1000);
    }
    // Regular: three or more disconnects at steady intervals, or connections that each lived the same time.
    const regularIntervals = list.length >= 3 && isRegular(iv);
    const regularLifetimes = lifetimes.length >= 2 && lifetimes.length >= list.length - 1 && isRegular(lifetimes);
    if (!regularIntervals && !regularLifetimes) continue;
    const intervalS = round1(median(iv));
    const lifetimeS = lifetimes.length ? round1(median(lifetimes)) : undefined;
    const ka = keepalive.get(clientId);
    const causeIds = [...new Set(list.map((e) => e.entryId))];
    const keepaliveCause = causeIds.some((id) => KEEPALIVE_IDS.test(id));
    const suspectS = lifetimeS ?? intervalS;
    const suspects = suspectsFor(suspectS);
    let summary = `${clientId} disconnected ${list.length} times, every ~${intervalS} s (${causeIds.join(', ')})`;
    if (lifetimeS !== undefined) summary += `; each connection lived ~${lifetimeS} s`;
    let hint: string;
    if (keepaliveCause && ka !== undefined) {
      summary += `; the broker enforced keepalive ${ka} s (timeout > ${round1(1.5 * ka)} s)`;
      hint = `The client sends nothing within 1.5 × its keepalive (${ka} s): it does not ping (umqtt.simple never does), its network loop is blocked, or the pings are dropped on the way. Suspect interval: ~${suspectS} s.`;
    } else if (keepaliveCause) {
      hint = `Keepalive timeouts at a steady ~${suspectS} s: the client does not ping in time, or a middlebox drops the idle flow.`;
    } else {
      hint = `A connection that dies after a fixed ~${suspectS} s is the mark of an idle timeout on the path (NAT, firewall, load balancer): use a keepalive well below ${suspectS} s.`;
    }
    if (suspects.length) hint += ` Matches: ${suspects.join('; ')}.`;
    out.push({
      kind: 'regular-disconnects', summary, clientId, count: list.length, intervalS,
      ...(lifetimeS !== undefined ? { lifetimeS } : {}), ...(ka !== undefined ? { keepaliveS: ka } : {}), suspects, hint,
    });
  }
  return out.sort((a, b) => b.count - a.count).slice(0, 5);
}

function takeoverLoops(events: LogEvent[]): TimelineFinding[] {
  const out: TimelineFinding[] = [];
  for (const [clientId, list] of byClient(events, (e) => e.event === 'takeover')) {
    if (list.length < 3) continue;
    const intervalS = round1(median(intervalsS(list)));
    if (intervalS > 60) continue;
    out.push({
      kind: 'takeover-loop',
      summary: `client id ${clientId} was taken over ${list.length} times, ${intervalS < 1 ? 'less than a second apart' : `every ~${intervalS} s`}`,
      clientId, count: list.length, intervalS, suspects: [],
      hint: `Two devices (or two processes) share the client id "${clientId}" and keep kicking each other off. Give each a unique id.`,
    });
  }
  return out.sort((a, b) => b.count - a.count).slice(0, 5);
}

/** Connects within this long after a broker start count towards a storm. */
const STORM_WINDOW_MS = 30_000;

function reconnectStorms(events: LogEvent[]): TimelineFinding[] {
  const out: TimelineFinding[] = [];
  const starts = events.filter((e) => e.event === 'broker-start' && e.tsMs !== undefined);
  starts.forEach((s, i) => {
    // The first start of a log is a boot, not a restart, unless clients were connected before (they were not).
    if (i === 0 && !events.some((e) => e.event === 'connect' && e.lineNo < s.lineNo)) return;
    const t0 = s.tsMs ?? 0;
    const nextStart = starts[i + 1]?.lineNo ?? Infinity;
    const after = events.filter((e) => e.event === 'connect' && e.lineNo > s.lineNo && e.lineNo < nextStart && (e.tsMs ?? 0) - t0 <= STORM_WINDOW_MS);
    if (after.length < 5) return;
    // Largest number of connects inside any 2-second window.
    const ts = after.map((e) => e.tsMs ?? 0).sort((a, b) => a - b);
    let best = 0;
    let j = 0;
    for (let k = 0; k < ts.length; k++) {
      while ((ts[k] ?? 0) - (ts[j] ?? 0) > 2000) j++;
      best = Math.max(best, k - j + 1);
    }
    if (best < 5 || best / after.length < 0.6) return;
    const firstAfterS = round1(((ts[0] ?? t0) - t0) / 1000);
    out.push({
      kind: 'reconnect-storm',
      summary: `${best} of ${after.length} reconnects after the broker restart at line ${s.lineNo} arrived within 2 s (first after ${firstAfterS} s)`,
      count: best, suspects: [],
      hint: 'The clients reconnect on a fixed delay with no jitter, so a restart brings them all back at once. Use exponential backoff with random jitter (e.g. 1 s..60 s ±25 %).',
    });
  });
  return out;
}
