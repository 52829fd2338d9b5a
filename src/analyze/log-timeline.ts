/**
 * Log mode of explain-error: recognise each line, group by cause, and read the timeline for three patterns
 * that a per-line view hides:
 *  - regular disconnects every ~N s for one client: an idle timeout (NAT / load balancer) or a keepalive the
 *    client does not honour; the connection lifetime is the suspect interval;
 *  - a takeover loop: the same client id kicked off again and again within seconds (two devices, one id);
 *  - a reconnect storm: many clients reconnecting within a second or two of a broker restart (no jitter);
 *  - periodic refusals: the broker refusing the same client's CONNECT at a steady interval (a client retrying
 *    on a timer with credentials, a client id or a certificate the broker will never accept);
 * and counts ACL denials and queue drops per client. A number next to a code word ("rc 5", "Result Code 7") is
 * read in the numbering of the software that wrote the line, or listed with its readings when that is unknown.
 *
 * Streaming and bounded: `LogReader.add(line)` per line, `finish()` at the end. Per-client history is a ring of
 * the last HISTORY events and at most MAX_CLIENTS clients are followed, so memory stays flat however long the
 * log; counts are exact. Pure: lines in, analysis out.
 */
import type { KbEntry } from '../kb/entry.js';
import { entryById } from '../kb/catalog.js';
import { idleTimeoutsNear, KNOWN_IDLE_TIMEOUTS } from '../kb/middleboxes.js';
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
  /** A bare number read without knowing who wrote the line: its other readings (entry ids), best first. */
  readings?: string[];
}

export type FindingKind =
  | 'regular-disconnects'
  | 'takeover-loop'
  | 'reconnect-storm'
  | 'periodic-refusals'
  | 'acl-denials'
  | 'queue-drops';

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
  /** Lines that were not text (NUL bytes, mostly control characters): skipped. */
  binary: number;
  /** Lines longer than MAX_LINE_CHARS: read up to that length. */
  truncated: number;
  /** Clients seen beyond MAX_CLIENTS: counted in groups, not followed in the timeline. */
  untrackedClients: number;
}

/** Idle timeouts of common middleboxes as [seconds, name] (the table and its sources: src/kb/middleboxes.ts). */
export const KNOWN_IDLE_TIMEOUTS_S: Array<[number, string]> = KNOWN_IDLE_TIMEOUTS.map((t) => [t.seconds, t.name]);

/** Parse a leading timestamp: mosquitto epoch seconds, or an ISO-8601 date-time (UTC when no zone). */
export function parseTimestampMs(line: string): number | undefined {
  const fast = epochAtStart(line);
  if (fast !== undefined) return fast;
  const epoch = /^\s*\[?(\d{9,10})(\.\d+)?\]?:?\s/.exec(line);
  if (epoch?.[1]) return Math.round(Number(epoch[1] + (epoch[2] ?? '')) * 1000);
  // ISO 8601 / RFC 3339 and the log4j/logback, Python logging, RabbitMQ ≥ 3.9, EMQX and HiveMQ layouts built on it;
  // a short non-digit prefix is allowed ("Zigbee2MQTT:info  2024-…", "<34>1 2024-…" RFC 5424, "[2024-…").
  const iso =
    /^(?:<\d{1,3}>\d{0,2} )?[^\n]{0,32}?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})([.,]\d{1,9})?(Z|[+-]\d{2}:?\d{2})?/.exec(
      line,
    );
  if (iso?.[1] && iso[2]) {
    const frac = (iso[3] ?? '').replace(',', '.');
    const zone = iso[4] ?? 'Z';
    const ms = Date.parse(
      `${iso[1]}T${iso[2]}${frac}${zone.length === 5 ? zone.slice(0, 3) + ':' + zone.slice(3) : zone}`,
    );
    return Number.isNaN(ms) ? undefined : ms;
  }
  // syslog / journalctl short format, "Nov 22 00:10:40 host prog[pid]: …" (RFC 3164 TIMESTAMP): no year, so
  // a fixed leap year stands in; the timeline uses only differences between lines.
  const sys =
    /^\s*(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\s/.exec(
      line,
    );
  if (sys?.[1] && sys[2] && sys[3] && sys[4] && sys[5]) {
    const month = SYSLOG_MONTHS.indexOf(sys[1]);
    const fracMs = sys[6] ? Math.round(Number(`0.${sys[6]}`) * 1000) : 0;
    return Date.UTC(2000, month, Number(sys[2]), Number(sys[3]), Number(sys[4]), Number(sys[5])) + fracMs;
  }
  return otherTimestampMs(line);
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * mosquitto's `1700000000: ` (or `1700000000.250: `) read without a regular expression: every line of a mosquitto
 * log starts so, and this runs once per line. Undefined when the line does not start with a digit in exactly that
 * form; the regular expression in parseTimestampMs then decides, so the result is the same either way.
 */
function epochAtStart(line: string): number | undefined {
  let i = 0;
  while (i < line.length && isDigit(line.charCodeAt(i))) i++;
  if (i < 9 || i > 10) return undefined;
  let end = i;
  if (line.charCodeAt(i) === 46 /* . */) {
    let j = i + 1;
    while (j < line.length && isDigit(line.charCodeAt(j))) j++;
    if (j === i + 1) return undefined;
    end = j;
  }
  let k = end;
  if (line.charCodeAt(k) === 58 /* : */) k++;
  const sp = line.charCodeAt(k);
  if (sp !== 32 && sp !== 9) return undefined;
  return Math.round(Number(line.slice(0, end)) * 1000);
}

/**
 * Node-RED ("22 Nov 10:00:00 - [info] …", https://nodered.org/docs/user-guide/runtime/logging), the classic
 * Erlang/RabbitMQ report header ("=ERROR REPORT==== 9-Jan-2020::10:00:00 ==="), and ESP-IDF's milliseconds since
 * boot ("E (12345) tag: …", esp_log.h): enough for the differences the timeline uses.
 */
function otherTimestampMs(line: string): number | undefined {
  const nr = /^\s*(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{2}):(\d{2}):(\d{2}) - \[/.exec(line);
  if (nr?.[1] && nr[2] && nr[3] && nr[4] && nr[5]) {
    return Date.UTC(2000, SYSLOG_MONTHS.indexOf(nr[2]), Number(nr[1]), Number(nr[3]), Number(nr[4]), Number(nr[5]));
  }
  const erl =
    /^=[A-Z]+ REPORT==== {0,2}(\d{1,2})-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d{4})::(\d{2}):(\d{2}):(\d{2})/.exec(
      line,
    );
  if (erl?.[1] && erl[2] && erl[3] && erl[4] && erl[5] && erl[6]) {
    return Date.UTC(
      Number(erl[3]),
      SYSLOG_MONTHS.indexOf(erl[2]),
      Number(erl[1]),
      Number(erl[4]),
      Number(erl[5]),
      Number(erl[6]),
    );
  }
  const esp = /^\s{0,4}[EWIDV] \((\d{1,12})\) [\w-]{1,40}: /.exec(line);
  if (esp?.[1]) return Number(esp[1]);
  // A time of day alone: VerneMQ/lager and Tasmota consoles ("03:01:36.070 [warning] …", "00:40:54 MQT: …") and
  // ESPHome's "[12:22:00][W][mqtt…]". No date, so milliseconds since midnight: the timeline uses differences.
  const tod = /^\s{0,4}\[?(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?\]?[\s[]/.exec(line);
  if (tod?.[1] && tod[2] && tod[3]) {
    const fracMs = tod[4] ? Math.round(Number(`0.${tod[4]}`) * 1000) : 0;
    return (Number(tod[1]) * 3600 + Number(tod[2]) * 60 + Number(tod[3])) * 1000 + fracMs;
  }
  return undefined;
}

const SYSLOG_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export const CLIENT_ID_RES: RegExp[] = [
  // VerneMQ's subscriber id term {MountPoint, <<"ClientId">>} (vmq_mqtt_fsm.erl, vmq_queue.erl log lines).
  /\{\[[^\]]{0,64}\],<<"([^"]{1,256})">>\}/,
  // HiveMQ event.log: "Client ID: abc, IP:10.0.0.1 was disconnected. …"
  /\bClient ID: ([^\s,]{1,256}), IP:/,
  /New client connected from \S{1,300} as (\S{1,256}) \(/,
  /Client (\S{1,256}?),? (?:has exceeded|already connected|closed its|disconnected|\[)/,
  /Socket error on client ([^\s,]{1,256}),/,
  /Expiring client (\S{1,256}) due/,
  /Denied (?:PUBLISH|SUBSCRIBE) from (\S{1,256}) \(/,
  /being dropped for client ([^\s.]{1,256}(?:\.[^\s.]{1,64}){0,8})\.?\s*$/,
  /\bclient ~?p? ?(?:with username \S+ )?"?([\w.:-]+)"? stopped/i,
  /\bclient[_ ]?id[=: ]+"?([\w.:/-]+)"?/i,
  /\bclientId["']?\s*[:=]\s*["']?([\w.:/-]+)/,
];

/**
 * Routine broker lines: neither an error nor unknown. mosquitto src/*.c log__printf texts
 * (https://github.com/eclipse/mosquitto/tree/master/src), one alternation so a routine line costs one scan.
 */
const INFO_LINE = new RegExp(
  [
    'Config loaded from',
    'Opening ipv[46] listen socket',
    'mosquitto version \\S{1,40} running',
    'New connection from \\S{1,300} on port',
    'No will message specified',
    'Sending CONNACK to \\S{1,300} \\(\\d, 0\\)',
    'Will message specified',
    'Saving in-memory database',
    'Received (?:PINGREQ|PUBLISH|SUBSCRIBE|UNSUBSCRIBE|DISCONNECT|PUBACK|PUBREC|PUBREL|PUBCOMP) from',
    'Sending (?:PINGRESP|PUBLISH|SUBACK|UNSUBACK|PUBACK|PUBREC|PUBREL|PUBCOMP) to',
  ].join('|'),
  'i',
);

/** mosquitto logs the CONNACK it sends: `Sending CONNACK to ID (session-present, rc)`. */
function connackCandidate(line: string): Candidate | undefined {
  // The literal first: most lines have none, and includes() is a native scan with no match object.
  if (!line.includes('Sending CONNACK to ')) return undefined;
  const m = /Sending CONNACK to \S+ \((\d), (\d+)\)/.exec(line);
  const rc = Number(m?.[2] ?? 0);
  if (!m || rc === 0) return undefined;
  const entry = rc >= 0x80 ? entryById(`mqtt5.0x${rc.toString(16).toUpperCase()}`) : entryById(`connack311.${rc}`);
  return entry
    ? { entry, score: 200, via: 'number', reading: `CONNACK code ${rc} sent by mosquitto`, matched: m[0] }
    : undefined;
}

function clientIdOf(line: string): string | undefined {
  for (const re of CLIENT_ID_RES) {
    const m = re.exec(line);
    if (m?.[1] && m[1] !== '<unknown>' && m[1] !== 'UNKNOWN') return m[1];
  }
  return undefined;
}

function keepaliveOf(line: string): number | undefined {
  const m = /\(p\d{1,3}, c\d, k(\d{1,5})/.exec(line);
  return m?.[1] ? Number(m[1]) : undefined;
}

/** Median (0 for no values); the 50th percentile of stats.ts, which averages the middle pair. */
function median(xs: number[]): number {
  return xs.length === 0
    ? 0
    : percentile(
        [...xs].sort((a, b) => a - b),
        50,
      );
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
  return idleTimeoutsNear(seconds).map((t) => t.name);
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Clients followed in the timeline; later ones are counted but not followed (memory stays bounded). */
export const MAX_CLIENTS = 10_000;
/** Events kept per client for the timeline (the newest; counts stay exact). */
const HISTORY = 16;
/** Characters of one line that are read; the rest of a longer line is ignored (and counted). */
export const MAX_LINE_CHARS = 8192;
/** Distinct messages whose reading is remembered (see LogReader.read). */
const MEMO_SIZE = 4096;
/** A leading timestamp of the common forms (epoch, ISO 8601, syslog), cut off before the memo key. */
const LEADING_TIME =
  /^\s{0,8}\[?(?:\d{9,13}(?:\.\d{1,9})?|\d{4}-\d{2}-\d{2}[T ][\d:.,]{8,18}(?:Z|[+-]\d{2}:?\d{2})?|[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\]?:?\s{0,4}/;
/** Connect times kept per restart window for the storm check. */
const MAX_STORM_CONNECTS = 10_000;

/**
 * A copy of a string that is kept past its line. A line cut from a read chunk shares that chunk's memory in V8
 * (a "sliced string"), so keeping a few bytes of it would keep the whole chunk alive and memory would grow with
 * the log; concatenating and cutting again yields an equal string that owns its characters.
 */
function own(s: string): string {
  return (s + ' ').slice(0, -1);
}

/** A ring of the newest `cap` items. */
class Ring<T> {
  readonly items: T[] = [];
  total = 0;
  constructor(private readonly cap: number) {}
  push(x: T): void {
    this.total++;
    this.items.push(x);
    if (this.items.length > this.cap) this.items.shift();
  }
}

interface Stamp {
  lineNo: number;
  tsMs: number;
  entryId: string;
}

interface ClientTrack {
  disconnects: Ring<Stamp>;
  refusals: Ring<Stamp>;
  lifetimesS: Ring<number>;
  takeovers: Ring<Stamp>;
  lastConnect?: Stamp;
  keepaliveS?: number;
  denials: number;
  drops: number;
}

interface StormWindow {
  lineNo: number;
  t0: number;
  boot: boolean;
  connects: number[];
}

const ANY_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001a\u001c-\u001f\u007f-\u009f\ufffd]/;

/** True when the line is not text: a NUL byte, or more than 10 % control characters (tabs and ESC allowed). */
export function looksBinary(line: string): boolean {
  // Most lines have no control character at all: one native scan answers them.
  if (!ANY_CONTROL.test(line)) return false;
  let ctl = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0) return true;
    if ((c < 32 && c !== 9 && c !== 27 && c !== 13) || c === 0xfffd || (c >= 0x7f && c < 0xa0)) ctl++;
  }
  return line.length > 0 && ctl / line.length > 0.1;
}

/** One structured (JSON) log line as text to explain, its time and client id; undefined for other lines. */
export function readStructured(line: string): { text: string; tsMs?: number; clientId?: string } | undefined {
  const t = line.trimStart();
  if (!t.startsWith('{')) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const o = obj as Record<string, unknown>;
  const str = (k: string) => (typeof o[k] === 'string' || typeof o[k] === 'number' ? String(o[k]) : undefined);
  const parts = ['msg', 'message', 'reason', 'error', 'err', 'reason_code', 'exception', 'cause']
    .map((k) => (typeof o[k] === 'object' && o[k] !== null ? JSON.stringify(o[k]) : str(k)))
    .filter((x): x is string => Boolean(x));
  const clientId = str('clientid') ?? str('clientId') ?? str('client_id');
  const ts = o.time ?? o.ts ?? o.timestamp ?? o['@timestamp'];
  let tsMs: number | undefined;
  if (typeof ts === 'number') tsMs = ts > 1e14 ? Math.round(ts / 1000) : ts > 1e11 ? ts : Math.round(ts * 1000);
  else if (typeof ts === 'string') tsMs = parseTimestampMs(ts);
  return { text: parts.join(' '), ...(tsMs !== undefined ? { tsMs } : {}), ...(clientId ? { clientId } : {}) };
}

/**
 * Reads a log line by line. Each line: timestamp, then routine broker lines and mosquitto's CONNACK lines by
 * shape, then the knowledge base (without nearest-entry suggestions, which are per-line work for nothing).
 */
export class LogReader {
  private readonly groups = new Map<string, CauseGroup>();
  private readonly clients = new Map<string, ClientTrack>();
  private readonly storms: StormWindow[] = [];
  private readonly unrecognisedSamples: string[] = [];
  private memo = new Map<string, Candidate | undefined>();
  private memoOld = new Map<string, Candidate | undefined>();
  private lineNo = 0;
  private nonEmpty = 0;
  private recognised = 0;
  private informational = 0;
  private binary = 0;
  private truncated = 0;
  private untracked = 0;
  private anyConnect = false;
  private firstMs: number | undefined;
  private lastMs: number | undefined;

  private readonly lineOpts: ExplainOptions;

  constructor(opts: Omit<ExplainOptions, 'numbers' | 'suggest'> = {}) {
    this.lineOpts = { ...opts, numbers: false, suggest: false };
  }

  add(rawLine: string): void {
    this.lineNo++;
    if (!rawLine.trim()) return;
    this.nonEmpty++;
    let line = rawLine;
    if (line.length > MAX_LINE_CHARS) {
      this.truncated++;
      line = line.slice(0, MAX_LINE_CHARS);
    }
    if (looksBinary(line)) return void this.binary++;
    const structured = readStructured(line);
    const tsMs = structured?.tsMs ?? parseTimestampMs(line);
    if (tsMs !== undefined) {
      this.firstMs ??= tsMs;
      this.lastMs = tsMs;
    }
    const text = structured?.text || line;
    const connack = connackCandidate(text);
    if (!connack && INFO_LINE.test(text)) return void this.informational++;
    const best = connack ?? this.read(text);
    if (!best) {
      if (this.unrecognisedSamples.length < 5) this.unrecognisedSamples.push(own(line.trim().slice(0, 200)));
      return;
    }
    this.recognised++;
    const clientId = structured?.clientId ?? clientIdOf(line);
    this.group(best.entry, line, tsMs, clientId, best.readings);
    this.timeline(best.entry, line, tsMs, clientId);
  }

  /**
   * The best reading of a line's text, remembered for the last distinct messages: a log repeats the same
   * message for the same client many times, and the reading does not depend on the timestamp, which is cut off
   * the key. Bounded: at most 2 × MEMO_SIZE messages, in two generations (see remember).
   */
  private read(text: string): Candidate | undefined {
    const key = text.replace(LEADING_TIME, '');
    const hit = this.memo.get(key);
    if (hit !== undefined || this.memo.has(key)) return hit;
    // Seen in the previous generation: still in use, so it moves to this one (messages that repeat stay).
    if (this.memoOld.has(key)) {
      const kept = this.memoOld.get(key);
      this.remember(own(key), kept);
      return kept;
    }
    const found = explainText(text, this.lineOpts).candidates[0] ?? this.readCode(text);
    // Its matched text is cut from the line too: a remembered copy must not keep the line's chunk alive.
    const best = found && { ...found, matched: own(found.matched) };
    this.remember(own(key), best);
    return best;
  }

  /**
   * A line no text matched that prints a number as a code ("rc 5", "Result Code 7", "reason code: 5"): read in
   * the numbering of the software the line's shape names. Timestamps, ids and ports are never read (explain's
   * NOISE), and only a number after a code word is, so counters in ordinary lines stay unread. When the line does
   * not say who wrote it and the number has several readings, the best is kept with the others listed.
   */
  private readCode(text: string): Candidate | undefined {
    if (!CODE_NUMBER.test(text)) return undefined;
    const x = explainText(text, { ...this.lineOpts, numbers: true });
    const best = x.candidates[0];
    if (!best || best.via !== 'number') return best;
    if (!x.ambiguous) return best;
    const readings = x.candidates
      .filter((c) => c.via === 'number' && c !== best)
      .slice(0, 3)
      .map((c) => c.entry.id);
    return { ...best, readings };
  }

  /**
   * Two generations of MEMO_SIZE: when this one is full, the previous one is dropped. (Dropping everything at
   * once, as before, re-read the messages that repeat: on the bench's log 8,003 readings, now 6,002.)
   */
  private remember(key: string, c: Candidate | undefined): void {
    if (this.memo.size >= MEMO_SIZE) {
      this.memoOld = this.memo;
      this.memo = new Map();
    }
    this.memo.set(key, c);
  }

  private group(
    e: KbEntry,
    line: string,
    tsMs: number | undefined,
    clientId: string | undefined,
    readings?: string[],
  ): void {
    const g = this.groups.get(e.id) ?? {
      entryId: e.id,
      title: e.title,
      layer: e.layer,
      count: 0,
      firstLine: this.lineNo,
      firstMs: tsMs,
      lastMs: tsMs,
      clients: [],
      sample: own(line.trim().slice(0, 200)),
      ...(readings?.length ? { readings } : {}),
    };
    g.count++;
    g.lastMs = tsMs ?? g.lastMs;
    if (clientId && g.clients.length < 10 && !g.clients.includes(clientId)) g.clients.push(own(clientId));
    this.groups.set(e.id, g);
  }

  private track(clientId: string): ClientTrack | undefined {
    let t = this.clients.get(clientId);
    if (!t) {
      if (this.clients.size >= MAX_CLIENTS) return void this.untracked++;
      t = {
        disconnects: new Ring(HISTORY),
        refusals: new Ring(HISTORY),
        lifetimesS: new Ring(HISTORY),
        takeovers: new Ring(HISTORY),
        denials: 0,
        drops: 0,
      };
      this.clients.set(own(clientId), t);
    }
    return t;
  }

  private timeline(e: KbEntry, line: string, tsMs: number | undefined, clientId: string | undefined): void {
    if (e.event === 'broker-start' && tsMs !== undefined) {
      this.storms.push({
        lineNo: this.lineNo,
        t0: tsMs,
        boot: this.storms.length === 0 && !this.anyConnect,
        connects: [],
      });
      return;
    }
    if (e.event === 'connect') {
      this.anyConnect = true;
      const w = this.storms.at(-1);
      if (w && tsMs !== undefined && tsMs - w.t0 <= STORM_WINDOW_MS && w.connects.length < MAX_STORM_CONNECTS)
        w.connects.push(tsMs);
    }
    if (!clientId) return;
    const t = this.track(clientId);
    if (!t) return;
    const ka = keepaliveOf(line);
    if (ka !== undefined) t.keepaliveS = ka;
    if (e.event === 'acl-denied') t.denials++;
    if (e.event === 'queue-drop') t.drops++;
    if (tsMs === undefined) return;
    const stamp = { lineNo: this.lineNo, tsMs, entryId: e.id };
    if (e.event === 'connect') t.lastConnect = stamp;
    if (e.event === 'takeover') t.takeovers.push(stamp);
    if (e.event === 'refused') t.refusals.push(stamp);
    if (e.event === 'disconnect' && !/\.disconnected$|CLIENT_INITIATED/.test(e.id)) {
      t.disconnects.push(stamp);
      if (t.lastConnect && t.lastConnect.tsMs <= tsMs) t.lifetimesS.push((tsMs - t.lastConnect.tsMs) / 1000);
    }
  }

  finish(): LogAnalysis {
    const findings = [
      ...regularDisconnects(this.clients),
      ...takeoverLoops(this.clients),
      ...this.storms.flatMap((w) => reconnectStorm(w)),
      ...periodicRefusals(this.clients),
      ...perClientCounts(this.clients, 'acl-denials'),
      ...perClientCounts(this.clients, 'queue-drops'),
    ];
    return {
      lines: this.nonEmpty,
      recognised: this.recognised,
      informational: this.informational,
      unrecognised: this.nonEmpty - this.recognised - this.informational - this.binary,
      spanMs: this.firstMs !== undefined && this.lastMs !== undefined ? this.lastMs - this.firstMs : undefined,
      groups: [...this.groups.values()].sort((a, b) => b.count - a.count || a.firstLine - b.firstLine),
      findings,
      unrecognisedSamples: this.unrecognisedSamples,
      binary: this.binary,
      truncated: this.truncated,
      untrackedClients: this.untracked,
    };
  }
}

/** A whole log in one string (tests, small inputs); the command streams lines into a LogReader instead. */
export function analyzeLog(text: string, opts: Omit<ExplainOptions, 'numbers' | 'suggest'> = {}): LogAnalysis {
  const reader = new LogReader(opts);
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    reader.add(text.slice(start, end > start && text[end - 1] === '\r' ? end - 1 : end));
    start = end + 1;
  }
  return reader.finish();
}

function intervalsS(list: Stamp[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < list.length; i++) out.push(((list[i]?.tsMs ?? 0) - (list[i - 1]?.tsMs ?? 0)) / 1000);
  return out;
}

const KEEPALIVE_IDS = /keepalive|KEEP_ALIVE|0x8D|404104/i;

/**
 * A number printed as a code: after rc / return code / result code / reason code / error code, or a negative
 * client state ("state -2"). Plain "state", "status" and "code" are left out: they precede values in ordinary
 * lines ("Sending state 60.9").
 */
const CODE_NUMBER =
  /\b(?:rc|return code|result code|reason code|reasoncode|error code)\b\s{0,2}[=:]?\s{0,2}\(?-?\d{1,5}\b|\bstate\s{0,2}[=:]?\s{0,2}-\d\b/i;

/** At most one finding per client; the five clients with the most events. */
function perClientFindings(
  clients: Map<string, ClientTrack>,
  find: (clientId: string, t: ClientTrack) => TimelineFinding | undefined,
): TimelineFinding[] {
  const out: TimelineFinding[] = [];
  for (const [clientId, t] of clients) {
    const f = find(clientId, t);
    if (f) out.push(f);
  }
  return out.sort((a, b) => b.count - a.count).slice(0, 5);
}

/** The same client refused three or more times at a steady interval: it retries on a timer and never gets in. */
function periodicRefusals(clients: Map<string, ClientTrack>): TimelineFinding[] {
  return perClientFindings(clients, (clientId, t) => {
    const list = t.refusals.items;
    if (list.length < 3) return undefined;
    const iv = intervalsS(list);
    if (!isRegular(iv)) return undefined;
    const intervalS = round1(median(iv));
    const count = t.refusals.total;
    const causeIds = [...new Set(list.map((e) => e.entryId))];
    return {
      kind: 'periodic-refusals',
      summary: `${clientId} was refused ${count} times, every ~${intervalS} s (${causeIds.join(', ')})`,
      clientId,
      count,
      intervalS,
      suspects: [],
      hint: `The client retries every ~${intervalS} s with the same credentials, client id or certificate, and the broker refuses each attempt: the interval is the client's retry delay, not the network. Fix what the refusal names (user, password, auth plugin, ACL for CONNECT), then confirm: mqtt-doctor probe mqtt://USER@HOST:PORT.`,
    };
  });
}

function regularDisconnects(clients: Map<string, ClientTrack>): TimelineFinding[] {
  return perClientFindings(clients, (clientId, t) => {
    const list = t.disconnects.items;
    if (list.length < 2) return undefined;
    const iv = intervalsS(list);
    const lifetimes = t.lifetimesS.items;
    // Regular: three or more disconnects at steady intervals, or connections that each lived the same time.
    const regularIntervals = list.length >= 3 && isRegular(iv);
    const regularLifetimes =
      lifetimes.length >= 2 && t.lifetimesS.total >= t.disconnects.total - 1 && isRegular(lifetimes);
    if (!regularIntervals && !regularLifetimes) return undefined;
    return describeRegular(clientId, t, iv, lifetimes);
  });
}

function describeRegular(clientId: string, t: ClientTrack, iv: number[], lifetimes: number[]): TimelineFinding {
  const list = t.disconnects.items;
  const intervalS = round1(median(iv));
  const lifetimeS = lifetimes.length ? round1(median(lifetimes)) : undefined;
  const ka = t.keepaliveS;
  const causeIds = [...new Set(list.map((e) => e.entryId))];
  const keepaliveCause = causeIds.some((id) => KEEPALIVE_IDS.test(id));
  const suspectS = lifetimeS ?? intervalS;
  const suspects = suspectsFor(suspectS);
  const count = t.disconnects.total;
  let summary = `${clientId} disconnected ${count} times, every ~${intervalS} s (${causeIds.join(', ')})`;
  if (lifetimeS !== undefined) summary += `; each connection lived ~${lifetimeS} s`;
  let hint: string;
  if (keepaliveCause && ka !== undefined) {
    summary += `; the broker enforced keepalive ${ka} s (timeout > ${round1(1.5 * ka)} s)`;
    hint = `The client sends nothing within 1.5 × its keepalive (${ka} s): it does not ping (umqtt.simple never does), its network loop is blocked, or the pings are dropped on the way. Suspect interval: ~${suspectS} s.`;
  } else if (keepaliveCause) {
    hint = `Keepalive timeouts at a steady ~${suspectS} s: the client does not ping in time, or a middlebox drops the idle flow.`;
  } else {
    hint = `A connection that dies after a fixed ~${suspectS} s is the mark of an idle timeout on the path (NAT, firewall, load balancer): use a keepalive well below ${suspectS} s. Confirm: mqtt-doctor keepalive-tune mqtt://HOST:PORT --discover-idle.`;
  }
  if (suspects.length) hint += ` Matches: ${suspects.join('; ')}.`;
  return {
    kind: 'regular-disconnects',
    summary,
    clientId,
    count,
    intervalS,
    ...(lifetimeS !== undefined ? { lifetimeS } : {}),
    ...(ka !== undefined ? { keepaliveS: ka } : {}),
    suspects,
    hint,
  };
}

function takeoverLoops(clients: Map<string, ClientTrack>): TimelineFinding[] {
  return perClientFindings(clients, (clientId, t) => {
    if (t.takeovers.items.length < 3) return undefined;
    const intervalS = round1(median(intervalsS(t.takeovers.items)));
    if (intervalS > 60) return undefined;
    const count = t.takeovers.total;
    return {
      kind: 'takeover-loop',
      summary: `client id ${clientId} was taken over ${count} times, ${intervalS < 1 ? 'less than a second apart' : `every ~${intervalS} s`}`,
      clientId,
      count,
      intervalS,
      suspects: [],
      hint: `Two devices (or two processes) share the client id "${clientId}" and keep kicking each other off. Give each a unique id.`,
    };
  });
}

/** Denials or drops per client, the clients with most first. */
function perClientCounts(clients: Map<string, ClientTrack>, kind: 'acl-denials' | 'queue-drops'): TimelineFinding[] {
  const key = kind === 'acl-denials' ? 'denials' : 'drops';
  const hit = [...clients].filter(([, t]) => t[key] > 0).sort((a, b) => b[1][key] - a[1][key]);
  if (hit.length === 0) return [];
  const total = hit.reduce((n, [, t]) => n + t[key], 0);
  const names =
    hit
      .slice(0, 5)
      .map(([id, t]) => `${id} (${t[key]})`)
      .join(', ') + (hit.length > 5 ? ', …' : '');
  return kind === 'acl-denials'
    ? [
        {
          kind,
          count: total,
          suspects: [],
          summary: `${total} publish/subscribe requests denied by the broker's ACL, from ${hit.length} client(s): ${names}`,
          hint: 'The client uses a topic its user may not write or read: check the ACL (mosquitto acl_file / dynamic-security role) for that user and topic, or the topic the client builds.',
        },
      ]
    : [
        {
          kind,
          count: total,
          suspects: [],
          summary: `the broker started dropping outgoing messages ${total} time(s) for ${hit.length} client(s): ${names}`,
          hint: 'The client reads slower than it is sent to, or was offline with a persistent session: its queue hit the broker limit (mosquitto max_queued_messages, default 1000). Speed up the consumer, subscribe to less, or raise the limit. Confirm: mqtt-doctor soak mqtt://HOST:PORT --qos 1.',
        },
      ];
}

/** Connects within this long after a broker start count towards a storm. */
const STORM_WINDOW_MS = 30_000;

/** A restart followed by most of its reconnects inside 2 s: clients that reconnect with no jitter. */
function reconnectStorm(w: StormWindow): TimelineFinding[] {
  // The first start of a log is a boot, not a restart, unless clients were connected before.
  if (w.boot || w.connects.length < 5) return [];
  const ts = [...w.connects].sort((a, b) => a - b);
  // Largest number of connects inside any 2-second window.
  let best = 0;
  let j = 0;
  for (let k = 0; k < ts.length; k++) {
    while ((ts[k] ?? 0) - (ts[j] ?? 0) > 2000) j++;
    best = Math.max(best, k - j + 1);
  }
  if (best < 5 || best / ts.length < 0.6) return [];
  const firstAfterS = round1(((ts[0] ?? w.t0) - w.t0) / 1000);
  return [
    {
      kind: 'reconnect-storm',
      summary: `${best} of ${ts.length} reconnects after the broker restart at line ${w.lineNo} arrived within 2 s (first after ${firstAfterS} s)`,
      count: best,
      suspects: [],
      hint: 'The clients reconnect on a fixed delay with no jitter, so a restart brings them all back at once. Use exponential backoff with random jitter (e.g. 1 s..60 s ±25 %).',
    },
  ];
}
