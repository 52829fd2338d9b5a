/**
 * Matching free text (a code, a name, an error line) against the knowledge base, ranking ambiguous numbers
 * and suggesting the nearest known entries when nothing matches. Pure: text and options in, ranking out.
 *
 * Scores only order candidates; they are not probabilities. Roughly: a whole-input name match 150, a message
 * pattern 100 + the length of the matched text (more specific text wins), a name inside the text 90 + its
 * length, a bare number 0–95 from how often that numbering is pasted plus the context (--client,
 * --mqtt-version, words around the number).
 */
import type { ClientId, KbEntry, NumberSpace } from '../kb/entry.js';
import { allNames, lookupNormalName, lookupNumber, matchPatterns, normName } from '../kb/catalog.js';
import { mqtt5ReasonCode } from '../kb/reason-codes.js';
import {
  CLIENT_ENTRY_PREFIXES,
  CLIENT_SPACES,
  NUMBER_CONTEXT,
  NUMBER_PRIOR,
  PACKET_WORDS,
  SPACE_LABEL,
} from '../kb/numbering.js';
import { emitterForClient, fingerprint, wordingOwner, type Emitter } from '../kb/emitters.js';

export interface ExplainOptions {
  client?: ClientId;
  mqttVersion?: 4 | 5;
  /** Read bare numbers (true for a pasted code; log mode turns it off so timestamps are not read as codes). */
  numbers?: boolean;
  /** Compute nearest-entry suggestions for unknown input (log mode turns it off: it is per-line work). */
  suggest?: boolean;
}

export type MatchVia = 'name' | 'pattern' | 'number';

export interface Candidate {
  entry: KbEntry;
  score: number;
  /** The numbering, for number readings. */
  space?: NumberSpace;
  via: MatchVia;
  /** How the input was read, e.g. "Linux errno 113" or "message text". */
  reading: string;
  matched: string;
  /** Log mode: other readings (entry ids) of a bare number whose writer the line does not name. */
  readings?: string[];
}

export interface Explanation {
  input: string;
  known: boolean;
  /** Best first. */
  candidates: Candidate[];
  /** A bare number with several readings and no text to decide. */
  ambiguous: boolean;
  /** Nearest known entries when the input is unknown. */
  suggestions: KbEntry[];
  /** Host and port found in the input, used to fill HOST/PORT in the confirm command. */
  target?: { host: string; port?: string };
  /** Length of the input handed in when it was longer than MAX_EXPLAIN_CHARS (only that much was read); the
   * command cuts single lines at 64 KiB while reading, so the original may have been longer still. */
  truncatedFrom?: number;
  /** Who most likely wrote the text (from its shape, or --client), when anything matched. */
  emitter?: { id: string; title: string; confidence: number; fromClient: boolean };
}

/**
 * Entries printed by the emitter get this much (times the fingerprint's confidence): enough to decide between
 * equally specific readings, not to beat a longer, more specific message match.
 */
const EMITTER_ENTRY_BOOST = 10;
/** Below this confidence the shape only nudges; at or above it, the emitter's numberings decide. */
const EMITTER_SURE = 0.6;

function emitterEntryBoost(emitter: ReadEmitter | undefined, entry: KbEntry): number {
  if (!emitter) return 0;
  return emitter.emitter.entryPrefixes.some((p) => entry.id.startsWith(p))
    ? Math.round(EMITTER_ENTRY_BOOST * emitter.confidence)
    : 0;
}

function clientBoost(client: ClientId | undefined, entry: KbEntry): number {
  if (!client) return 0;
  return CLIENT_ENTRY_PREFIXES[client].some((p) => entry.id.startsWith(p)) ? 30 : 0;
}

function versionBoost(v: 4 | 5 | undefined, entry: KbEntry): number {
  if (!v) return 0;
  if (entry.id.startsWith('connack311.')) return v === 4 ? 60 : -10;
  if (entry.id.startsWith('mqtt5.')) return v === 5 ? 60 : -10;
  return 0;
}

/**
 * Words that say which MQTT version a reason's name is in. The same enum name (NOT_AUTHORIZED, NotAuthorized,
 * notAuthorized) is a 3.1.1 return code in a 3.1.1 client's enum (HiveMQ Mqtt3ConnAckReturnCode, Dart
 * MqttConnectReturnCode, Netty CONNECTION_REFUSED_*) and an MQTT 5 reason code in an MQTT 5 one
 * (Mqtt5ConnAckReasonCode, MqttConnectReasonCode): "ReturnCode" is 3.1.1's word (§3.2.2.3), "ReasonCode" MQTT 5's.
 */
const V311_WORDS = /mqtt3|mqttv3|\b3\.1\.1\b|\bv311\b|ReturnCode\b|\bCONNECTION_REFUSED_/i;
const V5_WORDS = /mqtt5|mqttv5|\bv5\b|ReasonCode\b/i;

/** The MQTT version the text's own words name, when they name one. */
function textVersion(text: string): 4 | 5 | undefined {
  const v311 = V311_WORDS.test(text);
  const v5 = V5_WORDS.test(text);
  return v311 && !v5 ? 4 : v5 && !v311 ? 5 : undefined;
}

/**
 * A reason name read by name: in the version the text names it wins; when the text names none, an MQTT 5 name
 * keeps the tie it had before 3.1.1 names were read (the reading is the same refusal either way).
 */
function nameVersionBoost(v: 4 | 5 | undefined, entry: KbEntry): number {
  if (entry.id.startsWith('connack311.')) return v === 4 ? 20 : v === 5 ? -10 : -3;
  if (entry.id.startsWith('mqtt5.')) return v === 5 ? 20 : v === 4 ? -10 : 0;
  return 0;
}

/**
 * Digits that are never codes: timestamps (ISO 8601, syslog, times of day, epoch prefixes, ESP-IDF "(12345)"
 * ticks), IP addresses and ports, Erlang pids (<0.1193.0>), pids/thread ids ("prog[1234]:", "pid=12",
 * "Thread-3"), source line numbers ("line 42", "Foo.java:123)"), byte counts and durations. Each pattern has
 * bounded repetition: this runs over user text.
 */
export const NOISE: RegExp[] = [
  /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?/g,
  /\b\d{4}[-/]\d{2}[-/]\d{2}\b/g,
  // syslog / journal "Jun  2 20:09:27" (RFC 3164 §4.1.2): the day of the month is not a code.
  /\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}\d{1,2}(?= \d{2}:\d{2})/g,
  /\b\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,9})?\b/g,
  /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g,
  /\[[0-9a-f:]{2,45}\](?::\d{1,5})?/gi,
  /^\s{0,8}\[?\d{9,13}(?:\.\d{1,9})?\]?:?/gm,
  /<\d{1,6}\.\d{1,9}\.\d{1,9}>/g,
  // The pid of "prog[1234]:" (syslog); matched from the bracket, not from the name before it, so no scan backtracks.
  /\[\d{1,10}\]:/g,
  /\b(?:pid|tid|thread|port|line|lineno|bytes|len|length|size|id|mid|seq|count|uptime|heap|free|sock|fd)[=: ]{1,3}\d{1,12}\b/gi,
  // An errno of 0 is "no error" (esp-mqtt prints errno=0 when the peer closed cleanly): never a code.
  /\berrno\s{0,2}[=:]\s{0,2}0\b(?:\s\(Success\))?/gi,
  /\bThread-\d{1,9}\b|\bpool-\d{1,9}-thread-\d{1,9}\b/g,
  /\.(?:java|py|js|ts|go|c|cpp|cs|erl|ino|rb):\d{1,7}\b/g,
  /, line \d{1,7}\b/g,
  /^\s{0,4}[EWIDV] \(\d{1,12}\)/gm,
  // A port after a host; not a JSON value ("connack":135), whose key says what it is (the JSON fields below).
  /(?<!"):\d{2,5}\b(?![.:])/g,
  /\b\d{1,12}(?:\.\d{1,9})?\s?(?:ms|us|µs|s|sec|secs|seconds|min|mins|minutes|h|hours|bytes|B|KB|kB|MB|GB|KiB|MiB|%)(?![\w])/g,
  /\b0x[0-9a-f]{5,16}\b/gi,
  // JSON fields that hold versions, times, ports, sizes and counters ("proto_ver":4, "keepalive":60, "ts":…):
  // event payloads (EMQX $SYS, webhooks) carry them next to the one field that is a code ("connack":135).
  /"(?:proto_ver|protocol_version|keepalive|ts|timestamp|time|[a-z_]{0,20}port|[a-z_]{0,20}_at|[a-z_]{0,20}_interval|qos|packet_id|pid|id|mid|count|size|len|ttl|expiry)"\s{0,2}:\s{0,2}-?\d{1,16}/gi,
];

/** Remove the digits that are never codes (see NOISE). */
export function stripNoise(text: string): string {
  let out = text;
  for (const re of NOISE) out = out.replace(re, ' ');
  return out;
}

interface NumberToken {
  value: number;
  hex: boolean;
  raw: string;
}

/** Distinct numbers read from one input at most: a line with more is data (ids, counters), not codes. */
const MAX_NUMBERS = 12;

function numberTokens(text: string): NumberToken[] {
  const out: NumberToken[] = [];
  const seen = new Set<string>();
  // Not inside identifiers or versions ("sensor-1", "v5", "2.0.11"); a sign only at the start of a token.
  // mbedTLS writes its codes as negative hex (-0x2700).
  const re = /(?<![\w.-])(-?0x[0-9a-f]{1,4}|-?\d{1,6})(?![\w.]{0,64}[a-z])/gi;
  let tokens = 0;
  for (const m of stripNoise(text).matchAll(re)) {
    // Past MAX_NUMBERS × 8 numbers the text is a table of data, not an error line: stop reading numbers.
    if (++tokens > MAX_NUMBERS * 8) break;
    const raw = m[1] ?? '';
    if (seen.has(raw.toLowerCase())) continue;
    seen.add(raw.toLowerCase());
    const hex = /^-?0x/i.test(raw);
    out.push({ value: hex ? parseInt(raw, 16) : Number(raw), hex, raw });
    if (out.length >= MAX_NUMBERS) break;
  }
  return out;
}

/** The emitter a reading was made in, as explain uses it. */
export interface ReadEmitter {
  emitter: Emitter;
  confidence: number;
  /** From --client rather than from the line's shape. */
  fromClient: boolean;
}

/** What the whole text says about numbers, computed once per text (not per number: a line may hold many). */
interface NumberContext {
  boosts: Partial<Record<NumberSpace, number>>;
  packets: string[];
  /** The sure emitter's own numbering: it outranks shared numberings the same words point at ("rc" → CONNACK). */
  own?: NumberSpace;
}

function numberContext(text: string, opts: ExplainOptions, emitter: ReadEmitter | undefined): NumberContext {
  const boosts: Partial<Record<NumberSpace, number>> = {};
  const add = (s: NumberSpace, n: number) => (boosts[s] = (boosts[s] ?? 0) + n);
  for (const [re, b] of NUMBER_CONTEXT)
    if (re.test(text)) for (const [s, n] of Object.entries(b)) add(s as NumberSpace, n);
  if (opts.client) {
    // The library's own numbering (listed first) wins over the shared ones it also reports.
    CLIENT_SPACES[opts.client].forEach((s, i) => add(s, i === 0 ? 55 : 40));
  } else if (emitter && emitter.emitter.spaces.length > 0) {
    // The line's shape says who wrote it: read its numbers in that emitter's numberings, and the farther from
    // sure, the less the other numberings are pushed down.
    const c = emitter.confidence;
    emitter.emitter.spaces.forEach((s, i) => add(s, Math.round((i === 0 ? 75 : 35) * c)));
    if (c >= EMITTER_SURE)
      for (const s of Object.keys(NUMBER_PRIOR) as NumberSpace[]) if (!emitter.emitter.spaces.includes(s)) add(s, -40);
  }
  const own = !opts.client && emitter && emitter.confidence >= EMITTER_SURE ? emitter.emitter.spaces[0] : undefined;
  if (opts.mqttVersion === 5) {
    add('mqtt5', 40);
    add('connack311', -15);
  }
  if (opts.mqttVersion === 4) {
    add('connack311', 40);
    add('mqtt5', -15);
  }
  const packets = PACKET_WORDS.filter(([re]) => re.test(text)).map(([, p]) => p);
  return { boosts, packets, ...(own ? { own } : {}) };
}

/** Rank the readings of one number. */
function rankNumber(tok: NumberToken, ctx: NumberContext): Candidate[] {
  const boosts = { ...ctx.boosts };
  // Reason codes are written in hex (0x87); other numberings almost never are.
  if (tok.hex) {
    boosts.mqtt5 = (boosts.mqtt5 ?? 0) + 50;
    boosts.connack311 = (boosts.connack311 ?? 0) + 20;
  }
  const out: Candidate[] = [];
  for (const hit of lookupNumber(tok.value)) {
    if (tok.hex && !['mqtt5', 'connack311', 'tls-alert', 'esp-err', 'mbedtls'].includes(hit.space)) continue;
    let score = NUMBER_PRIOR[hit.space] + (boosts[hit.space] ?? 0) + (hit.space === ctx.own ? 40 : 0);
    // MQTT 5 codes below 0x80 are successes; a user asking about a problem rarely means them.
    if (hit.space === 'mqtt5' && tok.value < 0x80) score -= 15;
    // Packets per reason code: MQTT 5.0 §2.4 Table 2-6 (e.g. 0x10 only in PUBACK/PUBREC, never DISCONNECT),
    // https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html#_Toc3901031
    if (hit.space === 'mqtt5' && ctx.packets.length > 0) {
      const packets = mqtt5ReasonCode(tok.value)?.packets ?? [];
      score += packets.some((p) => ctx.packets.includes(p)) ? 20 : -30;
    }
    out.push({
      entry: hit.entry,
      // Zero is "no error" in every numbering (CONNACK accepted, MQTT 5 Success, errno none): next to another
      // number ("AckFlags=0, ReasonCode=5") the other one is the code, however sure the numbering is.
      score: Math.max(1, Math.min(95, score) - (tok.value === 0 ? 40 : 0)),
      via: 'number',
      space: hit.space,
      reading: `${SPACE_LABEL[hit.space]} ${tok.hex ? tok.raw : tok.value}`,
      matched: tok.raw,
    });
  }
  return out.sort((a, b) => b.score - a.score);
}

/** The longest symbolic name worth looking up; longer tokens are data (hashes, payloads), not names. */
const MAX_NAME_LEN = 64;

/** A DNS name is at most 253 characters (RFC 1035 §2.3.4), which bounds the backward scan below. */
const MAX_HOST_LEN = 253;
const HOST_CHAR = /[A-Za-z0-9.-]/;

/**
 * `host:port` in the text. Linear: find each `:digits` first, then walk back over host characters at most
 * MAX_HOST_LEN steps. (A single regex `[a-z0-9][a-z0-9.-]*\.[a-z]{2,}:(\d+)` retried at every start position
 * was quadratic on 'a.a.a.…:1883'.)
 */
export function findTarget(text: string): Explanation['target'] {
  const portRe = /:(\d{2,5})(?![\w])/g;
  for (const m of text.matchAll(portRe)) {
    const colon = m.index;
    let start = colon;
    while (start > 0 && colon - start < MAX_HOST_LEN && HOST_CHAR.test(text[start - 1] ?? '')) start--;
    if (start > 0 && /[\w]/.test(text[start - 1] ?? '')) continue;
    const host = text.slice(start, colon).replace(/^[.-]+/, '');
    if (isHostLike(host) && m[1]) return { host, port: m[1] };
  }
  const h = /getaddrinfo \w+ ([a-z0-9][a-z0-9.-]{0,252})/i.exec(text);
  if (h?.[1]) return { host: h[1] };
  return undefined;
}

function isHostLike(host: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return true;
  // A name with a dot and a top-level label of letters (broker.example.com), not a version or a time.
  const dot = host.lastIndexOf('.');
  return dot > 0 && /^[A-Za-z]{2,}$/.test(host.slice(dot + 1)) && /^[A-Za-z0-9]/.test(host);
}

/** Fill HOST/PORT placeholders of a confirm command with what the input revealed. */
export function fillTarget(cmd: string, target: Explanation['target']): string {
  if (!target) return cmd;
  let out = cmd.replace(/HOST/g, target.host);
  if (target.port) out = out.replace(/PORT/g, target.port);
  return out;
}

function push(map: Map<string, Candidate>, c: Candidate): void {
  const prev = map.get(c.entry.id);
  if (!prev || c.score > prev.score) map.set(c.entry.id, c);
}

/** The emitter to read the text in: `--client` overrides the line's shape. */
export function readEmitter(text: string, client: ClientId | undefined): ReadEmitter | undefined {
  if (client) {
    const e = emitterForClient(client);
    return e ? { emitter: e, confidence: 1, fromClient: true } : undefined;
  }
  const fp = fingerprint(text);
  return fp ? { emitter: fp.emitter, confidence: fp.confidence, fromClient: false } : undefined;
}

/**
 * The characters of one input that are read. An error message is far shorter; past this, text is data (a
 * payload, a dump), and reading a bounded prefix keeps the work per input bounded whatever is pasted.
 */
export const MAX_EXPLAIN_CHARS = 16 * 1024;

/** Explain one piece of text: a code, a name, a number, or an error line. */
export function explainText(input: string, opts: ExplainOptions = {}): Explanation {
  const trimmed = input.trim();
  const text = trimmed.length > MAX_EXPLAIN_CHARS ? trimmed.slice(0, MAX_EXPLAIN_CHARS) : trimmed;
  const reading = newReading(text, opts);
  // A whole-input name lookup only for input that can be a name (names are short).
  const whole = text.length <= MAX_NAME_LEN ? normName(text) : undefined;
  addWholeName(reading, whole);
  addPatterns(reading);
  addTokenNames(reading, whole);
  liftWrappedReasons(reading.found);
  const textual = [...reading.found.values()];
  const ambiguous = opts.numbers !== false ? addNumbers(reading, textual) : false;
  // The target fills HOST/PORT of a confirm command; log mode (suggest: false) shows none per line.
  const target = opts.suggest === false ? undefined : findTarget(text);
  // Log mode keeps only the best candidate of a line: it asks for no emitter it did not need for the ranking.
  const emitter = opts.suggest === false && !reading.emitterWasRead() ? undefined : reading.emitterOf();
  const candidates = [...reading.found.values()]
    .sort((a, b) => b.score - a.score || a.entry.id.localeCompare(b.entry.id))
    .map((c) => (opts.suggest === false ? c : sayWhoseWords(c, emitter)));
  return {
    input: text,
    ...(trimmed.length > text.length ? { truncatedFrom: trimmed.length } : {}),
    known: candidates.length > 0,
    candidates,
    ambiguous,
    suggestions: candidates.length || opts.suggest === false ? [] : nearest(text),
    ...(emitter
      ? {
          emitter: {
            id: emitter.emitter.id,
            title: emitter.emitter.title,
            confidence: round2(emitter.confidence),
            fromClient: emitter.fromClient,
          },
        }
      : {}),
    ...(target ? { target } : {}),
  };
}

/**
 * Words one library prints ("Connection lost" is Paho Java's 32109) matched in a line whose writer its shape does not
 * show: the causes hold for any software that says so, but the reading must not claim the line came from that
 * library. Lines whose writer was read (or named with --client) keep the plain reading.
 */
function sayWhoseWords(c: Candidate, emitter: ReadEmitter | undefined): Candidate {
  if (c.via !== 'pattern' || emitter) return c;
  const owner = wordingOwner(c.entry.id);
  return owner ? { ...c, reading: `message text, in ${owner.title}'s words (the line does not show its writer)` } : c;
}

/** One input being read: its text, the options, the candidates found so far and the ranking boosts. */
interface Reading {
  text: string;
  opts: ExplainOptions;
  found: Map<string, Candidate>;
  emitterOf: () => ReadEmitter | undefined;
  emitterWasRead: () => boolean;
  /** The client's and the MQTT version's boost of an entry. */
  boost: (entry: KbEntry) => number;
  /** `boost` plus what decides between names shared by several libraries. */
  nameBoost: (entry: KbEntry) => number;
}

function newReading(text: string, opts: ExplainOptions): Reading {
  // Read on first use: log mode (no numbers) needs it only when a name matched, and it is a pass over every
  // emitter's shapes.
  let emitterRead: { e: ReadEmitter | undefined } | undefined;
  const emitterOf = () => (emitterRead ??= { e: readEmitter(text, opts.client) }).e;
  const boost = (entry: KbEntry) => clientBoost(opts.client, entry) + versionBoost(opts.mqttVersion, entry);
  // The emitter decides between names (a name such as MQTT_CONNECTION_LOST exists in several libraries); a message
  // pattern is already the emitter's own text, so it is ranked by its specificity alone.
  const named = opts.mqttVersion === undefined ? textVersion(text) : undefined;
  const nameBoost = (entry: KbEntry) =>
    boost(entry) +
    (opts.mqttVersion === undefined ? nameVersionBoost(named, entry) : 0) +
    (opts.client ? 0 : emitterEntryBoost(emitterOf(), entry));
  return {
    text,
    opts,
    found: new Map(),
    emitterOf,
    emitterWasRead: () => emitterRead !== undefined,
    boost,
    nameBoost,
  };
}

/** The whole input as a name ("ECONNREFUSED", "MQTT_CONNECTION_LOST"). */
function addWholeName(reading: Reading, whole: string | undefined): void {
  if (whole === undefined) return;
  for (const entry of lookupNormalName(whole))
    push(reading.found, {
      entry,
      score: 150 + reading.nameBoost(entry),
      via: 'name',
      reading: 'name',
      matched: reading.text,
    });
}

/** The knowledge base's message patterns, ranked by how much of the text they matched. */
function addPatterns(reading: Reading): void {
  for (const hit of matchPatterns(reading.text)) {
    push(reading.found, {
      entry: hit.entry,
      score: 100 + Math.min(hit.matched.length, 60) + reading.boost(hit.entry),
      via: 'pattern',
      reading: 'message text',
      matched: hit.matched,
    });
  }
}

/** Names inside the text, each distinct token once. */
function addTokenNames(reading: Reading, whole: string | undefined): void {
  // The whole input's normal form once (addWholeName), not per token: a long line has many tokens
  // ('ECONNRESET ' × 9000 was quadratic when it was recomputed inside this loop).
  const seenTokens = new Set<string>();
  for (const match of reading.text.matchAll(/[A-Za-z_][A-Za-z0-9_]{2,}|\b[0-9A-F]{8}\b/g)) {
    const tok = match[0];
    // A token seen before adds nothing: skip it before any work (a pasted dump repeats the same words).
    if (tok.length < 4 || tok.length > MAX_NAME_LEN || seenTokens.has(tok)) continue;
    seenTokens.add(tok);
    // A token is letters, digits and `_` only, so its normal form is its lower case (no normName needed).
    const key = tok.toLowerCase();
    if (key === whole) continue;
    for (const entry of lookupNormalName(key))
      push(reading.found, {
        entry,
        score: 90 + Math.min(tok.length, 40) + reading.nameBoost(entry),
        via: 'name',
        reading: 'name',
        matched: tok,
      });
  }
}

/**
 * A wrapper ("certificate verify failed: certificate has expired") is explained best by the more specific row
 * matched in the same text whose numbering it wraps, whether that reason is printed as a number or as words; a
 * reason inside the wrapper's own words ("Connection refused: Not authorized") is the wrapper's, not a second one.
 */
function liftWrappedReasons(found: Map<string, Candidate>): void {
  const wrappers = [...found.values()].filter((c) => c.entry.wraps);
  for (const candidate of [...found.values()]) {
    const over = wrappers.find(
      (wrapper) =>
        wrapper !== candidate &&
        !wrapper.matched.toLowerCase().includes(candidate.matched.toLowerCase()) &&
        (candidate.entry.numbers ?? []).some(([space]) => wrapper.entry.wraps?.includes(space)),
    );
    if (over && candidate.score <= over.score) found.set(candidate.entry.id, { ...candidate, score: over.score + 1 });
  }
}

/**
 * Numbers read as codes, in the numbering spaces that fit; returns whether the reading is ambiguous (a bare number
 * that means different things in different spaces, with no emitter sure enough to choose).
 */
function addNumbers(reading: Reading, textual: Candidate[]): boolean {
  const { text, opts } = reading;
  // Next to a recognised message, a number counts only when the text says it is a code ("code 135",
  // "rc=5", "[Errno 113]", "(32109)", "state -2"), so ids and counts in a log line are not read as error codes.
  const codeWords =
    /\b(code|rc|errno|reason|return|status|state|alert|num)\b|Errno|OSError|MQTTException|\(-?\d+\)/i.test(text);
  const nums = textual.length === 0 || codeWords || textual.some((c) => c.entry.wraps) ? numberTokens(text) : [];
  const emitter = nums.length ? reading.emitterOf() : undefined;
  const ctx = nums.length ? numberContext(text, opts, emitter) : undefined;
  const readings = ctx ? nums.flatMap((n) => rankNumber(n, ctx)) : [];
  // A wrapper message ("Connection refused: … (code 135)") is explained best by the code it carries.
  const wrapper = textual.sort((a, b) => b.score - a.score).find((c) => c.entry.wraps);
  for (const numberReading of readings) {
    const space = numberReading.space;
    push(
      reading.found,
      space && wrapper?.entry.wraps?.includes(space)
        ? { ...numberReading, score: Math.max(numberReading.score, wrapper.score + 1) }
        : numberReading,
    );
  }
  return (
    textual.length === 0 &&
    new Set(readings.map((r) => r.entry.id)).size > 1 &&
    !(emitter && emitter.confidence >= EMITTER_SURE && !emitter.fromClient)
  );
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Levenshtein distance, bounded work for short strings. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

const MAX_SUGGEST_WORDS = 50;

/** Nearest known entries: close spellings of names first, then shared words with titles. */
export function nearest(text: string, limit = 5): KbEntry[] {
  // Distinct words only, and at most MAX_SUGGEST_WORDS of them: suggestions are a hint, and the work per word is
  // a pass over every catalogue name.
  const tokens = [
    ...new Set(text.split(/[^A-Za-z0-9_]+/).filter((t) => t.length >= 4 && t.length <= MAX_NAME_LEN)),
  ].slice(0, MAX_SUGGEST_WORDS);
  const scored = new Map<string, { entry: KbEntry; d: number }>();
  for (const tok of tokens) {
    const t = tok.toLowerCase();
    for (const { name, entry } of allNames()) {
      const n = name.toLowerCase();
      if (Math.abs(n.length - t.length) > 3) continue;
      const d = editDistance(t, n);
      const max = Math.max(1, Math.floor(n.length / 4));
      if (d <= max) {
        const prev = scored.get(entry.id);
        if (!prev || d < prev.d) scored.set(entry.id, { entry, d });
      }
    }
  }
  const byName = [...scored.values()].sort((a, b) => a.d - b.d).map((s) => s.entry);
  if (byName.length >= limit) return byName.slice(0, limit);
  const words = new Set(tokens.map((t) => t.toLowerCase()).filter((t) => !STOP.has(t)));
  if (words.size === 0) return byName;
  const overlap: Array<{ entry: KbEntry; n: number }> = [];
  for (const entry of namedEntries()) {
    const titleWords = entry.title.toLowerCase().split(/[^a-z0-9_]+/);
    const n = titleWords.filter((w) => words.has(w)).length;
    if (n > 0 && !byName.includes(entry)) overlap.push({ entry, n });
  }
  overlap.sort((a, b) => b.n - a.n);
  return [...byName, ...overlap.map((o) => o.entry)].slice(0, limit);
}

let NAMED: KbEntry[] | undefined;
/** Entries that have a symbolic name, each once (computed once: deduping per call was quadratic). */
function namedEntries(): KbEntry[] {
  if (!NAMED) {
    const seen = new Set<string>();
    NAMED = [];
    for (const { entry } of allNames()) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      NAMED.push(entry);
    }
  }
  return NAMED;
}

const STOP = new Set(['error', 'with', 'from', 'that', 'this', 'client', 'when', 'have', 'been', 'failed', 'mqtt']);
