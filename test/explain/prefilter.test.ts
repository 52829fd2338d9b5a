import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { PatternPrefilter, requiredLiterals } from '../../src/kb/prefilter.js';
import { CATALOG } from '../../src/kb/catalog.js';
import { seededRandom } from '../../src/lab/impair/faults.js';

describe('requiredLiterals: only text every match must contain', () => {
  test.each([
    [/Connection refused/, ['connection refused']],
    [/foo\.bar/i, ['foo.bar']],
    [/(?:alpha|beta)x/, ['alpha', 'beta']],
    [/colou?r names/, ['r names']],
    [/ab+cdef/, ['cdef']],
    [/a\d{2,}bcd/, ['bcd']],
    [/[abc]def/, ['def']],
    [/(a)\1abc/, ['abc']],
    [/\x41BCD/, ['bcd']],
    [/\u0041bcd/, ['bcd']],
    [/x{2}yzw/, ['yzw']],
    [/abc|de/, undefined], // one branch has no literal long enough
    [/x(?=abcdef)/, undefined], // a lookahead consumes nothing
    [/(?<!abcdef)x/, undefined],
    [/(?:abcdef)?x/, undefined],
    [/(?:abcdef)*x/, undefined],
    [/(?:abcdef){0,2}x/, undefined],
    [/(?:abc|)xy/, undefined],
    [/abc/u, undefined], // Unicode case folding: ſ is s, K (Kelvin) is k
    [/abc/g, undefined], // lastIndex is state: always run it
    [new RegExp('\\012abc'), ['abc']], // a legacy octal escape (TypeScript refuses it in a literal) takes its digits
    [/[^]abc/, ['abc']], // `[^]` closes at once in JS
  ] as const)('%s → %j', (re, want) => expect(requiredLiterals(re)).toEqual(want));
});

/** A random regular expression source over a small alphabet, with the constructs the extractor reads. */
function randomSource(r: () => number, depth = 0): string {
  const n = 1 + Math.floor(r() * 6);
  let out = '';
  for (let i = 0; i < n; i++) {
    const k = r();
    let atom: string;
    if (k < 0.45) atom = 'abcAB.'[Math.floor(r() * 6)] === '.' ? '\\.' : ('abcAB'[Math.floor(r() * 5)] ?? 'a');
    else if (k < 0.55) atom = '[ab]';
    else if (k < 0.6) atom = '.';
    else if (k < 0.65) atom = '\\b';
    else if (k < 0.7) atom = '(?=a)';
    else if (k < 0.74) atom = '\\d';
    else if (depth < 2) {
      const alts = 1 + Math.floor(r() * 3);
      const body = Array.from({ length: alts }, () => randomSource(r, depth + 1)).join('|');
      atom = r() < 0.5 ? `(?:${body})` : `(${body})`;
    } else atom = 'c';
    const q = atom === '\\b' ? 1 : r(); // `\b?` is a syntax error (`(?=a)?` is allowed: Annex B)
    if (q < 0.08) atom += '?';
    else if (q < 0.14) atom += '*';
    else if (q < 0.2) atom += '+';
    else if (q < 0.24) atom += '{0,2}';
    else if (q < 0.28) atom += '{1,2}';
    else if (q < 0.3) atom += '??';
    out += atom;
  }
  return out;
}

describe('PatternPrefilter never drops a pattern that matches', () => {
  test('random patterns × random texts (seeded): every match is among the candidates', () => {
    const r = seededRandom(20261202);
    const patterns: RegExp[] = [];
    for (let i = 0; i < 400; i++) patterns.push(new RegExp(randomSource(r), r() < 0.5 ? 'i' : ''));
    const pf = new PatternPrefilter(patterns);
    let matches = 0;
    let skipped = 0;
    for (let t = 0; t < 300; t++) {
      const len = Math.floor(r() * 24);
      let text = '';
      for (let i = 0; i < len; i++) text += 'abcABC. 1é'[Math.floor(r() * 10)];
      const may = new Set(pf.candidates(text));
      patterns.forEach((re, p) => {
        if (re.test(text)) {
          matches++;
          expect(may.has(p), `${re} matches ${JSON.stringify(text)}`).toBe(true);
        } else if (!may.has(p)) skipped++;
      });
    }
    // Not vacuous: patterns matched, and the filter spared the regex engine work.
    expect(pf.unfiltered).toBeLessThan(patterns.length);
    expect(matches).toBeGreaterThan(1000);
    expect(skipped).toBeGreaterThan(1000);
  });

  test('every catalogue pattern on every fixture line, as written and with its case swapped', () => {
    const here = fileURLToPath(new URL('.', import.meta.url));
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
    const lines = walk(join(here, '../../fixtures/errors')).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .flatMap((l) => l.split('\t')),
    );
    const swap = (s: string) =>
      s.replace(/[a-z]/gi, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
    const patterns = CATALOG.flatMap((e) => e.patterns ?? []);
    const pf = new PatternPrefilter(patterns);
    let matches = 0;
    for (const text of lines.flatMap((l) => [l, swap(l)])) {
      const may = new Set(pf.candidates(text));
      patterns.forEach((re, p) => {
        if (re.exec(text)) {
          matches++;
          expect(may.has(p), `${re} matches ${JSON.stringify(text)}`).toBe(true);
        }
      });
    }
    expect(matches).toBeGreaterThan(200);
    // The catalogue's patterns all have a literal today; a row without one still works (it is always tested).
    expect(pf.unfiltered).toBeLessThan(patterns.length / 10);
  });
});
