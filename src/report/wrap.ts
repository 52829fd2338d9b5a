/**
 * Word wrapping by visible width, on its own so that what prints a plain line (stderr notes in ui/output.ts)
 * does not load the text renderer, chalk and cli-table3 with it.
 */

/** Columns a string takes on a terminal: its length without ANSI colour codes. */
export const visible = (s: string): number => s.replace(/\u001b\[[0-9;]*m/g, '').length;

/**
 * A value split at spaces into lines of at most `width` visible columns, so the terminal never cuts a number
 * from its unit; a word longer than the line (a sparkline) keeps a line of its own.
 */
export function wrapWords(value: string, width: number): string[] {
  if (visible(value) <= width || value.includes('\n')) return [value];
  // Empty words (runs of spaces, a sparkline's blank columns) are kept: a line breaks only after a visible word.
  // A number keeps its unit on its line ("2 s", "4.93 ms"): a unit word is glued to the number before it.
  const words: string[] = [];
  for (const w of value.split(' ')) {
    const prev = words.at(-1);
    if (prev && /\d$/.test(prev) && /^(ms|µs|s|min|h|d|%|B|KiB|MiB|GiB|×)[),.;:]*$/.test(w))
      words[words.length - 1] = `${prev} ${w}`;
    else words.push(w);
  }
  const [first = '', ...rest] = words;
  const lines: string[] = [];
  let line = first;
  for (const word of rest) {
    if (visible(line) > 0 && word && visible(line) + 1 + visible(word) > width) {
      lines.push(line);
      line = word;
    } else line = `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}
