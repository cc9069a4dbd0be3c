import { describe, expect, it } from 'vitest';
import { customSectionProblem, renameImportsAndExports } from './binaryen-input.js';
import { readModule } from './module.js';

const utf8 = (s: string) => [...new TextEncoder().encode(s)];
const str = (s: string) => [utf8(s).length, ...utf8(s)];
const problem = (name: string, content: number[]) => customSectionProblem(name, new Uint8Array([0xee, ...content]), 1, 1 + content.length);

describe('custom sections binaryen parses', () => {
  it('target_features: a prefix + - or =, then a plain name, to the end', () => {
    expect(problem('target_features', [2, 0x2b, ...str('mutable-globals'), 0x2d, ...str('simd128')])).toBeUndefined();
    expect(problem('target_features', [3, 0x2b, ...str('mutable-globals')])).toEqual({ problem: 'unexpected end of data', offset: 19 });
    expect(problem('target_features', [1, 0x41, ...str('simd128')])).toEqual({ problem: 'feature 0 has prefix 0x41, not +, - or =', offset: 2 });
    expect(problem('target_features', [1, 0x2b, 0x7f, ...utf8('simd128')])).toEqual({ problem: 'unexpected end of data: 127 bytes needed, 7 left', offset: 4 });
    expect(problem('target_features', [1, 0x2b, ...str('sim\0d')])).toEqual({ problem: 'feature 0 has a name that is not plain ASCII', offset: 4 });
    expect(problem('target_features', [0, 0])).toEqual({ problem: '1 bytes after its content', offset: 2 });
  });

  it('dylink.0: memory info and needed libraries with exact sizes; an unknown subsection ends the reading', () => {
    expect(problem('dylink.0', [1, 4, 16, 2, 0, 0, 2, 6, 1, ...str('libc')])).toBeUndefined();
    expect(problem('dylink.0', [1, 5, 16, 2, 0, 0])).toEqual({ problem: 'subsection 1 declares 5 bytes but the section ends 4 bytes later', offset: 2 });
    expect(problem('dylink.0', [1, 5, 16, 2, 0, 0, 0])).toEqual({ problem: 'subsection 1 declares 5 bytes but holds 4', offset: 7 });
    expect(problem('dylink.0', [3, 1, 0xff])).toBeUndefined();
    expect(problem('dylink', [16, 2, 0, 0, 1, ...str('libc'), 9])).toEqual({ problem: '1 bytes after its content', offset: 11 });
  });
});

describe('renameImportsAndExports', () => {
  // (import "en\0v" "m\0" (func)) (func (export "ex\0p")) (memory (export "memory") 1)
  const module = new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    1, 4, 1, 0x60, 0, 0,
    2, 11, 1, ...str('en\0v'), ...str('m\0'), 0, 0,
    3, 2, 1, 0,
    5, 3, 1, 0, 1,
    7, 17, 2, ...str('ex\0p'), 0, 1, ...str('memory'), 2, 0,
    10, 4, 1, 2, 0, 0x0b,
  ]);

  it('renames only the names asked for, keeping every descriptor byte', () => {
    expect(WebAssembly.validate(module)).toBe(true);
    const info = readModule(module);
    const renamed = renameImportsAndExports(module, info.sections, (n) => (n.includes('\0') ? n.replace(/\0/g, '_') : undefined));
    expect([...renamed.keys()]).toEqual([info.sections[1]!.start, info.sections[4]!.start]);
    const parts = info.sections.map((s) => renamed.get(s.start) ?? module.subarray(s.start, s.end));
    const out = new Uint8Array([...module.subarray(0, 8), ...parts.flatMap((p) => [...p])]);
    const compiled = new WebAssembly.Module(out);
    expect(WebAssembly.Module.imports(compiled)).toEqual([{ module: 'en_v', name: 'm_', kind: 'function' }]);
    expect(WebAssembly.Module.exports(compiled)).toEqual([{ name: 'ex_p', kind: 'function' }, { name: 'memory', kind: 'memory' }]);
    expect(renameImportsAndExports(module, info.sections, () => undefined).size).toBe(0);
  });
});
