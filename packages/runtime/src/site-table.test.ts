import { describe, expect, it } from 'vitest';
import { decodeSiteTable, encodeSiteSection, encodeSiteTable, withSideTable, type SiteTable } from './site-table.js';

const table = (frames?: unknown): SiteTable =>
  ({
    version: 1,
    codeSectionOffset: 0x151,
    sites: [
      { kind: 'host', allocator: 'malloc', func: -1, offset: 0x200 },
      { kind: 'call', allocator: 'malloc', func: 3, name: 'leak', offset: 0x187, ...(frames === undefined ? {} : { frames }) },
    ],
  }) as SiteTable;

const leakFrame = { file: '/src/leak_cli.c', line: 17, column: 17, function: 'leak', source: 'blocks[i] = malloc(BLOCK_SIZE);' };

describe('site table', () => {
  it('round-trips source frames, an optional field of version 1', () => {
    const t = table([leakFrame]);
    expect(decodeSiteTable(encodeSiteTable(t))).toEqual(t);
    expect(decodeSiteTable(encodeSiteTable(table())).sites[1]!.frames).toBeUndefined();
  });

  it('refuses malformed frames, naming the site and what is wrong', () => {
    const bad = (frames: unknown) => () => decodeSiteTable(encodeSiteTable(table(frames)), 'leak_cli.wasm');
    expect(bad('x')).toThrow('leak_cli.wasm: site 1 of the "wasm-tracemalloc.sites" section has malformed frames (not an array); instrument the original module again');
    expect(bad([{ line: 3 }])).toThrow('(frame 0 has no file)');
    expect(bad([{ file: 'a.c', line: -1 }])).toThrow('(frame 0 has line -1)');
    expect(bad([{ file: 'a.c', line: 1, column: 1.5 }])).toThrow('(frame 0 has column 1.5)');
    expect(bad([leakFrame, { file: 'a.c', line: 1, source: 7 }])).toThrow('(frame 1 has a source line that is not a string)');
  });

  it('takes the frames of a side table of the same build, and refuses another build', () => {
    const merged = withSideTable(table(), table([leakFrame]), 'leak_cli.wasm', 'leak_cli.wasm.sites.json');
    expect(merged.sites[1]!.frames).toEqual([leakFrame]);
    const other = table([leakFrame]);
    other.sites[1]!.offset = 0x190;
    expect(() => withSideTable(table(), other, 'leak_cli.wasm', 'x.sites.json')).toThrow(
      'x.sites.json: does not belong to leak_cli.wasm (site 1 differs); use the .sites.json written together with this instrumented module',
    );
    expect(() => withSideTable(table(), { ...other, sites: other.sites.slice(1) }, 'leak_cli.wasm', 'x.sites.json')).toThrow('(1 sites, the module has 2)');
  });

  describe('binary encoding (version 2, the custom section)', () => {
    // Sites as the shadow stack numbers them: many share a file, a function and the
    // chain of inlined frames above the call.
    const shadowTable = (): SiteTable => {
      const outer = { file: 'src/parser.rs', line: 120, column: 9, function: 'parser::Parser::parse_rule', source: 'let rule = self.parse_rule_body(input)?;' };
      const sites: SiteTable['sites'] = [{ kind: 'host', allocator: '__rust_alloc', func: -1, offset: 0x4d2 }, { kind: 'indirect', allocator: 'parse_rule', func: -1, offset: 0x1200 }];
      for (let i = 0; i < 1000; i++) {
        const leaf = { file: i % 2 ? 'src/vec.rs' : '/rustc/library/alloc/src/raw_vec.rs', line: 400 + (i % 7), function: 'alloc::raw_vec::finish_grow' };
        sites.push({ kind: 'call', allocator: '__rust_alloc', func: 10 + (i >> 4), name: `_ZN6parser6Parser10parse_rule17h${(i >> 4).toString(16).padStart(16, '0')}E`, offset: 0x2000 + i * 23, ...(i % 50 ? { frames: [outer, leaf] } : {}) });
      }
      sites.push({ kind: 'call', allocator: 'malloc', func: 3, offset: 0x1000, approximate: true });
      return { version: 2, codeSectionOffset: 0x151, maxFrames: 128, sites };
    };

    it('round-trips every field, and is read by the same decodeSiteTable as JSON', () => {
      const t = table([leakFrame, { file: '', line: 0 }]);
      expect(decodeSiteTable(encodeSiteSection(t))).toEqual({ ...t, version: 2 });
      const big = shadowTable();
      expect(decodeSiteTable(encodeSiteSection(big))).toEqual(big);
      // Hostile names are data: NUL, ESC and quotes come back as they went in.
      const hostile = table([{ file: 'a\u0000b\u001b[2J"c', line: 1, function: '<script>' }]);
      expect(decodeSiteTable(encodeSiteSection(hostile)).sites[1]!.frames).toEqual([{ file: 'a\u0000b\u001b[2J"c', line: 1, function: '<script>' }]);
    });

    it('refuses to write a value that would misalign the fields after it', () => {
      expect(() => encodeSiteSection(table([{ ...leakFrame, line: -73 }]))).toThrow('site table: -73 is not an unsigned integer');
      expect(() => encodeSiteSection(table([{ ...leakFrame, line: 1.5 }]))).toThrow('site table: 1.5 is not an unsigned integer');
    });

    it('stores each string and each frame once: a tenth of the JSON for shadow-stack sites', () => {
      const big = shadowTable();
      const json = encodeSiteTable(big).length;
      const binary = encodeSiteSection(big).length;
      expect(json).toBeGreaterThan(300_000);
      expect(binary).toBeLessThan(json / 10);
    });

    it('refuses every truncation and stray byte with one clear error', () => {
      const bytes = encodeSiteSection(table([leakFrame]));
      for (let cut = 1; cut < bytes.length; cut++) {
        expect(() => decodeSiteTable(bytes.subarray(0, cut), 'leak_cli.wasm'), `cut at ${cut}`).toThrow(/^leak_cli\.wasm: the "wasm-tracemalloc\.sites" custom section is corrupt \(.* at byte \d+\); instrument the original module again$/);
      }
      const longer = new Uint8Array([...bytes, 0]);
      expect(() => decodeSiteTable(longer, 'leak_cli.wasm')).toThrow('(1 bytes after the last site at byte');
    });

    it('names the version of a table it cannot read', () => {
      expect(() => decodeSiteTable(new Uint8Array([3, 0, 0]), 'x.wasm')).toThrow('x.wasm: unsupported "wasm-tracemalloc.sites" section (version 3, this runtime reads 1 and 2); instrument the original module with this version');
      expect(() => decodeSiteTable(new TextEncoder().encode('{"version":7,"sites":[]}'), 'x.wasm')).toThrow('(version 7, this runtime reads 1 and 2)');
    });

    it('refuses indices past the string and frame tables', () => {
      // version, code offset, maxFrames, 1 string "m", 0 frames, 1 site: flags call, allocator string 5, function -1 + 4 (zigzag 8), offset 0.
      const bad = new Uint8Array([2, 0x10, 0, 1, 1, 0x6d, 0, 1, 0, 5, 8, 0]);
      expect(() => decodeSiteTable(bad, 'x.wasm')).toThrow('x.wasm: the "wasm-tracemalloc.sites" custom section is corrupt (string 5 of 1 at byte 10)');
      const good = new Uint8Array([2, 0x10, 0, 1, 1, 0x6d, 0, 1, 0, 0, 8, 0]);
      expect(decodeSiteTable(good, 'x.wasm')).toEqual({ version: 2, codeSectionOffset: 16, sites: [{ kind: 'call', allocator: 'm', func: 3, offset: 0 }] });
    });
  });
});
