// gecko-profiler-demangle ships wasm-bindgen "bundler" output without types for its
// glue module; demangle.ts instantiates the .wasm itself and uses these two functions.
declare module 'gecko-profiler-demangle/index_bg.js' {
  export function __wbg_set_wasm(exports: WebAssembly.Exports): void;
  export function demangle_any(name: string): string;
}
