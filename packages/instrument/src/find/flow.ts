// Where the values of a small function come from: for each direct call, which of the
// function's own parameters it passes on (unchanged, or plus a constant), and whether
// its result is what the function returns. That is what tells a shim or a thunk
// (`__wbindgen_malloc(size, align)` → `call $inner (size, align)` → returned) from a
// helper it also calls (`is_size_align_valid(size, align)` → only tested).
//
// A single forward pass over the bytes with an abstract stack: each value is the set
// of its possible origins. It understands the instructions that shims, thunks and
// allocators are made of (locals, constants, i32/i64/float arithmetic, loads, stores,
// blocks, branches, calls, the atomics of threaded allocators). Anything else (SIMD, GC, exceptions, multi-value blocks)
// ends the analysis with `undefined`: no forwarding is claimed for such a function.
//
// Origins: `pN` (parameter N unchanged), `pN+K` (parameter N plus a constant),
// `cK` (the result of the K-th call), `#V` (the i32 constant V), `?` (anything else).

import { ByteReader } from '../binary/reader.js';
import type { FunctionEntry, ModuleInfo } from '../binary/module.js';

export type Origins = ReadonlySet<string>;

export interface FlowCall {
  callee: number;
  args: Origins[];
  /**
   * What the function returns of the call's result: 0 when it returns it as it is, K
   * when it returns it plus K (AssemblyScript's `__alloc`: the block + 16), undefined
   * when it does not return it.
   */
  returned?: number;
}

export interface Flow {
  calls: FlowCall[];
  /** Constant addresses the function loads from or stores to (a heap's fixed state). */
  constAddresses: Set<number>;
  /** The i32 constants it uses. */
  constants: Set<number>;
  /** Globals it reads or writes. */
  globals: Set<number>;
  /** Stores to memory, bulk fills, memory.grow: signs of a function that manages memory. */
  stores: number;
  fills: number;
  grows: number;
}

const ANY: Origins = new Set(['?']);
const one = (o: string): Origins => new Set([o]);
const union = (a: Origins, b: Origins): Origins => (a === b ? a : new Set([...a, ...b]));

/** The single origin of a value, or undefined when it has several. */
export function only(v: Origins | undefined): string | undefined {
  return v && v.size === 1 ? [...v][0] : undefined;
}

// Numeric opcodes 0x45..0xc4: how many operands each pops (each pushes one result).
function numericPops(op: number): number {
  if (op === 0x45 || op === 0x50) return 1; // eqz
  if (op <= 0x66) return 2; // comparisons
  if (op <= 0x69) return 1; // i32 clz ctz popcnt
  if (op <= 0x78) return 2; // i32 binary
  if (op <= 0x7b) return 1; // i64 clz ctz popcnt
  if (op <= 0x8a) return 2; // i64 binary
  if (op <= 0x91) return 1; // f32 unary
  if (op <= 0x98) return 2; // f32 binary
  if (op <= 0x9f) return 1; // f64 unary
  if (op <= 0xa6) return 2; // f64 binary
  return 1; // conversions, reinterpretations, sign extensions
}

/** `pN ± #K` and `cN ± #K` keep the parameter's or call's identity with an offset; `#A ± #B` folds. */
function offsetOrigin(a: string | undefined, b: string | undefined, subtract: boolean): Origins {
  if (!a || !b) return ANY;
  const base = /^([pc]\d+)(?:\+(-?\d+))?$/;
  const k = (o: string) => (o.startsWith('#') ? Number(o.slice(1)) : undefined);
  const kb = k(b);
  const pa = base.exec(a);
  if (pa && kb !== undefined) {
    const sum = (Number(pa[2] ?? 0) + (subtract ? -kb : kb)) | 0;
    return one(sum === 0 ? pa[1]! : `${pa[1]}+${sum}`);
  }
  const ka = k(a);
  const pb = base.exec(b);
  if (pb && ka !== undefined && !subtract) {
    const sum = (Number(pb[2] ?? 0) + ka) | 0;
    return one(sum === 0 ? pb[1]! : `${pb[1]}+${sum}`);
  }
  if (ka !== undefined && kb !== undefined) return one(`#${(subtract ? ka - kb : ka + kb) | 0}`);
  return ANY;
}

interface Frame {
  loop: boolean;
  arity: number;
  height: number;
  values: Origins | undefined;
}

/** Analyses one function body; undefined when it uses an instruction this pass does not model. */
export function analyzeFlow(info: ModuleInfo, f: FunctionEntry, maxBytes = 1 << 16): Flow | undefined {
  if (!f.body || !f.type) return undefined;
  if (f.body.end - f.body.start > maxBytes) return undefined;
  const r = new ByteReader(info.bytes, f.body.code, f.body.end);
  const nparams = f.type.params.length;
  const locals: Origins[] = [];
  for (let i = 0; i < nparams; i++) locals.push(one(`p${i}`));
  const local = (i: number) => locals[i] ?? (i < nparams ? ANY : one('#0'));
  const stack: Origins[] = [];
  // In straight-line code a write replaces a local's origins; inside a block or branch
  // it may not happen, so it joins them (`if (size == 0) size = 1` leaves {p0, #1}).
  // A declared local's first write replaces its zero: compilers read none before it.
  const assign = (i: number, v: Origins) => {
    locals[i] = frames.length === 1 || (i >= nparams && locals[i] === undefined) ? v : union(local(i), v);
  };
  const frames: Frame[] = [{ loop: false, arity: f.type.results.length, height: 0, values: undefined }];
  let unreachable = false;
  let returned: Origins = new Set();
  const calls: Array<{ callee: number; args: Origins[]; id: string }> = [];
  const flow: Flow = { calls: [], constAddresses: new Set(), constants: new Set(), globals: new Set(), stores: 0, fills: 0, grows: 0 };

  const pop = (): Origins => {
    const frame = frames[frames.length - 1]!;
    if (stack.length > frame.height) return stack.pop()!;
    return ANY; // polymorphic stack after a branch
  };
  const push = (v: Origins) => stack.push(v);
  const blockArity = (): number | undefined => {
    const b = r.bytes[r.pos]!;
    if (b === 0x40) {
      r.pos++;
      return 0;
    }
    if (b >= 0x7b && b <= 0x7f) {
      r.pos++;
      return 1;
    }
    return undefined; // reference or multi-value block types
  };
  const branch = (depth: number) => {
    const target = frames[frames.length - 1 - depth];
    if (!target) return false;
    if (target.loop || target.arity === 0) return true;
    const v = stack.length > frames[frames.length - 1]!.height ? stack[stack.length - 1]! : ANY;
    if (target === frames[0]) returned = union(returned, v);
    else target.values = target.values ? union(target.values, v) : v;
    return true;
  };
  const address = (v: Origins) => {
    const o = only(v);
    if (o?.startsWith('#')) flow.constAddresses.add(Number(o.slice(1)) >>> 0);
  };
  const memarg = () => {
    const align = r.u32();
    if (align & 0x40) r.u32();
    return r.u32();
  };
  const typeOfCall = (index: number) => info.functions[index]?.type;

  try {
    while (r.pos < r.end) {
      const op = r.u8();
      if (op === 0x6a || op === 0x6b) { // i32.add, i32.sub
        const b = only(pop());
        const a = only(pop());
        push(offsetOrigin(a, b, op === 0x6b));
        continue;
      }
      if (op >= 0x45 && op <= 0xc4) {
        for (let n = numericPops(op); n > 0; n--) pop();
        push(ANY);
        continue;
      }
      if (op >= 0x28 && op <= 0x35) { // loads
        const offset = memarg();
        const a = pop();
        const o = only(a);
        if (o?.startsWith('#')) flow.constAddresses.add((Number(o.slice(1)) + offset) >>> 0);
        push(ANY);
        continue;
      }
      if (op >= 0x36 && op <= 0x3e) { // stores
        const offset = memarg();
        pop();
        const a = pop();
        const o = only(a);
        if (o?.startsWith('#')) flow.constAddresses.add((Number(o.slice(1)) + offset) >>> 0);
        flow.stores++;
        continue;
      }
      switch (op) {
        case 0x00: // unreachable
          unreachable = true;
          stack.length = frames[frames.length - 1]!.height;
          break;
        case 0x01:
          break;
        case 0x02: case 0x03: case 0x04: {
          if (op === 0x04) pop();
          const arity = blockArity();
          if (arity === undefined) return undefined;
          frames.push({ loop: op === 0x03, arity, height: stack.length, values: undefined });
          unreachable = false;
          break;
        }
        case 0x05: { // else: the then-arm's value joins the if's result
          const frame = frames[frames.length - 1]!;
          if (frame.arity && !unreachable) frame.values = frame.values ? union(frame.values, pop()) : pop();
          stack.length = frame.height;
          unreachable = false;
          break;
        }
        case 0x0b: { // end
          const frame = frames.pop()!;
          let v: Origins | undefined = frame.values;
          if (frame.arity && !unreachable) {
            const top = stack.length > frame.height ? stack[stack.length - 1]! : ANY;
            v = v ? union(v, top) : top;
          }
          stack.length = frame.height;
          unreachable = false;
          if (frames.length === 0) {
            if (v) returned = union(returned, v);
            if (r.pos !== r.end) return undefined;
            break;
          }
          if (frame.arity) push(v ?? ANY);
          break;
        }
        case 0x0c: // br
          if (!branch(r.u32())) return undefined;
          unreachable = true;
          stack.length = frames[frames.length - 1]!.height;
          break;
        case 0x0d: { // br_if
          const depth = r.u32();
          pop();
          if (!branch(depth)) return undefined;
          break;
        }
        case 0x0e: { // br_table
          const n = r.u32();
          pop();
          for (let i = 0; i <= n; i++) if (!branch(r.u32())) return undefined;
          unreachable = true;
          stack.length = frames[frames.length - 1]!.height;
          break;
        }
        case 0x0f: // return
          if (frames[0]!.arity) returned = union(returned, pop());
          unreachable = true;
          stack.length = frames[frames.length - 1]!.height;
          break;
        case 0x10: { // call
          const callee = r.u32();
          const t = typeOfCall(callee);
          if (!t || t.results.length > 1) return undefined;
          const args: Origins[] = [];
          for (let i = 0; i < t.params.length; i++) args.unshift(pop());
          const id = `c${calls.length}`;
          calls.push({ callee, args, id });
          if (t.results.length) push(one(id));
          break;
        }
        case 0x11: { // call_indirect
          const type = info.types[r.u32()];
          r.u32();
          if (!type || type.results.length > 1) return undefined;
          pop();
          for (let i = 0; i < type.params.length; i++) pop();
          if (type.results.length) push(ANY);
          break;
        }
        case 0x1a: // drop
          pop();
          break;
        case 0x1b: { // select
          pop();
          const b = pop();
          push(union(pop(), b));
          break;
        }
        case 0x20:
          push(local(r.u32()));
          break;
        case 0x21:
          assign(r.u32(), pop());
          break;
        case 0x22: {
          const v = pop();
          assign(r.u32(), v);
          push(v);
          break;
        }
        case 0x23:
          flow.globals.add(r.u32());
          push(ANY);
          break;
        case 0x24:
          flow.globals.add(r.u32());
          pop();
          break;
        case 0x3f:
          r.u32();
          push(ANY);
          break;
        case 0x40:
          r.u32();
          pop();
          push(ANY);
          flow.grows++;
          break;
        case 0x41: {
          const k = r.s33() | 0;
          flow.constants.add(k);
          push(one(`#${k}`));
          break;
        }
        case 0x42:
          r.skipLeb();
          push(ANY);
          break;
        case 0x43:
          r.skip(4);
          push(ANY);
          break;
        case 0x44:
          r.skip(8);
          push(ANY);
          break;
        case 0xfc: {
          const sub = r.u32();
          if (sub <= 7) {
            pop();
            push(ANY);
          } else if (sub === 10 || sub === 11) { // memory.copy, memory.fill
            if (sub === 10) r.u32();
            r.u32();
            pop(); pop(); pop();
            if (sub === 11) flow.fills++;
          } else return undefined;
          break;
        }
        case 0xfe: { // threads: what a threaded allocator's lock is made of
          const sub = r.u32();
          if (sub === 0x03) { // atomic.fence
            r.u8();
            break;
          }
          if (sub > 0x4e) return undefined;
          const offset = memarg();
          // notify: 2 operands; wait: 3; loads: 1; stores and read-modify-writes: 2; cmpxchg: 3.
          const pops = sub === 0x00 ? 2 : sub <= 0x02 ? 3 : sub <= 0x16 ? 1 : sub <= 0x47 ? 2 : 3;
          const values: Origins[] = [];
          for (let n = pops; n > 0; n--) values.unshift(pop());
          const o = only(values[0]);
          if (sub >= 0x10 && o?.startsWith('#')) flow.constAddresses.add((Number(o.slice(1)) + offset) >>> 0);
          if (sub >= 0x17) flow.stores++;
          if (sub <= 0x16 || sub >= 0x1e) push(ANY);
          break;
        }
        default:
          return undefined;
      }
    }
  } catch {
    return undefined;
  }
  const returnedOffset = (id: string) => {
    for (const o of returned) {
      const m = /^(c\d+)(?:\+(-?\d+))?$/.exec(o);
      if (m?.[1] === id) return Number(m[2] ?? 0);
    }
    return undefined;
  };
  flow.calls = calls.map((c) => ({ callee: c.callee, args: c.args, returned: returnedOffset(c.id) }));
  return flow;
}
