// A small reader for the WebAssembly binary format: just enough structure to
// name functions, find exports and imports, locate code bodies and reject bad input
// with the byte offset where it went wrong. binaryen.js aborts on malformed input
// and cannot tell us original byte offsets, so we read the module ourselves first.

export class WasmFormatError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} (at byte offset ${offset}, 0x${offset.toString(16)})`);
    this.name = 'WasmFormatError';
  }
}

export class ByteReader {
  pos: number;
  constructor(readonly bytes: Uint8Array, pos = 0, readonly end = bytes.length) {
    this.pos = pos;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string, at = this.pos): never {
    throw new WasmFormatError(message, at);
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data');
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128 up to 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.end) this.fail('unexpected end of data inside a LEB128 number', start);
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 35) this.fail('LEB128 number too long', start);
    }
    if (result > 0xffffffff) this.fail('LEB128 number exceeds 32 bits', start);
    return result;
  }

  /** Signed LEB128 of up to 33 bits (block types, heap types); returns a JS number. */
  s33(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    const start = this.pos;
    do {
      if (this.pos >= this.end) this.fail('unexpected end of data inside a LEB128 number', start);
      b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 70) this.fail('LEB128 number too long', start);
    } while (b & 0x80);
    if (shift < 64 && b & 0x40) result -= 2 ** shift;
    return result;
  }

  /** Skips any LEB128 number (used for immediates we do not need, e.g. i64.const). */
  skipLeb(): void {
    const start = this.pos;
    for (let n = 0; ; n++) {
      if (this.pos >= this.end) this.fail('unexpected end of data inside a LEB128 number', start);
      if (n > 10) this.fail('LEB128 number too long', start);
      if ((this.bytes[this.pos++]! & 0x80) === 0) return;
    }
  }

  skip(n: number): void {
    if (this.pos + n > this.end) this.fail(`unexpected end of data: ${n} bytes needed, ${this.end - this.pos} left`);
    this.pos += n;
  }

  name(): string {
    const len = this.u32();
    const start = this.pos;
    this.skip(len);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes.subarray(start, start + len));
    } catch {
      return this.fail('name is not valid UTF-8', start);
    }
  }
}
