/**
 * Run the built CLI (bin/mqtt-doctor.js → dist/) as a user would, capturing stdout, stderr and the exit code.
 * `npm test` builds first; every run is bounded by `timeoutMs`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/mqtt-doctor.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  /**
   * Send this signal after `afterMs`, once stderr contains `whenStderr`, or once `when()` holds (polled every
   * 20 ms: e.g. the test's server has seen the connection). Prefer an event to `afterMs`: a process on a busy
   * machine may take seconds to start, and a signal before its handlers exist kills it instead.
   */
  signal?: { name: NodeJS.Signals; afterMs?: number; whenStderr?: string; when?: () => boolean };
  /** Prefix the command (e.g. ['unshare', '-n'] to run in an empty network namespace). */
  wrap?: string[];
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      NO_COLOR: '1',
      FORCE_COLOR: undefined,
      CI: 'true',
      ...opts.env,
    };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const argv = [...(opts.wrap ?? []), process.execPath, BIN, ...args];
    const child = spawn(argv[0]!, argv.slice(1), { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const sendSignal = () => {
      if (signalled || !opts.signal) return;
      signalled = true;
      child.kill(opts.signal.name);
    };
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (opts.signal?.whenStderr && stderr.includes(opts.signal.whenStderr)) sendSignal();
    });
    if (opts.signal?.afterMs !== undefined) setTimeout(sendSignal, opts.signal.afterMs);
    const when = opts.signal?.when;
    const poll = when
      ? setInterval(() => {
          if (when()) sendSignal();
        }, 20)
      : undefined;
    const timer = setTimeout(() => {
      clearInterval(poll);
      child.kill('SIGKILL');
      reject(
        new Error(
          `mqtt-doctor ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 20_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr });
    });
    // A command that stops reading stdin early (it has what it needs, or it failed) closes the pipe: that is
    // the command's business, asserted through its exit code, not an error of the harness.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * Run the CLI in-process through `main(argv, io)`: for what does not need a process of its own (parsing,
 * usage errors, help, and commands whose work is in-process anyway). Streams are captured; stdin is a pipe
 * holding `input` (empty by default); process.exitCode is restored afterwards.
 */
export async function runMain(
  args: string[],
  opts: { env?: Record<string, string | undefined>; columns?: number; errColumns?: number; input?: string } = {},
): Promise<CliResult> {
  const { PassThrough } = await import('node:stream');
  const { main } = await import('../../src/cli.js');
  let stdout = '';
  let stderr = '';
  const outStream = Object.assign(new PassThrough(), {
    isTTY: false,
    ...(opts.columns ? { columns: opts.columns } : {}),
  });
  const errStream = Object.assign(new PassThrough(), {
    isTTY: false,
    ...(opts.errColumns ? { columns: opts.errColumns } : {}),
  });
  outStream.on('data', (d: Buffer) => (stdout += d.toString()));
  errStream.on('data', (d: Buffer) => (stderr += d.toString()));
  const stdin = Object.assign(new PassThrough(), { isTTY: false });
  stdin.end(opts.input ?? '');
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1', CI: 'true', ...opts.env };
  const saved = process.exitCode;
  try {
    const code = await main(args, { stdout: outStream, stderr: errStream, stdin, env });
    await new Promise((r) => setImmediate(r));
    return { code, signal: null, stdout, stderr };
  } finally {
    process.exitCode = saved;
  }
}

/**
 * What a `--json` report on stdout concluded, for an assertion's message: the verdict, every check that did not
 * pass and the error (or the first 300 characters of stdout when it is not a report), so a wrong exit code says why.
 */
export function reportVerdict(stdout: string): string {
  try {
    const doc = JSON.parse(stdout) as {
      verdict?: { status?: string; summary?: string };
      checks?: Array<{ id: string; status: string; summary?: string; explanation?: string }>;
      error?: { message?: string };
    };
    const notPassed = (doc.checks ?? [])
      .filter((c) => c.status !== 'pass' && c.status !== 'info')
      .map((c) => `${c.id} ${c.status}: ${c.summary ?? c.explanation ?? ''}`);
    const error = doc.error?.message ? [`error: ${doc.error.message}`] : [];
    return [`${doc.verdict?.status}: ${doc.verdict?.summary}`, ...notPassed, ...error].join(' | ');
  } catch {
    return `stdout is not one JSON document: ${stdout.slice(0, 300)}`;
  }
}
