// Which functions are allocators, and how we know. The finders, strongest first:
//
//   user rules   --alloc NAME=KIND                         (override everything)
//   by name      the toolchains' symbol names, in the name section, imports or exports
//   by glue      the JS glue's mapping of `_malloc` to a minified export
//   forwarding   shims and thunks followed down to the allocator every path reaches
//   structure    the missing partners of a family (free, realloc) from what they do
//
// A function keeps the first finding. Every match carries its evidence, which the
// report prints, so a user can see why function 412 is taken for realloc.

import type { BodyScan } from '../binary/instructions.js';
import type { ModuleInfo } from '../binary/module.js';
import { findByGlue, type GlueFile } from './by-glue.js';
import { findByName, LOOKED_FOR_NAMES, type Rejected } from './by-name.js';
import { findByForwarding } from './by-forwarding.js';
import { findByStructure } from './by-structure.js';
import { analyzeFlow, type Flow } from './flow.js';
import { findByUserRules, type UserRule } from './user-rules.js';
import type { AllocatorMatch } from './specs.js';

export interface FindOptions {
  rules?: UserRule[];
  /** Match the built-in names (default true); false leaves the user's rules alone. */
  presets?: boolean;
  /** The JS that loads the module, when known. */
  glue?: GlueFile[];
  /** The module's name, for rules qualified with one. */
  source?: string;
  /** Body scans by function index (calls), for structure; scanned on demand when absent. */
  scans?: ReadonlyMap<number, BodyScan | null>;
}

export interface FindResult {
  allocators: AllocatorMatch[];
  /** Names that matched a preset but whose signature did not; reported, not wrapped. */
  rejected: Rejected[];
  /** Unqualified user rules that name nothing in this module. */
  unmatchedRules: UserRule[];
}

export function findAllocators(info: ModuleInfo, options: FindOptions = {}): FindResult {
  const found = new Map<number, AllocatorMatch>();
  const add = (list: AllocatorMatch[]) => {
    for (const m of list) if (!found.has(m.func.index)) found.set(m.func.index, m);
  };
  const { found: byUser, unmatched } = findByUserRules(info, options.rules ?? [], options.source ?? 'module');
  add(byUser);
  let rejected: Rejected[] = [];
  if (options.presets ?? true) {
    const byName = findByName(info);
    add(byName.found);
    rejected = byName.rejected.filter((r) => ![...found.values()].some((m) => m.matchedBy === r.name));
    if (options.glue?.length) add(findByGlue(info, options.glue));

    const flowCache = new Map<number, Flow | undefined>();
    const flows = (i: number) => {
      if (!flowCache.has(i)) flowCache.set(i, analyzeFlow(info, info.functions[i]!));
      return flowCache.get(i);
    };
    add(findByForwarding(info, [...found.values()], new Set(found.keys()), flows));
    if (options.scans) add(findByStructure(info, [...found.values()], options.scans, flows));
  }
  return { allocators: [...found.values()].sort((a, b) => a.func.index - b.func.index), rejected, unmatchedRules: unmatched };
}

export const LOOKED_FOR = `${LOOKED_FOR_NAMES}; the JS glue's mapping of _malloc/_free/… to minified exports (Emscripten) and of wasm-bindgen's allocator exports, when the glue is given; and the functions those forward to`;

export { findByGlue, type GlueFile } from './by-glue.js';
export { PRESETS } from './by-name.js';
export { parseUserRule, formatUserRule, USER_KINDS, type UserRule } from './user-rules.js';
export type { AllocatorMatch, AllocSpec, AllocKind, Evidence, Finder } from './specs.js';
