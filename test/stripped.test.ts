// Release builds: a module without a name section or DWARF, as npm packages ship them,
// built here from test/stripped/release.c with clang-19. What Emscripten's
// -gseparate-dwarf leaves (no DWARF, no names, an `external_debug_info` section naming
// the debug file) and its --emit-symbol-map file are made from the -g build: the debug
// file is that build itself, the symbol map its name section as INDEX:NAME lines.
// Frames must then come from the export names, the debug file beside the module or
// given with --symbols-from, or the symbol map.

import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';
import { appendCustomSection, readModule, stripCustomSections } from '@wasm-tracemalloc/instrument';
import * as tm from 'wasm-tracemalloc';

const HERE = fileURLToPath(new URL('./stripped/', import.meta.url));
const CLI = fileURLToPath(new URL('../packages/cli/bin/wasm-tracemalloc.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'wtm-stripped-'));

/** The 1-based line of release.c that holds `text` (exactly one does). */
function lineOf(text: string): number {
  const at = readFileSync(join(HERE, 'release.c'), 'utf8').split('\n').flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  if (at.length !== 1) throw new Error(`release.c: ${at.length} lines hold ${JSON.stringify(text)}`);
  return at[0]!;
}
const MAKE_NODE = `release.c:${lineOf('SITE make_node')}`;
const ADD_RECORD = `release.c:${lineOf('SITE add_record')}`;
const ADD_NODES = `release.c:${lineOf('kept[count++] = make_node(48)')}`;

// Compiled and linked in two steps: a link with -O would run wasm-opt from PATH
// (REFERENCE.md). From test/stripped with a relative name, so DWARF says `release.c`.
// malloc and free are exported, as a release exports its allocator for its JS glue:
// without names, that is how the allocator is found.
execFileSync('clang-19', ['--target=wasm32-wasi', '-O2', '-g', '-c', 'release.c', '-o', join(tmp, 'release.o')], { cwd: HERE, stdio: ['ignore', 'ignore', 'pipe'] });
execFileSync('clang-19', ['--target=wasm32-wasi', '-mexec-model=reactor', '-g', '-Wl,--export=malloc', '-Wl,--export=free', join(tmp, 'release.o'), '-o', join(tmp, 'release.g.wasm')], {
  cwd: HERE,
  stdio: ['ignore', 'ignore', 'pipe'],
});
const debugBuild = readFileSync(join(tmp, 'release.g.wasm'));
const stripped = stripCustomSections(debugBuild, (n) => n === 'name' || n.startsWith('.debug_')).bytes;
const url = new TextEncoder().encode('release.wasm.debug.wasm');
const separated = appendCustomSection(stripped, 'external_debug_info', Uint8Array.from([url.length, ...url]));
const symbolMap = readModule(debugBuild).functions.flatMap((f) => (f.name === undefined ? [] : [`${f.index}:${f.name}\n`])).join('');

/** dir/release.wasm and the files beside it. */
function place(dir: string, module: Uint8Array, beside: Record<string, Uint8Array | string> = {}): string {
  mkdirSync(join(tmp, dir), { recursive: true });
  writeFileSync(join(tmp, dir, 'release.wasm'), module);
  for (const [name, data] of Object.entries(beside)) writeFileSync(join(tmp, dir, name), data);
  return join(tmp, dir, 'release.wasm');
}
const withDebugFile = place('debug', separated, { 'release.wasm.debug.wasm': debugBuild });
const debugFileMissing = place('alone', separated);
const withSymbolMap = place('symbols', stripped, { 'release.js.symbols': symbolMap });
const debugFileElsewhere = join(tmp, 'release.debug.wasm');
writeFileSync(debugFileElsewhere, debugBuild);
const symbolMapElsewhere = join(tmp, 'release.symbols.txt');
writeFileSync(symbolMapElsewhere, symbolMap);

/**
 * Runs the library traced (add_nodes(10), add_record(), add_indirect()): each traceback
 * with its blocks, offsets elided, and `release.wasm#N` (the Nth instance) as `release.wasm`.
 */
async function tracebacks(bytes: Uint8Array<ArrayBuffer>): Promise<string[]> {
  tm.stop();
  tm.start(8);
  const wasi = new WASI({ version: 'preview1', returnOnExit: true });
  const { instance } = await tm.instantiateTraced(bytes, { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports, { name: 'release.wasm' });
  wasi.initialize(instance);
  const e = instance.exports as Record<string, (n?: number) => void>;
  e.add_nodes!(10);
  e.add_record!();
  e.add_indirect!();
  const stats = tm.takeSnapshot().statistics('traceback');
  tm.stop();
  return stats.map((s) => `${[...s.traceback].map((f) => String(f).replace(/^release\.wasm#\d+:/, 'release.wasm:').replace(/\+0x[0-9a-f]+$/, '+0x…')).join(' → ')}: ${s.count} x ${s.size / s.count} B`).sort();
}

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: tmp });
}

describe('a stripped module: frames from exports, a debug file, a symbol map', () => {
  it('the clang build has what Emscripten separates, and the stripped one none of it', () => {
    const g = readModule(debugBuild);
    expect(g.functions.filter((f) => ['add_nodes', 'make_node', 'add_record', 'add_indirect'].includes(f.name!)).map((f) => `${f.index}:${f.name}`)).toEqual(['2:add_nodes', '3:make_node', '4:add_record', '5:add_indirect']);
    expect(g.sections.some((s) => s.name === '.debug_line')).toBe(true);
    const s = readModule(separated);
    expect(s.hasNameSection).toBe(false);
    expect(s.sections.filter((x) => x.id === 0).map((x) => x.name)).toEqual(['producers', 'target_features', 'external_debug_info']);
  });

  it('alone, as npm ships it: exports name their functions, the rest is wasm-function[N]', async () => {
    const result = tm.instrument(readFileSync(debugFileMissing), { source: 'release.wasm', maxFrames: 8, ...tm.nodeFiles(debugFileMissing) });
    expect(result.warnings).toEqual([
      'release.wasm: its debug file release.wasm.debug.wasm (the "external_debug_info" section) could not be read; put it beside the module or give it with --symbols-from for source lines',
    ]);
    expect(result.symbolized).toEqual({ dwarf: 0, sourceMap: 0, names: 2, none: 1 });
    expect(await tracebacks(result.bytes)).toEqual([
      'release.wasm:add_nodes+0x… → release.wasm:wasm-function[3]+0x…: 10 x 48 B',
      'release.wasm:add_record+0x…: 1 x 24 B',
      'release.wasm:wasm-function[3] (indirect call)+0x… → release.wasm:wasm-function[3]+0x…: 1 x 32 B',
    ]);
  });

  const lines = [
    `${ADD_NODES} → ${MAKE_NODE}: 10 x 48 B`,
    `${ADD_RECORD}: 1 x 24 B`,
    `release.wasm:make_node (indirect call)+0x… → ${MAKE_NODE}: 1 x 32 B`,
  ];

  it('its debug file beside it (external_debug_info): the lines of the -g build', async () => {
    const result = tm.instrument(readFileSync(withDebugFile), { source: 'release.wasm', maxFrames: 8, ...tm.nodeFiles(withDebugFile) });
    expect(result.warnings).toEqual([]);
    expect(result.symbolized).toEqual({ dwarf: 3, sourceMap: 0, names: 0, none: 0, debugFiles: ['release.wasm.debug.wasm'] });
    expect(await tracebacks(result.bytes)).toEqual(lines);
    // The same frames as the -g build's own.
    expect(await tracebacks(tm.instrument(debugBuild, { source: 'release.wasm', maxFrames: 8 }).bytes)).toEqual(lines);
  });

  it('its symbol map beside it (X.js.symbols): function names', async () => {
    const result = tm.instrument(readFileSync(withSymbolMap), { source: 'release.wasm', maxFrames: 8, ...tm.nodeFiles(withSymbolMap) });
    expect(result.symbolized).toEqual({ dwarf: 0, sourceMap: 0, names: 3, none: 0, debugFiles: ['release.js.symbols'] });
    expect(await tracebacks(result.bytes)).toEqual([
      'release.wasm:add_nodes+0x… → release.wasm:make_node+0x…: 10 x 48 B',
      'release.wasm:add_record+0x…: 1 x 24 B',
      'release.wasm:make_node (indirect call)+0x… → release.wasm:make_node+0x…: 1 x 32 B',
    ]);
  });

  it('wasm-tracemalloc instrument --symbols-from: a debug .wasm or a symbol map, told apart by their bytes', async () => {
    const out = join(tmp, 'from-debug.wasm');
    const r = cli(['instrument', debugFileMissing, '--symbols-from', debugFileElsewhere, '--max-frames', '8', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\n  source frames for 3 of 3 call sites (3 from DWARF, 0 from a source map; 0 by function name only), in the site table\n');
    expect(r.stdout).toContain(`\n  debug info from ${debugFileElsewhere}\n`);
    expect(await tracebacks(new Uint8Array(readFileSync(out)))).toEqual(lines);

    const fromMap = join(tmp, 'from-map.wasm');
    const m = cli(['instrument', debugFileMissing, '--symbols-from', symbolMapElsewhere, '--max-frames', '8', '-o', fromMap]);
    expect(m.status).toBe(0);
    expect(m.stdout).toContain(`\n  debug info from ${symbolMapElsewhere}\n`);
    expect((await tracebacks(new Uint8Array(readFileSync(fromMap))))[0]).toBe('release.wasm:add_nodes+0x… → release.wasm:make_node+0x…: 10 x 48 B');

    // A debug .wasm of another build and a file of neither format are refused, with the
    // reason; a file that is not there is a usage error.
    const other = fileURLToPath(new URL('./fixtures/build/leak_cli.wasm', import.meta.url));
    const otherBuild = cli(['instrument', debugFileMissing, '--symbols-from', other, '-o', join(tmp, 'other.wasm')]);
    expect(otherBuild.stderr).toBe(`warning: ${debugFileMissing}: ${other} does not belong to this module (it imports 5 functions, the module 0); it comes from another build or module, so it is not used\n`);
    const wrong = cli(['instrument', debugFileMissing, '--symbols-from', CLI, '-o', join(tmp, 'wrong.wasm')]);
    expect(wrong.stderr).toMatch(/^warning: .*release\.wasm: .*wasm-tracemalloc\.js: not a symbol map: line 1 \(.*\) is not INDEX:NAME, as Emscripten's --emit-symbol-map writes; give a symbol map or a debug \.wasm; not used$/m);
    const missing = cli(['instrument', debugFileMissing, '--symbols-from', 'nope.debug.wasm', '-o', join(tmp, 'x.wasm')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe('wasm-tracemalloc instrument: --symbols-from: nope.debug.wasm does not exist; give a debug .wasm (-gseparate-dwarf) or a symbol map (--emit-symbol-map)\n');
  });

  describe('wasm-tracemalloc node: files beside the module the program reads', () => {
    const script = join(tmp, 'use-release.mjs');
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
const wasi = new WASI({ version: 'preview1', returnOnExit: true });
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), { wasi_snapshot_preview1: wasi.wasiImport });
wasi.initialize(instance);
instance.exports.add_nodes(10);
instance.exports.add_record();
instance.exports.add_indirect();
`,
    );

    it('the debug file its external_debug_info names', () => {
      const r = cli(['node', script, withDebugFile]);
      expect(r.status).toBe(0);
      expect(r.stderr).not.toContain('wasm-tracemalloc: warning');
      expect(r.stderr).toContain(`\n#1: ${MAKE_NODE}: size=512 B, count=11, average=47 B\n#2: ${ADD_RECORD}: size=24 B, count=1, average=24 B\n`);
    });

    it('--symbols-from, for a module without one beside it', () => {
      const r = cli(['node', '--symbols-from', symbolMapElsewhere, script, debugFileMissing]);
      expect(r.status).toBe(0);
      expect(r.stderr).not.toContain('wasm-tracemalloc: warning');
      expect(r.stderr).toMatch(/\n#1: release\.wasm:make_node\+0x[0-9a-f]+: size=512 B, count=11, average=47 B\n#2: release\.wasm:add_record\+0x[0-9a-f]+: size=24 B, count=1, average=24 B\n/);
    });
  });
});
