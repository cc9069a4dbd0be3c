// The one-line account of a traced module that the CLI's hook and the Vite plugin
// print: which functions are traced, and how each was found.
//
//   sql-wasm.wasm: malloc = export Ia (from the glue sql-wasm.js), free = export Ja
//   (from the glue sql-wasm.js), realloc = wasm-function[1827] (by structure)

import type { AllocatorReport } from './instrument.js';
import type { Finder } from './find/index.js';

const HOW: Record<Finder, string> = {
  user: 'from --alloc',
  name: 'by name',
  export: 'by export name',
  glue: 'from the glue',
  'wasm-bindgen shim': 'under the wasm-bindgen shim',
  'forwarding thunk': 'forwarded to',
  structure: 'by structure',
};

const ROLE_ORDER = ['malloc', 'new', 'calloc', 'memalign', 'posix_memalign', 'realloc', 'renew', 'free', 'delete'];

function how(a: AllocatorReport): string {
  const glue = a.evidence.finder === 'glue' ? / in (\S+) \(/.exec(a.evidence.detail)?.[1] : undefined;
  return glue ? `${HOW.glue} ${glue}` : HOW[a.evidence.finder];
}

export function allocatorSummary(source: string, allocators: AllocatorReport[]): string {
  const sorted = [...allocators].sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role) || a.index - b.index);
  const parts = sorted.map((a) => `${a.role} = ${a.exported.length && !a.name.startsWith('wasm-function[') && a.exported.includes(a.name) ? `export ${a.name}` : a.name} (${how(a)})`);
  return `${source}: ${parts.length ? parts.join(', ') : 'no allocator'}`;
}
