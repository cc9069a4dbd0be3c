import { afterEach, describe, expect, it, vi } from 'vitest';
import binaryen from 'binaryen';
import { atBinaryen } from './binaryen-calls.js';
import { InstrumentError } from './errors.js';
import { appendCustomSection } from './binary/module.js';

const failure = (fn: () => unknown): InstrumentError => {
  try {
    atBinaryen('x.wasm', 'rewriting the module', fn);
  } catch (e) {
    expect(e).toBeInstanceOf(InstrumentError);
    return e as InstrumentError;
  }
  throw new Error('no failure');
};

describe('atBinaryen', () => {
  afterEach(() => vi.restoreAllMocks());

  it('turns a real abort into one internal error, and nothing reaches the terminal', () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    const stdout = vi.spyOn(process.stdout, 'write');
    const mod = binaryen.parseText('(module (func $f (export "f") (result i32) (i32.const 1)))');
    // A name binaryen does not know, as a name cut at its NUL is: an assertion aborts.
    const e = failure(() => binaryen.getFunctionInfo(mod.getFunction('no such function')));
    mod.dispose();
    expect(e.kind).toBe('internal');
    expect(e.badInput).toBe(false);
    expect(e.message).toMatch(/^x\.wasm: internal error: rewriting the module with binaryen failed \(Aborted\(Assertion failed: .*\); please report it with the input module$/);
    expect(e.message).not.toContain('\n');
    expect(stderr).not.toHaveBeenCalled();
    expect(stdout).not.toHaveBeenCalled();
    expect(process.stderr.write).toBe(stderr); // put back
  });

  it('turns a parse failure of a module V8 takes into "unsupported"', () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    const mod = binaryen.parseText('(module (func $f (export "f") (result i32) (i32.const 1)))');
    const bytes = appendCustomSection(mod.emitBinary(), 'dylink.0', new Uint8Array([1, 9, 0]));
    mod.dispose();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const e = failure(() => binaryen.readBinary(bytes));
    expect(e.kind).toBe('unsupported');
    expect(e.message).toBe('x.wasm: binaryen cannot read this module, though the engine accepts it; it may use a feature binaryen does not support yet');
    expect(stderr).not.toHaveBeenCalled();
  });

  it('names what was thrown when it is a string or a plain object', () => {
    expect(failure(() => { throw 'bad things'; }).message).toBe('x.wasm: internal error: rewriting the module with binaryen failed (bad things); please report it with the input module');
    expect(failure(() => { throw { code: 7 }; }).message).toContain('({"code":7})');
    const mine = new InstrumentError('x.wasm: mine', 'x.wasm', 3, 'input');
    expect(failure(() => { throw mine; })).toBe(mine);
  });

  it('returns the value and writes nothing when all goes well', () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    expect(atBinaryen('x.wasm', 'read', () => { process.stderr.write('warning: unknown name subsection\n'); return 42; })).toBe(42);
    expect(stderr).not.toHaveBeenCalled();
  });
});
