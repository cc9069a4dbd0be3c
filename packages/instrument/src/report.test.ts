import { describe, expect, it } from 'vitest';
import { allocatorSummary } from './report.js';
import type { AllocatorReport } from './instrument.js';

const report = (a: Partial<AllocatorReport> & Pick<AllocatorReport, 'index' | 'name' | 'role' | 'evidence'>): AllocatorReport => ({
  family: 'c', kind: 'alloc', imported: false, exported: [], callSites: 0, ...a,
});

describe('allocatorSummary', () => {
  it('names each traced function by role, in C order, with how it was found', () => {
    const line = allocatorSummary('sql-wasm.wasm', [
      report({ index: 243, name: 'Ja', role: 'free', kind: 'free', exported: ['Ja'], evidence: { finder: 'glue', detail: 'export Ja is _free in sql-wasm.js ("_free=c.Ja")' } }),
      report({ index: 1827, name: 'wasm-function[1827]', role: 'realloc', kind: 'realloc', evidence: { finder: 'structure', detail: '…' } }),
      report({ index: 244, name: 'Ia', role: 'malloc', exported: ['Ia'], evidence: { finder: 'glue', detail: 'export Ia is _malloc in sql-wasm.js ("_malloc=c.Ia")' } }),
    ]);
    expect(line).toBe('sql-wasm.wasm: malloc = export Ia (from the glue sql-wasm.js), realloc = wasm-function[1827] (by structure), free = export Ja (from the glue sql-wasm.js)');
  });

  it('says how forwarded and named functions were found', () => {
    expect(allocatorSummary('lib.wasm', [
      report({ index: 5, name: '__wbindgen_malloc', role: 'malloc', family: 'wasm-bindgen', exported: ['__wbindgen_malloc'], evidence: { finder: 'export', detail: 'export __wbindgen_malloc' } }),
      report({ index: 2, name: 'wasm-function[2]', role: 'malloc', family: 'wasm-bindgen', evidence: { finder: 'wasm-bindgen shim', detail: '…' } }),
      report({ index: 7, name: 'operator delete(void*)', role: 'delete', family: 'c++', kind: 'free', evidence: { finder: 'name', detail: '…' } }),
    ])).toBe('lib.wasm: malloc = wasm-function[2] (under the wasm-bindgen shim), malloc = export __wbindgen_malloc (by export name), delete = operator delete(void*) (by name)');
  });
});
