/**
 * "Did you mean …?" for misspelt option, profile and command names. Pure. Damerau–Levenshtein (optimal string
 * alignment) distance, so a swapped pair of letters (`--cuont`) counts as one edit, as in git's help.c
 * (https://github.com/git/git/blob/master/help.c, `help_unknown_cmd`).
 */

/** Optimal-string-alignment edit distance; bounded by the input sizes (names are short). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i]!;
      const prev = d[i - 1]!;
      let best = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      row[j] = best;
    }
  }
  return d[rows - 1]![cols - 1]!;
}

/**
 * The closest candidates to `input` (case-insensitive), nearest first, or [] when nothing is close: at most
 * a third of the longer name may differ (so `--cnt` finds `--count`, while `--xyz` finds nothing).
 */
export function suggest(input: string, candidates: readonly string[], limit = 2): string[] {
  const text = input.toLowerCase();
  if (text.length > 64) return [];
  const scored = [...new Set(candidates)]
    .map((c) => {
      const lower = c.toLowerCase();
      const prefix = lower.startsWith(text) && text.length >= 3;
      return {
        c,
        d: prefix ? 0.5 : editDistance(text, lower),
        max: Math.max(1, Math.ceil(Math.max(text.length, lower.length) / 3)),
      };
    })
    .filter((s) => s.d <= s.max)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c));
  return scored.slice(0, limit).map((s) => s.c);
}

/** `did you mean --count?` / `did you mean 4g or 3g?`, or undefined. */
export function didYouMean(input: string, candidates: readonly string[], prefix = ''): string | undefined {
  const found = suggest(input, candidates);
  return found.length ? `did you mean ${found.map((f) => prefix + f).join(' or ')}?` : undefined;
}
