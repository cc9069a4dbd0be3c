// Where the tracer is not installed (a worker the preload reached but whose runtime
// failed to load, or any thread that only has this file), an instrumented module must
// still run. Such a module imports `wasm-tracemalloc` (alloc/free/realloc/put and the
// globals sp, nframe, domain: see packages/instrument wrap-allocators.ts and
// shadow-stack.ts). Given inert imports it behaves as the original: every wrapper
// calls the real allocator, the trace calls do nothing, and nframe 0 keeps the shadow
// stack empty. So WebAssembly.Instance and instantiate are wrapped to supply them when
// the caller did not, with a warning naming the thread. Dependency-free and small:
// it is loaded first, before anything that can fail.

import { threadId } from 'node:worker_threads';

const NAMESPACE = 'wasm-tracemalloc';
/** The mutable globals an instrumented module imports; every other global is an immutable i32. */
const MUTABLE_GLOBALS = new Set(['sp', 'nframe']);

let installed = false;
let why = 'the tracer is not installed in this thread';
const warned = new WeakSet<WebAssembly.Module>();

/** Why the tracer is missing, for the warning (e.g. the error loading it). */
export function setUntracedReason(reason: string): void {
  why = reason;
}

function inertImports(module: WebAssembly.Module): WebAssembly.ModuleImports | undefined {
  const wanted = WebAssembly.Module.imports(module).filter((i) => i.module === NAMESPACE);
  if (wanted.length === 0) return undefined;
  const inert: WebAssembly.ModuleImports = {};
  for (const i of wanted) {
    if (i.kind === 'function') inert[i.name] = () => {};
    else if (i.kind === 'global') inert[i.name] = MUTABLE_GLOBALS.has(i.name) ? new WebAssembly.Global({ value: 'i32', mutable: true }, 0) : 0;
  }
  return inert;
}

function withInert(module: WebAssembly.Module, imports: WebAssembly.Imports | undefined, warn: (line: string) => void): WebAssembly.Imports | undefined {
  if (imports?.[NAMESPACE]) return imports; // linked by the tracer
  const inert = inertImports(module);
  if (!inert) return imports;
  if (!warned.has(module)) {
    warned.add(module);
    const thread = threadId === 0 ? 'main thread' : `worker thread ${threadId}`;
    warn(`wasm-tracemalloc: warning: ${thread}: an instrumented module runs untraced (${why})`);
  }
  return { ...(imports ?? {}), [NAMESPACE]: inert };
}

/** Wraps WebAssembly.Instance and instantiate; idempotent. Returns nothing to undo: it only ever adds imports. */
export function installUntracedFallback(warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
  if (installed) return;
  installed = true;
  const W = WebAssembly as unknown as Record<string, unknown>;
  const OriginalInstance = WebAssembly.Instance;
  const originalInstantiate = WebAssembly.instantiate.bind(WebAssembly) as (s: unknown, i?: WebAssembly.Imports) => Promise<unknown>;
  const originalCompile = WebAssembly.compile.bind(WebAssembly);
  function Instance(this: unknown, module: WebAssembly.Module, imports?: WebAssembly.Imports): WebAssembly.Instance {
    if (!new.target) throw new TypeError("WebAssembly.Instance must be invoked with 'new'");
    return Reflect.construct(OriginalInstance, [module, module instanceof WebAssembly.Module ? withInert(module, imports, warn) : imports], new.target === Instance ? OriginalInstance : new.target) as WebAssembly.Instance;
  }
  Instance.prototype = OriginalInstance.prototype;
  W.Instance = Instance;
  W.instantiate = async (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    if (source instanceof WebAssembly.Module) return originalInstantiate(source, withInert(source, imports, warn));
    if (imports?.[NAMESPACE]) return originalInstantiate(source, imports);
    const module = await originalCompile(source);
    return { module, instance: await originalInstantiate(module, withInert(module, imports, warn)) };
  };
  const originalStreaming = WebAssembly.instantiateStreaming?.bind(WebAssembly);
  const compileStreaming = WebAssembly.compileStreaming?.bind(WebAssembly);
  if (originalStreaming && compileStreaming) {
    W.instantiateStreaming = async (source: Response | PromiseLike<Response>, imports?: WebAssembly.Imports) => {
      if (imports?.[NAMESPACE]) return originalStreaming(source, imports);
      const module = await compileStreaming(source);
      return { module, instance: await originalInstantiate(module, withInert(module, imports, warn)) };
    };
  }
}
