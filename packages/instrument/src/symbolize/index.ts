// Symbolization: what each call site is in the source, read from the *original*
// module's debug info at instrument time and stored in the site table.
//
// Before (site table entry):  { kind: 'call', func: 7, name: '_ZN7leak_rs10leak_boxes17h…E', offset: 0x716 }
// After:                      { …, frames: [
//                               { file: '/src/leak_rs.rs', line: 30, function: 'leak_rs::leak_boxes', source: 'let b = Box::new([0u8; 100]);' },
//                               { file: '/usr/src/…/boxed.rs', line: 217, function: 'alloc::boxed::Box<T>::new' },
//                               …
//                               { file: '/usr/src/…/alloc.rs', line: 89, function: 'alloc::alloc::alloc' } ] }
//
// For each 'call' site, the first source that knows the call instruction wins:
//   1. DWARF (.debug_info + .debug_line): the function and every inlined call, with lines;
//   2. a source map (the module's sourceMappingURL, or one given): file, line, column;
//   3. the function's name (function-names.ts: the name section, a debug module's, a
//      symbol map's, or the export name): one function-level frame, unless it is the
//      site's own name-section name unchanged by demangling (then the runtime's
//      `module.wasm:name+0xOFF` frame says the same);
//   4. nothing: the runtime shows `module.wasm:wasm-function[N]+0xOFF`.
// 'host' and 'indirect' sites (entries from JS and through tables) get a frame only
// when that names the function they enter better than the site does.
// A stripped module's DWARF and names can come from a debug file (debug-file.ts):
// `symbolsFrom`, else what `readDebugFile` finds beside the module.
// DWARF is parsed lazily, and only the units that contain a site.

import type { SiteRecord, SourceFrame } from '@wasm-tracemalloc/runtime/site-table';
import { readModule, type ModuleInfo } from '../binary/module.js';
import { dwarfSections } from './dwarf-reader.js';
import { DwarfInfo } from './dwarf-info.js';
import { readAllLinePrograms, lookupLine, type LineFile, type LineProgram } from './dwarf-line.js';
import { WasmSourceMap, sourceMappingUrl } from './source-map.js';
import { demangle } from './demangle.js';
import { debugModuleMismatch, externalDebugInfoUrl, parseDebugFile, symbolMapMismatch, symbolMapNames, EXTERNAL_DEBUG_INFO } from './debug-file.js';
import { FunctionNames } from './function-names.js';

export { demangle } from './demangle.js';

export interface SymbolizeOptions {
  /** A source map for the module (JSON text or parsed), used instead of the one its sourceMappingURL names. */
  sourceMap?: string | object;
  /** Reads the map the module's `sourceMappingURL` section names (a URL relative to the module). */
  readSourceMap?: (url: string) => string | undefined;
  /** Reads a source file by its full path (Node: readFileSync); frames then carry their line's text. */
  readSource?: (path: string) => string | undefined;
  /**
   * Debug info kept apart from the module: a debug module's bytes (Emscripten's
   * `-gseparate-dwarf` output, or the unstripped build) or a symbol map's text
   * (`--emit-symbol-map`). Used instead of what readDebugFile finds.
   */
  symbolsFrom?: Uint8Array | string;
  /** Name of `symbolsFrom` in messages (its file name); default "the given symbols". */
  symbolsFromName?: string;
  /**
   * Reads a file by its name relative to the module (Node: beside it): the debug module
   * that the module's `external_debug_info` section names, and, for a module without a
   * name section, its symbol map (`X.wasm.symbols`, `X.js.symbols`, after `source`).
   */
  readDebugFile?: (name: string) => Uint8Array | undefined;
  /** Name of the module in messages; its file name finds the symbol map. */
  source?: string;
}

export interface SymbolizeReport {
  /** 'call' sites symbolized by each source. */
  dwarf: number;
  sourceMap: number;
  names: number;
  none: number;
  /** The debug files used, as given or found (`X.wasm.debug.wasm`, `the given symbols`). */
  debugFiles: string[];
  warnings: string[];
}

/** Adds `frames` (and source lines) to the 'call' sites of a module; returns new records. */
export function symbolize(original: Uint8Array, sites: SiteRecord[], options: SymbolizeOptions = {}): SiteRecord[] {
  return symbolizeModule(readModule(original), sites, options).sites;
}

export function symbolizeModule(info: ModuleInfo, sites: SiteRecord[], options: SymbolizeOptions = {}): { sites: SiteRecord[]; report: SymbolizeReport } {
  const label = options.source ?? 'module';
  const report: SymbolizeReport = { dwarf: 0, sourceMap: 0, names: 0, none: 0, debugFiles: [], warnings: [] };
  const codeStart = info.codeSection?.contentStart ?? 0;
  const lines = new SourceLines(options.readSource);
  const debug = debugFilesOf(info, options, report);
  const names = new FunctionNames(info, debug);
  let dwarf = dwarfOf(info) ?? (debug.debug && dwarfOf(debug.debug));
  let entered: Map<number, number> | undefined;
  /** The function a host or indirect site enters: its offset is the function's first instruction. */
  const enteredAt = (offset: number) => {
    entered ??= new Map(info.functions.filter((f) => f.body).map((f) => [f.body!.code, f.index]));
    return entered.get(offset);
  };
  let sourceMap: WasmSourceMap | null | undefined;
  const mapOf = (): WasmSourceMap | null => {
    if (sourceMap !== undefined) return sourceMap;
    sourceMap = null;
    try {
      if (options.sourceMap !== undefined) sourceMap = new WasmSourceMap(options.sourceMap, `${label}: the given source map`);
      else {
        const url = sourceMappingUrl(info);
        const text = url === undefined ? undefined : options.readSourceMap?.(url);
        if (url !== undefined && text !== undefined) sourceMap = new WasmSourceMap(text, `${label}: source map ${url}`);
      }
    } catch (e) {
      report.warnings.push(`${(e as Error).message}; frames without DWARF show functions and offsets only`);
    }
    return sourceMap;
  };

  const out = sites.map((site): SiteRecord => {
    if (site.kind !== 'call') {
      // Host and indirect entries are named by the function they enter, demangled. The
      // name the allocator was matched by beats an export name, not a real one.
      const f = enteredAt(site.offset);
      const known = f === undefined ? undefined : names.lookup(f);
      const better = known && (known.from !== 'export' || /^wasm-function\[\d+\]$/.test(site.allocator)) ? known.name : site.allocator;
      const fn = demangle(better);
      const how = site.kind === 'host' ? 'called from JS' : 'indirect call';
      return fn === site.allocator ? site : { ...site, frames: [{ file: '', line: 0, function: `${fn} (${how})` }] };
    }
    const caller = site.name ?? names.get(site.func);
    let frames: SourceFrame[] | undefined;
    if (dwarf && !site.approximate) {
      try {
        frames = dwarf.frames(site.offset - codeStart, lines);
      } catch (e) {
        report.warnings.push(`${label}: unreadable DWARF (${(e as Error).message}); line numbers come from a source map if there is one`);
        dwarf = undefined;
      }
      if (frames) {
        report.dwarf++;
        if (frames[0] && !frames[0].function && caller) frames[0].function = demangle(caller);
        return { ...site, frames };
      }
    }
    const map = site.approximate ? null : mapOf();
    const body = info.functions[site.func]?.body;
    const loc = map?.lookup(site.offset, body?.code ?? 0);
    if (map && loc) {
      report.sourceMap++;
      const fn = loc.name ?? (caller === undefined ? undefined : demangle(caller));
      const source = lines.fromText(map.sourceText(loc.source, options.readSource), loc.file, loc.line);
      return { ...site, frames: [{ file: loc.file, line: loc.line, column: loc.column, ...(fn ? { function: fn } : {}), ...(source ? { source } : {}) }] };
    }
    if (caller !== undefined) {
      const fn = demangle(caller);
      report.names++;
      if (fn !== site.name) return { ...site, frames: [{ file: '', line: 0, function: fn }] };
      return site;
    }
    report.none++;
    return site;
  });
  return { sites: out, report };
}

/**
 * The debug module and symbol map for a module: `symbolsFrom` when given, else the
 * debug module its `external_debug_info` section names and, when it has no name
 * section, a symbol map beside it. What cannot be used is a warning.
 */
function debugFilesOf(info: ModuleInfo, options: SymbolizeOptions, report: SymbolizeReport): { debug?: ModuleInfo; symbolMap?: Map<number, string> } {
  const label = options.source ?? 'module';
  const out: { debug?: ModuleInfo; symbolMap?: Map<number, string> } = {};
  const take = (input: Uint8Array | string, name: string): void => {
    let file;
    try {
      file = parseDebugFile(input, name);
    } catch (e) {
      report.warnings.push(`${label}: ${(e as Error).message}; not used`);
      return;
    }
    const mismatch = file.kind === 'module' ? debugModuleMismatch(info, file.info) : symbolMapMismatch(info, file.names);
    if (mismatch) {
      report.warnings.push(`${label}: ${name} does not belong to this module (${mismatch}); it comes from another build or module, so it is not used`);
      return;
    }
    if (file.kind === 'module') out.debug = file.info;
    else out.symbolMap = file.names;
    report.debugFiles.push(name);
  };
  const read = (name: string): Uint8Array | undefined => {
    try {
      return options.readDebugFile?.(name);
    } catch {
      return undefined;
    }
  };
  if (options.symbolsFrom !== undefined) {
    take(options.symbolsFrom, options.symbolsFromName ?? 'the given symbols');
    return out;
  }
  if (!options.readDebugFile) return out;
  const url = externalDebugInfoUrl(info);
  const bytes = url === undefined ? undefined : read(url);
  if (url !== undefined && bytes === undefined) {
    report.warnings.push(`${label}: its debug file ${url} (the "${EXTERNAL_DEBUG_INFO}" section) could not be read; put it beside the module or give it with --symbols-from for source lines`);
  }
  if (url !== undefined && bytes !== undefined) take(bytes, url);
  if (info.hasNameSection || out.debug?.hasNameSection) return out;
  for (const name of symbolMapNames(label)) {
    const text = read(name);
    if (text === undefined) continue;
    take(text, name);
    break;
  }
  return out;
}

/** DWARF lookups for the module, or undefined when it has none. */
function dwarfOf(info: ModuleInfo): { frames(address: number, lines: SourceLines): SourceFrame[] | undefined } | undefined {
  const sections = dwarfSections(info);
  if (!sections.line) return undefined;
  if (sections.info && sections.abbrev) {
    const dwarf = new DwarfInfo(sections, demangle);
    return {
      frames(address, lines) {
        return dwarf.frames(address)?.map((f) => sourceFrame(f.file, f.line, f.column, f.function, lines));
      },
    };
  }
  // Line tables only (no .debug_info): file and line, no functions, no inlining.
  let programs: LineProgram[] | undefined;
  return {
    frames(address, lines) {
      programs ??= readAllLinePrograms(sections);
      for (const p of programs) {
        const row = lookupLine(p, address);
        if (row) return [sourceFrame(row, row.line, row.column, undefined, lines)];
      }
      return undefined;
    },
  };
}

/** A frame shows the path as DWARF gives it, and reads the source at the path resolved against the compilation directory. */
function sourceFrame(file: LineFile | undefined, line: number, column: number, fn: string | undefined, lines: SourceLines): SourceFrame {
  if (file === undefined) return { file: '', line: 0, ...(fn ? { function: fn } : {}) };
  const source = line > 0 ? lines.line(file.full, line) : undefined;
  return {
    file: file.name,
    line,
    ...(column > 0 ? { column } : {}),
    ...(fn ? { function: fn } : {}),
    ...(source ? { source } : {}),
  };
}

/** Source files read once each, split into lines. */
class SourceLines {
  readonly #files = new Map<string, string[] | null>();
  constructor(private readonly read?: (path: string) => string | undefined) {}

  line(path: string, line: number): string | undefined {
    if (!this.read) return undefined;
    let lines = this.#files.get(path);
    if (lines === undefined) {
      let text: string | undefined;
      try {
        text = this.read(path);
      } catch {
        text = undefined;
      }
      lines = text === undefined ? null : text.split(/\r?\n/);
      this.#files.set(path, lines);
    }
    return lines?.[line - 1]?.trim() || undefined;
  }

  /** A line of a text that is already at hand (a source map's sourcesContent). */
  fromText(text: string | undefined, key: string, line: number): string | undefined {
    if (text === undefined) return undefined;
    let lines = this.#files.get(`\0${key}`);
    if (!lines) {
      lines = text.split(/\r?\n/);
      this.#files.set(`\0${key}`, lines);
    }
    return lines[line - 1]?.trim() || undefined;
  }
}
