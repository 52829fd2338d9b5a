/**
 * The whole knowledge base in one list, with lookups by id, symbolic name, number and message text. Every
 * lookup has an explicit "unknown" outcome (an empty list or `{ known: false }`), never a guess.
 */
import type { KbEntry, NumberSpace } from './entry.js';
import { reasonCodeEntries } from './reason-codes.js';
import { ERRNO_ENTRIES } from './errno.js';
import { TLS_ENTRIES } from './tls.js';
import { WEBSOCKET_ENTRIES } from './websocket.js';
import { CLIENT_ENTRIES } from './client-errors.js';
import { BROKER_LOG_ENTRIES } from './broker-logs.js';
import { ALIASES, FIELD_ENTRIES } from './field-errors.js';
import { PatternPrefilter } from './prefilter.js';

export type { KbEntry, Layer, ClientId, NumberSpace } from './entry.js';

export const CATALOG: readonly KbEntry[] = withAliases(
  reasonCodeEntries().concat(
    ERRNO_ENTRIES,
    TLS_ENTRIES,
    WEBSOCKET_ENTRIES,
    CLIENT_ENTRIES,
    BROKER_LOG_ENTRIES,
    FIELD_ENTRIES,
  ),
);

/** Adds other runtimes' texts for the same fact to existing rows (copies; the tables stay as written). */
function withAliases(entries: KbEntry[]): KbEntry[] {
  const byId = new Map<string, Array<(typeof ALIASES)[number]>>();
  for (const a of ALIASES) byId.set(a[0], [...(byId.get(a[0]) ?? []), a]);
  return entries.map((e) => {
    const more = byId.get(e.id);
    if (!more) return e;
    return {
      ...e,
      patterns: [...(e.patterns ?? []), ...more.map(([, re]) => re)],
      source: [e.source, ...more.map(([, , src]) => src)].join('; '),
    };
  });
}

/**
 * The indexes below are built on first use, not at import: a one-line explain-error is mostly start-up, and
 * needs some of them only (no number index for a line without a code, no name list unless nothing matched).
 */
function once<T>(build: () => T): () => T {
  let value: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      value = build();
      done = true;
    }
    return value as T;
  };
}

const byId = once(() => new Map<string, KbEntry>(CATALOG.map((e) => [e.id, e])));

const byName = once(() => {
  const map = new Map<string, KbEntry[]>();
  for (const e of CATALOG) {
    for (const n of e.names ?? []) {
      const k = normName(n);
      const list = map.get(k) ?? [];
      if (!list.includes(e)) list.push(e);
      map.set(k, list);
    }
  }
  return map;
});

/** Case-insensitive; spaces, dashes, colons and brackets are equivalent; `_` is kept (keepalive_timeout ≠ "keepalive timeout"). */
export function normName(s: string): string {
  return s
    .trim()
    .toLowerCase()
    .replace(/[\s\-:().]+/g, ' ')
    .trim();
}

export function entryById(id: string): KbEntry | undefined {
  return byId().get(id);
}

/** Entries whose symbolic name equals the token (case, `_`/`-`/space insensitive). */
export function lookupName(token: string): KbEntry[] {
  return byName().get(normName(token)) ?? [];
}

/** Entries whose symbolic name has this normal form (a key normName already made). */
export function lookupNormalName(key: string): KbEntry[] {
  return byName().get(key) ?? [];
}

/** Every symbolic name in the catalogue (for nearest-match suggestions). */
export function allNames(): Array<{ name: string; entry: KbEntry }> {
  const out: Array<{ name: string; entry: KbEntry }> = [];
  for (const e of CATALOG) for (const n of e.names ?? []) out.push({ name: n, entry: e });
  return out;
}

export interface NumberHit {
  entry: KbEntry;
  space: NumberSpace;
  value: number;
}

const byNumber = once(() => {
  const map = new Map<number, NumberHit[]>();
  for (const e of CATALOG) {
    for (const [space, value] of e.numbers ?? []) {
      const list = map.get(value) ?? [];
      list.push({ entry: e, space, value });
      map.set(value, list);
    }
  }
  return map;
});

/** Every entry that has this number in some numbering space (unranked; explain ranks them). */
export function lookupNumber(value: number): NumberHit[] {
  return [...(byNumber().get(value) ?? [])];
}

export interface PatternHit {
  entry: KbEntry;
  /** The text the pattern matched; longer matches are more specific. */
  matched: string;
  index: number;
}

/** Every message pattern of the catalogue in catalogue order, with the index of its entry. */
const patterns = once(
  (): Array<{ re: RegExp; entry: number }> =>
    CATALOG.flatMap((e, entry) => (e.patterns ?? []).map((re) => ({ re, entry }))),
);

/**
 * Texts matched before the prefilter is built: a single line (text mode) tests every pattern, which costs less
 * than building the automaton; a log amortises it after a few lines.
 */
const PREFILTER_AFTER = 32;
let prefilter: PatternPrefilter | undefined;
let unfilteredCalls = 0;

/** The indexes (into patterns()) of the patterns that may match the text, in catalogue order. */
function patternsToTest(text: string): number[] | undefined {
  if (!prefilter && ++unfilteredCalls <= PREFILTER_AFTER) return undefined;
  prefilter ??= new PatternPrefilter(patterns().map((p) => p.re));
  return prefilter.candidates(text);
}

/** Entries whose message patterns match somewhere in the text, most specific (longest match) first. */
export function matchPatterns(text: string): PatternHit[] {
  const all = patterns();
  const out: PatternHit[] = [];
  let entry = -1;
  let best: PatternHit | undefined;
  const test = (p: number) => {
    const { re, entry: e } = all[p] ?? { re: NEVER, entry: -1 };
    if (e !== entry) {
      if (best) out.push(best);
      best = undefined;
      entry = e;
    }
    const m = re.exec(text);
    if (m && (!best || m[0].length > best.matched.length))
      best = { entry: CATALOG[e] as KbEntry, matched: m[0], index: m.index };
  };
  // Only the patterns whose required literals are in the text (kb/prefilter.ts); the same hits in the same
  // order as testing every pattern.
  const only = patternsToTest(text);
  if (only) for (const p of only) test(p);
  else for (let p = 0; p < all.length; p++) test(p);
  if (best) out.push(best);
  return out.sort((a, b) => b.matched.length - a.matched.length);
}

const NEVER = /(?!)/;

export type LookupResult = { known: true; entries: KbEntry[] } | { known: false; query: string };

/** Name, then message text: the simple lookup probe/soak use. Numbers need context, so see explain. */
export function lookup(query: string): LookupResult {
  const byName = lookupName(query);
  if (byName.length) return { known: true, entries: byName };
  const hits = matchPatterns(query);
  if (hits.length) return { known: true, entries: hits.map((h) => h.entry) };
  return { known: false, query };
}
