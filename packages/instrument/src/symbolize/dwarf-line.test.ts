import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readModule, scanFunction, type ModuleInfo } from '../binary/module.js';
import { dwarfSections } from './dwarf-reader.js';
import { DwarfInfo } from './dwarf-info.js';
import { lookupLine, readAllLinePrograms, readLineProgram } from './dwarf-line.js';

const build = (file: string) => new URL(`../../../../test/fixtures/build/${file}`, import.meta.url);
const src = (file: string) => new URL(`../../../../test/fixtures/src/${file}`, import.meta.url).pathname;

/** Code-section address of the (first) call from `caller` to `callee`, as DWARF numbers it. */
function callAddress(info: ModuleInfo, caller: string, callee: string): number {
  const f = info.functions.find((x) => x.name === caller)!;
  const target = info.functions.find((x) => x.name === callee)!;
  const call = scanFunction(info, f).calls.find((c) => c.callee === target.index)!;
  return call.offset - info.codeSection!.contentStart;
}

describe('.debug_line', () => {
  it('DWARF 4 (clang-19): the malloc call of leak_cli.c is line 17, column 17', () => {
    const info = readModule(readFileSync(build('leak_cli.wasm')));
    const sections = dwarfSections(info);
    const unit = new DwarfInfo(sections).units.find((u) => u.name === src('leak_cli.c'))!;
    const program = readLineProgram(sections, unit.stmtList!, { compDir: unit.compDir, compName: unit.name });
    expect(program.version).toBe(4);
    expect(program.files[1]).toEqual({ name: src('leak_cli.c'), full: src('leak_cli.c') });
    expect(program.files[4]).toEqual({ name: '/usr/include/wasm32-wasi/stdlib.h', full: '/usr/include/wasm32-wasi/stdlib.h' });
    expect(lookupLine(program, callAddress(info, 'leak', 'malloc'))).toEqual({ name: src('leak_cli.c'), full: src('leak_cli.c'), line: 17, column: 17 });
    // Two sequences (leak, main); an address between them, or past them, has no row.
    expect(program.sequences.map((s) => [s.start, s.end])).toEqual([[0x1e, 0x6e], [0x70, 0x86]]);
    expect(lookupLine(program, 0x6e)).toBeUndefined();
    expect(lookupLine(program, 0x86)).toBeUndefined();
  });

  it('DWARF 5 (clang-19 -gdwarf-5): line_strp names, directory entries, MD5s', () => {
    const info = readModule(readFileSync(build('dwarf5.wasm')));
    const sections = dwarfSections(info);
    expect(sections.lineStr).toBeDefined();
    const unit = new DwarfInfo(sections).units.find((u) => u.name === src('dwarf5.c'))!;
    expect(unit.version).toBe(5);
    const program = readLineProgram(sections, unit.stmtList!, { compDir: unit.compDir, compName: unit.name });
    expect(program.version).toBe(5);
    expect(program.files[0]).toEqual({ name: src('dwarf5.c'), full: src('dwarf5.c') });
    expect(program.files[1]!.full).toBe(src('dwarf5.c'));
    // The call of make's inlined body: the line table gives the inner line.
    expect(lookupLine(program, callAddress(info, 'build', 'malloc'))).toMatchObject({ full: src('dwarf5.c'), line: 5, column: 10 });
  });

  it('relative names stay relative to the compilation directory and are read under it', () => {
    // wasi-libc's crt1 is built with comp_dir "./build" and directory "./libc-bottom-half/crt".
    const info = readModule(readFileSync(build('leak_cli.wasm')));
    const sections = dwarfSections(info);
    const unit = new DwarfInfo(sections).units[0]!;
    const program = readLineProgram(sections, unit.stmtList!, { compDir: unit.compDir, compName: unit.name });
    expect(program.files[1]).toEqual({ name: 'libc-bottom-half/crt/crt1-command.c', full: 'build/libc-bottom-half/crt/crt1-command.c' });
  });

  it('reads every program of a module without .debug_info', () => {
    const sections = dwarfSections(readModule(readFileSync(build('leak_cli.wasm'))));
    const programs = readAllLinePrograms({ line: sections.line });
    expect(programs.length).toBe(new DwarfInfo(sections).units.length);
    expect(programs.map((p) => p.offset).slice(0, 2)).toEqual([0, 0x66]);
  });

  it('drops sequences at address 0 (code that wasm-ld discarded) and runs the opcodes', () => {
    // A version 4 program: two sequences, the first at the tombstone address 0.
    const header = [
      4, 0, // version
      ...u32(15), // header_length
      1, 1, 1, 0xfb, 14, 13, // min_inst, max_ops, default_is_stmt, line_base -5, line_range 14, opcode_base 13
      0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, // standard_opcode_lengths
    ];
    const names = [0, ...ascii('a.c'), 0, 0, 0, 0, 0]; // no include_directories; file 1 "a.c"; end
    const seq = (address: number) => [0, 5, 2, ...u32(address), 0x03, 9, 0x01, 0x21, 0x08, 0x02, 4, 0x01, 0, 1, 1];
    const body = [...header.slice(2 + 4), ...names, ...seq(0), ...seq(0x40)];
    // set_address; advance_line 9 (line 10); copy; special 0x21 (+1 address, +1 line);
    // const_add_pc (+17); advance_pc 4; copy; end_sequence
    const bytes = new Uint8Array([...u32(2 + 4 + body.length), 4, 0, ...u32(header.slice(2 + 4).length + names.length), ...body]);
    const program = readLineProgram({ line: bytes }, 0, { compDir: '/src' });
    expect(program.sequences.map((s) => [s.start, s.end])).toEqual([[0x40, 0x40 + 1 + 17 + 4]]);
    expect(lookupLine(program, 0x40)).toEqual({ name: 'a.c', full: '/src/a.c', line: 10, column: 0 });
    expect(lookupLine(program, 0x41)).toMatchObject({ line: 11 });
    expect(lookupLine(program, 0x40 + 22 - 1)).toMatchObject({ line: 11 });
    expect(lookupLine(program, 0x10)).toBeUndefined();

    // A damaged program that advances the line below 1 (advance_line -20: line -19)
    // gives rows with no line, never a negative one for the site table.
    const damaged = bytes.slice();
    const at = bytes.lastIndexOf(0x03) + 1; // the second sequence's advance_line operand
    expect(damaged[at]).toBe(9);
    damaged[at] = 0x6c;
    const negative = readLineProgram({ line: damaged }, 0, { compDir: '/src' });
    expect(lookupLine(negative, 0x40)).toEqual({ name: 'a.c', full: '/src/a.c', line: 0, column: 0 });
    expect(lookupLine(negative, 0x41)).toMatchObject({ line: 0 });
  });
});

function u32(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}

function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}
