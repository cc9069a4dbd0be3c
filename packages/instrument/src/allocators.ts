// Which functions are allocators, and how to read an allocation out of their
// arguments. Presets carry the exact symbol names of each toolchain (see
// REFERENCE.md §3); users add more with `--alloc NAME=KIND`.

import { VALTYPE_I32, type FunctionEntry, type ModuleInfo } from './binary/module.js';

/**
 * How a wrapper records a call:
 * - alloc: result is the block, `size` argument is its size.
 * - calloc: result is the block of `count` × `size` bytes.
 * - realloc: the block at `ptr` moves to the result with `size` bytes.
 * - free: the block at `ptr` is released.
 * - posix_memalign: returns 0 on success and stores the block at `*out`.
 * - renew (AssemblyScript `__renew`): grows in place (same pointer) or allocates a new
 *   object and leaves the old one to the collector.
 */
export type AllocKind = 'alloc' | 'calloc' | 'realloc' | 'free' | 'posix_memalign' | 'renew';

export interface AllocSpec {
  kind: AllocKind;
  /** Argument indices. */
  size?: number;
  count?: number;
  ptr?: number;
  out?: number;
  /**
   * Added to pointers before recording, so that the key matches what the matching free
   * receives. AssemblyScript's `__new` returns the object payload, 16 bytes
   * (OBJECT_OVERHEAD) past the block that `__free` is later given.
   */
  adjust?: number;
  /** C realloc(p, 0) returning NULL has freed p (dlmalloc's REALLOC_ZERO_BYTES_FREES). */
  zeroFrees?: boolean;
  /** Arity the function must have; other signatures are not this allocator. */
  params: number;
  /** Whether the function returns the pointer (or status) as an i32. */
  returns: boolean;
}

export interface AllocatorMatch {
  func: FunctionEntry;
  /** The name it was matched by (a name-section name, import field or export name). */
  matchedBy: string;
  family: string;
  spec: AllocSpec;
}

const alloc = (params: number, size = 0, adjust?: number): AllocSpec => ({ kind: 'alloc', size, params, returns: true, adjust });
const free = (params: number, ptr = 0): AllocSpec => ({ kind: 'free', ptr, params, returns: false });
const realloc = (params: number, ptr: number, size: number, zeroFrees = false): AllocSpec => ({ kind: 'realloc', ptr, size, params, returns: true, zeroFrees });

interface Rule {
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

const C_FAMILY = (prefix: string): Rule[] => [
  { family: 'c', test: exact([`${prefix}malloc`, `${prefix}valloc`, `${prefix}pvalloc`]), spec: alloc(1) },
  { family: 'c', test: exact([`${prefix}calloc`]), spec: { kind: 'calloc', count: 0, size: 1, params: 2, returns: true } },
  { family: 'c', test: exact([`${prefix}realloc`, `${prefix}reallocf`]), spec: realloc(2, 0, 1, true) },
  { family: 'c', test: exact([`${prefix}free`]), spec: free(1) },
  { family: 'c', test: exact([`${prefix}posix_memalign`]), spec: { kind: 'posix_memalign', out: 0, size: 2, params: 3, returns: true } },
  { family: 'c', test: exact([`${prefix}aligned_alloc`, `${prefix}memalign`]), spec: alloc(2, 1) },
];

const CXX_NEW = /^operator new(\[\])?\(unsigned (long|int)(, .*)?\)$/;
const CXX_DELETE = /^operator delete(\[\])?\(void\*(, .*)?\)$/;
const CXX_NEW_MANGLED = /^_Zn[wa][mj](RKSt9nothrow_t|St11align_val_t|St11align_val_tRKSt9nothrow_t)?$/;
const CXX_DELETE_MANGLED = /^_Zd[la]Pv[mj]?(RKSt9nothrow_t|St11align_val_t|St11align_val_tRKSt9nothrow_t)?$/;

export const PRESETS: Rule[] = [
  ...C_FAMILY(''),
  ...C_FAMILY('dl'),
  ...C_FAMILY('emscripten_builtin_'),
  ...C_FAMILY('emmalloc_'),
  { family: 'c++', test: (n) => CXX_NEW.test(n) || CXX_NEW_MANGLED.test(n), spec: [alloc(1), alloc(2), alloc(3)] },
  { family: 'c++', test: (n) => CXX_DELETE.test(n) || CXX_DELETE_MANGLED.test(n), spec: [free(1), free(2), free(3), free(4)] },
  ...['__rust_alloc', '__rdl_alloc', '__rg_alloc', '__rust_alloc_zeroed', '__rdl_alloc_zeroed', '__rg_alloc_zeroed'].map(
    (ident): Rule => ({ family: 'rust', test: rustSymbol(ident), spec: alloc(2) }),
  ),
  ...['__rust_dealloc', '__rdl_dealloc', '__rg_dealloc'].map((ident): Rule => ({ family: 'rust', test: rustSymbol(ident), spec: free(3) })),
  ...['__rust_realloc', '__rdl_realloc', '__rg_realloc'].map((ident): Rule => ({ family: 'rust', test: rustSymbol(ident), spec: realloc(4, 0, 3) })),
  { family: 'wasm-bindgen', test: exact(['__wbindgen_malloc']), spec: [alloc(1), alloc(2)] },
  { family: 'wasm-bindgen', test: exact(['__wbindgen_realloc']), spec: [realloc(3, 0, 2), realloc(4, 0, 2)] },
  { family: 'wasm-bindgen', test: exact(['__wbindgen_free']), spec: [free(2), free(3)] },
  { family: 'assemblyscript', test: exact(['~lib/rt/tlsf/__alloc', '~lib/rt/stub/__alloc']), spec: alloc(1) },
  { family: 'assemblyscript', test: exact(['~lib/rt/tlsf/__realloc', '~lib/rt/stub/__realloc']), spec: realloc(2, 0, 1) },
  { family: 'assemblyscript', test: exact(['~lib/rt/tlsf/__free', '~lib/rt/stub/__free']), spec: free(1) },
  { family: 'assemblyscript', test: exact(['~lib/rt/itcms/__new', '~lib/rt/tcms/__new', '~lib/rt/stub/__new']), spec: alloc(2, 0, -16) },
  {
    family: 'assemblyscript',
    test: exact(['~lib/rt/itcms/__renew', '~lib/rt/tcms/__renew', '~lib/rt/stub/__renew']),
    spec: { kind: 'renew', ptr: 0, size: 1, params: 2, returns: true, adjust: -16 },
  },
];

/** Export names that identify AssemblyScript's runtime when the name section is gone. */
const AS_EXPORTS: Rule[] = [
  { family: 'assemblyscript', test: exact(['__new']), spec: alloc(2, 0, -16) },
  { family: 'assemblyscript', test: exact(['__renew']), spec: { kind: 'renew', ptr: 0, size: 1, params: 2, returns: true, adjust: -16 } },
];

export const USER_KINDS = ['alloc', 'calloc', 'realloc', 'free', 'memalign'] as const;
export type UserKind = (typeof USER_KINDS)[number];

export interface UserRule {
  /** A function name, an export name, or `#N` / a bare number for a function index. */
  target: string;
  /**
   * A generic kind, or the name of a known allocator whose signature the target has:
   * `__wbindgen_export_2=__wbindgen_realloc` for wasm-bindgen's anonymous exports.
   */
  kind: UserKind | string;
}

function presetFor(name: string): Rule | undefined {
  return PRESETS.find((r) => r.test(name));
}

export function parseUserRule(text: string): UserRule {
  const eq = text.indexOf('=');
  const target = eq > 0 ? text.slice(0, eq) : '';
  const kind = text.slice(eq + 1);
  if (!target || !((USER_KINDS as readonly string[]).includes(kind) || presetFor(kind))) {
    throw new Error(
      `--alloc "${text}": expected NAME=KIND with KIND one of ${USER_KINDS.join(', ')}, or the name of a known allocator ` +
        `whose signature NAME has (e.g. --alloc my_malloc=alloc, --alloc '#42=free', --alloc __wbindgen_export_2=__wbindgen_realloc)`,
    );
  }
  return { target, kind };
}

function userSpec(kind: UserKind, params: number): AllocSpec {
  switch (kind) {
    case 'alloc': return alloc(params);
    case 'calloc': return { kind: 'calloc', count: 0, size: 1, params, returns: true };
    case 'realloc': return realloc(params, 0, 1);
    case 'free': return free(params);
    case 'memalign': return alloc(params, 1);
  }
}

function fits(f: FunctionEntry, spec: AllocSpec): boolean {
  const t = f.type;
  if (!t || t.params.length !== spec.params) return false;
  if (t.results.length !== (spec.returns ? 1 : 0)) return false;
  if (spec.returns && t.results[0] !== VALTYPE_I32) return false;
  return t.params.every((p) => p === VALTYPE_I32);
}

export interface FindResult {
  allocators: AllocatorMatch[];
  /** Names that matched a preset but whose signature did not; reported, not wrapped. */
  rejected: { name: string; reason: string }[];
}

/** Every name by which a function is known: name section, import field, exports. */
function namesOf(info: ModuleInfo): Map<number, string[]> {
  const names = new Map<number, string[]>();
  const add = (i: number, n: string) => {
    const list = names.get(i) ?? [];
    if (!list.includes(n)) list.push(n);
    names.set(i, list);
  };
  for (const f of info.functions) {
    if (f.name !== undefined) add(f.index, f.name);
    if (f.import) add(f.index, f.import.field);
  }
  for (const e of info.exports) if (e.kind === 0) add(e.index, e.name);
  return names;
}

export function findAllocators(info: ModuleInfo, userRules: UserRule[] = [], usePresets = true): FindResult {
  const found = new Map<number, AllocatorMatch>();
  const rejected: FindResult['rejected'] = [];
  const names = namesOf(info);

  for (const rule of userRules) {
    const m = /^#?(\d+)$/.exec(rule.target);
    const matches = m
      ? info.functions.filter((f) => f.index === Number(m[1]))
      : info.functions.filter((f) => names.get(f.index)?.includes(rule.target));
    if (matches.length === 0) {
      throw new Error(`--alloc ${rule.target}=${rule.kind}: no function, import or export is named "${rule.target}" (use #N for a function index)`);
    }
    for (const f of matches) {
      const params = f.type?.params.length ?? 0;
      const preset = (USER_KINDS as readonly string[]).includes(rule.kind) ? undefined : presetFor(rule.kind);
      const candidates = preset ? (Array.isArray(preset.spec) ? preset.spec : [preset.spec]) : [userSpec(rule.kind as UserKind, params)];
      const spec = candidates.find((c) => fits(f, c)) ?? candidates[0]!;
      if (!fits(f, spec)) {
        throw new Error(`--alloc ${rule.target}=${rule.kind}: function ${f.index} has signature (${f.type?.params.length ?? '?'} params → ${f.type?.results.length ?? '?'} results), which does not fit a ${rule.kind} of i32 arguments`);
      }
      found.set(f.index, { func: f, matchedBy: rule.target, family: preset ? preset.family : 'user', spec });
    }
  }

  if (usePresets) {
    for (const f of info.functions) {
      if (found.has(f.index)) continue;
      for (const name of names.get(f.index) ?? []) {
        const rule = PRESETS.find((r) => r.test(name)) ?? (info.exports.some((e) => e.kind === 0 && e.index === f.index && e.name === name) ? AS_EXPORTS.find((r) => r.test(name)) : undefined);
        if (!rule) continue;
        const specs = Array.isArray(rule.spec) ? rule.spec : [rule.spec];
        const spec = specs.find((s) => fits(f, s));
        if (spec) {
          found.set(f.index, { func: f, matchedBy: name, family: rule.family, spec });
        } else {
          rejected.push({ name, reason: `signature (${f.type?.params.length ?? '?'} params → ${f.type?.results.length ?? '?'} results) is not the ${rule.family} allocator's` });
        }
        break;
      }
    }
  }
  return { allocators: [...found.values()].sort((a, b) => a.func.index - b.func.index), rejected };
}

export const LOOKED_FOR = 'malloc/calloc/realloc/free/posix_memalign/aligned_alloc (and dl*, emscripten_builtin_*, emmalloc_*), C++ operator new/delete, __rust_alloc/__rust_dealloc/__rust_realloc/__rust_alloc_zeroed (and __rdl_*, __rg_*, v0-mangled), __wbindgen_malloc/__wbindgen_realloc/__wbindgen_free, AssemblyScript ~lib/rt/{tlsf,itcms,tcms,stub}/__alloc/__realloc/__free/__new/__renew and exported __new/__renew';
