import { describe, expect, it } from 'vitest';
import { binaryenNameSection, isPlainName, readNameSection } from './name-section.js';
import { uleb as leb } from './writer.js';

const utf8 = (s: string) => [...new TextEncoder().encode(s)];
const name = (raw: number[]) => [...leb(raw.length), ...raw];
const sub = (id: number, content: number[]) => [id, ...leb(content.length), ...content];
const nameMap = (entries: Array<[number, number[]]>) => [...leb(entries.length), ...entries.flatMap(([i, raw]) => [...leb(i), ...name(raw)])];
/** The name section content (after its own name) at offset 100 of a buffer, as readModule hands it over. */
const read = (content: number[]) => readNameSection(new Uint8Array([...new Array(100).fill(0), ...content]), 100, 100 + content.length);

const functions = sub(1, nameMap([[0, utf8('malloc')], [1, utf8('free')], [2, utf8('leak')]]));
const locals = sub(2, [1, 2, 1, 0, ...name(utf8('size'))]); // function 2: local 0 "size"
const globals = sub(7, nameMap([[0, utf8('__stack_pointer')]]));

describe('name section', () => {
  it('reads module, function and other names of an intact section', () => {
    const names = read([...sub(0, name(utf8('leak_cli'))), ...functions, ...locals, ...globals]);
    expect(names.damage).toBeUndefined();
    expect(names.moduleName).toBe('leak_cli');
    expect([...names.functionNames]).toEqual([[0, 'malloc'], [1, 'free'], [2, 'leak']]);
    expect(names.intact.map((s) => s.id)).toEqual([2, 7]);
  });

  it('keeps every function name when the function-names size runs past the section, and says where', () => {
    const bad = [...functions];
    bad[1] = 0x7f; // 127 bytes declared, 21 there
    const names = read(bad);
    expect([...names.functionNames.values()]).toEqual(['malloc', 'free', 'leak']);
    expect(names.damage).toEqual({ problem: 'function names subsection declares 127 bytes but the section ends 21 bytes later', offset: 101 });
  });

  it('keeps the names before the damage when the size is too small, and reads no further', () => {
    const bad = [...functions, ...locals];
    bad[1] = 12; // ends inside "free"
    const names = read(bad);
    expect([...names.functionNames]).toEqual([[0, 'malloc']]);
    expect(names.damage).toEqual({ problem: 'function names subsection: unexpected end of data: 4 bytes needed, 1 left', offset: 113 });
    expect(names.intact).toEqual([]);
  });

  it('drops a damaged local-names subsection and keeps the function names', () => {
    const badLocals = sub(2, [1, 2, 1, 0, 9, ...utf8('size')]); // a name of 9 bytes in a 4-byte space
    const names = read([...functions, ...badLocals, ...globals]);
    expect([...names.functionNames.values()]).toEqual(['malloc', 'free', 'leak']);
    expect(names.damage!.problem).toBe('local names subsection: unexpected end of data: 9 bytes needed, 4 left');
    expect(names.intact.map((s) => s.id)).toEqual([7]);
  });

  it('stops at a subsection out of order, which a wrong size before it leaves', () => {
    const names = read([...globals, ...functions]);
    expect(names.functionNames.size).toBe(0);
    expect(names.damage).toEqual({ problem: 'function names subsection after the global names subsection, out of order', offset: 100 + globals.length });
  });

  it('gives binaryen only plain names, each once, and only for functions that exist', () => {
    const hostile: Array<[number, number[]]> = [
      [0, utf8('malloc')],
      [1, utf8('l\0ak')],
      [2, utf8('two\nlines')],
      [3, utf8('\u001b]0;pwned\u0007')],
      [4, [0x66, 0xff, 0xfe]], // invalid UTF-8
      [5, utf8('x'.repeat(5000))],
      [6, utf8('malloc')], // a duplicate
      [7, utf8('_ZN4core3ptr13drop_in_place17h0123456789abcdefE')],
      [99, utf8('beyond')],
    ];
    const names = read([...sub(1, nameMap(hostile)), ...sub(7, nameMap([[0, utf8('sp\0')]]))]);
    expect(names.damage).toBeUndefined();
    expect(names.functionNames.get(1)).toBe('l\0ak'); // kept for the site table
    expect(names.functionNames.get(4)).toBe('f\ufffd\ufffd');
    const forBinaryen = readNameSection(binaryenNameSection(names, 8), 0, binaryenNameSection(names, 8).length);
    expect([...forBinaryen.functionNames]).toEqual([[0, 'malloc'], [7, '_ZN4core3ptr13drop_in_place17h0123456789abcdefE']]);
    expect(forBinaryen.intact).toEqual([]); // the global names hold a NUL
  });

  it('calls plain what survives a C string and a terminal', () => {
    expect(isPlainName(new Uint8Array(utf8('operator new(unsigned long)')))).toBe(true);
    expect(isPlainName(new Uint8Array(utf8('émoji 🦀')))).toBe(true);
    expect(isPlainName(new Uint8Array(utf8('a\0b')))).toBe(false);
    expect(isPlainName(new Uint8Array(utf8('a\u007fb')))).toBe(false);
    expect(isPlainName(new Uint8Array([0xc3]))).toBe(false);
    expect(isPlainName(new Uint8Array())).toBe(false);
  });
});
