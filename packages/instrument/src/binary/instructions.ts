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
}

function skipBlockType(r: ByteReader): void {
  const b = r.bytes[r.pos]!;
  if (b === 0x40 || (b >= 0x6a && b <= 0x7f && b !== 0x6b && b !== 0x6c)) {
    r.pos++;
  } else if (b === 0x63 || b === 0x64) {
    r.pos++;
    r.s33();
  } else {
    r.s33(); // type index
  }
}

function skipValType(r: ByteReader): void {
  const b = r.u8();
  if (b === 0x63 || b === 0x64) r.s33();
}

function skipMemarg(r: ByteReader): void {
  const align = r.u32();
  if (align & 0x40) r.u32(); // explicit memory index (multi-memory)
  r.skipLeb(); // offset (u32, or u64 for memory64)
}

export function skipLocals(r: ByteReader): void {
  const groups = r.u32();
  for (let i = 0; i < groups; i++) {
    r.u32();
    skipValType(r);
  }
}

/** Scans instructions from r.pos to r.end (one function body after its locals). */
export function scanBody(r: ByteReader): BodyScan {
  const calls: CallInstr[] = [];
  const refFuncs: number[] = [];
  let indirectCalls = 0;
  const indirectTypes: number[] = [];
  let tries = 0;
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
        skipBlockType(r);
        break;
      case 0x02: case 0x03: case 0x04:
        skipBlockType(r);
        break;
      case 0x14: case 0x15: // call_ref, return_call_ref: type index
        indirectCalls++;
        indirectTypes.push(r.u32());
        break;
      case 0x07: case 0x08: case 0x09: case 0x0c: case 0x0d: case 0x18: case 0xd5: case 0xd6:
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
        for (let i = 0; i < n; i++) skipValType(r);
        break;
      }
      case 0x1f: { // try_table
        tries++;
        skipBlockType(r);
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
        r.s33();
        break;
      case 0xd1: case 0xd3: case 0xd4:
        break;
      case 0xd2:
        refFuncs.push(r.u32());
        break;
      case 0xfb:
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
  return { calls, refFuncs, indirectCalls, indirectTypes, tries };
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
