// Walks the instructions of one function body and reports every direct call
// (`call` and `return_call`) with the byte offset of its opcode, plus `ref.func`.
// It only needs to know how long each instruction's immediates are; the table below
// covers MVP, sign-extension, saturating conversions, bulk memory, reference types,
// SIMD (incl. relaxed), threads, tail calls, exceptions (legacy and try_table) and GC.
// An opcode it does not know ends the walk for that function with an error the caller
// turns into a warning: offsets for that function then fall back to its start.

import { ByteReader } from './reader.js';

export interface CallInstr {
  /** Module-relative byte offset of the call opcode. */
  offset: number;
  callee: number;
}

export interface BodyScan {
  calls: CallInstr[];
  refFuncs: number[];
  /** call_indirect, return_call_indirect and call_ref instructions. */
  indirectCalls: number;
  /** The type index each of those names (the callee's signature). */
  indirectTypes: number[];
  /** try and try_table blocks (catch bodies the shadow stack must see). */
  tries: number;
  /**
   * An instruction only GC encodes: the 0xfb prefix, call_ref, ref.eq, ref.as_non_null,
   * br_on_(non_)null, `ref.null` of a GC heap type, a typed reference as a block or
   * select type (see usesGc in module.ts).
   */
  gc: boolean;
}

/**
 * Value types that only GC (which includes typed function references) encodes:
 * `(ref null? T)` and the abstract GC types (anyref, eqref, i31ref, structref,
 * arrayref, nullref, nullexternref, nullfuncref, nullexnref; 0x65 `shared`).
 * funcref, externref and exnref are reference types and exception handling.
 */
export function isGcValType(b: number): boolean {
  return b === 0x63 || b === 0x64 || b === 0x65 || (b >= 0x6a && b <= 0x6e) || (b >= 0x71 && b <= 0x74);
}

/** A heap type (s33) other than func (0x70), extern (0x6f) and exn (0x69): a type index or a GC type. */
export function isGcHeapType(ht: number): boolean {
  return ht !== -0x10 && ht !== -0x11 && ht !== -0x17;
}

/** Skips a block type; returns whether it is a GC value type. */
function skipBlockType(r: ByteReader): boolean {
  const b = r.bytes[r.pos]!;
  if (b === 0x63 || b === 0x64) {
    r.pos++;
    r.s33();
    return true;
  }
  // 0x40 (no result), a one-byte value type (both negative as s33) or a type index.
  return r.s33() < 0 && isGcValType(b);
}

/** Returns whether the value type is a GC one. */
function skipValType(r: ByteReader): boolean {
  const b = r.u8();
  if (b === 0x63 || b === 0x64) r.s33();
  return isGcValType(b);
}

function skipMemarg(r: ByteReader): void {
  const align = r.u32();
  if (align & 0x40) r.u32(); // explicit memory index (multi-memory)
  r.skipLeb(); // offset (u32, or u64 for memory64)
}

/** Returns whether a local has a GC value type. */
export function skipLocals(r: ByteReader): boolean {
  const groups = r.u32();
  let gc = false;
  for (let i = 0; i < groups; i++) {
    r.u32();
    if (skipValType(r)) gc = true;
  }
  return gc;
}

/** Scans instructions from r.pos to r.end (one function body after its locals). */
export function scanBody(r: ByteReader): BodyScan {
  const calls: CallInstr[] = [];
  const refFuncs: number[] = [];
  let indirectCalls = 0;
  const indirectTypes: number[] = [];
  let tries = 0;
  let gc = false;
  while (r.pos < r.end) {
    const at = r.pos;
    const op = r.u8();
    if (op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x19 || op === 0x1a || op === 0x1b || op === 0x0a) {
      continue; // no immediates (unreachable, nop, else, end, return, catch_all, drop, select, throw_ref)
    }
    if (op >= 0x45 && op <= 0xc4) continue; // numeric instructions
    switch (op) {
      case 0x06:
        tries++;
        if (skipBlockType(r)) gc = true;
        break;
      case 0x02: case 0x03: case 0x04:
        if (skipBlockType(r)) gc = true;
        break;
      case 0x14: case 0x15: // call_ref, return_call_ref: type index
        gc = true;
        indirectCalls++;
        indirectTypes.push(r.u32());
        break;
      case 0xd5: case 0xd6: // br_on_null, br_on_non_null
        gc = true;
        r.u32();
        break;
      case 0x07: case 0x08: case 0x09: case 0x0c: case 0x0d: case 0x18:
      case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26:
      case 0x3f: case 0x40:
        r.u32();
        break;
      case 0x0e: {
        const n = r.u32();
        for (let i = 0; i <= n; i++) r.u32();
        break;
      }
      case 0x10: case 0x12:
        calls.push({ offset: at, callee: r.u32() });
        break;
      case 0x11: case 0x13:
        indirectCalls++;
        indirectTypes.push(r.u32());
        r.u32();
        break;
      case 0x1c: {
        const n = r.u32();
        for (let i = 0; i < n; i++) if (skipValType(r)) gc = true;
        break;
      }
      case 0x1f: { // try_table
        tries++;
        if (skipBlockType(r)) gc = true;
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const kind = r.u8();
          if (kind === 0 || kind === 1) r.u32();
          r.u32();
        }
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
        if (isGcHeapType(r.s33())) gc = true;
        break;
      case 0xd1: // ref.is_null
        break;
      case 0xd3: case 0xd4: // ref.eq, ref.as_non_null
        gc = true;
        break;
      case 0xd2:
        refFuncs.push(r.u32());
        break;
      case 0xfb:
        gc = true;
        scanGc(r, at);
        break;
      case 0xfc:
        scanMisc(r, at);
        break;
      case 0xfd:
        scanSimd(r, at);
        break;
      case 0xfe:
        scanAtomic(r, at);
        break;
      default:
        if (op >= 0x28 && op <= 0x3e) {
          skipMemarg(r);
          break;
        }
        r.fail(`unknown opcode 0x${op.toString(16)}`, at);
    }
  }
  return { calls, refFuncs, indirectCalls, indirectTypes, tries, gc };
}

function scanMisc(r: ByteReader, at: number): void {
  const sub = r.u32();
  if (sub <= 7) return;
  switch (sub) {
    case 8: r.u32(); r.u32(); return; // memory.init data mem
    case 9: r.u32(); return; // data.drop
    case 10: r.u32(); r.u32(); return; // memory.copy
    case 11: r.u32(); return; // memory.fill
    case 12: r.u32(); r.u32(); return; // table.init
    case 13: r.u32(); return; // elem.drop
    case 14: r.u32(); r.u32(); return; // table.copy
    case 15: case 16: case 17: r.u32(); return; // table.grow/size/fill
    default: r.fail(`unknown opcode 0xfc ${sub}`, at);
  }
}

function scanSimd(r: ByteReader, at: number): void {
  const sub = r.u32();
  if (sub <= 11 || sub === 92 || sub === 93) return skipMemarg(r);
  if (sub === 12 || sub === 13) return r.skip(16);
  if (sub >= 21 && sub <= 34) return r.skip(1);
  if (sub >= 84 && sub <= 91) {
    skipMemarg(r);
    return r.skip(1);
  }
  if (sub <= 0x113) return; // everything else (incl. relaxed SIMD) has no immediates
  r.fail(`unknown opcode 0xfd ${sub}`, at);
}

function scanAtomic(r: ByteReader, at: number): void {
  const sub = r.u32();
  if (sub === 3) return r.skip(1); // atomic.fence
  if (sub <= 2 || (sub >= 0x10 && sub <= 0x4e)) return skipMemarg(r);
  r.fail(`unknown opcode 0xfe ${sub}`, at);
}

function scanGc(r: ByteReader, at: number): void {
  const sub = r.u32();
  switch (sub) {
    case 0: case 1: case 6: case 7: case 11: case 12: case 13: case 14: case 16:
      r.u32(); return;
    case 2: case 3: case 4: case 5: case 8: case 9: case 10: case 17: case 18: case 19:
      r.u32(); r.u32(); return;
    case 15: case 26: case 27: case 28: case 29: case 30:
      return;
    case 20: case 21: case 22: case 23:
      r.s33(); return;
    case 24: case 25:
      r.u8(); r.u32(); r.s33(); r.s33(); return;
    default:
      r.fail(`unknown opcode 0xfb ${sub}`, at);
  }
}
