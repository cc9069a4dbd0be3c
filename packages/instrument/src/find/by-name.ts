// Finding allocators by name: the exact symbol names of each toolchain (REFERENCE.md §3),
// as the name section, an import or an export spells them. The strongest evidence
// there is, and the only finder that needs no look at the code.

import type { FunctionEntry, ModuleInfo } from '../binary/module.js';
import { alloc, calloc, fits, free, realloc, signatureOf, type AllocatorMatch, type AllocSpec } from './specs.js';

export interface NameRule {
  family: string;
  test: (name: string) => boolean;
  spec: AllocSpec | AllocSpec[];
}

const exact = (names: string[]) => {
  const set = new Set(names);
  return (n: string) => set.has(n);
};

/** Rust v0 mangling of `__rustc::<ident>`: matches on the identifier suffix. */
const rustSymbol = (ident: string) => {
  const v0 = `${ident.length}${/^[_0-9]/.test(ident) ? '_' : ''}${ident}`;
  return (name: string) => {
    const n = name.replace(/\[[0-9a-f]+\]$/, '');
    return n === ident || n.endsWith(`::${ident}`) || (n.startsWith('_R') && n.endsWith(v0));
  };
};

const C_FAMILY = (prefix: string): NameRule[] => [
  { family: 'c', test: exact([`${prefix}malloc`, `${prefix}valloc`, `${prefix}pvalloc`]), spec: alloc(1) },
  { family: 'c', test: exact([`${prefix}calloc`]), spec: calloc() },
  { family: 'c', test: exact([`${prefix}realloc`, `${prefix}reallocf`]), spec: realloc(2, 0, 1, true) },
  { family: 'c', test: exact([`${prefix}free`]), spec: free(1) },
  { family: 'c', test: exact([`${prefix}posix_memalign`]), spec: { kind: 'posix_memalign', out: 0, size: 2, params: 3, returns: true } },
  { family: 'c', test: exact([`${prefix}aligned_alloc`, `${prefix}memalign`]), spec: alloc(2, 1) },
];

const CXX_NEW = /^operator new(\[\])?\(unsigned (long|int)(, .*)?\)$/;
const CXX_DELETE = /^operator delete(\[\])?\(void\*(, .*)?\)$/;
const CXX_NEW_MANGLED = /^_Zn[wa][mj](RKSt9nothrow_t|St11align_val_t|St11align_val_tRKSt9nothrow_t)?$/;
const CXX_DELETE_MANGLED = /^_Zd[la]Pv[mj]?(RKSt9nothrow_t|St11align_val_t|St11align_val_tRKSt9nothrow_t)?$/;

// The JS-facing shims of wasm-bindgen: a zero size allocates and frees nothing.
export const WASM_BINDGEN_MALLOC = [alloc(1), alloc(2)].map((s): AllocSpec => ({ ...s, zeroSizeIsNoop: 0 }));
export const WASM_BINDGEN_REALLOC = [realloc(3, 0, 2), realloc(4, 0, 2)];
export const WASM_BINDGEN_FREE = [free(2), free(3)].map((s): AllocSpec => ({ ...s, zeroSizeIsNoop: 1 }));

export const PRESETS: NameRule[] = [
  ...C_FAMILY(''),
  ...C_FAMILY('dl'),
  ...C_FAMILY('emscripten_builtin_'),
  ...C_FAMILY('emmalloc_'),
  // Emscripten's WebIDL binder allocates the strings and arrays it passes to C++ here.
  { family: 'c', test: exact(['webidl_malloc']), spec: alloc(1) },
  { family: 'c', test: exact(['webidl_free']), spec: free(1) },
  { family: 'c++', test: (n) => CXX_NEW.test(n) || CXX_NEW_MANGLED.test(n), spec: [alloc(1), alloc(2), alloc(3)] },
  { family: 'c++', test: (n) => CXX_DELETE.test(n) || CXX_DELETE_MANGLED.test(n), spec: [free(1), free(2), free(3), free(4)] },
  ...['__rust_alloc', '__rdl_alloc', '__rg_alloc', '__rust_alloc_zeroed', '__rdl_alloc_zeroed', '__rg_alloc_zeroed'].map(
    (ident): NameRule => ({ family: 'rust', test: rustSymbol(ident), spec: alloc(2) }),
  ),
  ...['__rust_dealloc', '__rdl_dealloc', '__rg_dealloc'].map((ident): NameRule => ({ family: 'rust', test: rustSymbol(ident), spec: free(3) })),
  ...['__rust_realloc', '__rdl_realloc', '__rg_realloc'].map((ident): NameRule => ({ family: 'rust', test: rustSymbol(ident), spec: realloc(4, 0, 3) })),
  { family: 'wasm-bindgen', test: exact(['__wbindgen_malloc']), spec: WASM_BINDGEN_MALLOC },
  { family: 'wasm-bindgen', test: exact(['__wbindgen_realloc']), spec: WASM_BINDGEN_REALLOC },
  { family: 'wasm-bindgen', test: exact(['__wbindgen_free']), spec: WASM_BINDGEN_FREE },
  // napi-wasm's allocator export (lightningcss-wasm and other napi-rs builds for the web).
  { family: 'napi-wasm', test: exact(['napi_wasm_malloc']), spec: alloc(1) },
  { family: 'assemblyscript', test: exact(['~lib/rt/tlsf/__alloc', '~lib/rt/stub/__alloc']), spec: [alloc(1), alloc(2, 0, -16)] },
  { family: 'assemblyscript', test: exact(['~lib/rt/tlsf/__realloc', '~lib/rt/stub/__realloc']), spec: realloc(2, 0, 1) },
  { family: 'assemblyscript', test: exact(['~lib/rt/tlsf/__free', '~lib/rt/stub/__free']), spec: free(1) },
  // AssemblyScript ≤ 0.9 (ARC): blocks go back to the allocator here, with the block (not the payload).
  { family: 'assemblyscript', test: exact(['~lib/rt/tlsf/freeBlock']), spec: free(2, 1) },
  { family: 'assemblyscript', test: exact(['~lib/rt/itcms/__new', '~lib/rt/tcms/__new', '~lib/rt/stub/__new']), spec: alloc(2, 0, -16) },
  {
    family: 'assemblyscript',
    test: exact(['~lib/rt/itcms/__renew', '~lib/rt/tcms/__renew', '~lib/rt/stub/__renew']),
    spec: { kind: 'renew', ptr: 0, size: 1, params: 2, returns: true, adjust: -16 },
  },
];

/**
 * Export names that identify AssemblyScript's runtime when the name section is gone:
 * `__new`/`__renew` (0.18 and later), and `__alloc(size, id)` of the ARC runtime
 * (0.10–0.17 and earlier), which returns the payload, 16 bytes past the block.
 */
const AS_EXPORTS: NameRule[] = [
  { family: 'assemblyscript', test: exact(['__new']), spec: alloc(2, 0, -16) },
  { family: 'assemblyscript', test: exact(['__renew']), spec: { kind: 'renew', ptr: 0, size: 1, params: 2, returns: true, adjust: -16 } },
];
const AS_ARC_ALLOC: NameRule = { family: 'assemblyscript', test: exact(['__alloc']), spec: alloc(2, 0, -16) };

export function presetFor(name: string): NameRule | undefined {
  return PRESETS.find((r) => r.test(name));
}

export const specsOf = (rule: NameRule): AllocSpec[] => (Array.isArray(rule.spec) ? rule.spec : [rule.spec]);

/** Every name by which a function is known, with where the name comes from. */
export function namesOf(info: ModuleInfo): Map<number, Array<{ name: string; from: 'name' | 'import' | 'export' }>> {
  const names = new Map<number, Array<{ name: string; from: 'name' | 'import' | 'export' }>>();
  const add = (i: number, name: string, from: 'name' | 'import' | 'export') => {
    const list = names.get(i) ?? [];
    if (!list.some((n) => n.name === name)) list.push({ name, from });
    names.set(i, list);
  };
  for (const f of info.functions) {
    if (f.name !== undefined) add(f.index, f.name, 'name');
    if (f.import) add(f.index, f.import.field, 'import');
  }
  for (const e of info.exports) if (e.kind === 0) add(e.index, e.name, 'export');
  return names;
}

export interface Rejected {
  name: string;
  reason: string;
}

export function findByName(info: ModuleInfo): { found: AllocatorMatch[]; rejected: Rejected[] } {
  const found: AllocatorMatch[] = [];
  const rejected: Rejected[] = [];
  const names = namesOf(info);
  const exported = new Set(info.exports.filter((e) => e.kind === 0).map((e) => e.name));
  const arc = exported.has('__retain') && exported.has('__release');
  for (const f of info.functions) {
    for (const { name, from } of names.get(f.index) ?? []) {
      const rule = presetFor(name) ?? (from === 'export' ? AS_EXPORTS.find((r) => r.test(name)) ?? (arc && AS_ARC_ALLOC.test(name) ? AS_ARC_ALLOC : undefined) : undefined);
      if (!rule) continue;
      const spec = specsOf(rule).find((s) => fits(f, s));
      if (spec) {
        found.push({ func: f, matchedBy: name, family: rule.family, spec, evidence: evidenceOf(f, name, from) });
      } else {
        rejected.push({ name, reason: `signature ${signatureOf(f)} is not the ${rule.family} allocator's` });
      }
      break;
    }
  }
  return { found, rejected };
}

function evidenceOf(f: FunctionEntry, name: string, from: 'name' | 'import' | 'export'): AllocatorMatch['evidence'] {
  if (from === 'export') return { finder: 'export', detail: `export ${name}` };
  if (from === 'import') return { finder: 'name', detail: `import ${f.import!.module}.${name}` };
  return { finder: 'name', detail: `name ${name}` };
}

export const LOOKED_FOR_NAMES =
  'malloc/calloc/realloc/free/posix_memalign/aligned_alloc (and dl*, emscripten_builtin_*, emmalloc_*, webidl_*), C++ operator new/delete, __rust_alloc/__rust_dealloc/__rust_realloc/__rust_alloc_zeroed (and __rdl_*, __rg_*, v0-mangled), __wbindgen_malloc/__wbindgen_realloc/__wbindgen_free, napi_wasm_malloc, AssemblyScript ~lib/rt/{tlsf,itcms,tcms,stub}/__alloc/__realloc/__free/__new/__renew and exported __new/__renew/__alloc';
