import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeFingerprint, glueKey, instrumentCacheKey, scriptsFingerprint } from './cache-key.js';

const MODULE = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
const GLUE = { name: 'app.js', text: 'var _malloc = wasmExports["a"];\nvar _free = wasmExports["b"];\nfetch("app.wasm");' };

describe('instrumentCacheKey', () => {
  const inputs = { settings: { alloc: [], maxFrames: 1 } };
  const key = instrumentCacheKey(MODULE, inputs);

  it('is 40 hex digits, the same for the same inputs', () => {
    expect(key).toMatch(/^[0-9a-f]{40}$/);
    expect(instrumentCacheKey(new Uint8Array(MODULE), { settings: { alloc: [], maxFrames: 1 }, glue: [], files: [] })).toBe(key);
  });

  it('changes with the bytes, the settings and each file given', () => {
    expect(instrumentCacheKey(new Uint8Array([...MODULE, 0]), inputs)).not.toBe(key);
    expect(instrumentCacheKey(MODULE, { settings: { alloc: [], maxFrames: 2 } })).not.toBe(key);
    const withFile = instrumentCacheKey(MODULE, { ...inputs, files: [new Uint8Array([1])] });
    expect(withFile).not.toBe(key);
    expect(instrumentCacheKey(MODULE, { ...inputs, files: [new Uint8Array([2])] })).not.toBe(withFile);
  });

  it('changes with what the glue finder reads from the glue, not with other edits', () => {
    const withGlue = instrumentCacheKey(MODULE, { ...inputs, glue: [GLUE] });
    expect(withGlue).not.toBe(key);
    expect(instrumentCacheKey(MODULE, { ...inputs, glue: [{ ...GLUE, text: `console.log("edited");\n${GLUE.text}` }] })).toBe(withGlue);
    expect(instrumentCacheKey(MODULE, { ...inputs, glue: [{ ...GLUE, text: GLUE.text.replace('["b"]', '["c"]') }] })).not.toBe(withGlue);
    expect(instrumentCacheKey(MODULE, { ...inputs, glue: [{ ...GLUE, name: 'other.js' }] })).not.toBe(withGlue);
  });

  it('glueKey is what the finder reads from each glue file, in order; empty for no glue', () => {
    expect(glueKey([])).toBe('');
    expect(JSON.parse(glueKey([GLUE]))).toEqual([
      [
        'app.js',
        {
          emscripten: [
            { symbol: 'malloc', exportName: 'a', snippet: '_malloc = wasmExports["a"]' },
            { symbol: 'free', exportName: 'b', snippet: '_free = wasmExports["b"]' },
          ],
          bindgen: [],
        },
      ],
    ]);
    const other = { name: 'b.js', text: '' };
    expect(glueKey([GLUE, other])).not.toBe(glueKey([other, GLUE]));
  });
});

describe('the code fingerprint', () => {
  it('is a digest of the scripts in the packages and of binaryen\'s package.json', () => {
    expect(codeFingerprint()).toMatch(/^[0-9a-f]{40}$/);
    expect(codeFingerprint()).toBe(codeFingerprint());
  });

  it('changes when a built script changes, appears or goes, and not for maps or types', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtm-cache-key-'));
    mkdirSync(join(dir, 'find'));
    writeFileSync(join(dir, 'index.js'), 'export {};');
    writeFileSync(join(dir, 'find', 'by-glue.js'), 'export const a = 1;');
    const pkg = join(dir, 'package.json');
    writeFileSync(pkg, '{"version":"132.0.0"}');
    const before = scriptsFingerprint([dir], [pkg]);
    writeFileSync(join(dir, 'index.js.map'), '{}');
    writeFileSync(join(dir, 'index.d.ts'), 'export {};');
    expect(scriptsFingerprint([dir], [pkg])).toBe(before);
    writeFileSync(join(dir, 'find', 'by-glue.js'), 'export const a = 2;');
    const edited = scriptsFingerprint([dir], [pkg]);
    expect(edited).not.toBe(before);
    writeFileSync(join(dir, 'extra.js'), '');
    expect(scriptsFingerprint([dir], [pkg])).not.toBe(edited);
    rmSync(join(dir, 'extra.js'));
    expect(scriptsFingerprint([dir], [pkg])).toBe(edited);
    writeFileSync(pkg, '{"version":"133.0.0"}');
    expect(scriptsFingerprint([dir], [pkg])).not.toBe(edited);
    rmSync(pkg);
    expect(scriptsFingerprint([dir], [pkg])).not.toBe(edited);
  });
});
