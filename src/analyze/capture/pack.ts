/**
 * Plain values (objects, arrays, strings, numbers, booleans, null, undefined) as compact bytes, and back: how a
 * finished connection keeps its records in the capture's ByteArena (issue 14: memory). JSON was the first form:
 * ~2 KB a connection, most of it keys and 17-digit timestamps. Here an object is the number of its shape (its
 * keys, in order, kept once per Packer) and its values; a number is a varint when it is a small integer, else its
 * 8 bytes (IEEE 754, so every double, -0, NaN and ±Infinity read back as they were); an undefined value stays a
 * key with undefined, as in the object written. Pure.
 */

/** The byte before each value. */
const Tag = {
  Undefined: 0,
  Null: 1,
  False: 2,
  True: 3,
  /** Zigzag varint: integers in ±2^30. */
  Int: 4,
  Float: 5,
  /** Varint byte length, then UTF-8. */
  Str: 6,
  /** Varint length, then the elements. */
  Arr: 7,
  /** Varint shape number, then the values in the shape's key order. */
  Obj: 8,
} as const;
type Tag = (typeof Tag)[keyof typeof Tag];

const INT_LIMIT = 2 ** 30;

/** A value the packer does not write (a Buffer, a Date, a class instance, a function…). */
export class Unpackable extends Error {
  override name = 'Unpackable';
}

export class Packer {
  private shapeIds = new Map<string, number>();
  private shapes: Shape[] = [];
  private out = Buffer.allocUnsafeSlow(4096);
  private pos = 0;

  /**
   * `v` as bytes, in a scratch Buffer the next call reuses (copy them out before that). Throws Unpackable for
   * what it cannot write back the same.
   */
  pack(v: unknown): Buffer {
    return this.packEach([v]).bytes;
  }

  /** Each of `vs` packed, one after the other, and where each ends (as pack(), in the scratch Buffer). */
  packEach(vs: readonly unknown[]): { bytes: Buffer; ends: number[] } {
    this.pos = 0;
    const ends: number[] = [];
    for (const v of vs) {
      this.value(v);
      ends.push(this.pos);
    }
    return { bytes: this.out.subarray(0, this.pos), ends };
  }

  /** The value packed at `at` of `buf` (as this Packer's pack() wrote it). */
  unpack(buf: Buffer, at: number): unknown {
    return new Reader(buf, at, this.shapes).value();
  }

  private room(n: number): void {
    if (this.pos + n <= this.out.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.out.length * 2, this.pos + n));
    this.out.copy(bigger, 0, 0, this.pos);
    this.out = bigger;
  }

  private varint(n: number): void {
    this.room(5);
    while (n >= 0x80) {
      this.out[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.out[this.pos++] = n;
  }

  private tag(t: Tag): void {
    this.room(1);
    this.out[this.pos++] = t;
  }

  private value(v: unknown): void {
    switch (typeof v) {
      case 'undefined':
        return this.tag(Tag.Undefined);
      case 'boolean':
        return this.tag(v ? Tag.True : Tag.False);
      case 'number':
        if (Number.isInteger(v) && Math.abs(v) < INT_LIMIT && !Object.is(v, -0)) {
          this.tag(Tag.Int);
          return this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
        }
        this.tag(Tag.Float);
        this.room(8);
        this.pos = this.out.writeDoubleLE(v, this.pos);
        return;
      case 'string': {
        this.tag(Tag.Str);
        const n = Buffer.byteLength(v);
        this.varint(n);
        this.room(n);
        this.pos += this.out.write(v, this.pos, 'utf8');
        return;
      }
      case 'object':
        if (v === null) return this.tag(Tag.Null);
        if (Array.isArray(v)) {
          this.tag(Tag.Arr);
          this.varint(v.length);
          for (const x of v as unknown[]) this.value(x);
          return;
        }
        if (Object.getPrototypeOf(v) === Object.prototype) return this.object(v as Record<string, unknown>);
        throw new Unpackable(`cannot pack a ${(v as object).constructor?.name ?? 'null-prototype object'}`);
      default:
        throw new Unpackable(`cannot pack a ${typeof v}`);
    }
  }

  private object(o: Record<string, unknown>): void {
    const keys = Object.keys(o);
    const id = keys.join('\u0000');
    let n = this.shapeIds.get(id);
    if (n === undefined) {
      n = this.shapes.length;
      this.shapes.push({ keys, build: undefined });
      this.shapeIds.set(id, n);
    }
    this.tag(Tag.Obj);
    this.varint(n);
    for (const k of keys) this.value(o[k]);
  }
}

/** An object shape: its keys, and (made on first read) a function that builds such an object from a Reader. */
interface Shape {
  keys: string[];
  build: ((r: Reader) => Record<string, unknown>) | undefined;
}

/**
 * The function that builds an object of `keys` from the values next in a Reader: an object literal with those
 * keys in that order, so every object of a shape gets one hidden class at once instead of a property store per
 * key (a connection is read back a few times per report: this is most of the cost). `__proto__` is written as a
 * computed key, which defines an own property (ECMA-262 §13.2.5.5), never the prototype.
 */
function builder(keys: readonly string[]): (r: Reader) => Record<string, unknown> {
  const fields = keys.map((k) => `${k === '__proto__' ? '["__proto__"]' : JSON.stringify(k)}: r.value()`);
  return new Function('r', `return { ${fields.join(', ')} };`) as (r: Reader) => Record<string, unknown>;
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    private pos: number,
    private readonly shapes: readonly Shape[],
  ) {}

  private varint(): number {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.pos++]!;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
      shift += 7;
    }
  }

  value(): unknown {
    const t = this.buf[this.pos++] as Tag;
    switch (t) {
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Int: {
        const z = this.varint();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case Tag.Float: {
        const x = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
        return x;
      }
      case Tag.Str: {
        const n = this.varint();
        const s = this.text(this.pos, this.pos + n);
        this.pos += n;
        return s;
      }
      case Tag.Arr: {
        const n = this.varint();
        const a: unknown[] = [];
        for (let i = 0; i < n; i++) a.push(this.value());
        return a;
      }
      case Tag.Obj: {
        const shape = this.shapes[this.varint()]!;
        return (shape.build ??= builder(shape.keys))(this);
      }
      default:
        throw new Error(`corrupt packed value: tag ${String(t)} at byte ${this.pos - 1}`);
    }
  }

  /**
   * UTF-8 bytes as text: short ASCII (addresses, ids, kinds) without a call into C++. At most 12 characters: V8
   * joins longer ones into a chain of cons strings, not one flat string.
   */
  private text(from: number, to: number): string {
    const b = this.buf;
    if (to - from <= 12) {
      let ascii = true;
      for (let i = from; i < to; i++) if (b[i]! >= 0x80) ascii = false;
      if (ascii) {
        let s = '';
        for (let i = from; i < to; i++) s += String.fromCharCode(b[i]!);
        return s;
      }
    }
    return b.toString('utf8', from, to);
  }
}
