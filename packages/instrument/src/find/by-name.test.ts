import { describe, expect, it } from 'vitest';
import { findAllocators } from './index.js';
import type { FunctionEntry, ModuleInfo } from '../binary/module.js';

const I32 = 0x7f;
const I64 = 0x7e;

/** A module description with one function per name, each of the given arity (i32s). */
function moduleWith(fns: Array<[name: string, params: number, results: 0 | 1]>, exports: Array<[string, number]> = []): ModuleInfo {
  const functions: FunctionEntry[] = fns.map(([name, p, r], index) => ({
    index,
    name,
    type: { params: Array(p).fill(I32), results: r ? [I32] : [], raw: { params: new Uint8Array(p).fill(I32), results: new Uint8Array(r ? [I32] : []) } },
  }));
  return {
    bytes: new Uint8Array(),
    sections: [],
    functions,
    types: [],
    importedFunctionCount: 0,
    exports: exports.map(([name, index]) => ({ name, kind: 0, index })),
    memory64: false,
    hasNameSection: true,
  };
}

const kinds = (info: ModuleInfo) => findAllocators(info).allocators.map((a) => [a.func.name ?? a.matchedBy, a.family, a.spec.kind]);

describe('allocator presets (REFERENCE.md §3)', () => {
  it('C: the malloc family and its dl*, emscripten_builtin_* and emmalloc_* forms', () => {
    const names: Array<[string, number, 0 | 1]> = [];
    for (const p of ['', 'dl', 'emscripten_builtin_', 'emmalloc_']) {
      names.push([`${p}malloc`, 1, 1], [`${p}calloc`, 2, 1], [`${p}realloc`, 2, 1], [`${p}free`, 1, 0], [`${p}posix_memalign`, 3, 1], [`${p}memalign`, 2, 1], [`${p}aligned_alloc`, 2, 1]);
    }
    names.push(['reallocf', 2, 1], ['malloc_usable_size', 1, 1]);
    const found = kinds(moduleWith(names));
    expect(found).toHaveLength(29);
    expect(found).toContainEqual(['emscripten_builtin_memalign', 'c', 'alloc']);
    expect(found).toContainEqual(['dlposix_memalign', 'c', 'posix_memalign']);
    expect(found).toContainEqual(['reallocf', 'c', 'realloc']);
    expect(found.map((f) => f[0])).not.toContain('malloc_usable_size');
  });

  it('C++: every operator new/delete, mangled or demangled', () => {
    const mangled: Array<[string, number, 0 | 1]> = [
      ['_Znwm', 1, 1], ['_Znam', 1, 1], ['_ZnwmRKSt9nothrow_t', 2, 1], ['_ZnamRKSt9nothrow_t', 2, 1],
      ['_ZnwmSt11align_val_t', 2, 1], ['_ZnamSt11align_val_t', 2, 1], ['_ZnwmSt11align_val_tRKSt9nothrow_t', 3, 1],
      ['_ZdlPv', 1, 0], ['_ZdaPv', 1, 0], ['_ZdlPvm', 2, 0], ['_ZdaPvm', 2, 0], ['_ZdlPvSt11align_val_t', 2, 0],
      ['_ZdlPvmSt11align_val_t', 3, 0], ['_ZdlPvRKSt9nothrow_t', 2, 0],
    ];
    expect(kinds(moduleWith(mangled)).map((k) => k[2])).toEqual([...Array(7).fill('alloc'), ...Array(7).fill('free')]);
    const demangled: Array<[string, number, 0 | 1]> = [
      ['operator new(unsigned long)', 1, 1], ['operator new[](unsigned long)', 1, 1],
      ['operator new(unsigned long, std::align_val_t)', 2, 1], ['operator new(unsigned long, std::nothrow_t const&)', 2, 1],
      ['operator delete(void*)', 1, 0], ['operator delete(void*, unsigned long)', 2, 0], ['operator delete[](void*)', 1, 0],
      ['operator delete(void*, unsigned long, std::align_val_t)', 3, 0],
      ['operator new_handler()', 0, 1], ['std::__2::vector<int>::operator new', 1, 1],
    ];
    expect(kinds(moduleWith(demangled)).map((k) => k[0])).toEqual(demangled.slice(0, 8).map((d) => d[0]));
  });

  it('Rust: plain, __rdl_/__rg_ and v0-mangled names, matched on the identifier', () => {
    const names: Array<[string, number, 0 | 1]> = [
      ['__rust_alloc', 2, 1], ['__rust_dealloc', 3, 0], ['__rust_realloc', 4, 1], ['__rust_alloc_zeroed', 2, 1],
      ['__rdl_alloc', 2, 1], ['__rg_dealloc', 3, 0],
      ['_RNvCs691rhTbG0Ee_7___rustc12___rust_alloc', 2, 1],
      ['_RNvCs691rhTbG0Ee_7___rustc14___rust_dealloc', 3, 0],
      ['__rustc::__rust_realloc', 4, 1],
      ['__rustc::__rust_alloc_zeroed[5a2b7c9d1e3f4a6b]', 2, 1],
      ['my_crate::__rust_alloc_helper', 2, 1],
    ];
    const found = findAllocators(moduleWith(names)).allocators;
    expect(found.map((a) => [a.func.name, a.spec.kind])).toEqual([
      ['__rust_alloc', 'alloc'], ['__rust_dealloc', 'free'], ['__rust_realloc', 'realloc'], ['__rust_alloc_zeroed', 'alloc'],
      ['__rdl_alloc', 'alloc'], ['__rg_dealloc', 'free'],
      ['_RNvCs691rhTbG0Ee_7___rustc12___rust_alloc', 'alloc'], ['_RNvCs691rhTbG0Ee_7___rustc14___rust_dealloc', 'free'],
      ['__rustc::__rust_realloc', 'realloc'], ['__rustc::__rust_alloc_zeroed[5a2b7c9d1e3f4a6b]', 'alloc'],
    ]);
    const realloc = found.find((a) => a.func.name === '__rust_realloc')!.spec;
    expect([realloc.ptr, realloc.size]).toEqual([0, 3]); // (ptr, old_size, align, new_size)
  });

  it('wasm-bindgen: both signatures, found by export name', () => {
    const info = moduleWith([['f0', 1, 1], ['f1', 2, 1], ['f2', 3, 1], ['f3', 4, 1], ['f4', 2, 0], ['f5', 3, 0]], [
      ['__wbindgen_malloc', 0], ['__wbindgen_free', 4], ['__wbindgen_realloc', 2],
    ]);
    info.functions.forEach((f) => delete f.name);
    expect(kinds(info)).toEqual([['__wbindgen_malloc', 'wasm-bindgen', 'alloc'], ['__wbindgen_realloc', 'wasm-bindgen', 'realloc'], ['__wbindgen_free', 'wasm-bindgen', 'free']]);
    const newer = moduleWith([['a', 2, 1], ['b', 4, 1], ['c', 3, 0]], [['__wbindgen_malloc', 0], ['__wbindgen_realloc', 1], ['__wbindgen_free', 2]]);
    newer.functions.forEach((f) => delete f.name);
    const specs = findAllocators(newer).allocators.map((a) => [a.spec.kind, a.spec.size]);
    expect(specs).toEqual([['alloc', 0], ['realloc', 2], ['free', undefined]]);
  });

  it('AssemblyScript: TLSF and GC entry points, __new keyed 16 B before the payload', () => {
    const found = findAllocators(moduleWith([
      ['~lib/rt/tlsf/__alloc', 1, 1], ['~lib/rt/tlsf/__realloc', 2, 1], ['~lib/rt/tlsf/__free', 1, 0],
      ['~lib/rt/itcms/__new', 2, 1], ['~lib/rt/itcms/__renew', 2, 1], ['~lib/rt/itcms/free', 1, 0],
    ])).allocators;
    expect(found.map((a) => [a.func.name, a.spec.kind, a.spec.adjust ?? 0])).toEqual([
      ['~lib/rt/tlsf/__alloc', 'alloc', 0], ['~lib/rt/tlsf/__realloc', 'realloc', 0], ['~lib/rt/tlsf/__free', 'free', 0],
      ['~lib/rt/itcms/__new', 'alloc', -16], ['~lib/rt/itcms/__renew', 'renew', -16],
    ]);
  });

  it('rejects a preset name with the wrong signature, saying why', () => {
    const info = moduleWith([['malloc', 2, 0]]);
    info.functions[0]!.type!.params = [I64, I64];
    const result = findAllocators(info);
    expect(result.allocators).toEqual([]);
    expect(result.rejected).toEqual([{ name: 'malloc', reason: expect.stringContaining('is not the c allocator') }]);
  });
});
