/**
 * What a new user's pass over the README found (issue 13).
 *
 * 1. Every `mqtt-doctor` command line in the README's shell blocks is a valid invocation: its command exists and
 *    every option is known and has its value. Each line runs in-process through main() with the command's
 *    own `run` replaced by a stub, so the option parsing (yargs, tightenOptions) is exactly the CLI's and no
 *    network or file is touched. They run in order in a scratch directory holding the repository's fixtures/,
 *    with the blocks' `mkdir -p` lines applied, as a user running the examples from a checkout would.
 */
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { runMain } from '../helpers/cli.js';

const ran: string[][] = [];
vi.mock('../../src/commands/registry.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/commands/registry.js')>();
  const stub = (cmd: Awaited<ReturnType<typeof real.loadCommands>>[number]) => ({
    ...cmd,
    run: async (args: { _: unknown[] }) => {
      ran.push(args._.map(String));
      return 0;
    },
  });
  return { ...real, loadCommands: async (argv?: readonly string[]) => (await real.loadCommands(argv)).map(stub) };
});

/** Split a shell line into words: '…' and "…" quoting, backslash escapes; nothing is expanded. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else word = (word ?? '') + ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word = word ?? '';
    } else if (ch === '\\' && i + 1 < line.length) word = (word ?? '') + line[++i];
    else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + ch;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The command part of a shell line: up to an unquoted `|`, `;`, `>` or `#` comment. */
function firstCommand(words: string[]): string[] {
  const end = words.findIndex((w) => ['|', ';', '&&', '>', '2>', '#'].includes(w) || w.startsWith('#'));
  return end < 0 ? words : words.slice(0, end);
}

/**
 * Every mqtt-doctor invocation (and `mkdir -p` line) in the README's ```sh blocks, continuation lines joined,
 * with its line number.
 */
function readmeCommands(): Array<[string, string[]]> {
  const text = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const out: Array<[string, string[]]> = [];
  let inSh = false;
  let pending = '';
  let pendingLine = 0;
  text.split('\n').forEach((raw, i) => {
    if (raw.startsWith('```')) {
      inSh = !inSh && /^```(sh|bash|shell)\b/.test(raw);
      return;
    }
    if (!inSh) return;
    if (!pending) pendingLine = i + 1;
    pending += raw.replace(/\\$/, ' ');
    if (raw.endsWith('\\')) return;
    const line = pending;
    pending = '';
    const words = shellWords(line);
    if (words[0] === 'mkdir' && words[1] === '-p') {
      out.push([`README.md:${pendingLine}: ${line.trim()}`, firstCommand(words)]);
      return;
    }
    // The invocation may follow a pipe (`journalctl … | mqtt-doctor explain-error`).
    for (const segment of line.split(/\s\|\s/)) {
      const words = shellWords(segment);
      const at = words.findIndex((w, j) => w === 'mqtt-doctor' && (j === 0 || words[j - 1] === 'npx'));
      if (at < 0) continue;
      out.push([`README.md:${pendingLine}: ${line.trim()}`, firstCommand(words.slice(at + 1))]);
      break;
    }
  });
  return out;
}

describe('README command lines', () => {
  const commands = readmeCommands();
  const home = process.cwd();
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'mqd-readme-'));
    symlinkSync(new URL('../../fixtures', import.meta.url).pathname, join(dir, 'fixtures'));
    process.chdir(dir);
  });
  afterAll(() => process.chdir(home));

  test('the README shows the commands a new user tries first', () => {
    const names = new Set(commands.map(([, argv]) => argv[0]).filter((c) => c !== 'mkdir'));
    for (const c of ['probe', 'soak', 'report', 'analyze', 'keepalive-tune', 'explain-error', 'impair'])
      expect(names, c).toContain(c);
    expect(commands.length).toBeGreaterThan(40);
  });

  test.each(commands)('%s', async (_where, argv) => {
    if (argv[0] === 'mkdir') {
      for (const d of argv.slice(2)) mkdirSync(d, { recursive: true });
      return;
    }
    ran.length = 0;
    const r = await runMain(argv, { env: { HOME: '/nonexistent' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(ran).toHaveLength(1); // the command's own run was reached, with its positionals
    expect(ran[0]![0]).toBe(argv[0]);
  });
});

test('a live capture piped into analyze is packet-buffered (tcpdump -U), or Ctrl-C finds "0 packets"', () => {
  const text = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const live = text.split('\n').filter((l) => /\btcpdump\b.*-w -.*\|.*mqtt-doctor analyze/.test(l));
  expect(live.length).toBeGreaterThan(0);
  for (const l of live) expect(shellWords(l), l).toContain('-U');
});
