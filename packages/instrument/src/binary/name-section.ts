// The name section, read so that damage costs names and nothing else.
//
// Engines treat the name section as advisory: V8 runs a module whose function-names
// subsection declares more bytes than the section holds. So do we: names read before
// the damage are kept, the rest are ignored, and the damage is reported once.
//
// Names are also untrusted text. binaryen.js hands names to JS as C strings, so a
// name with a NUL comes back cut short and then names another function, or none
// (an abort deep in binaryen). `binaryenNameSection` writes the section binaryen
// reads: only names that survive a C string round trip, each once.

import { ByteReader, WasmFormatError } from './reader.js';
import { ByteWriter } from './writer.js';

const SUBSECTIONS = ['module', 'function', 'local', 'label', 'type', 'table', 'memory', 'global', 'element segment', 'data segment', 'field', 'tag'];
/** Subsections that map an index to a name (the others: 0 one name, 2, 3 and 10 a map of maps). */
const NAME_MAPS = new Set([1, 4, 5, 6, 7, 8, 9, 11]);
const INDIRECT_MAPS = new Set([2, 3, 10]);

export interface NameSectionDamage {
  /** E.g. 'function names subsection declares 2047 bytes but the section ends 659 bytes later'. */
  problem: string;
  /** Byte offset in the module where it went wrong. */
  offset: number;
}

export interface NameSection {
  moduleName?: string;
  /** Function index → name, as far as the section could be read (names may be hostile). */
  functionNames: Map<number, string>;
  /** Subsections 2-11 that were read to their end, verbatim (id, content). */
  intact: Array<{ id: number; content: Uint8Array; names: Uint8Array[] }>;
  damage?: NameSectionDamage;
}

/**
 * A name binaryen can take as an identifier and give back unchanged: valid UTF-8
 * without control characters (NUL ends a C string; the rest is refused too, as
 * binaryen prints names in its messages), and not absurdly long.
 */
export function isPlainName(raw: Uint8Array): boolean {
  if (raw.length === 0 || raw.length > 4096) return false;
  for (const b of raw) if (b < 0x20 || b === 0x7f) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(raw);
    return true;
  } catch {
    return false;
  }
}

const lenient = new TextDecoder('utf-8');

function rawName(r: ByteReader): Uint8Array {
  const len = r.u32();
  const start = r.pos;
  r.skip(len);
  return r.bytes.subarray(start, start + len);
}

/** Reads the name section's content (after its own name) from `start` to `end` of `bytes`. */
export function readNameSection(bytes: Uint8Array, start: number, end: number): NameSection {
  const out: NameSection = { functionNames: new Map(), intact: [] };
  const r = new ByteReader(bytes, start, end);
  let last = -1;
  while (!r.done) {
    const at = r.pos;
    let id = -1;
    try {
      id = r.u8();
      const what = `${SUBSECTIONS[id] ?? `unknown (id ${id})`} names subsection`;
      // Subsections come in increasing order: one out of order is what a wrong size before it left.
      if (id <= last) {
        out.damage ??= { problem: `${what} after the ${SUBSECTIONS[last] ?? `unknown (id ${last})`} names subsection, out of order`, offset: at };
        return out;
      }
      last = id;
      const sizeAt = r.pos;
      const size = r.u32();
      const contentStart = r.pos;
      const declaredEnd = contentStart + size;
      const subEnd = Math.min(declaredEnd, end);
      const sub = new ByteReader(bytes, contentStart, subEnd);
      const names: Uint8Array[] = [];
      let failure: WasmFormatError | undefined;
      try {
        if (id === 0) {
          const raw = rawName(sub);
          names.push(raw);
          out.moduleName = lenient.decode(raw);
        } else if (NAME_MAPS.has(id) || INDIRECT_MAPS.has(id)) {
          const n = sub.u32();
          for (let i = 0; i < n; i++) {
            const index = sub.u32();
            if (INDIRECT_MAPS.has(id)) {
              const m = sub.u32();
              for (let k = 0; k < m; k++) {
                sub.u32();
                names.push(rawName(sub));
              }
            } else {
              const raw = rawName(sub);
              names.push(raw);
              if (id === 1) out.functionNames.set(index, lenient.decode(raw));
            }
          }
        } else {
          sub.pos = subEnd; // an unknown subsection: skipped, as engines do
        }
        if (!sub.done) sub.fail(`${what} has ${subEnd - sub.pos} bytes after its last name`);
      } catch (e) {
        if (!(e instanceof WasmFormatError)) throw e;
        failure = e;
      }
      if (declaredEnd > end) {
        out.damage ??= { problem: `${what} declares ${size} bytes but the section ends ${end - contentStart} bytes later`, offset: sizeAt };
        return out;
      }
      if (failure) {
        out.damage ??= { problem: `${what}: ${failure.message.replace(/ \(at byte offset .*\)$/, '')}`, offset: failure.offset };
      } else if (id >= 2 && id < SUBSECTIONS.length) {
        out.intact.push({ id, content: bytes.subarray(contentStart, subEnd), names });
      }
      r.pos = declaredEnd;
    } catch (e) {
      if (!(e instanceof WasmFormatError)) throw e;
      out.damage ??= { problem: `the header of the ${id < 0 ? 'next' : (SUBSECTIONS[id] ?? `unknown (id ${id})`)} names subsection runs past the end of the section`, offset: at };
      return out;
    }
  }
  return out;
}

/**
 * The content of a name section for binaryen (after the section's own name): the
 * module name and function names that are plain (isPlainName), each name once, and
 * the intact subsections whose names are all plain. What is left out binaryen names
 * itself (a function by its index).
 */
export function binaryenNameSection(names: NameSection, functionCount: number, withoutLocalNamesOf?: ReadonlySet<number>): Uint8Array {
  const out = new ByteWriter();
  const subsection = (id: number, content: ByteWriter | Uint8Array) => {
    const bytes = content instanceof ByteWriter ? content.result() : content;
    out.byte(id);
    out.u32(bytes.length);
    out.bytes(bytes);
  };
  const utf8 = new TextEncoder();
  if (names.moduleName !== undefined) {
    const raw = utf8.encode(names.moduleName);
    if (isPlainName(raw) && !names.moduleName.includes('\ufffd')) {
      const c = new ByteWriter();
      c.u32(raw.length);
      c.bytes(raw);
      subsection(0, c);
    }
  }
  const used = new Set<string>();
  const entries: Array<[number, Uint8Array]> = [];
  for (const [index, name] of [...names.functionNames].sort((a, b) => a[0] - b[0])) {
    const raw = utf8.encode(name);
    // A name the lenient decoder repaired (invalid UTF-8) is not the module's name.
    if (index >= functionCount || used.has(name) || name.includes('\ufffd') || !isPlainName(raw)) continue;
    used.add(name);
    entries.push([index, raw]);
  }
  if (entries.length) {
    const c = new ByteWriter();
    c.u32(entries.length);
    for (const [index, raw] of entries) {
      c.u32(index);
      c.u32(raw.length);
      c.bytes(raw);
    }
    subsection(1, c);
  }
  for (const s of names.intact) {
    if (!s.names.every(isPlainName)) continue;
    if (s.id === 2 && withoutLocalNamesOf?.size) {
      const kept = localNameMaps(s.content).filter((e) => !withoutLocalNamesOf.has(e.func));
      if (kept.length) subsection(2, encodeLocalNames(kept));
    } else subsection(s.id, s.content);
  }
  return out.result();
}

/** One function's entry of the local-names subsection: its index and its name map, encoded. */
export interface LocalNameMap {
  func: number;
  map: Uint8Array;
}

/** The entries of an (intact) local-names subsection's content. */
export function localNameMaps(content: Uint8Array): LocalNameMap[] {
  const r = new ByteReader(content);
  const out: LocalNameMap[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const func = r.u32();
    const start = r.pos;
    for (let m = r.u32(); m > 0; m--) {
      r.u32();
      r.skip(r.u32());
    }
    out.push({ func, map: content.subarray(start, r.pos) });
  }
  return out;
}

function encodeLocalNames(entries: LocalNameMap[]): Uint8Array {
  const w = new ByteWriter();
  w.u32(entries.length);
  for (const e of [...entries].sort((a, b) => a.func - b.func)) {
    w.u32(e.func);
    w.bytes(e.map);
  }
  return w.result();
}

/**
 * The content of a name section (after its own name) with `extra` local names added to
 * its local-names subsection: the locals of functions whose bodies binaryen never saw
 * (binary/relocate.ts), already numbered as in that section's module.
 */
export function withLocalNames(content: Uint8Array, extra: LocalNameMap[]): Uint8Array {
  const r = new ByteReader(content);
  const out = new ByteWriter(content.length + extra.reduce((n, e) => n + e.map.length + 5, 16));
  let added = false;
  const addLocals = (own: LocalNameMap[]) => {
    const body = encodeLocalNames([...own, ...extra]);
    out.byte(2);
    out.u32(body.length);
    out.bytes(body);
    added = true;
  };
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const start = r.pos;
    r.skip(size);
    const sub = content.subarray(start, r.pos);
    if (!added && id >= 2) addLocals(id === 2 ? localNameMaps(sub) : []);
    if (id === 2) continue;
    out.byte(id);
    out.u32(size);
    out.bytes(sub);
  }
  if (!added) addLocals([]);
  return out.result();
}
