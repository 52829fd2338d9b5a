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
import { allNames, lookupName, lookupNumber, matchPatterns, normName } from '../kb/catalog.js';
import { mqtt5ReasonCode } from '../kb/reason-codes.js';

export interface ExplainOptions {
  client?: ClientId;
  mqttVersion?: 4 | 5;
  /** Read bare numbers (true for a pasted code; log mode turns it off so timestamps are not read as codes). */
  numbers?: boolean;
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
}

const SPACE_LABEL: Record<NumberSpace, string> = {
  mqtt5: 'MQTT 5 reason code',
  connack311: 'MQTT 3.1.1 CONNACK return code',
  'errno-linux': 'Linux errno',
  'errno-macos': 'macOS/BSD errno',
  'errno-wsa': 'Windows WSA error',
  'errno-libuv': 'libuv/Node err.errno (Windows)',
  'errno-newlib': 'ESP32/newlib errno (MicroPython OSError)',
  'paho-python': 'Paho Python MQTTErrorCode',
  libmosquitto: 'libmosquitto mosq_err_t',
  'paho-java': 'Paho Java reason code',
  'paho-c': 'Paho C return code',
  'paho-go': 'Paho Go CONNACK code',
  umqtt: 'umqtt code',
  'ws-close': 'WebSocket close code',
  http: 'HTTP status',
  'tls-alert': 'TLS alert',
  x509: 'X509 verify error',
  azure: 'Azure IoT Hub error',
};

/** How often a bare number in that space is what people paste (our judgement, used only for ordering). */
const PRIOR: Record<NumberSpace, number> = {
  connack311: 35,
  mqtt5: 30,
  'errno-linux': 28,
  'errno-wsa': 30,
  'errno-libuv': 30,
  'ws-close': 30,
  azure: 30,
  'paho-java': 22,
  'paho-python': 18,
  libmosquitto: 16,
  'paho-c': 15,
  http: 12,
  'errno-macos': 12,
  'errno-newlib': 10,
  x509: 10,
  'paho-go': 8,
  'tls-alert': 8,
  umqtt: 0,
};

/** The numberings a client library reports in, its own first. */
const CLIENT_SPACES: Record<ClientId, NumberSpace[]> = {
  mqttjs: ['errno-libuv', 'mqtt5', 'connack311', 'errno-linux', 'ws-close', 'http'],
  'paho-python': ['paho-python', 'connack311', 'mqtt5', 'errno-linux'],
  'paho-java': ['paho-java', 'connack311'],
  'paho-go': ['paho-go', 'connack311'],
  mosquitto: ['libmosquitto', 'connack311', 'mqtt5', 'errno-linux'],
  umqtt: ['connack311', 'errno-newlib', 'umqtt'],
  esp32: ['errno-newlib', 'connack311'],
};

/** Entry id prefixes that belong to a client library. */
const CLIENT_IDS_PREFIX: Record<ClientId, string[]> = {
  mqttjs: ['mqttjs.', 'node.', 'ws.'],
  'paho-python': ['paho-python.'],
  'paho-java': ['paho-java.'],
  'paho-go': ['paho-go.'],
  mosquitto: ['libmosquitto.', 'mosquitto.'],
  umqtt: ['umqtt.', 'errno.esp32'],
  esp32: ['errno.esp32', 'esp-mqtt.', 'esp-tls.', 'umqtt.', 'tls.node.cert-not-trusted-generic'],
};

/** Packet names in the text: an MQTT 5 reason code that cannot appear in the named packet is not the one meant. */
const PACKET_WORDS: Array<[RegExp, string]> = [
  [/\bdisconnect/i, 'DISCONNECT'],
  [/\bsuback/i, 'SUBACK'],
  [/\bpuback/i, 'PUBACK'],
  [/\bpubrec/i, 'PUBREC'],
  [/\bunsuback/i, 'UNSUBACK'],
  [/\bconnack/i, 'CONNACK'],
];

/** Words around a number that say which numbering it is in. */
const CONTEXT: Array<[RegExp, Partial<Record<NumberSpace, number>>]> = [
  [/\berrno\b|\[Errno|OSError|strerror/i, { 'errno-linux': 30, 'errno-newlib': 30, 'errno-macos': 15 }],
  [/OSError:?\s*-?\d+\s*$|esp32|esp-idf|esp-tls|MQTT_CLIENT|transport_read|micropython|lwip|umqtt|newlib/i, { 'errno-newlib': 40, connack311: 10 }],
  [/MQTTException/, { connack311: 60, umqtt: 30 }],
  [/\brc\b|return code|rc\s*[=:]|connack/i, { connack311: 30, mqtt5: 20, 'paho-python': 10, libmosquitto: 10 }],
  [/reason[\s_-]?code|reasonCode/i, { mqtt5: 40, 'paho-java': 10 }],
  [/on_disconnect|on_connect|paho\.mqtt|\bpaho[- ]?py/i, { 'paho-python': 40 }],
  [/\bmosq|libmosquitto/i, { libmosquitto: 40 }],
  [/MqttException/, { 'paho-java': 40 }],
  [/\bjava\b|paho[- ]?java/i, { 'paho-java': 40 }],
  [/MQTTClient_|MQTTAsync_|paho[- ]?c\b/i, { 'paho-c': 40 }],
  [/websocket|\bclose[d]?\b|\bws:|\bwss:|onclose/i, { 'ws-close': 40 }],
  [/\bhttp\b|status/i, { http: 30 }],
  [/\balert\b/i, { 'tls-alert': 40 }],
  [/x509|verify|certificate/i, { x509: 40 }],
  [/iot ?hub|azure/i, { azure: 40 }],
  [/\bgo\b|golang|paho[- ]?go/i, { 'paho-go': 40 }],
];

function clientBoost(client: ClientId | undefined, entry: KbEntry): number {
  if (!client) return 0;
  return CLIENT_IDS_PREFIX[client].some((p) => entry.id.startsWith(p)) ? 30 : 0;
}

function versionBoost(v: 4 | 5 | undefined, entry: KbEntry): number {
  if (!v) return 0;
  if (entry.id.startsWith('connack311.')) return v === 4 ? 60 : -10;
  if (entry.id.startsWith('mqtt5.')) return v === 5 ? 60 : -10;
  return 0;
}

/** Remove addresses, ports, times and dates so their digits are not read as codes. */
function stripNoise(text: string): string {
  return text
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, ' ')
    .replace(/\[[0-9a-f:]+\](:\d+)?/gi, ' ')
    .replace(/\b\d{4}-\d{2}-\d{2}[T ][\d:.,]+Z?/g, ' ')
    .replace(/\b\d{1,2}:\d{2}(:\d{2})?\b/g, ' ')
    .replace(/^\s*\d{9,10}(\.\d+)?:/gm, ' ')
    .replace(/:\d{2,5}\b/g, ' ')
    .replace(/\b\d+(\.\d+)?\s*(ms|s|sec|seconds|min|bytes|kb|mb|%)\b/gi, ' ');
}

interface NumberToken {
  value: number;
  hex: boolean;
  raw: string;
}

function numberTokens(text: string): NumberToken[] {
  const out: NumberToken[] = [];
  // Not inside identifiers or versions ("sensor-1", "v5", "2.0.11"); a sign only at the start of a token.
  const re = /(?<![\w.-])(0x[0-9a-f]{1,4}|-?\d{1,6})(?![\w.]*[a-z])/gi;
  for (const m of stripNoise(text).matchAll(re)) {
    const raw = m[1] ?? '';
    const hex = raw.toLowerCase().startsWith('0x');
    out.push({ value: hex ? parseInt(raw, 16) : Number(raw), hex, raw });
  }
  return out;
}

/** Rank the readings of one number. */
export function rankNumber(tok: NumberToken, text: string, opts: ExplainOptions): Candidate[] {
  const boosts: Partial<Record<NumberSpace, number>> = {};
  const add = (s: NumberSpace, n: number) => (boosts[s] = (boosts[s] ?? 0) + n);
  for (const [re, b] of CONTEXT) if (re.test(text)) for (const [s, n] of Object.entries(b)) add(s as NumberSpace, n);
  if (opts.client) {
    // The library's own numbering (listed first) wins over the shared ones it also reports.
    CLIENT_SPACES[opts.client].forEach((s, i) => add(s, i === 0 ? 55 : 40));
  }
  if (opts.mqttVersion === 5) (add('mqtt5', 40), add('connack311', -15));
  if (opts.mqttVersion === 4) (add('connack311', 40), add('mqtt5', -15));
  // Reason codes are written in hex (0x87); other numberings almost never are.
  if (tok.hex) (add('mqtt5', 50), add('connack311', 20));
  // MQTT 5 codes below 0x80 are successes; a user asking about a problem rarely means them.
  const named = PACKET_WORDS.filter(([re]) => re.test(text)).map(([, p]) => p);
  const out: Candidate[] = [];
  for (const hit of lookupNumber(tok.value)) {
    if (tok.hex && !['mqtt5', 'connack311', 'tls-alert'].includes(hit.space)) continue;
    let score = PRIOR[hit.space] + (boosts[hit.space] ?? 0);
    if (hit.space === 'mqtt5' && tok.value < 0x80) score -= 15;
    // Packets per reason code: MQTT 5.0 §2.4 Table 2-6 (e.g. 0x10 only in PUBACK/PUBREC, never DISCONNECT).
    if (hit.space === 'mqtt5' && named.length > 0) {
      const packets = mqtt5ReasonCode(tok.value)?.packets ?? [];
      score += packets.some((p) => named.includes(p)) ? 20 : -30;
    }
    out.push({
      entry: hit.entry,
      score: Math.max(1, Math.min(95, score)),
      via: 'number',
      space: hit.space,
      reading: `${SPACE_LABEL[hit.space]} ${tok.hex ? tok.raw : tok.value}`,
      matched: tok.raw,
    });
  }
  return out.sort((a, b) => b.score - a.score);
}

function findTarget(text: string): Explanation['target'] {
  const hp = /\b(\d{1,3}(?:\.\d{1,3}){3}|[a-z0-9][a-z0-9.-]*\.[a-z]{2,}):(\d{2,5})\b/i.exec(text);
  if (hp?.[1] && hp[2]) return { host: hp[1], port: hp[2] };
  const h = /getaddrinfo \w+ ([a-z0-9][a-z0-9.-]+)/i.exec(text);
  if (h?.[1]) return { host: h[1] };
  return undefined;
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

/** Explain one piece of text: a code, a name, a number, or an error line. */
export function explainText(input: string, opts: ExplainOptions = {}): Explanation {
  const text = input.trim();
  const found = new Map<string, Candidate>();
  const boost = (e: KbEntry) => clientBoost(opts.client, e) + versionBoost(opts.mqttVersion, e);

  for (const e of lookupName(text)) push(found, { entry: e, score: 150 + boost(e), via: 'name', reading: 'name', matched: text });
  for (const h of matchPatterns(text)) {
    push(found, { entry: h.entry, score: 100 + Math.min(h.matched.length, 60) + boost(h.entry), via: 'pattern', reading: 'message text', matched: h.matched });
  }
  for (const m of text.matchAll(/[A-Za-z_][A-Za-z0-9_]{2,}|\b[0-9A-F]{8}\b/g)) {
    const tok = m[0];
    if (tok.length < 4 || normName(tok) === normName(text)) continue;
    for (const e of lookupName(tok)) push(found, { entry: e, score: 90 + Math.min(tok.length, 40) + boost(e), via: 'name', reading: 'name', matched: tok });
  }
  const textual = [...found.values()];
  let ambiguous = false;
  if (opts.numbers !== false) {
    // Next to a recognised message, a number counts only when the text says it is a code ("code 135",
    // "rc=5", "[Errno 113]", "(32109)"), so ids and counts in a log line are not read as error codes.
    const codeWords = /\b(code|rc|errno|reason|return|status|alert|num)\b|Errno|OSError|MQTTException|\(-?\d+\)/i.test(text);
    const nums = textual.length === 0 || codeWords || textual.some((c) => c.entry.wraps) ? numberTokens(text) : [];
    const readings = nums.flatMap((n) => rankNumber(n, text, opts));
    // A wrapper message ("Connection refused: … (code 135)") is explained best by the code it carries.
    const wrapper = textual.sort((a, b) => b.score - a.score).find((c) => c.entry.wraps);
    for (const r of readings) {
      const space = r.space;
      push(found, space && wrapper?.entry.wraps?.includes(space) ? { ...r, score: Math.max(r.score, wrapper.score + 1) } : r);
    }
    ambiguous = textual.length === 0 && new Set(readings.map((r) => r.entry.id)).size > 1;
  }
  const candidates = [...found.values()].sort((a, b) => b.score - a.score || a.entry.id.localeCompare(b.entry.id));
  const target = findTarget(text);
  return {
    input: text,
    known: candidates.length > 0,
    candidates,
    ambiguous,
    suggestions: candidates.length ? [] : nearest(text),
    ...(target ? { target } : {}),
  };
}

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

/** Nearest known entries: close spellings of names first, then shared words with titles. */
export function nearest(text: string, limit = 5): KbEntry[] {
  const tokens = text.split(/[^A-Za-z0-9_]+/).filter((t) => t.length >= 4);
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
  for (const { entry } of allNames().filter((x, i, a) => a.findIndex((y) => y.entry.id === x.entry.id) === i)) {
    const titleWords = entry.title.toLowerCase().split(/[^a-z0-9_]+/);
    const n = titleWords.filter((w) => words.has(w)).length;
    if (n > 0 && !byName.includes(entry)) overlap.push({ entry, n });
  }
  overlap.sort((a, b) => b.n - a.n);
  return [...byName, ...overlap.map((o) => o.entry)].slice(0, limit);
}

const STOP = new Set(['error', 'with', 'from', 'that', 'this', 'client', 'when', 'have', 'been', 'failed', 'mqtt']);
