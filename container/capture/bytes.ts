/**
 * A growable byte buffer that capture writers encode records into. Queued
 * capture lives as bytes outside the JavaScript heap: a record that waits a
 * few milliseconds for its batch is then no garbage-collected object at all,
 * so a busy server's young generation does not grow to hold it (measured: with
 * the old per-record value arrays, V8's new space grew from 1 MB to 16 MB per
 * semi-space under saturating load and resident memory from ~64 to ~120 MiB).
 *
 * Numbers are little-endian. `value` writes a tagged value the SQLite worker
 * reads back: 0 null, 1 float64, 2 UTF-8 string with a uint32 byte length,
 * 3 a string the reader knows as well (a schema's category or class) as its
 * uint8 index in that list: a byte instead of writing the string's UTF-8.
 */
export const TAG_NULL = 0;
export const TAG_NUMBER = 1;
export const TAG_STRING = 2;
export const TAG_KNOWN = 3;

/** The strings TAG_KNOWN can name: the first 256 of a list, by index. */
export function knownIndex(values: readonly string[]): Map<string, number> {
  return new Map(values.slice(0, 256).map((v, i) => [v, i]));
}

export class ByteWriter {
  private buf: Buffer;
  /** The same bytes: an optimized DataView store is one instruction, where Buffer.writeDoubleLE copies eight bytes one by one. */
  private view: DataView;
  private pos = 0;

  constructor(initialBytes = 4096) {
    this.buf = Buffer.allocUnsafeSlow(Math.max(64, initialBytes));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far; valid until the next write or reset. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = Buffer.allocUnsafeSlow(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.length);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** A string's UTF-8 bytes, without a length. */
  text(s: string): void {
    this.ensure(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** A string's UTF-8 bytes after their uint32 length. */
  string(s: string): void {
    this.ensure(4 + 3 * s.length);
    const written = this.buf.write(s, this.pos + 4, 'utf8');
    this.buf.writeUInt32LE(written, this.pos);
    this.pos += 4 + written;
  }

  /** A tagged null, number or string; a string in `known` (knownIndex) as its index. */
  value(v: string | number | null | undefined, known?: Map<string, number>): void {
    if (v === null || v === undefined) this.u8(TAG_NULL);
    else if (typeof v === 'number') {
      this.ensure(9);
      this.buf[this.pos] = TAG_NUMBER;
      this.view.setFloat64(this.pos + 1, v, true);
      this.pos += 9;
    } else {
      const index = known?.get(v);
      if (index === undefined) {
        this.u8(TAG_STRING);
        this.string(v);
      } else {
        this.ensure(2);
        this.buf[this.pos++] = TAG_KNOWN;
        this.buf[this.pos++] = index;
      }
    }
  }
}
