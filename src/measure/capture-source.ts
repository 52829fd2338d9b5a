/**
 * The thin I/O edge of `analyze`: stream a capture file (or stdin for `-`, e.g. `tcpdump -w - | mqtt-doctor
 * analyze -`) into the pure analyser chunk by chunk, gunzipping when the bytes start with the gzip magic
 * (RFC 1952 §2.3.1: 1f 8b). Never holds the file in memory; stops promptly on the abort signal (Ctrl-C) so a
 * live capture still gets its summary.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface CaptureSink {
  push(chunk: Buffer): void;
}

export interface ReadOutcome {
  compressed: boolean;
  interrupted: boolean;
  /** Input bytes read (before decompression). */
  bytesIn: number;
  /** Where decoding stopped early, if it did (corrupt record, broken gzip). */
  stoppedAt?: { message: string };
  /** The input is empty. */
  empty?: string;
  /** The capture reader refused the bytes (garbage at the start, or a corrupt record later). */
  formatError?: string;
}

export async function readCapture(
  source: string,
  stdin: NodeJS.ReadableStream,
  sink: CaptureSink,
  signal: AbortSignal,
  onProgress?: (bytesIn: number) => void,
): Promise<ReadOutcome> {
  const file = await openSource(source);
  const raw: AsyncIterable<Buffer> = file ? fileChunks(file) : (stdin as Readable);
  const out: ReadOutcome = { compressed: false, interrupted: false, bytesIn: 0 };
  const stopOnAbort = (): void => {
    out.interrupted = true;
    if (!file) (stdin as Readable).destroy();
  };
  signal.addEventListener('abort', stopOnAbort, { once: true });
  // Ctrl-C while the command was still starting (modules loading): the abort event has already fired.
  if (signal.aborted) stopOnAbort();
  try {
    const counted = countedChunks(raw, out, signal, onProgress);
    const first = await counted.next();
    if (first.done) {
      out.empty = source === '-' ? 'stdin is empty' : `${source} is empty`;
      return out;
    }
    for await (const c of decoded(first.value, counted, out)) {
      if (signal.aborted) break;
      sink.push(c);
    }
  } catch (err) {
    readFailure(err, out);
  } finally {
    signal.removeEventListener('abort', stopOnAbort);
    await file?.close();
  }
  if (signal.aborted) out.interrupted = true;
  return out;
}

/** The file to read (undefined for stdin, `-`); a missing file, a folder and the like throw to the caller. */
async function openSource(source: string): Promise<FileHandle | undefined> {
  if (source === '-') return undefined;
  const st = await stat(source); // throws ENOENT etc. to the caller
  if (!st.isFile()) throw new Error(`${source} is not a file`);
  return open(source, 'r');
}

/** The input's chunks, counted into `out.bytesIn` (progress every 64 MB), until the end or the abort. */
async function* countedChunks(
  raw: AsyncIterable<Buffer>,
  out: ReadOutcome,
  signal: AbortSignal,
  onProgress: ((bytesIn: number) => void) | undefined,
): AsyncGenerator<Buffer> {
  let nextProgress = 64 * 1024 * 1024;
  for await (const chunk of raw) {
    const b = chunk as Buffer;
    out.bytesIn += b.length;
    if (onProgress && out.bytesIn >= nextProgress) {
      nextProgress += 64 * 1024 * 1024;
      onProgress(out.bytesIn);
    }
    yield b;
    if (signal.aborted) return;
  }
}

/** The capture's bytes: the chunks as read, or gunzipped when the first starts with the gzip magic. */
function decoded(head: Buffer, rest: AsyncGenerator<Buffer>, out: ReadOutcome): AsyncIterable<Buffer> {
  const tail = { [Symbol.asyncIterator]: () => rest };
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    out.compressed = true;
    const gz = createGunzip();
    Readable.from(
      (async function* () {
        // gunzip holds on to what it is given: copy out of the file reader's reused buffer.
        yield Buffer.from(head);
        for await (const c of tail) yield Buffer.from(c);
      })(),
    ).pipe(gz);
    return gz;
  }
  return (async function* () {
    yield head;
    for await (const c of tail) yield c;
  })();
}

/** A read that failed part-way: what the report says about it, or the error itself when it is not the input's. */
function readFailure(err: unknown, out: ReadOutcome): void {
  // The analyser's CaptureFormatError (matched by name: measure does not import analyze).
  if ((err as Error).name === 'CaptureFormatError') {
    out.formatError = (err as Error).message;
  } else if (out.interrupted) {
    // destroyed by Ctrl-C: keep what was read
  } else if (
    (err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ||
    /unexpected end of file/i.test((err as Error).message)
  ) {
    out.stoppedAt = { message: 'the gzip stream ends early (file cut while it was being written or copied)' };
  } else if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) {
    out.stoppedAt = { message: `broken gzip data: ${(err as Error).message}` };
  } else {
    throw err;
  }
}

/**
 * A file's bytes in 1 MB reads into one reused buffer: the analyser copies whatever it keeps, and a fresh
 * buffer per read would leave tens of MB of dead chunks waiting for the garbage collector.
 */
async function* fileChunks(fh: FileHandle): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) return;
    yield buf.subarray(0, bytesRead);
  }
}
