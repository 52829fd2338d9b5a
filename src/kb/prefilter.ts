/**
 * A prefilter for many regular expressions over one text: each pattern is tested only when a literal it cannot
 * match without is in the text. The literals are read from each pattern's source once, when the set is built
 * (so a new catalogue row needs no edit), and all of them are looked for in one pass over the text: linear in
 * the text, and the regular expressions run only where they can match.
 *
 * Sound by construction: a literal is taken only where the pattern must match it (never under `?`, `*`, `{0,…}`,
 * a lookaround or one branch of an alternation), and a pattern without one is always tested. Literals are ASCII
 * and compared in lower case: without the `u` flag, `i` never equates a non-ASCII character with an ASCII one
 * (ECMAScript Canonicalize, https://tc39.es/ecma262/#sec-runtime-semantics-canonicalize-ch), so a literal in
 * lower case is present in the lower-cased text whenever the pattern matches. Patterns with `u`/`v` (Unicode
 * case folding: `ſ` is `s`) or with state (`g`, `y`) are always tested.
 */

/** Literals shorter than this filter almost nothing: such a pattern is tested on every text. */
const MIN_LITERAL = 3;

/**
 * A set of literals one of which must occur for the pattern to match (several for an alternation), or
 * undefined when none can be named.
 */
type Factor = string[] | undefined;

/** Shortest member: how selective a factor is. */
function strength(f: Factor): number {
  if (!f) return 0;
  let min = Infinity;
  for (const s of f) min = Math.min(min, s.length);
  return min;
}

/** The better of two required factors of one sequence (both must occur, so either may be used). */
const better = (a: Factor, b: Factor): Factor => (strength(b) > strength(a) ? b : a);

const META = new Set(['\\', '^', '$', '.', '|', '?', '*', '+', '(', ')', '[', ']', '{', '}']);
/** `\.` and the like stand for the character itself. */
const ESCAPED_LITERAL = /^[-\\^$.|?*+()[\]{}/ :,='"<>!@#%&~`;]$/;
/** A quantifier at the start of the rest of the source: `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}` (lazy or not). */
const QUANTIFIER_START = /[?*+{]/;
const QUANTIFIER = /^(?:([?*+])|\{(\d{1,9})(?:,\d{0,9})?\})\??/;

/** Index just past the character class that starts at `i` (`[`), honouring escapes. */
function classEnd(src: string, i: number): number {
  let j = i + 1;
  // In JS a `]` right after `[` or `[^` closes the class (`[]` matches nothing, `[^]` anything).
  if (src[j] === '^') j++;
  while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? 2 : 1;
  return j + 1;
}

/**
 * Walks the source from `i`, skipping escapes and character classes, and calls `visit` with each other
 * character, its index and the group depth before it; stops when `visit` returns true. Returns the index reached.
 */
function walk(src: string, i: number, visit: (c: string, j: number, depth: number) => boolean): number {
  let depth = 0;
  let j = i;
  while (j < src.length) {
    const c = src[j] ?? '';
    if (c === '\\') j += 2;
    else if (c === '[') j = classEnd(src, j);
    else {
      if (visit(c, j, depth)) return j;
      if (c === '(') depth++;
      else if (c === ')') depth--;
      j++;
    }
  }
  return j;
}

/** Index just past the group that starts at `i` (`(`). */
function groupEnd(src: string, i: number): number {
  return walk(src, i, (c, _j, depth) => c === ')' && depth === 1) + 1;
}

/** The top-level alternatives of a (part of a) source. */
function alternatives(src: string): string[] {
  const out: string[] = [];
  let start = 0;
  walk(src, 0, (c, j, depth) => {
    if (c === '|' && depth === 0) {
      out.push(src.slice(start, j));
      start = j + 1;
    }
    return false;
  });
  out.push(src.slice(start));
  return out;
}

/** A required factor of a whole source (one per alternative, or none). */
function factorOf(src: string): Factor {
  const out: string[] = [];
  for (const alt of alternatives(src)) {
    const f = sequenceFactor(alt);
    if (!f) return undefined;
    out.push(...f);
  }
  return [...new Set(out)];
}

/** The best required factor of a sequence with no top-level `|`. */
function sequenceFactor(seq: string): Factor {
  let best: Factor;
  let run = '';
  const endRun = () => {
    if (run) best = better(best, [run]);
    run = '';
  };
  let i = 0;
  while (i < seq.length) {
    const atom = atomAt(seq, i);
    const { ch, group } = atom;
    let next = atom.next;
    const q = QUANTIFIER_START.test(seq[next] ?? '') ? QUANTIFIER.exec(seq.slice(next, next + 24)) : null;
    const optional = q !== null && (q[1] === '?' || q[1] === '*' || Number(q[2]) === 0);
    if (q) next += q[0].length;
    if (ch !== undefined && !optional) {
      run += ch.toLowerCase();
      // `ab+c`: the b is required, but what follows it is not adjacent to it in every match.
      if (q) endRun();
    } else {
      endRun();
      if (group && !optional) best = better(best, group);
    }
    i = next;
  }
  endRun();
  return best;
}

/** One atom of a pattern: it spans [start, next), with its character when it is a literal, or a group's factor. */
interface Atom {
  next: number;
  ch?: string;
  group?: Factor;
}

function atomAt(seq: string, i: number): Atom {
  const c = seq[i] ?? '';
  if (c === '\\') return escapeAtom(seq, i);
  if (c === '[') return { next: classEnd(seq, i) };
  if (c === '(') return groupAtom(seq, i);
  return !META.has(c) && c.charCodeAt(0) > 0 && c.charCodeAt(0) < 128 ? { next: i + 1, ch: c } : { next: i + 1 };
}

/** A backslash escape: a literal character, or an atom that stands for none. */
function escapeAtom(seq: string, i: number): Atom {
  const e = seq[i + 1] ?? '';
  if (e === 'n') return { next: i + 2, ch: '\n' };
  if (e === 't') return { next: i + 2, ch: '\t' };
  if (ESCAPED_LITERAL.test(e)) return { next: i + 2, ch: e };
  // \d \w \s \b \B \r, \xHH, \uHHHH, \cX, backreferences: not a literal (conservative). Without the u flag
  // (patterns with it are never filtered) \u{…} and \p{…} are not escapes of their own.
  if (e === 'x' && /^[0-9a-f]{2}$/i.test(seq.slice(i + 2, i + 4))) return { next: i + 4 };
  if (e === 'u' && /^[0-9a-f]{4}$/i.test(seq.slice(i + 2, i + 6))) return { next: i + 6 };
  if (e === 'c' && /[A-Za-z]/.test(seq[i + 2] ?? '')) return { next: i + 3 };
  if (e === 'k' && seq[i + 2] === '<') return { next: seq.indexOf('>', i) + 1 || seq.length };
  // A backreference or a legacy octal escape (`\12`) takes every digit after it: none is a literal.
  let next = i + 2;
  if (/\d/.test(e)) while (/\d/.test(seq[next] ?? '')) next++;
  return { next };
}

/** A group: lookarounds are zero-width (no factor); any other group's factor is its content's. */
function groupAtom(seq: string, i: number): Atom {
  const next = groupEnd(seq, i);
  const inner = seq.slice(i + 1, next - 1);
  if (inner.startsWith('?=') || inner.startsWith('?!') || inner.startsWith('?<=') || inner.startsWith('?<!'))
    return { next }; // zero-width
  if (inner.startsWith('?:')) return { next, group: factorOf(inner.slice(2)) };
  if (inner.startsWith('?<')) return { next, group: factorOf(inner.slice(inner.indexOf('>') + 1)) };
  return { next, group: factorOf(inner) };
}

/** The literals (lower case) one of which a match of `re` must contain, or undefined: always test `re`. */
export function requiredLiterals(re: RegExp): string[] | undefined {
  if (/[uvgy]/.test(re.flags)) return undefined;
  const f = factorOf(re.source);
  return f && strength(f) >= MIN_LITERAL ? f : undefined;
}

/**
 * Finds which of many literals (lower case, ASCII, at least MIN_LITERAL long) occur in a text: one pass over the
 * lower-cased text, looking up each position's first three characters in a table of the literals that start
 * with them, and comparing only those. Building it is one table entry per literal (it is built once per process
 * and must cost nothing next to a short log); a scan is linear in the text (the work per position is bounded by
 * the literals that share three first characters, a property of the catalogue, not of the input).
 */
class LiteralIndex {
  /** Literals by their first three character codes. */
  private readonly byPrefix = new Map<number, Array<{ lit: string; id: number }>>();
  /** ASCII codes a literal starts with: most positions of a text are rejected by one array read. */
  private readonly starts = new Uint8Array(128);

  constructor(literals: string[]) {
    literals.forEach((lit, id) => {
      const key = prefixKey(lit, 0);
      const list = this.byPrefix.get(key) ?? [];
      list.push({ lit, id });
      this.byPrefix.set(key, list);
      this.starts[lit.charCodeAt(0)] = 1;
    });
  }

  /** Sets `seen[id] = 1` for every literal that occurs in `text`; returns whether any did. */
  scan(text: string, seen: Uint8Array): boolean {
    // Lower case, so that literals compare with any case. (toLowerCase can lengthen a non-ASCII character, which
    // moves later positions but keeps every ASCII run intact: a literal present in any case is present here.)
    const lower = text.toLowerCase();
    let any = false;
    for (let i = 0; i + MIN_LITERAL <= lower.length; i++) {
      const c = lower.charCodeAt(i);
      if (c >= 128 || this.starts[c] === 0) continue;
      const list = this.byPrefix.get(prefixKey(lower, i));
      if (!list) continue;
      for (const { lit, id } of list) {
        if (seen[id] === 0 && lower.startsWith(lit, i)) {
          seen[id] = 1;
          any = true;
        }
      }
    }
    return any;
  }
}

/** The first three character codes at `i` as one number (codes above 127 make a key no literal has). */
function prefixKey(s: string, i: number): number {
  return s.charCodeAt(i) * 0x10000 * 0x100 + s.charCodeAt(i + 1) * 0x10000 + s.charCodeAt(i + 2);
}

/**
 * Many patterns, in a fixed order, tested against one text at a time: `candidates(text)` lists, in that order,
 * the indexes of the patterns that may match it (every pattern that does match is among them).
 */
export class PatternPrefilter {
  private readonly always: number[] = [];
  private readonly byLiteral: number[][] = [];
  private readonly literals: LiteralIndex;
  private readonly mark: Uint8Array;
  private readonly seen: Uint8Array;
  readonly size: number;

  constructor(patterns: readonly RegExp[]) {
    this.size = patterns.length;
    this.mark = new Uint8Array(patterns.length);
    const ids = new Map<string, number>();
    patterns.forEach((re, p) => {
      const lits = requiredLiterals(re);
      if (!lits) return void this.always.push(p);
      for (const lit of lits) {
        let id = ids.get(lit);
        if (id === undefined) {
          id = ids.size;
          ids.set(lit, id);
          this.byLiteral.push([]);
        }
        this.byLiteral[id]?.push(p);
      }
    });
    this.literals = new LiteralIndex([...ids.keys()]);
    this.seen = new Uint8Array(ids.size);
  }

  /** How many patterns are tested on every text (no required literal could be read from them). */
  get unfiltered(): number {
    return this.always.length;
  }

  candidates(text: string): number[] {
    const mark = this.mark;
    const seen = this.seen;
    for (const p of this.always) mark[p] = 1;
    if (this.literals.scan(text, seen)) {
      for (let id = 0; id < seen.length; id++) {
        if (!seen[id]) continue;
        seen[id] = 0;
        for (const p of this.byLiteral[id] ?? []) mark[p] = 1;
      }
    }
    const out: number[] = [];
    for (let p = 0; p < mark.length; p++) {
      if (mark[p]) {
        out.push(p);
        mark[p] = 0;
      }
    }
    return out;
  }
}
