// Demangling: Itanium C++ (`_ZNSt3__26vectorIiNS_9allocatorIiEEE7reserveEm` →
// `std::__2::vector<int, std::__2::allocator<int> >::reserve(unsigned long)`), Rust
// legacy (`_ZN7leak_rs10leak_boxes17hcf43e7f4f0ca77b4E` → `leak_rs::leak_boxes`, hash
// and `.llvm.N` suffix dropped) and Rust v0 (`_RNvCs…_7___rustc12___rust_alloc` →
// `__rustc::__rust_alloc`).
//
// The work is done by gecko-profiler-demangle (the Firefox profiler's demangler): the
// Rust crates rustc-demangle and cpp_demangle compiled to Wasm. Its package is
// wasm-bindgen "bundler" output, which Node cannot import directly, so the module is
// instantiated here, once, on first use. WebAssembly.Module and Instance are taken
// when this file is loaded: wasm-tracemalloc's own hook may patch them later, and the
// demangler must not be instrumented by the pass that calls it.
//
// Outside Node (no process.getBuiltinModule) names are returned unchanged.

import * as glue from 'gecko-profiler-demangle/index_bg.js';

const { Module, Instance } = WebAssembly;
let demangleAny: ((name: string) => string) | null | undefined;

function load(): ((name: string) => string) | null {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const nodeModule = proc?.getBuiltinModule?.('node:module') as typeof import('node:module') | undefined;
    const fs = proc?.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined;
    if (!nodeModule || !fs) return null;
    const path = nodeModule.createRequire(import.meta.url).resolve('gecko-profiler-demangle/index_bg.wasm');
    const instance = new Instance(new Module(fs.readFileSync(path)), { './index_bg.js': glue as unknown as WebAssembly.ModuleImports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue.demangle_any;
  } catch {
    return null;
  }
}

/** Itanium C++ (`_Z…`) and Rust (`_ZN…E`, `_R…`) names demangled; anything else unchanged. */
export function demangle(name: string): string {
  if (!/^_{1,2}[ZR]/.test(name)) return name;
  if (demangleAny === undefined) demangleAny = load();
  if (!demangleAny) return name;
  try {
    return demangleAny(name);
  } catch {
    // A trap leaves the Wasm instance in an unknown state: stop using it.
    demangleAny = null;
    return name;
  }
}
