// The site table: what an instrumented module says about its own allocation sites.
// Written by the instrument pass into the custom section `wasm-tracemalloc.sites`
// and read back by the runtime when the module is instantiated, so an instrumented
// `.wasm` is self-describing.
//
// Two encodings, told apart by the first byte:
// - version 2 (the section since 0.2): binary and compact, below. A 15.8 MB Rust
//   module at 128 frames has ~96k sites whose frames repeat the same files,
//   functions, source lines and inlined frame chains: as JSON that was 7.5 MB, as
//   binary with one table of strings and one of frames it is a fraction of it.
// - JSON in UTF-8 (version 1, '{'): older modules, and the side table written next to
//   a module (`OUT.wasm.sites.json`), which people read.
// Names come from untrusted modules; both keep them plain data.
export const SITE_SECTION = 'wasm-tracemalloc.sites';
export const SITE_TABLE_VERSION = 2;
/** Versions decodeSiteTable reads: 1 (JSON) and 2 (binary, or JSON for a side table). */
const READABLE_VERSIONS = [1, 2];

/**
 * One source-level frame of a call site, from DWARF or a source map. A site's frames
 * run outermost first: the function containing the call, then each function inlined
 * into it on the way to the call; the last frame holds the call instruction's line.
 */
export interface SourceFrame {
  /** Source path as the debug info gives it (relative to DW_AT_comp_dir when under it); '' for the module itself. */
  file: string;
  /** 1-based line; 0 when the debug info has no line for the code. */
  line: number;
  column?: number;
  /** The function, demangled. */
  function?: string;
  /** The text of the line, stripped, when the source was available at instrument time. */
  source?: string;
}

export interface SiteRecord {
  /**
   * 'call': a direct call at `offset`, inside function `func`.
   * 'host': the allocator was called through an export (JS glue, another module).
   * 'indirect': the allocator was reached through a table or a `ref.func`.
   */
  kind: 'call' | 'host' | 'indirect';
  /** The allocator API that was called, as matched (e.g. `malloc`, `operator new(unsigned long)`). */
  allocator: string;
  /** Index of the calling function in the *original* module (-1 for host/indirect). */
  func: number;
  /** Name of the calling function (name section), when known. */
  name?: string;
  /** Module-relative byte offset of the call instruction in the original module; for host/indirect, the allocator's body. */
  offset: number;
  /** True when the offset could not be pinned to the instruction (it is the function's start). */
  approximate?: boolean;
  /** Source frames of the call, outermost first (symbolization); absent when nothing is known beyond `name`. */
  frames?: SourceFrame[];
}

export interface SiteTable {
  version: number;
  /** Offset of the original module's code section content (DWARF addresses are relative to it). */
  codeSectionOffset: number;
  /** Frames the module's shadow stack keeps (1: none, the allocation site only). */
  maxFrames?: number;
  sites: SiteRecord[];
}

/** The table as JSON: the side table's format (`OUT.wasm.sites.json`), meant to be readable. */
export function encodeSiteTable(table: SiteTable): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(table));
}

/** Reads a site table in either encoding (the custom section's content, or a side table). */
export function decodeSiteTable(bytes: Uint8Array | ArrayBuffer, source = 'module'): SiteTable {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (view[0] === BINARY_VERSION) return decodeBinary(view, source);
  // JSON starts with '{' or white space; a binary table starts with its version.
  if (view.length > 0 && view[0]! < 0x20 && ![0x09, 0x0a, 0x0d].includes(view[0]!)) {
    throw new Error(`${source}: unsupported "${SITE_SECTION}" section (version ${view[0]}, this runtime reads ${READABLE_VERSIONS.join(' and ')}); instrument the original module with this version`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(view));
  } catch (e) {
    throw new Error(`${source}: the "${SITE_SECTION}" custom section is corrupt (${(e as Error).message}); instrument the original module again`);
  }
  const t = parsed as Partial<SiteTable>;
  if (!t || typeof t !== 'object' || !READABLE_VERSIONS.includes(t.version as number) || !Array.isArray(t.sites)) {
    throw new Error(`${source}: unsupported "${SITE_SECTION}" section (version ${String(t?.version)}, this runtime reads ${READABLE_VERSIONS.join(' and ')}); instrument the original module with this version`);
  }
  for (const [i, s] of t.sites.entries()) {
    if (!s || typeof s.offset !== 'number' || typeof s.func !== 'number' || typeof s.allocator !== 'string' || !['call', 'host', 'indirect'].includes(s.kind)) {
      throw new Error(`${source}: site ${i} of the "${SITE_SECTION}" section is malformed; instrument the original module again`);
    }
    if (s.frames !== undefined) {
      const problem = framesProblem(s.frames);
      if (problem) throw new Error(`${source}: site ${i} of the "${SITE_SECTION}" section has malformed frames (${problem}); instrument the original module again`);
    }
  }
  return t as SiteTable;
}

function framesProblem(frames: unknown): string | undefined {
  if (!Array.isArray(frames)) return 'not an array';
  for (const [k, f] of frames.entries()) {
    const frame = f as Partial<SourceFrame> | null;
    if (!frame || typeof frame !== 'object') return `frame ${k} is not an object`;
    if (typeof frame.file !== 'string') return `frame ${k} has no file`;
    if (!Number.isInteger(frame.line) || frame.line! < 0) return `frame ${k} has line ${String(frame.line)}`;
    if (frame.column !== undefined && (!Number.isInteger(frame.column) || frame.column < 0)) return `frame ${k} has column ${String(frame.column)}`;
    if (frame.function !== undefined && typeof frame.function !== 'string') return `frame ${k} has a function that is not a string`;
    if (frame.source !== undefined && typeof frame.source !== 'string') return `frame ${k} has a source line that is not a string`;
  }
  return undefined;
}

/**
 * The embedded table with the frames of a side table (`OUT.wasm.sites.json`, written
 * by `instrument --symbols side`). The side table must describe the same sites: same
 * count, kinds, functions and offsets, or it belongs to another build.
 */
export function withSideTable(embedded: SiteTable, side: SiteTable, source = 'module', sideSource = 'side table'): SiteTable {
  const a = embedded.sites;
  const b = side.sites;
  const mismatch =
    a.length !== b.length ? `${b.length} sites, the module has ${a.length}` : a.findIndex((s, i) => s.kind !== b[i]!.kind || s.func !== b[i]!.func || s.offset !== b[i]!.offset);
  if (typeof mismatch === 'string' || mismatch >= 0) {
    const what = typeof mismatch === 'string' ? mismatch : `site ${mismatch} differs`;
    throw new Error(`${sideSource}: does not belong to ${source} (${what}); use the .sites.json written together with this instrumented module`);
  }
  return { ...embedded, sites: a.map((s, i) => (b[i]!.frames ? { ...s, frames: b[i]!.frames } : s)) };
}

// The binary encoding (version 2). All integers are unsigned LEB128 ("u"):
//
//   u8 2 · u codeSectionOffset · u maxFrames (0: absent)
//   u nStrings · nStrings × (u byteLength, UTF-8 bytes)
//   u nFrames  · nFrames × (u file, u line, u column+1, u function+1, u source+1)
//   u nSites   · nSites × (u8 flags, u allocator, [u name], s funcDelta, s offsetDelta, [u nFrames, nFrames × u frame])
//
// Strings and frames are indices into their tables (+1 where 0 means absent). flags:
// bits 0-1 the kind (call, host, indirect), 4 approximate, 8 has a name, 16 has
// frames. funcDelta and offsetDelta are zigzag-coded differences from the previous
// site's func and offset (the first from -1 and 0): sites are numbered in code order,
// so they are small.

const BINARY_VERSION = 2;
const KINDS = ['call', 'host', 'indirect'] as const;
const APPROXIMATE = 4;
const HAS_NAME = 8;
const HAS_FRAMES = 16;

class Writer {
  buf = new Uint8Array(1 << 16);
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u(v: number): void {
    // A negative or fractional value would misalign every field after it.
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`site table: ${v} is not an unsigned integer`);
    this.reserve(10);
    do {
      const b = v % 128;
      v = Math.floor(v / 128);
      this.buf[this.length++] = v > 0 ? b | 0x80 : b;
    } while (v > 0);
  }
  s(v: number): void {
    this.u(v < 0 ? -2 * v - 1 : 2 * v);
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
}

/** A table that gives each distinct value (by key) one index, in first-seen order. */
class Interned<T> {
  readonly values: T[] = [];
  private readonly index = new Map<string, number>();
  of(key: string, value: T): number {
    let i = this.index.get(key);
    if (i === undefined) this.index.set(key, (i = this.values.push(value) - 1));
    return i;
  }
}

/** The table in the compact binary encoding: the content of the custom section. */
export function encodeSiteSection(table: SiteTable): Uint8Array {
  const strings = new Interned<string>();
  const str = (s: string) => strings.of(s, s);
  const opt = (s: string | undefined) => (s === undefined ? 0 : str(s) + 1);
  const frames = new Interned<number[]>();
  const siteFrames = table.sites.map((site) =>
    site.frames?.map((f) => {
      const row = [str(f.file), f.line, f.column === undefined ? 0 : f.column + 1, opt(f.function), opt(f.source)];
      return frames.of(row.join(','), row);
    }),
  );
  const w = new Writer();
  w.u(BINARY_VERSION);
  w.u(table.codeSectionOffset);
  w.u(table.maxFrames ?? 0);
  // Strings first in the output, though sites intern more of them below: intern all now.
  const sites = table.sites.map((site) => [str(site.allocator), site.name === undefined ? -1 : str(site.name)] as const);
  const utf8 = new TextEncoder();
  w.u(strings.values.length);
  for (const s of strings.values) {
    const b = utf8.encode(s);
    w.u(b.length);
    w.bytes(b);
  }
  w.u(frames.values.length);
  for (const row of frames.values) for (const v of row) w.u(v);
  w.u(table.sites.length);
  let offset = 0;
  let func = -1;
  table.sites.forEach((site, i) => {
    const [allocator, name] = sites[i]!;
    const list = siteFrames[i];
    w.u(KINDS.indexOf(site.kind) | (site.approximate ? APPROXIMATE : 0) | (name >= 0 ? HAS_NAME : 0) | (list ? HAS_FRAMES : 0));
    w.u(allocator);
    if (name >= 0) w.u(name);
    w.s(site.func - func);
    func = site.func;
    w.s(site.offset - offset);
    offset = site.offset;
    if (list) {
      w.u(list.length);
      for (const f of list) w.u(f);
    }
  });
  return w.buf.slice(0, w.length);
}

function decodeBinary(bytes: Uint8Array, source: string): SiteTable {
  let pos = 1;
  const corrupt = (what: string): never => {
    throw new Error(`${source}: the "${SITE_SECTION}" custom section is corrupt (${what} at byte ${pos}); instrument the original module again`);
  };
  const u = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= bytes.length) corrupt('unexpected end');
      if (shift > 49) corrupt('number too long');
      const b = bytes[pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
    }
  };
  const s = (): number => {
    const z = u();
    return z % 2 ? -(z + 1) / 2 : z / 2;
  };
  const index = (n: number, what: string): number => {
    const i = u();
    if (i >= n) corrupt(`${what} ${i} of ${n}`);
    return i;
  };
  const codeSectionOffset = u();
  const maxFrames = u();
  const nStrings = u();
  if (nStrings > bytes.length) corrupt(`${nStrings} strings`);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const strings: string[] = [];
  for (let i = 0; i < nStrings; i++) {
    const len = u();
    if (pos + len > bytes.length) corrupt(`string ${i} of ${len} bytes`);
    try {
      strings.push(utf8.decode(bytes.subarray(pos, pos + len)));
    } catch {
      corrupt(`string ${i} is not UTF-8`);
    }
    pos += len;
  }
  const optString = (what: string): string | undefined => {
    const i = index(nStrings + 1, what);
    return i === 0 ? undefined : strings[i - 1];
  };
  const nFrames = u();
  if (nFrames > bytes.length) corrupt(`${nFrames} frames`);
  const frames: SourceFrame[] = [];
  for (let i = 0; i < nFrames; i++) {
    const frame: SourceFrame = { file: strings[index(nStrings, 'string')]!, line: u() };
    const column = u();
    if (column > 0) frame.column = column - 1;
    const fn = optString('function string');
    if (fn !== undefined) frame.function = fn;
    const text = optString('source string');
    if (text !== undefined) frame.source = text;
    frames.push(frame);
  }
  const nSites = u();
  if (nSites > bytes.length) corrupt(`${nSites} sites`);
  const sites: SiteRecord[] = [];
  let offset = 0;
  let func = -1;
  for (let i = 0; i < nSites; i++) {
    const flags = u();
    const kind = KINDS[flags & 3];
    if (!kind || flags > 31) corrupt(`site ${i} flags ${flags}`);
    const site: SiteRecord = { kind: kind!, allocator: strings[index(nStrings, 'string')]!, func: 0, offset: 0 };
    if (flags & HAS_NAME) site.name = strings[index(nStrings, 'string')]!;
    func += s();
    if (func < -1) corrupt(`site ${i} function ${func}`);
    site.func = func;
    offset += s();
    if (offset < 0) corrupt(`site ${i} offset ${offset}`);
    site.offset = offset;
    if (flags & APPROXIMATE) site.approximate = true;
    if (flags & HAS_FRAMES) {
      const n = u();
      if (n > bytes.length) corrupt(`site ${i} with ${n} frames`);
      site.frames = [];
      for (let k = 0; k < n; k++) site.frames.push(frames[index(nFrames, 'frame')]!);
    }
    sites.push(site);
  }
  if (pos !== bytes.length) corrupt(`${bytes.length - pos} bytes after the last site`);
  return { version: BINARY_VERSION, codeSectionOffset, ...(maxFrames ? { maxFrames } : {}), sites };
}
