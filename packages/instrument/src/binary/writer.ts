// Writes the WebAssembly binary format: the counterpart of reader.ts, for the parts of
// a module the pass writes itself (redirected calls, stubs, the sections binaryen is
// given instead of the module's own).

/** An unsigned LEB128 as bytes (up to 2^53), for the few places that splice one in. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    out.push((n % 128) | (n >= 128 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return out;
}

export class ByteWriter {
  private buf: Uint8Array<ArrayBuffer>;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  u32(v: number): void {
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v) b |= 0x80;
      this.byte(b);
    } while (v);
  }
  s32(v: number): void {
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }
  /** A name: its UTF-8 length, then its bytes. */
  name(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u32(b.length);
    this.bytes(b);
  }
  /** The bytes written so far, without a copy: valid until the next write or clear(). */
  view(): Uint8Array<ArrayBuffer> {
    return this.buf.subarray(0, this.length);
  }
  /** Starts over, keeping the buffer. */
  clear(): void {
    this.length = 0;
  }
  result(): Uint8Array<ArrayBuffer> {
    return this.buf.slice(0, this.length);
  }
}

/** A whole section: its id, its size, then `content`. */
export function encodeSection(id: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  const w = new ByteWriter(content.length + 6);
  w.byte(id);
  w.u32(content.length);
  w.bytes(content);
  return w.result();
}

/** A whole custom section named `name` holding `content`. */
export function encodeCustomSection(name: string, content: Uint8Array): Uint8Array<ArrayBuffer> {
  const w = new ByteWriter(content.length + name.length + 8);
  w.name(name);
  w.bytes(content);
  return encodeSection(0, w.result());
}
