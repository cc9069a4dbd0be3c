// What binaryen reads: the module with everything binaryen would choke on taken out,
// and put back after it has written the result.
//
//   input                                  binaryen reads                    output
//   name section with "l\0ak", or damaged  plain names, each once           binaryen's names
//   target_features / dylink(.0) malformed  nothing (a warning)               nothing
//   export "ex\0p", import "en\0v" "m\0"     "wasm-tracemalloc.name.0", …      "ex\0p", "en\0v" "m\0"
//
// binaryen.js aborts on what V8 accepts: a custom section it parses (names,
// target_features, dylink, dylink.0) that is malformed, or a name with a NUL, which
// its JS API returns cut at the NUL (so the pass then names another function, or
// none). Names binaryen sees are never the module's untrusted bytes; the module's own
// names stay in `ModuleInfo` for the site table.

import { ByteReader, WasmFormatError } from './reader.js';
import { binaryenNameSection } from './name-section.js';
import { ByteWriter, encodeCustomSection, encodeSection } from './writer.js';
import type { ModuleInfo, SectionEntry } from './module.js';

export interface BinaryenInput {
  /** Section start → the section's replacement (whole, with id and size), or null to drop it. */
  replace: Map<number, Uint8Array | null>;
  /** The module as the pass should name things to binaryen: placeholders for names with a NUL. */
  info: ModuleInfo;
  /** Import and export names to put back in binaryen's output: placeholder → original. */
  restore: Map<string, string>;
}

const PLACEHOLDER = 'wasm-tracemalloc.name.';

/** Why binaryen would refuse a custom section it parses (and where), or undefined when it would read it. */
export function customSectionProblem(name: string, bytes: Uint8Array, start: number, end: number): { problem: string; offset: number } | undefined {
  const r = new ByteReader(bytes, start, end);
  const exactEnd = () => {
    if (!r.done) r.fail(`${end - r.pos} bytes after its content`);
  };
  try {
    if (name === 'target_features') {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const prefix = r.u8();
        if (prefix !== 0x2b && prefix !== 0x2d && prefix !== 0x3d) r.fail(`feature ${i} has prefix 0x${prefix.toString(16)}, not +, - or =`, r.pos - 1);
        const len = r.u32();
        const at = r.pos;
        r.skip(len);
        if (!bytes.subarray(at, at + len).every((b) => b > 0x20 && b < 0x7f)) r.fail(`feature ${i} has a name that is not plain ASCII`, at);
      }
      exactEnd();
    } else if (name === 'dylink') {
      for (let i = 0; i < 4; i++) r.u32();
      const n = r.u32();
      for (let i = 0; i < n; i++) r.skip(r.u32());
      exactEnd();
    } else if (name === 'dylink.0') {
      while (!r.done) {
        const type = r.u32();
        const sizeAt = r.pos;
        const size = r.u32();
        const subEnd = r.pos + size;
        if (subEnd > end) r.fail(`subsection ${type} declares ${size} bytes but the section ends ${end - r.pos} bytes later`, sizeAt);
        if (type === 1) for (let i = 0; i < 4; i++) r.u32();
        else if (type === 2) {
          const n = r.u32();
          for (let i = 0; i < n; i++) r.skip(r.u32());
        } else return undefined; // binaryen keeps the rest verbatim from the first subsection it does not know
        if (r.pos !== subEnd) r.fail(`subsection ${type} declares ${size} bytes but holds ${r.pos - (subEnd - size)}`);
      }
    }
  } catch (e) {
    if (!(e instanceof WasmFormatError)) throw e;
    return { problem: e.message.replace(/ \(at byte offset .*\)$/, ''), offset: e.offset };
  }
  return undefined;
}

/** Custom sections binaryen parses (and would abort on); every other one it copies through. */
const PARSED_BY_BINARYEN = new Set(['target_features', 'dylink', 'dylink.0']);

/**
 * Replaces the import and export names of a module's import (2) and export (7) sections
 * through `rename` (which returns undefined to keep a name). Returns the sections that
 * changed, by their start offset.
 */
export function renameImportsAndExports(bytes: Uint8Array, sections: SectionEntry[], rename: (name: string) => string | undefined): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const s of sections) {
    if (s.id !== 2 && s.id !== 7) continue;
    const r = new ByteReader(bytes, s.contentStart, s.end);
    const w = new ByteWriter(s.end - s.contentStart + 64);
    let changed = false;
    const name = () => {
      const len = r.u32();
      const at = r.pos;
      r.skip(len);
      const text = decoder.decode(bytes.subarray(at, at + len));
      const renamed = rename(text);
      if (renamed === undefined) {
        w.u32(len);
        w.bytes(bytes.subarray(at, at + len));
      } else {
        changed = true;
        w.name(renamed);
      }
    };
    const n = r.u32();
    w.u32(n);
    for (let i = 0; i < n; i++) {
      name();
      if (s.id === 7) {
        const descStart = r.pos;
        r.u8();
        r.u32();
        w.bytes(bytes.subarray(descStart, r.pos));
        continue;
      }
      name();
      const descStart = r.pos;
      skipImportDesc(r);
      w.bytes(bytes.subarray(descStart, r.pos));
    }
    if (changed) out.set(s.start, encodeSection(s.id, w.result()));
  }
  return out;
}

function skipRefType(r: ByteReader): void {
  const b = r.u8();
  if (b === 0x63 || b === 0x64) r.s33();
}

function skipLimits(r: ByteReader): void {
  const flags = r.u8();
  r.skipLeb();
  if (flags & 1) r.skipLeb();
  if (flags & 8) r.u32();
}

function skipImportDesc(r: ByteReader): void {
  const kind = r.u8();
  if (kind === 0) r.u32();
  else if (kind === 1) {
    skipRefType(r);
    skipLimits(r);
  } else if (kind === 2) skipLimits(r);
  else if (kind === 3) {
    skipRefType(r);
    r.u8();
  } else if (kind === 4) {
    r.u8();
    r.u32();
  } else r.fail(`unknown import kind ${kind}`, r.pos - 1);
}

/**
 * The sections to replace or drop so that binaryen can read the module (warnings say
 * what was dropped), and the names to use with binaryen instead of the module's.
 */
export function binaryenInput(info: ModuleInfo, source: string, warnings: string[], unreadBodies?: ReadonlySet<number>): BinaryenInput {
  const replace = new Map<number, Uint8Array | null>();
  const { bytes } = info;
  for (const s of info.sections) {
    if (s.id !== 0) continue;
    if (s.name === 'name') {
      // binaryen sees no locals of a placeholder: their names go back in after it (instrument.ts).
      const content = binaryenNameSection(info.names ?? { functionNames: new Map(), intact: [] }, info.functions.length, unreadBodies);
      replace.set(s.start, encodeCustomSection('name', content));
      continue;
    }
    if (!PARSED_BY_BINARYEN.has(s.name!)) continue;
    const nameEnd = s.contentStart + 1 + new TextEncoder().encode(s.name!).length;
    const damage = customSectionProblem(s.name!, bytes, nameEnd, s.end);
    if (damage !== undefined) {
      replace.set(s.start, null);
      warnings.push(`${source}: the "${s.name}" section is damaged at byte ${damage.offset} (${damage.problem}); it is left out of the output`);
    }
  }

  // Imports and exports named with a NUL get placeholders (rare: the copy is then cheap).
  const restore = new Map<string, string>();
  const taken = new Set([...info.exports.map((e) => e.name), ...info.functions.flatMap((f) => (f.import ? [f.import.module, f.import.field] : []))]);
  const placeholders = new Map<string, string>();
  const placeholder = (name: string): string | undefined => {
    if (!name.includes('\0')) return undefined;
    let p = placeholders.get(name);
    if (p === undefined) {
      for (let k = placeholders.size; taken.has((p = `${PLACEHOLDER}${k}`)); k++);
      taken.add(p);
      placeholders.set(name, p);
      restore.set(p, name);
    }
    return p;
  };
  if (![...taken].some((n) => n.includes('\0'))) return { replace, info, restore };
  for (const [start, bytesOut] of renameImportsAndExports(bytes, info.sections, placeholder)) replace.set(start, bytesOut);
  const renamed: ModuleInfo = {
    ...info,
    exports: info.exports.map((e) => ({ ...e, name: placeholder(e.name) ?? e.name })),
    functions: info.functions.map((f) => (f.import ? { ...f, import: { module: placeholder(f.import.module) ?? f.import.module, field: placeholder(f.import.field) ?? f.import.field } } : f)),
  };
  return { replace, info: renamed, restore };
}
