/**
 * `mqtt-doctor explain-error <text…>` (or stdin, or `--file log`): from a code, a message or a whole log to
 * the layer, the likely causes, a confirming mqtt-doctor command and the fix. input → explain / log timeline
 * → report. Exit 0 explained, 1 unknown input, 2 usage (binary input too), 130 interrupted (with what was read).
 *
 * Input is streamed: a log is read chunk by chunk into a LogReader, so memory stays flat however long the log,
 * and Ctrl-C / SIGTERM is seen between chunks.
 */
import { CLIENT_IDS, type ClientId } from '../kb/entry.js';
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { defineCommand } from './context.js';

/** A line longer than this is cut here while reading (the log reader reads 8 KiB of it anyway). */
const MAX_PENDING_CHARS = 64 * 1024;
/**
 * Bytes read at a time. Below V8's large-object size (128 KiB), so a chunk's decoded text is young garbage that
 * a scavenge frees at once; 256 KiB chunks went to the large-object space, which only a full collection frees,
 * and peak memory grew with the log's length.
 */
const CHUNK_BYTES = 64 * 1024;
/** Lines looked at before choosing text or log mode. */
const HEAD_LINES = 5;

export const explainErrorCommand = defineCommand({
  command: 'explain-error [text..]',
  describe: 'Explain an error code, message or log: layer, likely causes, how to confirm, how to fix',
  builder: (y) =>
    y
      .positional('text', { type: 'string', array: true, describe: 'Code, name or error line (default: read stdin)' })
      .option('file', {
        alias: 'f',
        type: 'string',
        describe: 'Read a log file and analyse it line by line (log mode)',
      })
      .option('client', {
        type: 'string',
        choices: [...CLIENT_IDS],
        describe:
          'Client library that produced the error (overrides the emitter read from the line, names its setting)',
      })
      .option('mqtt-version', {
        alias: 'V',
        type: 'string',
        choices: ['3.1.1', '4', '5'],
        describe: 'MQTT version in use (decides 3.1.1 vs MQTT 5 code readings)',
      })
      .example('$0 explain-error 5', 'A bare number: every reading, ranked')
      .example('$0 explain-error 113 --client esp32', 'ECONNABORTED on ESP32, not Linux EHOSTUNREACH')
      .example(
        '$0 explain-error "failed, rc=-2 try again in 5 seconds"',
        'The line says who wrote it (PubSubClient): read in its numbering',
      )
      .example('$0 explain-error "connect ECONNREFUSED 127.0.0.1:1883"', 'A Node/MQTT.js error line')
      .example('$0 explain-error 0x87 --client mqttjs', 'An MQTT 5 reason code with the MQTT.js setting to change')
      .example(
        '$0 explain-error --file /var/log/mosquitto/mosquitto.log',
        'Group a broker log by cause and read its timeline',
      )
      .example('journalctl -u mosquitto | $0 explain-error', 'Log mode from stdin'),
  run: async (args, ctx) => {
    // Asked for together: the loader reads the three module graphs in one pass, not one after another.
    const [
      { explainText },
      { LogReader, parseTimestampMs, looksBinary },
      { buildExplainReport, buildExplainLogReport },
    ] = await Promise.all([
      import('../analyze/explain.js'),
      import('../analyze/log-timeline.js'),
      import('../report/build-explain.js'),
    ]);
    const startedAt = new Date();
    const opts = explainOptions(args);
    const common = { version: VERSION, startedAt, ...opts };
    const words = inputWords(args);
    if (args.file !== undefined && words.length > 0) throw new UsageError('give either text or --file, not both');
    const { batches, source } = await openInput(args.file, words, ctx);

    // Look at the first lines: binary input is refused; two timestamps or five lines make a log.
    const cursor = new LineCursor(batches);
    const { head, line } = await readHead(cursor);
    const nonEmpty = checkHead(head, source, looksBinary);
    const stamped = nonEmpty.filter((l) => parseTimestampMs(l) !== undefined).length;
    const logMode = args.file !== undefined || stamped >= 2 || !cursor.done;

    if (!logMode) {
      const ex = explainText(nonEmpty.join('\n'), opts);
      const report = buildExplainReport(ex, { ...common, finishedAt: new Date() });
      ctx.out.emit(report);
      return report.verdict.exitCode;
    }
    const reader = new LogReader(opts);
    for (const l of head) reader.add(l);
    if (line !== undefined) reader.add(line);
    const interrupted = await readRest(cursor, (l) => reader.add(l), ctx.signal);
    const report = buildExplainLogReport(
      reader.finish(),
      source,
      { ...common, finishedAt: new Date() },
      { interrupted },
    );
    ctx.out.emit(report);
    return report.verdict.exitCode;
  },
});

type ExplainArgs = Parameters<typeof explainErrorCommand.run>[0];

/** --client and -V as the explainers read them. */
function explainOptions(args: ExplainArgs) {
  const client = args.client as ClientId | undefined;
  const mqttVersion = args['mqtt-version'] === undefined ? undefined : args['mqtt-version'] === '5' ? 5 : 4;
  return { ...(client ? { client } : {}), ...(mqttVersion ? { mqttVersion: mqttVersion as 4 | 5 } : {}) };
}

/**
 * The text typed: the positional words, then the words after `--` (text that starts with a dash, e.g.
 * `-- -4078`), which land in argv._ after the command name. (cli.ts hands run() yargs' argv, which carries `_`;
 * GlobalArgs does not declare it.)
 */
function inputWords(args: ExplainArgs): string[] {
  const afterDashes = ((args as { _?: unknown[] })._ ?? []).slice(1);
  return [...(args.text ?? []), ...afterDashes].map(String);
}

/** Lines one at a time over batches of lines (one batch per chunk read), and the rest of the current batch. */
class LineCursor {
  batch: string[] = [];
  at = 0;
  done = false;
  constructor(readonly batches: Batches) {}

  /** The next line, or undefined at the end. */
  async next(): Promise<string | undefined> {
    while (this.at >= this.batch.length) {
      const r = await this.batches.next();
      if (r.done) return void (this.done = true);
      this.batch = r.value;
      this.at = 0;
    }
    return this.batch[this.at++];
  }
}

/** Lines up to the HEAD_LINES-th non-empty one, and the line read after them (undefined at the end). */
async function readHead(cursor: LineCursor): Promise<{ head: string[]; line: string | undefined }> {
  const head: string[] = [];
  let line = await cursor.next();
  while (line !== undefined && head.filter((l) => l.trim()).length < HEAD_LINES) {
    head.push(line);
    line = await cursor.next();
  }
  return { head, line };
}

/** The head's non-empty lines; throws UsageError for binary or empty input. */
function checkHead(head: readonly string[], source: string, looksBinary: (line: string) => boolean): string[] {
  // Binary when most of the first lines are not text (a stray binary line in a text log is skipped later).
  const firstLines = head.filter((l) => l.trim()).map((l) => l.slice(0, 4096));
  if (firstLines.length > 0 && firstLines.filter((l) => looksBinary(l)).length * 2 > firstLines.length) {
    throw new UsageError(
      `${source} is binary, not text`,
      'explain-error reads an error code, an error message or a text log',
    );
  }
  const nonEmpty = head.filter((l) => l.trim());
  if (nonEmpty.length === 0) throw new UsageError(`nothing to explain: ${source} is empty`);
  return nonEmpty;
}

/**
 * The rest of the current batch, then a batch per chunk: the lines of a chunk are read synchronously (no
 * promise per line), and the signal is looked at between chunks, where the event loop has run. Returns whether
 * the signal stopped the reading.
 */
async function readRest(cursor: LineCursor, add: (line: string) => void, signal: AbortSignal): Promise<boolean> {
  for (; cursor.at < cursor.batch.length; cursor.at++) add(cursor.batch[cursor.at] ?? '');
  let interrupted = signal.aborted;
  while (!cursor.done && !interrupted) {
    const r = await cursor.batches.next();
    interrupted = signal.aborted;
    if (r.done || interrupted) break;
    for (const l of r.value) add(l);
  }
  await cursor.batches.return(undefined);
  return interrupted;
}

/** Lines in batches: one batch per chunk read. */
type Batches = AsyncGenerator<string[], void, undefined>;

async function openInput(
  file: string | undefined,
  words: string[],
  ctx: { stdin: NodeJS.ReadableStream & { isTTY?: boolean }; signal: AbortSignal },
): Promise<{ batches: Batches; source: string }> {
  if (file !== undefined) {
    const { createReadStream } = await import('node:fs');
    const { stat } = await import('node:fs/promises');
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new UsageError(`--file ${file} is not a file`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`cannot read --file ${file}: ${(err as Error).message}`);
    }
    return { batches: streamLines(createReadStream(file, { highWaterMark: CHUNK_BYTES }), ctx.signal), source: file };
  }
  if (words.length > 0) return { batches: oneBatch(words.join(' ').split(/\r?\n/)), source: 'arguments' };
  if (ctx.stdin.isTTY)
    throw new UsageError('nothing to explain', 'e.g. mqtt-doctor explain-error ECONNRESET, or pipe a log into it');
  return { batches: streamLines(ctx.stdin, ctx.signal), source: 'stdin' };
}

async function* oneBatch(list: string[]): Batches {
  yield list;
}

/**
 * The lines of a byte stream, decoded as UTF-8 across chunk boundaries, one batch per chunk. A line longer than
 * MAX_PENDING_CHARS is cut there (the rest, up to its newline, is dropped), so one endless line cannot fill
 * memory. Stops early when the signal aborts; yields to the event loop once per chunk, where the signal handler
 * runs.
 */
async function* streamLines(stream: NodeJS.ReadableStream, signal: AbortSignal): Batches {
  const { StringDecoder } = await import('node:string_decoder');
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let skipping = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      // A turn of the event loop per chunk, even when the stream has its data buffered: Ctrl-C lands here.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (signal.aborted) return;
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      const out: string[] = [];
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        if (!skipping) out.push(stripCr(pending + text.slice(start, nl)));
        start = nl + 1;
        pending = '';
        skipping = false;
      }
      if (!skipping) {
        pending += text.slice(start);
        if (pending.length > MAX_PENDING_CHARS) {
          out.push(pending.slice(0, MAX_PENDING_CHARS));
          pending = '';
          skipping = true;
        }
      }
      if (out.length) yield out;
    }
    const rest = pending + decoder.end();
    if (!skipping && rest) yield [stripCr(rest)];
  } catch (err) {
    throw new UsageError(`cannot read the input: ${(err as Error).message}`);
  }
}

const stripCr = (s: string) => (s.endsWith('\r') ? s.slice(0, -1) : s);
