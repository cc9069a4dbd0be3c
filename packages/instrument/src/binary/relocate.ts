// Moves a function body from one module's index spaces into another's: the bodies
// binaryen never saw (instrument.ts gives it a placeholder for each, since reading and
// writing code is where binaryen spends its time) go back into its output this way.
//
//   original body               binaryen's output            relocated body
//   call 812                    function 812 is now 815      call 815
//   global.get 3                global 3 is now 5            global.get 5
//   call_indirect (type 7) 0    that signature is type 2     call_indirect (type 2) 0
//
// Only what binaryen renumbers is rewritten: functions, globals and function types.
// Tables, memories, data segments and tags keep their order (the pass adds none).
// A body that names something else that can move (element segments, GC types) is
// refused, and the caller lets binaryen handle the whole module instead.

import { ByteReader } from './reader.js';
import { ByteWriter, encodeSection } from './writer.js';
import { PLACEHOLDER_BODY } from './redirect-calls.js';
import type { FuncType, ModuleInfo } from './module.js';

export interface IndexMaps {
  func: Int32Array;
  global: Int32Array;
  /** -1 where the original type is not a plain function type. */
  type: Int32Array;
}

/** What relocation cannot do; the pass then rewrites the module through binaryen alone. */
export class NotRelocatable extends Error {}

function mapped(map: Int32Array, index: number, what: string): number {
  const to = index < map.length ? map[index]! : -1;
  if (to < 0) throw new NotRelocatable(`${what} ${index} has no counterpart`);
  return to;
}

/**
 * Appends the body at `start..end` (its locals and code, without the size) of
 * `bytes`, relocated through `maps`, to `out`, preceded by its new size.
 */
export function relocateBody(bytes: Uint8Array, start: number, end: number, maps: IndexMaps, out: ByteWriter): void {
  const r = new ByteReader(bytes, start, end);
  const w = scratch;
  w.clear();
  let copied = start;
  /** Copies up to `at`, writes `value` for the LEB that follows (s33 for a block type), and skips it. */
  const replace = (at: number, value: number, signed = false) => {
    w.bytes(bytes.subarray(copied, at));
    r.pos = at;
    r.skipLeb();
    if (signed) w.s32(value);
    else w.u32(value);
    copied = r.pos;
  };
  const groups = r.u32();
  for (let i = 0; i < groups; i++) {
    r.u32();
    valType(r);
  }
  while (r.pos < r.end) {
    const at = r.pos;
    const op = r.u8();
    if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x19 || op === 0x1a || op === 0x1b || op === 0x0a || op === 0xd1) continue;
    if (op >= 0x45 && op <= 0xc4) continue;
    switch (op) {
      case 0x02: case 0x03: case 0x04: case 0x06:
        blockType(r, replace, maps);
        break;
      case 0x1f: {
        blockType(r, replace, maps);
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const kind = r.u8();
          if (kind === 0 || kind === 1) r.u32();
          r.u32();
        }
        break;
      }
      case 0x07: case 0x08: case 0x09: case 0x0c: case 0x0d: case 0x18:
      case 0x20: case 0x21: case 0x22: case 0x25: case 0x26: case 0x3f: case 0x40:
        r.u32();
        break;
      case 0x0e: {
        const n = r.u32();
        for (let i = 0; i <= n; i++) r.u32();
        break;
      }
      case 0x10: case 0x12: case 0xd2: {
        const immediate = r.pos;
        replace(immediate, mapped(maps.func, r.u32(), 'function'));
        break;
      }
      case 0x23: case 0x24: {
        const immediate = r.pos;
        replace(immediate, mapped(maps.global, r.u32(), 'global'));
        break;
      }
      case 0x11: case 0x13: {
        const immediate = r.pos;
        replace(immediate, mapped(maps.type, r.u32(), 'type'));
        r.u32();
        break;
      }
      case 0x1c: {
        const n = r.u32();
        for (let i = 0; i < n; i++) valType(r);
        break;
      }
      case 0x41: case 0x42:
        r.skipLeb();
        break;
      case 0x43:
        r.skip(4);
        break;
      case 0x44:
        r.skip(8);
        break;
      case 0xd0:
        if (r.s33() >= 0) throw new NotRelocatable('ref.null of a type index');
        break;
      case 0xfc:
        misc(r);
        break;
      case 0xfd:
        simd(r, at);
        break;
      case 0xfe:
        atomic(r, at);
        break;
      default:
        if (op >= 0x28 && op <= 0x3e) {
          memarg(r);
          break;
        }
        throw new NotRelocatable(`opcode 0x${op.toString(16)}`);
    }
  }
  w.bytes(bytes.subarray(copied, end));
  out.u32(w.length);
  out.bytes(w.view());
}

/** One body at a time is relocated into it, then copied out. */
const scratch = new ByteWriter(1 << 16);

function valType(r: ByteReader): void {
  const b = r.u8();
  if (b === 0x63 || b === 0x64) throw new NotRelocatable('a typed reference');
}

function blockType(r: ByteReader, replace: (at: number, value: number, signed: boolean) => void, maps: IndexMaps): void {
  const at = r.pos;
  const b = r.bytes[at]!;
  if (b === 0x63 || b === 0x64) throw new NotRelocatable('a typed reference block type');
  if (b >= 0x40 && b < 0x80) {
    r.pos++; // 0x40 (no result) or a value type: one byte, a negative s33
    return;
  }
  const t = r.s33();
  if (t >= 0) replace(at, mapped(maps.type, t, 'type'), true);
}

function memarg(r: ByteReader): void {
  const align = r.u32();
  if (align & 0x40) r.u32();
  r.skipLeb();
}

function misc(r: ByteReader): void {
  const sub = r.u32();
  if (sub <= 7) return;
  switch (sub) {
    case 8: case 10: case 14: r.u32(); r.u32(); return;
    case 9: case 11: case 15: case 16: case 17: r.u32(); return;
    // table.init and elem.drop name element segments, which the shadow stack re-adds.
    default: throw new NotRelocatable(`opcode 0xfc ${sub}`);
  }
}

function simd(r: ByteReader, at: number): void {
  const sub = r.u32();
  if (sub <= 11 || sub === 92 || sub === 93) return memarg(r);
  if (sub === 12 || sub === 13) return r.skip(16);
  if (sub >= 21 && sub <= 34) return r.skip(1);
  if (sub >= 84 && sub <= 91) {
    memarg(r);
    return r.skip(1);
  }
  if (sub <= 0x113) return;
  throw new NotRelocatable(`opcode 0xfd ${sub} at ${at}`);
}

function atomic(r: ByteReader, at: number): void {
  const sub = r.u32();
  if (sub === 3) return r.skip(1);
  if (sub <= 2 || (sub >= 0x10 && sub <= 0x4e)) return memarg(r);
  throw new NotRelocatable(`opcode 0xfe ${sub} at ${at}`);
}

/**
 * The sections of binaryen's output `out` (read from `emitted`) that change when the
 * placeholder bodies get the bodies binaryen never saw: the code section, and the
 * type section when a signature only those bodies use is missing from it. `placedAt`
 * maps each placeholder's output function index to its original index; `bodies`
 * holds the original (redirected) bodies by original index.
 */
export function restoreBodies(
  emitted: Uint8Array,
  out: ModuleInfo,
  original: ModuleInfo,
  placedAt: Map<number, number>,
  bodies: ReadonlyMap<number, Uint8Array>,
  maps: Omit<IndexMaps, 'type'>,
): Map<number, Uint8Array> {
  const code = out.codeSection;
  const typeSection = out.sections.find((s) => s.id === 1);
  if (!code || out.usesGc || out.types.some((t) => !t)) throw new NotRelocatable('binaryen wrote GC types');
  const key = (t: FuncType) => `${t.raw.params.join(',')}>${t.raw.results.join(',')}`;
  const typeIndex = new Map<string, number>();
  out.types.forEach((t, i) => typeIndex.has(key(t!)) || typeIndex.set(key(t!), i));
  const added: FuncType[] = [];
  const type = new Int32Array(original.types.length).fill(-1);
  original.types.forEach((t, i) => {
    if (!t) return;
    let to = typeIndex.get(key(t));
    if (to === undefined) {
      to = out.types.length + added.push(t) - 1;
      typeIndex.set(key(t), to);
    }
    type[i] = to;
  });
  const all: IndexMaps = { ...maps, type };

  const body = new ByteWriter(emitted.length + [...bodies.values()].reduce((n, b) => n + b.length + 8, 0));
  const defined = out.functions.slice(out.importedFunctionCount);
  body.u32(defined.length);
  for (const f of defined) {
    const from = placedAt.get(f.index);
    if (from === undefined) {
      body.bytes(emitted.subarray(f.body!.start, f.body!.end));
      continue;
    }
    const placed = emitted.subarray(f.body!.start, f.body!.end);
    if (placed.length !== PLACEHOLDER_BODY.length || placed.some((b, i) => b !== PLACEHOLDER_BODY[i])) {
      throw new NotRelocatable(`function ${f.index} is not the placeholder binaryen was given`);
    }
    const original = bodies.get(from)!;
    relocateBody(original, 0, original.length, all, body);
  }
  const replace = new Map<number, Uint8Array>([[code.start, encodeSection(10, body.result())]]);
  if (added.length) {
    if (!typeSection) throw new NotRelocatable('binaryen wrote no type section');
    const types = new ByteWriter(typeSection.end - typeSection.contentStart + added.length * 16);
    const count = new ByteReader(emitted, typeSection.contentStart, typeSection.end);
    count.u32();
    types.u32(out.types.length + added.length);
    types.bytes(emitted.subarray(count.pos, typeSection.end));
    for (const t of added) {
      types.byte(0x60);
      types.u32(t.params.length);
      types.bytes(t.raw.params);
      types.u32(t.results.length);
      types.bytes(t.raw.results);
    }
    replace.set(typeSection.start, encodeSection(1, types.result()));
  }
  return replace;
}
