/**
 * Bytes kept for finished connections, appended into a few large Buffers instead of one small object graph per
 * connection. A capture of 10,000 connections keeps each one's packet marks and events until the report is
 * written; as JS objects and typed arrays they cost ~1.8 KB a connection on the garbage-collected heap (measured
 * with a heap snapshot; issue 14), and the old generation grows with a multiple of its live size before each full
 * collection. Here they are ~1.2 KB of plain bytes off the heap, written once and read back on demand. Pure.
 */

/** Chunks start small (a capture of a few connections) and double up to this size. */
const CHUNK_MAX = 1 << 20;
const CHUNK_MIN = 4096;

export class ByteArena {
  private chunks: Buffer[] = [];
  private used = 0;
  private size = CHUNK_MIN / 2;

  /**
   * Room for `n` bytes at a multiple of 8 (typed arrays read in place need it): the Buffer to write them in,
   * where in it, and the reference that reads them back.
   */
  alloc(n: number): { ref: number; buf: Buffer; at: number } {
    const at = (this.used + 7) & ~7;
    let buf = this.chunks[this.chunks.length - 1];
    if (!buf || at + n > buf.length) {
      this.size = Math.min(CHUNK_MAX, this.size * 2);
      // allocUnsafeSlow: a Buffer of its own, never a slice of Node's shared pool (whose 8 KB slab it would pin).
      buf = Buffer.allocUnsafeSlow(Math.max(this.size, n));
      this.chunks.push(buf);
      this.used = n;
      return { ref: (this.chunks.length - 1) * 2 ** 32, buf, at: 0 };
    }
    this.used = at + n;
    return { ref: (this.chunks.length - 1) * 2 ** 32 + at, buf, at };
  }

  /** The Buffer and position a reference points to. */
  at(ref: number): { buf: Buffer; at: number } {
    const chunk = Math.floor(ref / 2 ** 32);
    return { buf: this.chunks[chunk]!, at: ref - chunk * 2 ** 32 };
  }
}
