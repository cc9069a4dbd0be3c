// Redirects direct calls in the bytes of a module, before binaryen reads it.
//
// Before (function body bytes):            After:
//   … 10 a5 01          call $node_new       … 41 0c 10 b0 0f    i32.const 12 ; call $stub3
//                                            + (func $stub3 (param …node_new's params… i32) (result …)
//                                                 (call $node_new (local.get 0) …))   ;; appended
//
// Every call the pass gives a site id becomes `i32.const site; call stub`, where the
// stub has the callee's type plus an i32 for the site. Stubs are appended after every
// existing function, so no index in the module changes; the pass then gives each stub
// its real body (an allocator's traced wrapper, a shadow-stack trampoline) through
// binaryen. Doing this in the bytes costs one copy of the code section, where finding
// the same calls in binaryen's tree from JS costs several calls into Wasm per
// expression; the offsets are the ones our own scan found, so they are exact.
//
// Bodies binaryen need not change can be left out of what it reads (`placeholders`):
// each becomes `unreachable`, and its redirected bytes are kept for binary/relocate.ts
// to put back into binaryen's output. binaryen reads and writes code at about 3 MB/s.
//
// Custom sections that hold code offsets (DWARF, source map URL, branch hints) are
// dropped here, since the offsets no longer hold; symbolization reads the original.

import { WasmFormatError } from './reader.js';
import { ByteWriter as Writer } from './writer.js';
import { isDebugSection, type ModuleInfo } from './module.js';

export interface Redirect {
  /** Module-relative offset of the `call` or `return_call` opcode in the original. */
  offset: number;
  /** Index into `stubs`. */
  stub: number;
  site: number;
}

/**
 * Functions whose body binaryen gets as `unreachable` (binary/relocate.ts puts them
 * back into its output), and where their redirected bodies are kept meanwhile: each
 * one's locals and code, without its size.
 */
export interface Placeholders {
  functions: ReadonlySet<number>;
  bodies: Map<number, Uint8Array>;
}

/** The body binaryen reads in place of one it need not see: no locals, `unreachable`. */
export const PLACEHOLDER_BODY = new Uint8Array([0x03, 0x00, 0x00, 0x0b]);

export interface Stub {
  /** The function the stub calls with its own arguments (the site dropped). */
  callee: number;
}

/** Reads an unsigned LEB128 at `pos`: its value and where it ends. */
function leb(bytes: Uint8Array, pos: number): { value: number; end: number } {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    if (b === undefined) throw new WasmFormatError('truncated LEB128', pos - 1);
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return { value, end: pos };
  }
}

/**
 * The module with each redirect applied and the stubs appended. Stub k gets function
 * index `info.functions.length + k`. `redirects` maps a defined function's index to
 * its redirects (any order). `replace` maps a section's start to the bytes that take
 * its place, or to null to drop it (binary/binaryen-input.ts).
 */
export function redirectCalls(info: ModuleInfo, stubs: Stub[], redirects: Map<number, Redirect[]>, replace: ReadonlyMap<number, Uint8Array | null> = new Map(), placeholders?: Placeholders): Uint8Array<ArrayBuffer> {
  const { bytes } = info;
  const out = new Writer(bytes.length + (bytes.length >> 3) + 1024);
  out.bytes(bytes.subarray(0, 8));
  const typeCount = info.types.length;
  const stubTypes = stubs.map((s) => {
    const t = info.functions[s.callee]?.type;
    if (!t) throw new Error(`function ${s.callee} has no function type to derive a call stub from`);
    return t;
  });
  const section = (id: number, body: Writer) => {
    out.byte(id);
    out.u32(body.length);
    out.bytes(body.result());
  };
  for (const s of info.sections) {
    if (s.id === 0 && (isDebugSection(s.name!) || s.name!.startsWith('metadata.code.'))) continue;
    const replacement = replace.get(s.start);
    if (replacement !== undefined) {
      if (replacement) out.bytes(replacement);
      continue;
    }
    if ((!stubs.length && !(placeholders && s.id === 10)) || (s.id !== 1 && s.id !== 3 && s.id !== 10)) {
      out.bytes(bytes.subarray(s.start, s.end));
      continue;
    }
    const count = leb(bytes, s.contentStart);
    const body = new Writer(s.end - s.contentStart + 64 * stubs.length + 16);
    body.u32(count.value + stubs.length);
    body.bytes(bytes.subarray(count.end, s.end));
    if (s.id === 1) {
      for (const t of stubTypes) {
        body.byte(0x60);
        body.u32(t.params.length + 1);
        body.bytes(t.raw.params);
        body.byte(0x7f);
        body.u32(t.results.length);
        body.bytes(t.raw.results);
      }
    } else if (s.id === 3) {
      for (let k = 0; k < stubs.length; k++) body.u32(typeCount + k);
    } else {
      // Code section: rewrite the bodies with redirects, then the stubs' bodies.
      const rewritten = new Writer(s.end - s.contentStart + (s.end - s.contentStart >> 3) + 64 * stubs.length + 16);
      rewritten.u32(count.value + stubs.length);
      let pos = count.end;
      for (let i = info.importedFunctionCount; i < info.functions.length; i++) {
        const f = info.functions[i]!;
        const list = redirects.get(i);
        if (placeholders?.functions.has(i)) {
          rewritten.bytes(bytes.subarray(pos, f.body!.start));
          rewritten.bytes(PLACEHOLDER_BODY);
          let body: Uint8Array = bytes.subarray(leb(bytes, f.body!.start).end, f.body!.end);
          if (list?.length) {
            const own = new Writer(body.length + 8 * list.length + 8);
            rewriteBody(bytes, f.body!, list, info.functions.length, own);
            const all = own.result();
            body = all.subarray(leb(all, 0).end);
          }
          placeholders.bodies.set(i, body);
          pos = f.body!.end;
          continue;
        }
        if (!list?.length) continue;
        rewritten.bytes(bytes.subarray(pos, f.body!.start));
        rewriteBody(bytes, f.body!, list, info.functions.length, rewritten);
        pos = f.body!.end;
      }
      rewritten.bytes(bytes.subarray(pos, s.end));
      stubs.forEach((stub, k) => {
        const code = new Writer();
        code.byte(0); // no locals
        const n = stubTypes[k]!.params.length;
        for (let p = 0; p < n; p++) {
          code.byte(0x20);
          code.u32(p);
        }
        code.byte(0x10);
        code.u32(stub.callee);
        code.byte(0x0b);
        rewritten.u32(code.length);
        rewritten.bytes(code.result());
      });
      section(10, rewritten);
      continue;
    }
    section(s.id, body);
  }
  return out.result();
}

function rewriteBody(bytes: Uint8Array, body: { start: number; end: number }, list: Redirect[], stubBase: number, out: Writer): void {
  const content = leb(bytes, body.start).end;
  const code = new Writer(body.end - content + 8 * list.length + 8);
  let pos = content;
  for (const r of [...list].sort((a, b) => a.offset - b.offset)) {
    const op = bytes[r.offset];
    if (r.offset < pos || r.offset >= body.end || (op !== 0x10 && op !== 0x12)) {
      throw new Error(`no call instruction at the redirected offset 0x${r.offset.toString(16)}`);
    }
    code.bytes(bytes.subarray(pos, r.offset));
    code.byte(0x41); // i32.const site
    code.s32(r.site);
    code.byte(op);
    code.u32(stubBase + r.stub);
    pos = leb(bytes, r.offset + 1).end;
  }
  code.bytes(bytes.subarray(pos, body.end));
  out.u32(code.length);
  out.bytes(code.result());
}
