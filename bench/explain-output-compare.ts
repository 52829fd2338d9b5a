/**
 * Byte-for-byte check for start-up work: explain-error's output (text and --json, exit code, stderr) for every
 * line and log under fixtures/errors/, plus help, version and usage errors, from two builds of the CLI. Run before
 * and after a change that must not change output (lazy loading, fewer modules):
 *
 *   git worktree add /tmp/base main && (cd /tmp/base && ln -s "$PWD/node_modules" && npx tsc --noCheck)
 *   npx tsc -p tsconfig.json --noCheck && npx tsx bench/explain-output-compare.ts /tmp/base .
 *
 * Each root must hold dist/ (and node_modules). Both builds run in this one process through their own main(), so
 * module state carries across lines as in a long log (the pattern prefilter is built after the 32nd text); times
 * in the JSON (startedAt, finishedAt, durationMs) are blanked. Exit 1 with the first differences, else 0.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

type Main = (
  argv: string[],
  io: { stdout: Writable; stderr: Writable; stdin: Readable & { isTTY?: boolean }; env: NodeJS.ProcessEnv },
) => Promise<number>;

const FIX = join(import.meta.dirname, '..', 'fixtures', 'errors');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

/** Every explain-error argument list: each corpus line, each log line alone, each log as --file, some codes. */
function inputs(): string[][] {
  const out: string[][] = [];
  const rows = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));
  for (const f of files(FIX)) {
    const text = readFileSync(f, 'utf8');
    if (f.endsWith('lines.tsv')) for (const l of rows(text)) out.push([l.split('\t').slice(4).join('\t')]);
    else if (f.endsWith('client-errors.tsv')) for (const l of rows(text)) out.push([l.split('\t').slice(1).join('\t')]);
    else if (f.endsWith('.log')) {
      out.push(['--file', f]);
      for (const l of text.split('\n')) if (l.trim()) out.push([l]);
    }
  }
  out.push(['5'], ['0x87'], ['113', '--client', 'esp32'], ['--', '-4078'], ['0x87', '--client', 'mqttjs']);
  out.push(['5', '-V', '5'], ['ECONNRESET'], ['no such thing at all here'], ['rc=-2', '--client', 'pubsubclient']);
  return out;
}

function sink(): Writable & { text(): string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(c: Buffer | string, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  });
  return Object.assign(w, { text: () => chunks.join('') });
}

const blankTimes = (s: string) =>
  s.replace(/"(startedAt|finishedAt)": "[^"]*"/g, '"$1": "T"').replace(/"durationMs": [\d.]+/g, '"durationMs": 0');

async function outputs(root: string): Promise<string[]> {
  const { main } = (await import(pathToFileURL(join(resolve(root), 'dist', 'cli.js')).href)) as { main: Main };
  const lines = inputs().flatMap((inp) => [
    ['explain-error', ...inp],
    ['explain-error', ...inp, '--json'],
  ]);
  lines.push(['explain-error', '--help'], ['--help'], ['--version'], ['probe', '--help'], ['explain-eror', 'x']);
  lines.push(['explain-error', '--bogus', 'x']);
  const out: string[] = [];
  for (const argv of lines) {
    const stdout = sink();
    const stderr = sink();
    const stdin = Object.assign(Readable.from([]), { isTTY: true });
    const env = { NO_COLOR: '1', CI: 'true', HOME: '/nonexistent', COLUMNS: '100' };
    const code = await main(argv, { stdout, stderr, stdin, env });
    out.push(JSON.stringify({ argv, code, stdout: blankTimes(stdout.text()), stderr: stderr.text() }));
  }
  process.exitCode = 0;
  return out;
}

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  process.stderr.write('usage: tsx bench/explain-output-compare.ts ROOT_A ROOT_B (each with dist/)\n');
  process.exit(2);
}
const [outA, outB] = [await outputs(a), await outputs(b)];
const differ = outA.flatMap((x, i) => (x === outB[i] ? [] : [`- ${x}\n+ ${outB[i] ?? ''}`]));
process.stdout.write(`${outA.length} runs each; ${differ.length} differ\n${differ.slice(0, 5).join('\n')}\n`);
process.exitCode = differ.length === 0 && outA.length === outB.length ? 0 : 1;
