// Source maps for Wasm (Emscripten's `-gsource-map`, AssemblyScript's `--sourceMap`,
// binaryen's `--output-source-map`): one generated "line" whose columns are byte
// offsets in the module, so a call instruction at module offset 0x1a2 is looked up at
// line 1, column 0x1a2. The module names its map in the custom section
// `sourceMappingURL`; `sourcesContent` may carry the sources themselves.
//
// Decoding is @jridgewell/trace-mapping's. The location of an offset is the nearest
// mapping at or below it that has a source; a call the compiler left unmapped (binaryen
// writes an explicit "no location" segment) takes the statement before it. A mapping
// is only taken when it lies inside the calling function's body: below that, it
// belongs to some earlier function.

import { TraceMap, decodedMappings, type SourceMapInput } from '@jridgewell/trace-mapping';
import type { ModuleInfo } from '../binary/module.js';
import { decodeUtf8 } from './dwarf-reader.js';
import { joinPath } from './paths.js';

export interface MappedLocation {
  /** The source as the map lists it (e.g. `leak_as.ts`, `../lib/parser.c`). */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** The map's `names` entry for the location, when it has one. */
  name?: string;
  /** Index into `sources`. */
  source: number;
}

export class WasmSourceMap {
  readonly #map: TraceMap;

  constructor(map: string | object, readonly label = 'source map') {
    try {
      this.#map = new TraceMap(map as SourceMapInput);
    } catch (e) {
      throw new Error(`${label}: not a valid source map (${(e as Error).message})`);
    }
    if (this.#map.version !== 3) throw new Error(`${label}: source map version ${String(this.#map.version)}, only version 3 is supported`);
  }

  /** The nearest mapping with a source at or below module offset `offset`, if it is at or above `floor`. */
  lookup(offset: number, floor = 0): MappedLocation | undefined {
    const segments = decodedMappings(this.#map)[0];
    if (!segments) return undefined;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (segments[mid]![0] <= offset) lo = mid + 1;
      else hi = mid - 1;
    }
    let i = hi;
    while (i >= 0 && segments[i]!.length < 4 && segments[i]![0] >= floor) i--;
    const segment = segments[i];
    if (!segment || segment.length < 4 || segment[0] < floor) return undefined;
    const source = segment[1]!;
    const file = this.#map.sources[source];
    if (file === null || file === undefined) return undefined;
    const name = segment.length === 5 ? this.#map.names[segment[4]!] : undefined;
    return { file, line: segment[2]! + 1, column: segment[3]! + 1, source, ...(name ? { name } : {}) };
  }

  /** The text of a source: from `sourcesContent`, else through `read` (sourceRoot applied). */
  sourceText(source: number, read?: (path: string) => string | undefined): string | undefined {
    const content = this.#map.sourcesContent?.[source];
    if (typeof content === 'string') return content;
    const file = this.#map.sources[source];
    if (!file || !read) return undefined;
    const root = this.#map.sourceRoot;
    return (root ? read(joinPath(root, file)) : undefined) ?? read(file);
  }
}

/** The URL in the module's `sourceMappingURL` custom section, if it has one. */
export function sourceMappingUrl(info: ModuleInfo): string | undefined {
  const s = info.sections.find((x) => x.id === 0 && x.name === 'sourceMappingURL');
  if (!s) return undefined;
  // content: [name length][name][url length][url]
  const bytes = info.bytes;
  let p = s.contentStart;
  const leb = () => {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[p++]!;
      v += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return v;
      scale *= 128;
    }
  };
  const nameLength = leb();
  p += nameLength;
  const len = leb();
  if (p + len > s.end) return undefined;
  return decodeUtf8(bytes, p, p + len);
}
