/**
 * `npm test`'s runner: the static checks (`--check 'npm run lint'`, …) run beside the main command (after `--`,
 * here `vitest run`) instead of before it. The checks are CPU work of a few tens of seconds; vitest's
 * integration files spend most of their time waiting on sockets, timers and child processes, so on a 2-core
 * machine the checks fit in those waits instead of adding to the wall time.
 *
 * A check's output is held back and printed in one block when it ends (in full if it failed, one line if it
 * passed), so it does not tear vitest's lines. The exit code is the main command's, or 1 if any check failed:
 * a lint or type error fails `npm test` exactly as it did when the checks ran first.
 * The output ends with `tests: P passed, F failed` (CI reads that line): the main command's counts, with each
 * failed check counted as one failed test.
 * SIGINT/SIGTERM are passed on to every child this runner started.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
if (sep < 0 || sep === argv.length - 1) {
  process.stderr.write('usage: beside.mjs [--check "command"]... -- main command and args\n');
  process.exit(2);
}
const checks = [];
for (let i = 0; i < sep; i += 1) {
  if (argv[i] !== '--check' || argv[i + 1] === undefined) {
    process.stderr.write(`beside.mjs: expected --check "command", got ${argv[i]}\n`);
    process.exit(2);
  }
  checks.push(argv[i + 1]);
  i += 1;
}
const main = argv.slice(sep + 1);

const children = new Set();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const c of children) c.kill(sig);
  });
}

/** Run `command` through the shell with its output captured; resolves with its exit status and output. */
function runCheck(command) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    children.add(child);
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    child.on('error', (e) => chunks.push(Buffer.from(`${e.message}\n`)));
    child.on('close', (code, signal) => {
      children.delete(child);
      const ok = code === 0;
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      const head = `\ncheck ${ok ? 'passed' : 'FAILED'}: ${command} (${secs} s${ok ? '' : `, exit ${code ?? signal}`})\n`;
      process.stdout.write(ok ? head : `${head}${Buffer.concat(chunks).toString()}\n`);
      resolve(ok);
    });
  });
}

// The main command's stdout is passed through as it comes (its stderr and stdin stay inherited), so that its
// closing `tests: P passed, F failed` line (test/helpers/summary-reporter.ts) can be read and printed again LAST,
// with each failed check counted as one failed test: CI reads the final line, and a check's failure printed after
// vitest's summary would otherwise leave "0 failed" (or no tests line at all) at the end. Piping makes vitest's
// stdout a pipe, not a TTY: FORCE_COLOR keeps its colours when this runner's own stdout is a terminal (and
// NO_COLOR, when set, still wins).
const TESTS_LINE = /^tests: (\d+) passed, (\d+) failed(.*)$/;
const stripAnsi = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');
let testsLine; // { passed, failed, rest } from the last tests line the main command printed

const checksDone = Promise.all(checks.map(runCheck));
const mainDone = new Promise((resolve) => {
  const colour = process.stdout.isTTY && !process.env.NO_COLOR && process.env.FORCE_COLOR === undefined;
  const env = colour ? { ...process.env, FORCE_COLOR: '1' } : process.env;
  const child = spawn(main[0], main.slice(1), { stdio: ['inherit', 'pipe', 'inherit'], env });
  children.add(child);
  let partial = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = TESTS_LINE.exec(stripAnsi(line).trim());
      if (m) testsLine = { passed: Number(m[1]), failed: Number(m[2]), rest: m[3] };
    }
  });
  child.on('error', (e) => {
    process.stderr.write(`beside.mjs: ${main[0]}: ${e.message}\n`);
    resolve(1);
  });
  child.on('close', (code, signal) => {
    children.delete(child);
    const m = TESTS_LINE.exec(stripAnsi(partial).trim());
    if (m) testsLine = { passed: Number(m[1]), failed: Number(m[2]), rest: m[3] };
    resolve(code ?? (signal ? 1 : 0));
  });
});

const [results, mainCode] = await Promise.all([checksDone, mainDone]);
const failed = checks.filter((_, i) => !results[i]);
if (failed.length > 0) process.stdout.write(`\nnpm test: failed check(s): ${failed.join('; ')}\n`);
// The last line, always: the main command's counts plus one failed test per failed check. A main command that
// failed without printing a tests line (it crashed, or was killed) counts as one failure, never as "0 failed".
const passed = testsLine?.passed ?? 0;
const mainFailed = testsLine?.failed ?? (mainCode !== 0 ? 1 : 0);
process.stdout.write(`\ntests: ${passed} passed, ${mainFailed + failed.length} failed${testsLine?.rest ?? ''}\n`);
process.exitCode = mainCode !== 0 ? mainCode : failed.length > 0 ? 1 : 0;
