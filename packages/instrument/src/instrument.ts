// The instrument pass: bytes in, traced bytes out.
//
//   readModule + scanFunction (our reader: structure, names, every call's offset, clean errors)
//   → findAllocators (find/: user rules, names, JS glue, shims and thunks, structure)
//   → sites for allocator calls (and, with a shadow stack, calls that lead to one)
//   → redirectCalls (in the bytes: `i32.const site; call stub`, stubs appended; every body
//     binaryen need not change becomes a placeholder, `unreachable`)
//   → binaryen.readBinary (of the functions it changes: reading code is most of its time)
//   → wrapAllocators (rename, wrappers, runtime imports; allocator stubs become `$site`)
//   → addShadowStack (callee stubs become trampolines, table entries, export entries)
//   → symbolize (DWARF, source map, names of the *original* module → frames per site)
//   → validate, emit, put the placeholders' bodies back with binaryen's numbering
//     (binary/relocate.ts), drop stale debug sections, append the site table custom
//     section (frames embedded, or returned for a side file).
//
// binaryen never sees the module's untrusted names or a custom section it would abort
// on (binary/binaryen-input.ts), and every call into it runs through atBinaryen
// (binaryen-calls.ts): whatever goes wrong ends as one InstrumentError (errors.ts).

import { MAX_SITES } from '@wasm-tracemalloc/runtime/abi';
import binaryen from 'binaryen';
import { encodeSiteSection, SITE_SECTION, SITE_TABLE_VERSION, type SiteRecord, type SiteTable } from '@wasm-tracemalloc/runtime/site-table';
import { appendCustomSection, onArrayBuffer, readModule, replaceSections, scanFunction, isDebugSection, type ModuleInfo } from './binary/module.js';
import { WasmFormatError } from './binary/reader.js';
import { binaryenInput, renameImportsAndExports } from './binary/binaryen-input.js';
import { atBinaryen } from './binaryen-calls.js';
import { InstrumentError, internalError } from './errors.js';
import { roleOf } from './find/specs.js';
import { findAllocators, parseUserRule, formatUserRule, LOOKED_FOR, type AllocatorMatch, type Evidence, type GlueFile, type UserRule } from './find/index.js';
import { addRuntimeImports, allocatorsNest, hasSharedMemory, linkNestedCalls, wrapAllocators } from './wrap-allocators.js';
import { findCalls, E } from './number-call-sites.js';
import { addShadowStack, planShadowCalls, reachingFunctions, MAX_SHADOW_FRAMES, type ShadowStackReport } from './shadow-stack.js';
import { redirectCalls, type Placeholders, type Redirect, type Stub } from './binary/redirect-calls.js';
import { NotRelocatable, restoreBodies } from './binary/relocate.js';
import { isPlainName, localNameMaps, withLocalNames } from './binary/name-section.js';
import { encodeCustomSection } from './binary/writer.js';
import type { BodyScan } from './binary/instructions.js';
import { symbolizeModule, type SymbolizeOptions } from './symbolize/index.js';

/**
 * Where symbolization (source frames per site) goes: into the instrumented module's
 * site table ('embed'), into `InstrumentResult.siteTable` only, for a side file, so
 * that the shipped binary holds no source paths ('side'), or nowhere ('none': frames
 * stay function + offset).
 */
export type SymbolsMode = 'embed' | 'side' | 'none';

export interface InstrumentOptions {
  /** Name of the input, used in messages (a file path or URL). */
  source?: string;
  /** Extra allocators: `[MODULE.wasm:]NAME=KIND` strings or parsed rules. */
  alloc?: Array<string | UserRule>;
  /**
   * The JS glue that loads the module (Emscripten's `X.js`, wasm-bindgen's `X_bg.js`),
   * whose mapping of `_malloc` and friends to minified exports finds the allocator of a
   * release build.
   */
  glue?: GlueFile[];
  /** Match the built-in presets (default true). */
  presets?: boolean;
  /**
   * Frames of call path the build can record (shadow stack), 1 to 128, default 128:
   * start(nframe) then chooses, at run time, how many of them a traceback keeps. 1
   * records the allocation site only and adds nothing to other calls.
   */
  maxFrames?: number;
  /** Where source frames go (default 'embed'). */
  symbols?: SymbolsMode;
  /** A source map for the input, instead of the one its sourceMappingURL section names. */
  sourceMap?: SymbolizeOptions['sourceMap'];
  /** Reads the map the input's sourceMappingURL names; without it, only `sourceMap` is used. */
  readSourceMap?: SymbolizeOptions['readSourceMap'];
  /** Reads a source file by its full path, so frames carry their line's text (Node: readFileSync). */
  readSource?: SymbolizeOptions['readSource'];
  /**
   * Debug info for a stripped input: a debug .wasm's bytes (Emscripten `-gseparate-dwarf`,
   * or the unstripped build) or a symbol map's text (`--emit-symbol-map`). Used instead
   * of what readDebugFile finds.
   */
  symbolsFrom?: SymbolizeOptions['symbolsFrom'];
  /** Name of `symbolsFrom` in messages and in `symbolized.debugFiles` (its file name). */
  symbolsFromName?: string;
  /** Reads a file beside the input by its relative name: the debug .wasm its `external_debug_info` names, its symbol map. */
  readDebugFile?: SymbolizeOptions['readDebugFile'];
  /**
   * Have binaryen read, validate and write every function: several times slower on
   * large modules. By default binaryen sees only the functions it changes, and
   * the rest of the code is moved into its output in the bytes (binary/relocate.ts).
   * For comparing the two (bench/instrument-speed.mjs, tests).
   */
  binaryenReadsAllCode?: boolean;
}

export interface AllocatorReport {
  index: number;
  name: string;
  family: string;
  kind: string;
  imported: boolean;
  exported: string[];
  /** Direct calls to it that now carry a site id. */
  callSites: number;
  /** What C would call it: malloc, memalign, calloc, realloc, free, new, delete, posix_memalign, renew. */
  role: string;
  /** How it was found. */
  evidence: Evidence;
}

export interface InstrumentResult {
  status: 'instrumented' | 'no-allocator' | 'already-instrumented';
  /** On a plain ArrayBuffer, so that WebAssembly.compile(bytes) type-checks. */
  bytes: Uint8Array<ArrayBuffer>;
  allocators: AllocatorReport[];
  sites: SiteRecord[];
  warnings: string[];
  /** Why nothing was done, when that is expected rather than a problem (a side module without an allocator). */
  note?: string;
  /** `--alloc` rules without a module name that name nothing in this module (they may be for another). */
  unmatchedRules?: string[];
  /** Custom sections removed because the rewrite made them stale (DWARF, source map URL). */
  droppedSections: string[];
  /** What the shadow stack instruments (maxFrames > 1). */
  shadowStack?: ShadowStackReport;
  /**
   * Whether the wrappers keep the depth guard that lets only the outermost of nested
   * allocator calls count: true when some allocator's body can reach another
   * allocator other than by a direct call (a helper, an indirect call). Otherwise no
   * wrapper can run inside another, and they go without it.
   */
  nestingGuard?: boolean;
  /**
   * The site table with its source frames. With symbols 'side' the module's own table
   * has none: write this one next to it (`OUT.wasm.sites.json`, encodeSiteTable) and
   * give it to instantiateTraced or install.
   */
  siteTable?: SiteTable;
  /**
   * Call sites symbolized from each source (absent with symbols 'none'), and the debug
   * files that served (a debug .wasm, a symbol map), when any did.
   */
  symbolized?: { dwarf: number; sourceMap: number; names: number; none: number; debugFiles?: string[] };
}

export { InstrumentError, type InstrumentErrorKind } from './errors.js';

/** A dynamically linked side module (the `dylink.0` section, or the older `dylink`). */
function isSideModule(info: ModuleInfo): boolean {
  return info.sections.some((s) => s.id === 0 && (s.name === 'dylink.0' || s.name === 'dylink'));
}

export function hasSiteTable(info: ModuleInfo): boolean {
  return info.sections.some((s) => s.id === 0 && s.name === SITE_SECTION);
}

function engineError(bytes: Uint8Array<ArrayBuffer>): string | undefined {
  if (WebAssembly.validate(bytes)) return undefined;
  try {
    new WebAssembly.Module(bytes);
  } catch (e) {
    return (e as Error).message;
  }
  return 'the module does not validate';
}

/**
 * Instruments a module. Throws only InstrumentError: `kind` tells bad input, an
 * unsupported module or a wrong option (the caller's to fix) from an internal error.
 */
export function instrument(input: Uint8Array, options: InstrumentOptions = {}): InstrumentResult {
  const source = options.source ?? 'module';
  try {
    return instrumentModule(input, source, options);
  } catch (e) {
    throw e instanceof InstrumentError ? e : internalError(source, 'instrumenting failed', e);
  }
}

function instrumentModule(input: Uint8Array, source: string, options: InstrumentOptions): InstrumentResult {
  const given = input as unknown;
  if (!(given instanceof Uint8Array) && !(given instanceof ArrayBuffer)) {
    throw new InstrumentError(`${source}: expected the module's bytes (a Uint8Array), got ${given === null ? 'null' : typeof given}`, source, undefined, 'usage');
  }
  const bytes = onArrayBuffer(given instanceof Uint8Array ? given : new Uint8Array(given));
  let info: ModuleInfo;
  try {
    info = readModule(bytes);
  } catch (e) {
    if (e instanceof WasmFormatError) throw new InstrumentError(`${source}: ${e.message}`, source, e.offset);
    throw e;
  }
  if (info.memory64) {
    throw new InstrumentError(`${source}: uses memory64 (64-bit pointers), which wasm-tracemalloc does not support yet; build for wasm32`, source, undefined, 'unsupported');
  }
  const invalid = engineError(bytes);
  if (invalid) {
    const at = /@\+(\d+)/.exec(invalid);
    throw new InstrumentError(`${source}: not a valid WebAssembly module: ${invalid}`, source, at ? Number(at[1]) : undefined);
  }
  if (hasSiteTable(info)) {
    return { status: 'already-instrumented', bytes, allocators: [], sites: [], warnings: [`${source}: already instrumented (it has a "${SITE_SECTION}" section); left unchanged`], droppedSections: [] };
  }

  let rules: UserRule[];
  try {
    rules = (options.alloc ?? []).map((r) => (typeof r === 'string' ? parseUserRule(r) : r));
  } catch (e) {
    throw new InstrumentError((e as Error).message, source, undefined, 'usage');
  }
  const warnings: string[] = [];
  if (info.names?.damage) {
    const { offset, problem } = info.names.damage;
    warnings.push(`${source}: the "name" section is damaged at byte ${offset} (${problem}); the names from there on are ignored`);
  }
  const scans = scanFunctions(info, source, warnings);
  let found;
  try {
    found = findAllocators(info, { rules, presets: options.presets ?? true, glue: options.glue, source, scans });
  } catch (e) {
    // User rules that name nothing or do not fit; anything else is ours.
    if (e instanceof Error && e.message.startsWith('--alloc ')) throw new InstrumentError(`${source}: ${e.message}`, source, undefined, 'usage');
    throw internalError(source, 'finding the allocators failed', e);
  }
  const unmatchedRules = found.unmatchedRules.length ? { unmatchedRules: found.unmatchedRules.map(formatUserRule) } : {};
  warnings.push(...found.rejected.map((r) => `${source}: "${r.name}" looks like an allocator but its ${r.reason}; not traced`));
  if (found.allocators.length === 0 && isSideModule(info) && found.rejected.length === 0) {
    // Emscripten and clang side modules (web-tree-sitter's languages, say) take
    // malloc from the main module, which is where their allocations are traced; a
    // warning per load would only be noise.
    const note =
      `${source}: a side module (it has a "dylink.0" section) that neither imports nor exports an allocator, ` +
      `so it allocates through none of its own; left unchanged. If it has one, name it with --alloc NAME=KIND.`;
    return { status: 'no-allocator', bytes, allocators: [], sites: [], warnings, note, droppedSections: [], ...unmatchedRules };
  }
  if (found.allocators.length === 0) {
    warnings.push(
      `${source}: no allocator found, so nothing is traced and the module is unchanged. Looked for ${LOOKED_FOR}` +
        (info.hasNameSection ? '.' : ', but the module has no name section (build with -g or --debug, or keep names with wasm-opt --debuginfo).') +
        (options.glue?.length ? ` The JS glue (${options.glue.map((g) => g.name).join(', ')}) names none of its exports as an allocator.` : ' No JS glue was given (instrument --glue FILE.js reads the one that loads it).') +
        ` Name your allocator with --alloc NAME=KIND (KIND: alloc, calloc, realloc, free, memalign; NAME a function, import or export name, or #INDEX).`,
    );
    return { status: 'no-allocator', bytes, allocators: [], sites: [], warnings, droppedSections: [], ...unmatchedRules };
  }
  // With a name section every function is named, so a family without a free has none
  // (nothing frees); without one, an unnamed free may exist that we cannot see.
  if (!info.hasNameSection) warnings.push(...familyWarnings(source, found.allocators));
  const maxFrames = options.maxFrames ?? MAX_SHADOW_FRAMES;
  if (!Number.isInteger(maxFrames) || maxFrames < 1 || maxFrames > MAX_SHADOW_FRAMES) {
    throw new InstrumentError(`${source}: maxFrames must be an integer from 1 to ${MAX_SHADOW_FRAMES}, got ${maxFrames}`, source, undefined, 'usage');
  }
  const symbols = options.symbols ?? 'embed';
  if (symbols !== 'embed' && symbols !== 'side' && symbols !== 'none') {
    throw new InstrumentError(`${source}: symbols must be 'embed', 'side' or 'none', got ${String(symbols)}`, source, undefined, 'usage');
  }
  const before = warnings.length;
  const rewriteWith = (placeholders: boolean) => rewrite(info, found.allocators, scans, source, warnings, maxFrames, symbols, { ...options, source }, placeholders);
  let result: InstrumentResult;
  try {
    result = rewriteWith(!options.binaryenReadsAllCode);
  } catch (e) {
    // A body relocation cannot move (table.init, elem.drop), or a relocated module the
    // engine refuses: binaryen reads all code.
    if (!(e instanceof NotRelocatable)) throw e;
    warnings.length = before;
    result = rewriteWith(false);
  }
  return { ...result, ...unmatchedRules };
}

/** Scans every body once (direct calls with offsets, indirect calls); null for a body our scanner cannot read. */
function scanFunctions(info: ModuleInfo, source: string, warnings: string[]): Map<number, BodyScan | null> {
  const scans = new Map<number, BodyScan | null>();
  for (const f of info.functions) {
    if (!f.body) continue;
    try {
      scans.set(f.index, scanFunction(info, f));
    } catch (e) {
      if (!(e instanceof WasmFormatError)) throw e;
      warnings.push(`${source}: could not read function ${f.index} (${f.name ?? 'unnamed'}): ${e.message}; its sites get approximate offsets`);
      scans.set(f.index, null);
    }
  }
  return scans;
}

/** A family with allocations but no free (or the reverse) gives numbers that only grow. */
function familyWarnings(source: string, allocators: AllocatorMatch[]): string[] {
  const out: string[] = [];
  const families = new Set(allocators.map((a) => a.family));
  for (const family of families) {
    const kinds = new Set(allocators.filter((a) => a.family === family).map((a) => a.spec.kind));
    const allocs = [...kinds].some((k) => k !== 'free');
    if (allocs && !kinds.has('free') && family !== 'user') {
      out.push(`${source}: found ${family} allocation functions but no matching free, so freed blocks will still count as live; keep the name section (e.g. asc --debug) or name the free function with --alloc NAME=free`);
    }
  }
  return out;
}

/**
 * Defined functions binaryen need not see: it changes nothing in them, so it reads a
 * placeholder for each and their bodies are relocated into its output (binary/relocate.ts).
 * binaryen reads and writes code at about 3 MB/s; this is where instrumenting a large
 * module spends its time. It must see the allocators (renamed, their nested calls
 * linked), bodies our scanner could not read, bodies with `ref.func` (binaryen
 * declares their targets from the code it writes) and, with a shadow stack, bodies
 * whose catches reset it. Undefined for GC modules, whose types binaryen may
 * regroup.
 */
function placeholderFunctions(info: ModuleInfo, scans: Map<number, BodyScan | null>, allocators: ReadonlyMap<number, unknown>, shadowReach: Set<number> | undefined): Set<number> | undefined {
  if (info.usesGc) return undefined;
  const out = new Set<number>();
  for (const [index, scan] of scans) {
    if (!scan) continue;
    if (scan.gc) return undefined;
    if (allocators.has(index) || scan.refFuncs.length || (scan.tries && shadowReach?.has(index))) continue;
    out.add(index);
  }
  return out;
}

function rewrite(info: ModuleInfo, allocators: AllocatorMatch[], scans: Map<number, BodyScan | null>, source: string, warnings: string[], maxFrames: number, symbols: SymbolsMode, symbolizeOptions: SymbolizeOptions, usePlaceholders: boolean): InstrumentResult {
  const sites: SiteRecord[] = [];
  const addSite = (site: SiteRecord) => sites.push(site) - 1;
  const allocByIndex = new Map(allocators.map((a) => [a.func.index, a]));
  const label = (a: AllocatorMatch) => a.func.name ?? a.matchedBy;
  const allocatorStart = (a: AllocatorMatch) => a.func.body?.code ?? 0;

  // Sites 0..2k-1: host and indirect entry to each allocator.
  const externalSite = new Map<string, number>();
  for (const a of allocators) {
    for (const kind of ['host', 'indirect'] as const) {
      externalSite.set(`${a.func.index}:${kind}`, addSite({ kind, allocator: label(a), func: -1, offset: allocatorStart(a) }));
    }
  }

  // Every call to an allocator in a scanned function, and with the shadow stack every
  // call that can lead to one, becomes `i32.const site; call stub` in the bytes.
  const stubs: Stub[] = [];
  const stubOf = new Map<number, number>();
  const redirects = new Map<number, Redirect[]>();
  const redirect = (func: number, offset: number, callee: number, site: number) => {
    let k = stubOf.get(callee);
    if (k === undefined) stubOf.set(callee, (k = stubs.push({ callee }) - 1));
    const list = redirects.get(func);
    if (list) list.push({ offset, stub: k, site });
    else redirects.set(func, [{ offset, stub: k, site }]);
  };
  const callSites = new Map<number, number>();
  const unscanned: number[] = [];
  for (const [index, scan] of scans) {
    if (allocByIndex.has(index)) continue;
    if (!scan) {
      unscanned.push(index);
      continue;
    }
    for (const c of scan.calls) {
      const a = allocByIndex.get(c.callee);
      if (!a) continue;
      const site = addSite({ kind: 'call', allocator: label(a), func: index, name: info.functions[index]!.name, offset: c.offset });
      redirect(index, c.offset, c.callee, site);
      callSites.set(c.callee, (callSites.get(c.callee) ?? 0) + 1);
    }
  }
  const reaching = reachingFunctions(info, scans, new Set(allocByIndex.keys()));
  const guard = allocatorsNest(allocators, scans, reaching);
  const reach = maxFrames > 1 ? reaching : undefined;
  const shadowPlan = reach ? planShadowCalls(info, scans, reach, addSite, redirect) : undefined;

  const placed = usePlaceholders ? placeholderFunctions(info, scans, allocByIndex, reach) : undefined;
  const forBinaryen = binaryenInput(info, source, warnings, placed);
  const named = forBinaryen.info;
  const original = (name: string) => forBinaryen.restore.get(name) ?? name;
  const placeholders: Placeholders | undefined = placed && { functions: placed, bodies: new Map() };
  const mod = readForRewrite(redirectCalls(info, stubs, redirects, forBinaryen.replace, placeholders), info, source, warnings);
  try {
    const internal: string[] = [];
    const globalsRead: string[] = [];
    const exportsOf = new Map<number, string[]>();
    let shadow: ShadowStackReport | undefined;
    atBinaryen(source, 'rewriting the module', () => {
      mod.setFeatures(rewriteFeatures(info, scans));
      const n = mod.getNumFunctions();
      for (let i = 0; i < n; i++) internal.push(binaryen.getFunctionInfo(mod.getFunctionByIndex(i)).name);
      if (placeholders) for (let i = 0; i < mod.getNumGlobals(); i++) globalsRead.push(binaryen.getGlobalInfo(mod.getGlobalByIndex(i)).name);
      const internalName = (index: number) => internal[index]!;
      const stubName = (callee: number) => {
        const k = stubOf.get(callee);
        return k === undefined ? undefined : internalName(info.functions.length + k);
      };

      const rt = addRuntimeImports(mod, hasSharedMemory(mod));
      // Allocators as binaryen knows them: an imported one is imported again under its placeholder names.
      const toBinaryen = allocators.map((a) => (a.func.import ? { ...a, func: named.functions[a.func.index]! } : a));
      const wrapped = wrapAllocators(mod, rt, toBinaryen, internalName, (a, kind) => externalSite.get(`${a.func.index}:${kind}`)!, (a) => stubName(a.func.index), guard);
      linkNestedCalls(mod, wrapped);
      const byIndexName = new Map(wrapped.map((w) => [w.indirect, w]));
      const targets = new Set(byIndexName.keys());

      // Functions our scanner could not read: find their allocator calls in binaryen's tree.
      for (const func of unscanned) {
        const fref = mod.getFunction(internalName(func));
        const body = binaryen.getFunctionInfo(fref).body;
        if (!body) continue;
        const found = findCalls(body, targets);
        if (found.calls.length) {
          warnings.push(`${source}: function ${func} (${info.functions[func]!.name ?? 'unnamed'}): offsets of its ${found.calls.length} allocator call sites point at the function start`);
        }
        for (const call of found.calls) {
          const w = byIndexName.get(E.Call.getTarget(call))!;
          const siteId = addSite({ kind: 'call', allocator: label(allocByIndex.get(w.match.func.index)!), func, name: info.functions[func]!.name, offset: info.functions[func]!.body!.code, approximate: true });
          E.Call.setTarget(call, w.site);
          E.Call.appendOperand(call, mod.i32.const(siteId));
          callSites.set(w.match.func.index, (callSites.get(w.match.func.index) ?? 0) + 1);
        }
      }

      // Exports of an allocator now reach its host wrapper.
      for (const e of named.exports) {
        if (e.kind !== 0 || !allocByIndex.has(e.index)) continue;
        const w = wrapped.find((x) => x.match.func.index === e.index)!;
        mod.removeExport(e.name);
        mod.addFunctionExport(w.host, e.name);
        exportsOf.set(e.index, [...(exportsOf.get(e.index) ?? []), original(e.name)]);
      }

      if (reach && shadowPlan) {
        shadow = addShadowStack(mod, rt, named, scans, reach, shadowPlan, internalName, stubName, addSite, warnings, source);
      }
    });
    if (sites.length > MAX_SITES) {
      throw new InstrumentError(`${source}: ${sites.length} sites exceed the ${MAX_SITES.toLocaleString('en-US')} a module can have; instrument with fewer frames (maxFrames 1)`, source, undefined, 'unsupported');
    }

    const codeSection = info.codeSection!;
    const table: SiteTable = { version: SITE_TABLE_VERSION, codeSectionOffset: codeSection.contentStart, maxFrames, sites };
    let symbolized: InstrumentResult['symbolized'];
    if (symbols !== 'none') {
      const { sites: withFrames, report } = symbolizeModule(info, sites, symbolizeOptions);
      table.sites = withFrames;
      warnings.push(...report.warnings);
      symbolized = { dwarf: report.dwarf, sourceMap: report.sourceMap, names: report.names, none: report.none, ...(report.debugFiles.length ? { debugFiles: report.debugFiles } : {}) };
    }
    let outIndex: { functions: Map<string, number>; globals: Map<string, number> } | undefined;
    const emitted = atBinaryen(source, 'writing the module', () => {
      // With placeholders, binaryen validates what it built (wrappers, trampolines and
      // the bodies it changed); the whole output is validated by the engine below.
      if (!mod.validate()) throw internalError(source, 'the instrumented module does not validate');
      if (placeholders) outIndex = binaryenOutputIndices(mod);
      return mod.emitBinary();
    });
    // The site table is appended to binaryen's output, not given to addCustomSection:
    // binaryen.js copies a section onto its own stack, which overflows at 5-8 MiB.
    // Stale debug sections go, and import and export names binaryen held as
    // placeholders get their own names back.
    const out = readModule(emitted);
    const replace = new Map<number, Uint8Array | null>(out.sections.filter((x) => x.id === 0 && isDebugSection(x.name!)).map((x) => [x.start, null]));
    if (placeholders && outIndex) {
      const { functions, globals } = outIndex;
      const toOut = (names: string[], index: Map<string, number>) => Int32Array.from(names, (name) => index.get(name) ?? -1);
      const placedAt = new Map<number, number>();
      for (const f of placeholders.functions) placedAt.set(functions.get(internal[f]!)!, f);
      for (const [start, section] of restoreBodies(emitted, out, info, placedAt, placeholders.bodies, { func: toOut(internal, functions), global: toOut(globalsRead, globals) })) replace.set(start, section);
      const locals = info.names?.intact.find((x) => x.id === 2 && x.names.every(isPlainName));
      const nameSection = out.sections.find((x) => x.id === 0 && x.name === 'name');
      const extra = locals ? localNameMaps(locals.content).filter((e) => placeholders.functions.has(e.func)) : [];
      if (extra.length && nameSection) {
        const content = emitted.subarray(nameSection.contentStart + 5, nameSection.end); // after "\x04name"
        replace.set(nameSection.start, encodeCustomSection('name', withLocalNames(content, extra.map((e) => ({ func: functions.get(internal[e.func]!)!, map: e.map })))));
      }
    }
    if (forBinaryen.restore.size) for (const [start, section] of renameImportsAndExports(emitted, out.sections, (name) => forBinaryen.restore.get(name))) replace.set(start, section);
    const bytes = appendCustomSection(replaceSections(emitted, out.sections, replace), SITE_SECTION, encodeSiteSection(symbols === 'side' ? { ...table, sites } : table));
    const dropped = info.sections.filter((x) => x.id === 0 && isDebugSection(x.name!)).map((x) => x.name!);
    const invalid = engineError(bytes);
    // A relocation we got wrong costs speed, not the module: binaryen then reads all code.
    if (invalid && placeholders) throw new NotRelocatable(invalid);
    if (invalid) throw internalError(source, 'the instrumented module does not validate', invalid);

    return {
      status: 'instrumented',
      bytes,
      sites: table.sites,
      siteTable: table,
      ...(symbolized ? { symbolized } : {}),
      shadowStack: shadow,
      nestingGuard: guard,
      warnings,
      droppedSections: dropped,
      allocators: allocators.map((a) => ({
        index: a.func.index,
        name: label(a),
        family: a.family,
        kind: a.spec.kind,
        imported: !!a.func.import,
        exported: exportsOf.get(a.func.index) ?? [],
        callSites: callSites.get(a.func.index) ?? 0,
        role: roleOf(a),
        evidence: a.evidence,
      })),
    };
  } finally {
    mod.dispose();
  }
}

/**
 * Where binaryen writes each function and global, by internal name: imports first,
 * then definitions, each in the module's order.
 */
function binaryenOutputIndices(mod: binaryen.Module): { functions: Map<string, number>; globals: Map<string, number> } {
  const order = (names: Array<[string, boolean]>) => {
    const index = new Map<string, number>();
    for (const [name, imported] of names) if (imported) index.set(name, index.size);
    for (const [name, imported] of names) if (!imported) index.set(name, index.size);
    return index;
  };
  const functions: Array<[string, boolean]> = [];
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    functions.push([f.name, !!f.module]);
  }
  const globals: Array<[string, boolean]> = [];
  for (let i = 0; i < mod.getNumGlobals(); i++) {
    const g = binaryen.getGlobalInfo(mod.getGlobalByIndex(i));
    globals.push([g.name, !!g.module]);
  }
  return { functions: order(functions), globals: order(globals) };
}

/**
 * binaryen's module of the bytes to rewrite. Custom sections binaryen parses are
 * checked beforehand (binaryenInput); should it still refuse the module, it gets one
 * more try without any custom section, and a warning says which were dropped.
 */
function readForRewrite(bytes: Uint8Array, info: ModuleInfo, source: string, warnings: string[]): binaryen.Module {
  binaryen.setDebugInfo(true);
  try {
    return atBinaryen(source, 'reading the module', () => binaryen.readBinary(bytes));
  } catch (e) {
    if (!(e instanceof InstrumentError) || e.kind !== 'unsupported') throw e;
    const sections = readModule(bytes).sections.filter((s) => s.id === 0);
    if (sections.length === 0) throw e;
    const mod = atBinaryen(source, 'reading the module', () => binaryen.readBinary(replaceSections(bytes, sections, new Map(sections.map((s) => [s.start, null])))));
    const names = [...new Set(sections.map((s) => `"${s.name}"`))].join(', ');
    warnings.push(`${source}: binaryen could not read the module with its custom sections (${names}), so they are dropped from the output${info.names ? '; function names in tracebacks come from the input' : ''}`);
    return mod;
  }
}

/**
 * The features binaryen writes the rewritten module with. Modules without a
 * target_features section read as MVP, and target_features need not list what a
 * module uses (photon-node's lists 4 features, yet it uses table.fill): allow
 * everything, except what changes how an unchanged module is written out. Compact
 * imports are understood by no engine of today; GC (and Strings, which needs it)
 * writes `ref.null extern` as `ref.null noextern` (0x72), which engines before GC
 * (V8 < 11.9, Node 20) reject, so it stays off unless the module already uses GC
 * encodings (its types, imports, globals, tables, locals or instructions).
 */
function rewriteFeatures(info: ModuleInfo, scans: Map<number, BodyScan | null>): number {
  const F = binaryen.Features as typeof binaryen.Features & { CompactImports: number };
  const gc = info.usesGc || [...scans.values()].some((s) => s?.gc);
  return F.All & ~F.CompactImports & ~(gc ? 0 : F.GC | F.Strings);
}
