/**
 * The one place that writes to the terminal. stdout carries the result (one report, rendered once by the
 * renderer picked here from report/renderers.ts, not sprinkled over the code); stderr carries progress. Every byte
 * written passes through the redactor, so a secret registered once can never be printed.
 */
import type { Report } from '../report/model.js';
import { loadRenderer, type FormatName } from '../report/renderers.js';
import { wrapWords } from '../report/wrap.js';

export interface OutputOptions {
  json: boolean;
  /** The stdout format, picked once (report/renderers.ts); default: json with --json, else text. */
  format?: FormatName;
  verbose: boolean;
  /** chalk level: 0 when NO_COLOR, --no-color or not a TTY. */
  colorLevel: 0 | 1 | 2 | 3;
  /** Spinners and rewriting lines: stderr is a TTY, not --json, not CI. */
  interactive: boolean;
  /** Suppress per-event progress lines (the summary still prints). */
  quiet?: boolean;
  /** Terminal width for tables (stdout columns when it is a terminal). */
  width?: number;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly colorLevel: 0 | 1 | 2 | 3;
  readonly interactive: boolean;
  /** A progress line on stderr (live probe line, connection event). */
  progress(line: string): void;
  /** A note on stderr that is always shown (e.g. "retrying with MQTT 3.1.1"). */
  note(line: string): void;
  /** Verbose-only detail on stderr. */
  debug(line: string): void;
  /**
   * The result on stdout. Call once per command. A format written in pieces (JSON) waits for 'drain' whenever
   * the stream's buffer is full, so a slow reader never makes the whole document sit in memory: await it.
   */
  emit(report: Report): Promise<void>;
  /** Write raw text to stdout (for commands whose result is not a report, e.g. --list-profiles). */
  write(text: string): void;
  /** Register a secret; it is replaced by *** wherever it would appear. */
  addSecret(secret: string | undefined): void;
  redact(text: string): string;
  /** Raw stderr stream for the spinner (ora) and the live status line. */
  readonly stderr: NodeJS.WritableStream;
}

/** The output of one run; the renderer of its format is loaded here, once (only that format's module loads). */
export async function createOutput(opts: OutputOptions): Promise<Output> {
  const secrets = new Set<string>();
  const redact = (text: string): string => {
    let out = text;
    for (const s of secrets) out = out.split(s).join('***');
    for (const s of secrets) {
      const enc = encodeURIComponent(s);
      if (enc !== s) out = out.split(enc).join('***');
    }
    return out;
  };
  const format = opts.format ?? (opts.json ? 'json' : 'text');
  const { render, pieces } = await loadRenderer(format);
  const stderr = guard(opts.stderr);
  const stdout = guard(opts.stdout);
  const err = (line: string) => stderr.write(fitTerminal(redact(line), opts.stderr) + '\n');
  return {
    json: opts.json,
    verbose: opts.verbose,
    colorLevel: opts.colorLevel,
    interactive: opts.interactive,
    stderr: opts.stderr,
    progress: (line) => {
      if (!opts.quiet) err(line);
    },
    note: err,
    debug: (line) => {
      if (opts.verbose) err(line);
    },
    emit: async (report) => {
      // Synchronous unless a write finds the buffer full: callers that do not await see no change.
      if (pieces)
        for (const piece of pieces(report)) {
          const full = stdout.writeWhenReady(redact(piece));
          if (full) await full;
        }
      else
        stdout.write(
          redact(render(report, { colorLevel: opts.colorLevel, ...(opts.width ? { width: opts.width } : {}) })),
        );
      // A failure also gets its one line on stderr, in every format: `probe … > /dev/null` must not fail silently.
      if (report.error)
        err(`mqtt-doctor: ${report.verdict.summary}${report.error.hint ? ` (hint: ${report.error.hint})` : ''}`);
    },
    write: (text) => stdout.write(redact(text)),
    addSecret: (s) => {
      // Very short secrets would mangle unrelated output; they are still masked in URLs by formatTarget.
      if (s && s.length >= 3) secrets.add(s);
    },
    redact,
  };
}

/**
 * A note or progress line for a terminal of `columns`: wrapped between words, each continuation two columns
 * under its line's own indent, so a long setup note ("impair: 127.0.0.1:1884 → … each way, nat-idle 5m 00s")
 * is not cut mid-word by the terminal at 80 columns. Not a terminal (a pipe, a file, a test): one line per line
 * as given, for grep. Runs after redaction, so a secret is masked before any line break could split it.
 */
export function fitTerminal(text: string, stream: NodeJS.WritableStream): string {
  const { isTTY, columns } = stream as { isTTY?: boolean; columns?: number };
  if (!isTTY || !columns || columns < 20) return text;
  return text
    .split('\n')
    .map((line) => {
      const [first = '', ...rest] = wrapWords(line, columns - 1);
      if (!rest.length) return first;
      const indent = ' '.repeat(line.length - line.trimStart().length + 2);
      return [first, ...wrapWords(rest.join(' '), columns - 1 - indent.length).map((l) => indent + l)].join('\n');
    })
    .join('\n');
}

/**
 * A stream whose reader went away (`probe … 2>&1 >report.txt | head -1`: EPIPE) must not end the process:
 * progress failing never costs the result. Node reports a failed pipe write as an 'error' event, which kills
 * the process when nobody listens (https://nodejs.org/api/stream.html#event-error_1); so listen once per
 * stream, and stop writing to a stream that failed. The ora spinner writes to the same stream and is covered.
 */
const guarded = new WeakMap<NodeJS.WritableStream, { broken: boolean }>();
function guard(stream: NodeJS.WritableStream): {
  write(text: string): void;
  /** Write; when the stream's buffer is full, a promise of its 'drain' (never for a failed or closed stream). */
  writeWhenReady(text: string): Promise<void> | undefined;
} {
  let state = guarded.get(stream);
  if (!state) {
    const s = { broken: false };
    state = s;
    guarded.set(stream, s);
    stream.on('error', () => {
      s.broken = true;
    });
  }
  const st = state;
  const write = (text: string): boolean => {
    if (st.broken) return true;
    try {
      return stream.write(text);
    } catch {
      st.broken = true;
      return true;
    }
  };
  return {
    write: (text) => void write(text),
    // On Linux process.stdout is synchronous for files, pipes and terminals, so write() returns true and this
    // never waits; elsewhere (macOS pipes, a test's Writable) a full buffer would otherwise grow with the
    // document (https://nodejs.org/api/process.html#a-note-on-process-io).
    writeWhenReady: (text) =>
      write(text) || st.broken
        ? undefined
        : new Promise<void>((resolve) => {
            const done = (): void => {
              stream.off('drain', done);
              stream.off('close', done);
              stream.off('error', done);
              resolve();
            };
            stream.on('drain', done);
            stream.on('close', done);
            stream.on('error', done);
          }),
  };
}

/** Decide colour and interactivity from the environment, as NO_COLOR / FORCE_COLOR / CI users expect. */
export function detectTerminal(
  env: NodeJS.ProcessEnv,
  stdoutIsTTY: boolean,
  stderrIsTTY: boolean,
  flags: { color: boolean | undefined; json: boolean },
): { colorLevel: 0 | 1 | 2 | 3; interactive: boolean } {
  let colorLevel: 0 | 1 | 2 | 3 = stdoutIsTTY ? 1 : 0;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') {
    const n = Number(env.FORCE_COLOR);
    colorLevel = n >= 1 && n <= 3 ? (n as 1 | 2 | 3) : 1;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') colorLevel = 0;
  if (flags.color === false || flags.json) colorLevel = 0;
  if (flags.color === true && colorLevel === 0 && !flags.json) colorLevel = 1;
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return { colorLevel, interactive: stderrIsTTY && !flags.json && !ci };
}
