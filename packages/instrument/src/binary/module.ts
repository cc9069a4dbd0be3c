// Reads the structure of a module: sections, types, imports, functions, exports,
// code bodies and the name section. Anything malformed becomes a WasmFormatError with
// the byte offset, so `instrument` can refuse the input before binaryen sees it.

import { ByteReader, WasmFormatError } from './reader.js';
import { isGcHeapType, isGcValType, scanBody, skipLocals, type BodyScan } from './instructions.js';
import { readNameSection, type NameSection } from './name-section.js';
import { uleb } from './writer.js';

export const VALTYPE_I32 = 0x7f;
export const VALTYPE_I64 = 0x7e;

export interface FuncType {
  params: number[];
  results: number[];
  /** The encoded value types (without their counts), to write a derived type. */
  raw: { params: Uint8Array; results: Uint8Array };
}

export interface FunctionEntry {
  index: number;
  /** From the name section, when there is one. */
  name?: string;
  import?: { module: string; field: string };
  type?: FuncType;
  /** Index into the type section (what call_indirect and call_ref name). */
  typeIndex?: number;
  /** Module-relative offsets of the body: start of its size field, first instruction, end. */
  body?: { start: number; code: number; end: number };
}

export interface SectionEntry {
  id: number;
  /** Name of a custom section. */
  name?: string;
  /** Offset of the section id byte. */
  start: number;
  contentStart: number;
  end: number;
}

export interface ModuleInfo {
  bytes: Uint8Array;
  sections: SectionEntry[];
  functions: FunctionEntry[];
  importedFunctionCount: number;
  exports: { name: string; kind: number; index: number }[];
  memory64: boolean;
  codeSection?: SectionEntry;
  hasNameSection: boolean;
  /** The name section as far as it could be read, with its damage if any (name-section.ts). */
  names?: NameSection;
  /** The type section: function types, undefined for GC struct/array types. */
  types: Array<FuncType | undefined>;
  /**
   * Whether the module uses GC encodings outside code: struct, array, sub or rec
   * types, or a GC value type (isGcValType: `(ref null? T)`, anyref, nullexternref, …)
   * in a signature, an import, a table, a global, an element segment or a local.
   * Instructions are in each body's scan (BodyScan.gc). binaryen with GC on writes
   * even an MVP `ref.null extern` as `ref.null noextern`, which engines without GC
   * (Node 20) reject, so the rewrite enables GC only when the module uses it.
   */
  usesGc?: boolean;
  /**
   * Functions that can become a function reference outside code (element segments,
   * global and table initializers; every export when a table is imported or
   * exported, since JS can then put them in it). `ref.func` in code is in each
   * body's scan. Undefined when a section could not be understood: anything may
   * then be called indirectly.
   */
  addressTaken?: Set<number>;
}

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount', 'tag'];

export function sectionName(s: SectionEntry): string {
  return s.id === 0 ? `custom section "${s.name}"` : `${SECTION_NAMES[s.id] ?? `unknown (id ${s.id})`} section`;
}

function readLimits(r: ByteReader): { memory64: boolean } {
  const flags = r.u8();
  r.skipLeb();
  if (flags & 1) r.skipLeb();
  if (flags & 8) r.u32(); // custom page size (log2)
  return { memory64: (flags & 4) !== 0 };
}

function readValTypes(r: ByteReader, gc: () => void): { list: number[]; raw: Uint8Array } {
  const n = r.u32();
  const start = r.pos;
  const list: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = r.u8();
    if (b === 0x63 || b === 0x64) r.s33();
    if (isGcValType(b)) gc();
    list.push(b);
  }
  return { list, raw: r.bytes.subarray(start, r.pos) };
}

/** `gc` is called for each GC encoding: a struct, array, sub or rec type, a GC value type. */
function readTypes(r: ByteReader, gc: () => void): Array<FuncType | undefined> {
  const types: Array<FuncType | undefined> = [];
  const readComp = () => {
    const form = r.u8();
    if (form === 0x60) {
      const params = readValTypes(r, gc);
      const results = readValTypes(r, gc);
      types.push({ params: params.list, results: results.list, raw: { params: params.raw, results: results.raw } });
    } else if (form === 0x5f) {
      gc();
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const b = r.u8();
        if (b === 0x63 || b === 0x64) r.s33();
        r.u8();
      }
      types.push(undefined);
    } else if (form === 0x5e) {
      gc();
      const b = r.u8();
      if (b === 0x63 || b === 0x64) r.s33();
      r.u8();
      types.push(undefined);
    } else {
      r.fail(`unknown type form 0x${form.toString(16)}`, r.pos - 1);
    }
  };
  const readSub = () => {
    const b = r.bytes[r.pos];
    if (b === 0x50 || b === 0x4f) {
      gc();
      r.pos++;
      const n = r.u32();
      for (let i = 0; i < n; i++) r.u32();
    }
    readComp();
  };
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    if (r.bytes[r.pos] === 0x4e) {
      gc();
      r.pos++;
      const n = r.u32();
      for (let j = 0; j < n; j++) readSub();
    } else {
      readSub();
    }
  }
  return types;
}

/** Reads a constant expression up to its `end`, adding the functions it references; `gc` as in readTypes. */
function readConstExpr(r: ByteReader, out: Set<number>, gc: () => void): void {
  for (;;) {
    const at = r.pos;
    const op = r.u8();
    switch (op) {
      case 0x0b: return;
      case 0x41: case 0x42: r.skipLeb(); break; // i32/i64.const
      case 0x43: r.skip(4); break;
      case 0x44: r.skip(8); break;
      case 0x23: r.u32(); break; // global.get
      case 0xd0: if (isGcHeapType(r.s33())) gc(); break; // ref.null heaptype
      case 0xd2: out.add(r.u32()); break; // ref.func
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break; // extended const
      default:
        if (op === 0xfb) gc(); // struct.new, array.new_fixed, ref.i31, … (GC constant expressions)
        r.fail(`constant expression opcode 0x${op.toString(16)} not understood`, at);
    }
  }
}

/** Skips a value type (a reference type, in tables and element segments); returns whether it is a GC one. */
function skipRefType(r: ByteReader): boolean {
  const b = r.u8();
  if (b === 0x63 || b === 0x64) r.s33();
  return isGcValType(b);
}

/** Table (4), global (6) and element (9) sections: functions referenced outside code; `gc` as in readTypes. */
function readFunctionReferences(r: ByteReader, id: number, out: Set<number>, gc: () => void): void {
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    if (id === 4) {
      const init = r.bytes[r.pos] === 0x40;
      if (init) r.pos += 2; // 0x40 0x00: a table with an initializer
      if (skipRefType(r)) gc();
      readLimits(r);
      if (init) readConstExpr(r, out, gc);
    } else if (id === 6) {
      if (skipRefType(r)) gc(); // any value type; a reference type has its heap type
      r.u8(); // mutability
      readConstExpr(r, out, gc);
    } else {
      const flags = r.u32();
      if (flags > 7) r.fail(`element segment flags ${flags} not understood`);
      if ((flags & 3) === 2) r.u32(); // table index
      if ((flags & 1) === 0) readConstExpr(r, new Set(), gc); // active: offset
      const exprs = (flags & 4) !== 0;
      if (flags & 3) {
        if (exprs) {
          if (skipRefType(r)) gc();
        } else r.u8(); // elemkind 0x00 (funcref)
      }
      const count = r.u32();
      for (let k = 0; k < count; k++) {
        if (exprs) readConstExpr(r, out, gc);
        else out.add(r.u32());
      }
    }
  }
}

export function readModule(bytes: Uint8Array): ModuleInfo {
  const r = new ByteReader(bytes);
  if (bytes.length < 8) r.fail(`file is ${bytes.length} bytes long, too short to be a WebAssembly module`, 0);
  if (bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    r.fail('not a WebAssembly module: missing the "\\0asm" magic number', 0);
  }
  const version = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24);
  if (version !== 1) {
    r.fail(version === 0x0d ? 'this is a WebAssembly component, not a core module; instrument the core modules inside it' : `unsupported WebAssembly binary version ${version}`, 4);
  }
  r.pos = 8;

  const info: ModuleInfo = {
    bytes,
    sections: [],
    functions: [],
    importedFunctionCount: 0,
    exports: [],
    memory64: false,
    hasNameSection: false,
    types: [],
    usesGc: false,
    addressTaken: new Set(),
  };
  const gc = () => void (info.usesGc = true);
  let tableShared = false;
  let types: Array<FuncType | undefined> = [];
  let definedTypeIdx: number[] = [];
  let nameSection: SectionEntry | undefined;

  while (!r.done) {
    const start = r.pos;
    const id = r.u8();
    const size = r.u32();
    const contentStart = r.pos;
    const end = contentStart + size;
    if (end > bytes.length) {
      r.fail(`truncated: ${SECTION_NAMES[id] ?? `id ${id}`} section declares ${size} bytes but only ${bytes.length - contentStart} remain`, start);
    }
    const section: SectionEntry = { id, start, contentStart, end };
    const s = new ByteReader(bytes, contentStart, end);
    switch (id) {
      case 0:
        section.name = s.name();
        if (section.name === 'name') nameSection = section;
        break;
      case 1:
        types = readTypes(s, gc);
        info.types = types;
        break;
      case 4: case 6: case 9:
        // Function references made outside code; advisory, so never fatal here:
        // what is not understood makes every function a possible indirect callee.
        if (info.addressTaken) {
          try {
            readFunctionReferences(new ByteReader(bytes, contentStart, end), id, info.addressTaken, gc);
          } catch (e) {
            if (!(e instanceof WasmFormatError)) throw e;
            info.addressTaken = undefined;
          }
        }
        break;
      case 2: {
        const n = s.u32();
        for (let i = 0; i < n; i++) {
          const module = s.name();
          const field = s.name();
          const kind = s.u8();
          if (kind === 0) {
            const t = s.u32();
            info.functions.push({ index: info.functions.length, import: { module, field }, type: types[t], typeIndex: t });
            info.importedFunctionCount++;
          } else if (kind === 1) {
            tableShared = true;
            if (skipRefType(s)) gc();
            readLimits(s);
          } else if (kind === 2) {
            if (readLimits(s).memory64) info.memory64 = true;
          } else if (kind === 3) {
            if (skipRefType(s)) gc();
            s.u8();
          } else if (kind === 4) {
            s.u8();
            s.u32();
          } else {
            s.fail(`unknown import kind ${kind}`);
          }
        }
        break;
      }
      case 3: {
        const n = s.u32();
        definedTypeIdx = [];
        for (let i = 0; i < n; i++) definedTypeIdx.push(s.u32());
        for (const t of definedTypeIdx) info.functions.push({ index: info.functions.length, type: types[t], typeIndex: t });
        break;
      }
      case 5: {
        const n = s.u32();
        for (let i = 0; i < n; i++) if (readLimits(s).memory64) info.memory64 = true;
        break;
      }
      case 7: {
        const n = s.u32();
        for (let i = 0; i < n; i++) {
          const name = s.name();
          const kind = s.u8();
          const index = s.u32();
          info.exports.push({ name, kind, index });
          if (kind === 1) tableShared = true;
        }
        break;
      }
      case 10: {
        info.codeSection = section;
        const n = s.u32();
        if (n !== definedTypeIdx.length) {
          s.fail(`code section has ${n} bodies but the function section declares ${definedTypeIdx.length}`, contentStart);
        }
        for (let i = 0; i < n; i++) {
          const bodyStart = s.pos;
          const bodySize = s.u32();
          const bodyEnd = s.pos + bodySize;
          if (bodyEnd > end) s.fail(`truncated: function body ${i} runs past the end of the code section`, bodyStart);
          const f = info.functions[info.importedFunctionCount + i]!;
          const locals = new ByteReader(bytes, s.pos, bodyEnd);
          if (skipLocals(locals)) gc();
          f.body = { start: bodyStart, code: locals.pos, end: bodyEnd };
          s.pos = bodyEnd;
        }
        break;
      }
      default:
        break;
    }
    info.sections.push(section);
    r.pos = end;
  }
  if (definedTypeIdx.length > 0 && !info.codeSection) {
    r.fail(`truncated: ${definedTypeIdx.length} functions are declared but the code section is missing`, bytes.length);
  }
  if (tableShared && info.addressTaken) for (const e of info.exports) if (e.kind === 0) info.addressTaken.add(e.index);
  if (nameSection) {
    info.hasNameSection = true;
    const nr = new ByteReader(bytes, nameSection.contentStart, nameSection.end);
    nr.name();
    info.names = readNameSection(bytes, nr.pos, nameSection.end);
    for (const [index, name] of info.names.functionNames) {
      const f = info.functions[index];
      if (f) f.name = name;
    }
  }
  return info;
}

/** Instructions of one defined function: calls and ref.func with their offsets. */
export function scanFunction(info: ModuleInfo, f: FunctionEntry): BodyScan {
  if (!f.body) return { calls: [], refFuncs: [], indirectCalls: 0, indirectTypes: [], tries: 0, gc: false };
  return scanBody(new ByteReader(info.bytes, f.body.code, f.body.end));
}

/** Whether a custom section is debug info that a rewrite makes stale. */
export function isDebugSection(name: string): boolean {
  return name.startsWith('.debug_') || name === 'sourceMappingURL' || name === 'external_debug_info' || name.startsWith('reloc.') || name === 'linking';
}

/**
 * The bytes on a plain ArrayBuffer, which is what WebAssembly.compile and friends
 * take (TypeScript's BufferSource): the same view when they are, else a copy
 * (bytes on a SharedArrayBuffer).
 */
export function onArrayBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** Returns the module's bytes without the custom sections `drop` selects. */
export function stripCustomSections(bytes: Uint8Array, drop: (name: string) => boolean): { bytes: Uint8Array<ArrayBuffer>; dropped: string[] } {
  const info = readModule(bytes);
  const keep: Uint8Array[] = [bytes.subarray(0, 8)];
  const dropped: string[] = [];
  for (const s of info.sections) {
    if (s.id === 0 && drop(s.name!)) {
      dropped.push(s.name!);
      continue;
    }
    keep.push(bytes.subarray(s.start, s.end));
  }
  if (dropped.length === 0) return { bytes: onArrayBuffer(bytes), dropped };
  const out = new Uint8Array(keep.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of keep) {
    out.set(b, o);
    o += b.length;
  }
  return { bytes: out, dropped };
}

/** The module with sections replaced or dropped (null), keyed by their start offset. */
export function replaceSections(bytes: Uint8Array, sections: SectionEntry[], replace: ReadonlyMap<number, Uint8Array | null>): Uint8Array<ArrayBuffer> {
  if (replace.size === 0) return onArrayBuffer(bytes);
  const keep: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const s of sections) {
    const r = replace.get(s.start);
    if (r === undefined) keep.push(bytes.subarray(s.start, s.end));
    else if (r) keep.push(r);
  }
  const out = new Uint8Array(keep.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of keep) {
    out.set(b, o);
    o += b.length;
  }
  return out;
}

/** Returns the module's bytes with a custom section `name` holding `payload` appended. */
export function appendCustomSection(bytes: Uint8Array, name: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const encoded = new TextEncoder().encode(name);
  const content = [...uleb(encoded.length), ...encoded];
  const size = uleb(content.length + payload.length);
  const out = new Uint8Array(bytes.length + 1 + size.length + content.length + payload.length);
  out.set(bytes);
  out.set([0, ...size, ...content], bytes.length);
  out.set(payload, out.length - payload.length);
  return out;
}
