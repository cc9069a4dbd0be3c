// wasm-tracemalloc instrument IN.wasm -o OUT.wasm [--symbols embed|side|none] [--source-map FILE] [--symbols-from FILE] [--glue FILE.js]… [--alloc NAME=KIND]…

import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { instrument } from '@wasm-tracemalloc/instrument';
import { glueBeside } from '@wasm-tracemalloc/instrument/glue-files';
import { encodeSiteTable } from '@wasm-tracemalloc/runtime';
import { intOption, parse, SHADOW_FRAMES, symbolsFromOption, symbolsOption, UsageError } from '../args.js';
import { checkOutput, readInput, readInputText } from '../input-files.js';
import { nodeFiles } from '../node-files.js';

export function instrumentCommand(argv: string[], out: (line: string) => void, err: (line: string) => void): number {
  const { values, positionals } = parse(argv, {
    output: { type: 'string', short: 'o' },
    alloc: { type: 'string', multiple: true },
    'no-presets': { type: 'boolean' },
    'max-frames': { type: 'string' },
    symbols: { type: 'string' },
    'source-map': { type: 'string' },
    'symbols-from': { type: 'string' },
    glue: { type: 'string', multiple: true },
  });
  const input = positionals[0];
  if (!input || positionals.length > 1 || !values.output) throw new UsageError('usage: wasm-tracemalloc instrument IN.wasm -o OUT.wasm [--max-frames N] [--symbols embed|side|none] [--source-map FILE] [--symbols-from FILE] [--glue FILE.js]... [--alloc NAME=KIND]...');
  checkOutput(values.output, '-o');
  const bytes = readInput(input);
  const maxFrames = intOption(values['max-frames'], 'max-frames', SHADOW_FRAMES, 1, SHADOW_FRAMES, ' (the most the shadow stack keeps)');
  const symbols = symbolsOption(values.symbols);
  const sourceMap = values['source-map'] === undefined ? undefined : readInputText(values['source-map']);
  const symbolsFromPath = symbolsFromOption(values['symbols-from']);
  const symbolsFrom = symbolsFromPath === undefined ? undefined : new Uint8Array(readInput(symbolsFromPath));
  // The JS that loads the module names the allocator of a release build: --glue, else the scripts beside it.
  const glue = values.glue ? values.glue.map((path) => ({ name: basename(path), text: readInputText(path) })) : glueBeside(input);
  const result = instrument(bytes, { source: input, alloc: values.alloc, glue, presets: !values['no-presets'], maxFrames, symbols, sourceMap, symbolsFrom, symbolsFromName: values['symbols-from'], ...nodeFiles(input) });
  if (result.unmatchedRules?.length) throw new UsageError(`${input}: no function, import or export is named by --alloc ${result.unmatchedRules.join(', ')} (use #N for a function index)`);
  for (const w of result.warnings) err(`warning: ${w}`);
  if (result.note !== undefined) out(result.note);
  if (result.status === 'instrumented') {
    out(`${input}: ${result.allocators.length} allocator functions wrapped:`);
    for (const a of result.allocators) {
      const where = [a.imported ? 'imported' : 'defined', ...a.exported.map((e) => `exported as "${e}"`)].join(', ');
      out(`  ${a.name} (${a.family} ${a.kind}, function ${a.index}, ${where}): ${a.callSites} direct call sites; found by ${a.evidence.finder}: ${a.evidence.detail}`);
    }
    const calls = result.sites.filter((s) => s.kind === 'call').length;
    out(`  ${calls} call sites numbered; exports, tables and ref.func reach the traced wrappers`);
    if (result.shadowStack) {
      const s = result.shadowStack;
      out(`  shadow stack of up to ${maxFrames} frames: ${s.calls} calls in ${s.functions} functions and ${s.tableEntries} function-pointer entries push their site; ${s.exports} exports restore it after exceptions`);
    }
    if (result.symbolized) {
      const s = result.symbolized;
      const where = symbols === 'side' ? `${values.output}.sites.json` : 'the site table';
      out(`  source frames for ${s.dwarf + s.sourceMap} of ${calls} call sites (${s.dwarf} from DWARF, ${s.sourceMap} from a source map; ${s.names} by function name only), in ${where}`);
      if (s.debugFiles) out(`  debug info from ${s.debugFiles.join(', ')}`);
    }
    if (result.droppedSections.length) out(`  removed stale debug sections: ${result.droppedSections.join(', ')}`);
  }
  writeFileSync(values.output, result.bytes);
  out(`wrote ${values.output} (${result.bytes.length} bytes)`);
  if (symbols === 'side' && result.siteTable) {
    writeFileSync(`${values.output}.sites.json`, encodeSiteTable(result.siteTable));
    out(`wrote ${values.output}.sites.json: pass it to instantiateTraced(bytes, imports, { sites }) or install({ sideTable })`);
  }
  return 0;
}
