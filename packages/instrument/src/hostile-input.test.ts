// Damaged and hostile modules through the real pass: byte mutations of real fixture
// builds (clang-19, wasi-libc; test/fixtures), each with the warning it must give and
// the blocks the output must still trace. leak_cli.wasm allocates 1000 × malloc(100)
// at leak_cli.c:17 and keeps them; leak.reactor.wasm's phase_leak_nodes does the same
// at leak.c:61, and phase_churn frees all it allocates.

import { beforeEach, describe, expect, it } from 'vitest';
import { openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';
import { instantiateTraced, start, stop, takeSnapshot } from '@wasm-tracemalloc/runtime';
import { instrument, InstrumentError } from './instrument.js';
import { readModule, replaceSections, type SectionEntry } from './binary/module.js';
import { readNameSection } from './binary/name-section.js';
import { uleb as leb } from './binary/writer.js';

const fixture = (file: string) => new Uint8Array(readFileSync(new URL(`../../../test/fixtures/build/${file}`, import.meta.url)));
const source = (file: string) => fileURLToPath(new URL(`../../../test/fixtures/src/${file}`, import.meta.url));
const devNull = openSync('/dev/null', 'w');
const LEAK_CLI_BLOCKS = `${source('leak_cli.c')}:17: size=97.7 KiB, count=1000, average=100 B`;

const utf8 = (s: string) => [...new TextEncoder().encode(s)];
const customSection = (name: string, content: number[]) => {
  const body = [...leb(utf8(name).length), ...utf8(name), ...content];
  return new Uint8Array([0, ...leb(body.length), ...body]);
};
const section = (bytes: Uint8Array, name: string): SectionEntry => readModule(bytes).sections.find((s) => s.name === name)!;
/** Where the name section's subsections start: [id, offset of the id byte, offset of the size, content start, end]. */
function subsections(bytes: Uint8Array): Array<{ id: number; at: number; sizeAt: number; content: number; end: number }> {
  const s = section(bytes, 'name');
  const out = [];
  let pos = s.contentStart + 1 + 4; // "name"
  while (pos < s.end) {
    const at = pos;
    const id = bytes[pos++]!;
    const sizeAt = pos;
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[pos++]!;
      size += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) break;
    }
    out.push({ id, at, sizeAt, content: pos, end: pos + size });
    pos += size;
  }
  return out;
}
/** The module with its name section's content replaced. */
function withNameContent(bytes: Uint8Array, content: number[]): Uint8Array {
  const s = section(bytes, 'name');
  return replaceSections(bytes, readModule(bytes).sections, new Map([[s.start, customSection('name', content)]]));
}
/** The name section's subsections, with the function names (subsection 1) replaced. */
const withFunctionNames = (bytes: Uint8Array, names: Map<number, number[]>) =>
  withNameContent(bytes, subsections(bytes).flatMap((s) => (s.id === 1 ? functionNames(names) : [...bytes.subarray(s.at, s.end)])));
/** Function names as a name-section subsection 1, from index → raw name bytes. */
const functionNames = (names: Map<number, number[]>) => {
  const entries = [...names].sort((a, b) => a[0] - b[0]);
  const content = [...leb(entries.length), ...entries.flatMap(([i, raw]) => [...leb(i), ...leb(raw.length), ...raw])];
  return [1, ...leb(content.length), ...content];
};
/** leak_cli's own function names, as raw bytes. */
function namesOf(bytes: Uint8Array): Map<number, number[]> {
  const s = section(bytes, 'name');
  const names = readNameSection(bytes, s.contentStart + 5, s.end);
  return new Map([...names.functionNames].map(([i, n]) => [i, utf8(n)]));
}

async function traceLeakCli(bytes: Uint8Array): Promise<string[]> {
  expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
  const wasi = new WASI({ version: 'preview1', args: ['leak_cli.wasm'], returnOnExit: true, stdout: devNull });
  const { instance, name } = await instantiateTraced(bytes as Uint8Array<ArrayBuffer>, { wasi_snapshot_preview1: wasi.wasiImport } as WebAssembly.Imports, { name: 'leak_cli.wasm' });
  expect(wasi.start(instance)).toBe(0);
  // Each instance is its own domain: the second is named leak_cli.wasm#2, and so on.
  return takeSnapshot().statistics('lineno').map((s) => String(s).replace(name, 'leak_cli.wasm'));
}

describe('damaged custom sections', () => {
  beforeEach(() => {
    stop();
    start(1);
  });
  const original = fixture('leak_cli.wasm');

  it('a function-names size past the end of the section: all names kept, one warning, exact blocks', async () => {
    const sub = subsections(original).find((s) => s.id === 1)!;
    expect(sub.content - sub.sizeAt).toBe(2); // a two-byte LEB: 2047 fits in place
    const bytes = original.slice();
    bytes.set([0xff, 0x0f], sub.sizeAt);
    const result = instrument(bytes, { source: 'leak_cli.wasm' });
    const names = section(original, 'name');
    expect(result.warnings).toEqual([
      `leak_cli.wasm: the "name" section is damaged at byte ${sub.sizeAt} (function names subsection declares 2047 bytes but the section ends ${names.end - sub.content} bytes later); the names from there on are ignored`,
    ]);
    expect(result.allocators.map((a) => a.name)).toEqual(instrument(original).allocators.map((a) => a.name));
    expect(await traceLeakCli(result.bytes)).toEqual([LEAK_CLI_BLOCKS]);
  });

  it('a function-names size that cuts it short: the names before the cut, and then no allocator by name', () => {
    const sub = subsections(original).find((s) => s.id === 1)!;
    const bytes = original.slice();
    bytes.set([0x85, 0x01], sub.sizeAt); // 133 bytes: two names and part of a third
    const result = instrument(bytes, { source: 'leak_cli.wasm' });
    expect(result.status).toBe('no-allocator');
    expect(result.bytes).toBe(bytes);
    expect(result.warnings[0]).toMatch(/^leak_cli\.wasm: the "name" section is damaged at byte \d+ \(function names subsection: unexpected end of data: \d+ bytes needed, \d+ left\); the names from there on are ignored$/);
  });

  it('a bad name length in the local-names subsection: the local names go, the function names stay', async () => {
    const subs = subsections(original);
    const fn = subs.find((s) => s.id === 1)!;
    const after = subs.filter((s) => s.id > 2);
    const locals = [1, 0, 1, 0, 0x40, ...utf8('size')]; // function 0, local 0: a 64-byte name in 4 bytes
    const content = [...original.subarray(subs[0]!.at, fn.end), 2, locals.length, ...locals, ...after.flatMap((s) => [...original.subarray(s.at, s.end)])];
    const bytes = withNameContent(original, content);
    expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(true);
    const result = instrument(bytes, { source: 'leak_cli.wasm' });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/^leak_cli\.wasm: the "name" section is damaged at byte \d+ \(local names subsection: unexpected end of data: 64 bytes needed, 4 left\); the names from there on are ignored$/);
    expect(await traceLeakCli(result.bytes)).toEqual([LEAK_CLI_BLOCKS]);
  });

  const features = section(original, 'target_features');
  const featuresAt = features.contentStart + 1 + 'target_features'.length; // the feature count
  it.each([
    ['a count past the end', featuresAt, 9, `unexpected end of data`, features.end],
    ['a name length past the end', featuresAt + 2, 0x7f, `unexpected end of data: 127 bytes needed, ${features.end - featuresAt - 3} left`, featuresAt + 3],
    ['an unknown prefix', featuresAt + 1, 0x41, 'feature 0 has prefix 0x41, not +, - or =', featuresAt + 1],
  ])('a target_features section with %s: dropped with a warning, exact blocks', async (_, at, value, problem, offset) => {
    const bytes = original.slice();
    bytes[at] = value;
    const result = instrument(bytes, { source: 'leak_cli.wasm' });
    expect(result.warnings).toEqual([`leak_cli.wasm: the "target_features" section is damaged at byte ${offset} (${problem}); it is left out of the output`]);
    expect(readModule(result.bytes).sections.filter((s) => s.name === 'target_features')).toEqual([]);
    expect(await traceLeakCli(result.bytes)).toEqual([LEAK_CLI_BLOCKS]);
  });

  it('a malformed dylink.0 and a malformed branch-hint section: dropped, exact blocks', async () => {
    const dylink = customSection('dylink.0', [1, 9, 0]);
    const hints = customSection('metadata.code.branch_hint', [5, 5]);
    const bytes = new Uint8Array([...original, ...dylink, ...hints]);
    const result = instrument(bytes, { source: 'leak_cli.wasm' });
    expect(result.warnings).toEqual([`leak_cli.wasm: the "dylink.0" section is damaged at byte ${original.length + 12} (subsection 1 declares 9 bytes but the section ends 1 bytes later); it is left out of the output`]);
    expect(await traceLeakCli(result.bytes)).toEqual([LEAK_CLI_BLOCKS]);
  });
});

describe('hostile names', () => {
  beforeEach(() => {
    stop();
    start(1);
  });
  const original = fixture('leak_cli.wasm');

  it('a NUL in the name of the function that leaks, at 128 frames: exact blocks, the name kept in the site table', async () => {
    const names = namesOf(original);
    const leak = [...names].find(([, n]) => String.fromCharCode(...n) === 'leak')![0];
    names.set(leak, utf8('l\0ak'));
    const bytes = withFunctionNames(original, names);
    const result = instrument(bytes, { source: 'leak_cli.wasm', symbols: 'none' });
    expect(result.warnings).toEqual([]);
    expect(result.sites.filter((s) => s.kind === 'call' && s.func === leak && s.allocator === 'malloc').map((s) => s.name)).toEqual(['l\0ak']);
    const [top] = await traceLeakCli(result.bytes);
    expect(top).toMatch(/^leak_cli\.wasm:l\0ak\+0x[0-9a-f]+: size=97\.7 KiB, count=1000, average=100 B$/);
  });

  it('newlines, ESC, invalid UTF-8, a 1 MiB name and duplicates: exact blocks, an output V8 takes', async () => {
    const names = namesOf(original);
    const byName = (n: string) => [...names].find(([, raw]) => String.fromCharCode(...raw) === n)![0];
    names.set(byName('leak'), utf8('line one\nline two'));
    names.set(byName('__original_main'), utf8('\u001b]0;title\u0007\u001b[2J'));
    names.set(byName('_start'), [0x66, 0xc3, 0x28, 0xff]);
    names.set(byName('puts'), utf8('x'.repeat(1 << 20)));
    names.set(byName('dummy'), utf8('\0'));
    names.set(byName('exit'), utf8('dup'));
    names.set(byName('_Exit'), utf8('dup'));
    const bytes = withFunctionNames(original, names);
    for (const maxFrames of [128, 1]) {
      stop();
      start(1);
      const result = instrument(bytes, { source: 'leak_cli.wasm', maxFrames });
      expect(result.warnings).toEqual([]);
      expect(await traceLeakCli(result.bytes)).toEqual([LEAK_CLI_BLOCKS]);
    }
  });

  it('a NUL in an export name and an import name: kept in the output, and the export still traced', async () => {
    const reactor = fixture('leak.reactor.wasm');
    const info = readModule(reactor);
    const exportSection = info.sections.find((s) => s.id === 7)!;
    const importSection = info.sections.find((s) => s.id === 2)!;
    const bytes = reactor.slice();
    const put = (name: string, renamed: string, s: SectionEntry) => {
      const at = Buffer.from(bytes.subarray(s.contentStart, s.end)).indexOf(name) + s.contentStart;
      bytes.set(utf8(renamed), at);
    };
    put('phase_churn', 'phase\0churn', exportSection);
    put('fd_close', 'fd\0close', importSection);
    const result = instrument(bytes, { source: 'leak.reactor.wasm' });
    expect(result.warnings).toEqual([]);
    const compiled = new WebAssembly.Module(result.bytes);
    expect(WebAssembly.Module.exports(compiled).map((e) => e.name)).toContain('phase\0churn');
    expect(WebAssembly.Module.imports(compiled).filter((i) => i.module === 'wasi_snapshot_preview1').map((i) => i.name)).toEqual(['fd\0close', 'fd_fdstat_get', 'fd_seek', 'fd_write', 'proc_exit']);

    const wasi = new WASI({ version: 'preview1', args: ['leak.reactor.wasm'], returnOnExit: true, stdout: devNull });
    const imports = { wasi_snapshot_preview1: { ...wasi.wasiImport, 'fd\0close': wasi.wasiImport.fd_close } } as WebAssembly.Imports;
    const { instance } = await instantiateTraced(result.bytes, imports, { name: 'leak.reactor.wasm' });
    const e = instance.exports as Record<string, () => number>;
    e._initialize!();
    e.phase_leak_nodes!();
    e['phase\0churn']!();
    expect(takeSnapshot().statistics('lineno').map(String)).toEqual([`${source('leak.c')}:61: size=97.7 KiB, count=1000, average=100 B`]);
  });
});

describe('refusals', () => {
  const original = fixture('leak_cli.wasm');
  const refusal = (bytes: Uint8Array, options = {}): InstrumentError => {
    try {
      instrument(bytes, { source: 'x.wasm', ...options });
    } catch (e) {
      expect(e).toBeInstanceOf(InstrumentError);
      return e as InstrumentError;
    }
    throw new Error('instrument did not refuse the input');
  };

  it('says whether the input, the options or wasm-tracemalloc is at fault, with the byte offset', () => {
    const html = refusal(new TextEncoder().encode('<!doctype html>'));
    expect([html.kind, html.offset, html.badInput]).toEqual(['input', 0, true]);
    expect(html.message).toBe('x.wasm: not a WebAssembly module: missing the "\\0asm" magic number (at byte offset 0, 0x0)');

    const code = readModule(original).codeSection!;
    const cut = refusal(original.subarray(0, code.contentStart + 100));
    expect([cut.kind, cut.offset]).toEqual(['input', code.start]);
    expect(cut.message).toBe(`x.wasm: truncated: code section declares ${code.end - code.contentStart} bytes but only 100 remain (at byte offset ${code.start}, 0x${code.start.toString(16)})`);

    const options = refusal(original, { maxFrames: 500 });
    expect([options.kind, options.message]).toEqual(['usage', 'x.wasm: maxFrames must be an integer from 1 to 128, got 500']);
    expect(refusal(original, { alloc: ['malloc=explode'] }).kind).toBe('usage');
  });

  it('refuses what V8 refuses, with V8\'s offset', () => {
    const code = readModule(original).codeSection!;
    const bytes = original.slice();
    // The first body's first instruction becomes 0xff, which is no opcode.
    const first = readModule(original).functions.find((f) => f.body)!.body!;
    bytes[first.code] = 0xff;
    const invalid = refusal(bytes);
    expect(invalid.kind).toBe('input');
    expect(invalid.offset).toBe(first.code);
    expect(invalid.message).toMatch(/^x\.wasm: not a valid WebAssembly module: .*@\+\d+$/);
    expect(code.contentStart).toBeLessThan(first.code);
  });
});
