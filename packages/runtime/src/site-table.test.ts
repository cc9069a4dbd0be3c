import { describe, expect, it } from 'vitest';
import { decodeSiteTable, encodeSiteTable, withSideTable, type SiteTable } from './site-table.js';

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
});
