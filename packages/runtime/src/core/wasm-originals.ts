// The WebAssembly API as it was when this module was first evaluated.
//
// install.ts patches WebAssembly.* so that unmodified glue gets traced instances.
// The core itself, and the linker that wraps the patched functions, must never go
// through the patch: they use these. Whatever patches WebAssembly must import this
// module first (install.ts does), so that the capture happens before the patch.
// Streaming functions are missing in some runtimes; they are undefined there.

const W = globalThis.WebAssembly;

export interface WasmOriginals {
  readonly Module: typeof WebAssembly.Module;
  readonly Instance: typeof WebAssembly.Instance;
  readonly instantiate: typeof WebAssembly.instantiate;
  readonly compile: typeof WebAssembly.compile;
  readonly validate: typeof WebAssembly.validate;
  readonly instantiateStreaming: typeof WebAssembly.instantiateStreaming | undefined;
  readonly compileStreaming: typeof WebAssembly.compileStreaming | undefined;
  /** An instance's own exports, past any `exports` property defined on it (shadow-stack.ts does). */
  readonly instanceExports: (instance: WebAssembly.Instance) => WebAssembly.Exports;
}

// The JS API defines `exports` as a getter of Instance.prototype.
const exportsGetter = Object.getOwnPropertyDescriptor(W.Instance.prototype, 'exports')?.get;

export const originals: WasmOriginals = Object.freeze({
  Module: W.Module,
  Instance: W.Instance,
  instantiate: W.instantiate,
  compile: W.compile,
  validate: W.validate,
  instantiateStreaming: W.instantiateStreaming as typeof WebAssembly.instantiateStreaming | undefined,
  compileStreaming: W.compileStreaming as typeof WebAssembly.compileStreaming | undefined,
  instanceExports: (instance: WebAssembly.Instance) => (exportsGetter ? exportsGetter.call(instance) : instance.exports) as WebAssembly.Exports,
});
