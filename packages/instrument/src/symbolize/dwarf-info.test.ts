import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readModule, scanFunction, type ModuleInfo } from '../binary/module.js';
import { dwarfSections } from './dwarf-reader.js';
import { DwarfInfo, type DwarfFrame } from './dwarf-info.js';
import { demangle } from './demangle.js';

const build = (file: string) => new URL(`../../../../test/fixtures/build/${file}`, import.meta.url);
const src = (file: string) => new URL(`../../../../test/fixtures/src/${file}`, import.meta.url).pathname;
/** Code-section address of the (first) call from `caller` to `callee`, as DWARF numbers it. */
function callAddress(info: ModuleInfo, caller: string, callee: string): number {
  const f = info.functions.find((x) => x.name === caller)!;
  const target = info.functions.find((x) => x.name === callee)!;
  const call = scanFunction(info, f).calls.find((c) => c.callee === target.index)!;
  return call.offset - info.codeSection!.contentStart;
}

const where = (frames: DwarfFrame[] | undefined) => frames?.map((f) => `${f.function} @ ${f.file?.name}:${f.line}`);

describe('.debug_info', () => {
  it('DWARF 4: the unit headers, the function around a call, no inlining', () => {
    const info = readModule(readFileSync(build('leak_cli.wasm')));
    const dwarf = new DwarfInfo(dwarfSections(info));
    const unit = dwarf.units.find((u) => u.name === src('leak_cli.c'))!;
    expect(unit).toMatchObject({ version: 4, offsetSize: 4, addressSize: 4, ranges: [[0x1e, 0x6e], [0x6f, 0x86]] });
    expect(where(dwarf.frames(callAddress(info, 'leak', 'malloc')))).toEqual([`leak @ ${src('leak_cli.c')}:17`]);
    // Address 1 is the code section's function count: in no unit.
    expect(dwarf.frames(1)).toBeUndefined();
  });

  it('DWARF 5: strx names, addrx and rnglistx ranges, an inlined subroutine', () => {
    const info = readModule(readFileSync(build('dwarf5.wasm')));
    const dwarf = new DwarfInfo(dwarfSections(info));
    const unit = dwarf.units.find((u) => u.name === src('dwarf5.c'))!;
    expect(unit).toMatchObject({ version: 5, strOffsetsBase: 8, addrBase: 8, rnglistsBase: 12 });
    expect(unit.ranges.length).toBe(2);
    const frames = dwarf.frames(callAddress(info, 'build', 'malloc'))!;
    expect(where(frames)).toEqual([`build @ ${src('dwarf5.c')}:8`, `make @ ${src('dwarf5.c')}:5`]);
    expect(frames.map((f) => f.column)).toEqual([13, 10]);
  });

  it('C++ (DWARF 4, .debug_ranges): the inline chain of a vector reserve, names demangled through origins and specifications', () => {
    const info = readModule(readFileSync(build('objects.reactor.wasm')));
    const dwarf = new DwarfInfo(dwarfSections(info), demangle);
    const fn = info.functions.find((f) => f.name === 'vector_reserve()')!;
    const news = dwarf.frames(callAddress(info, 'vector_reserve()', 'operator new(unsigned long)'))!;
    expect(where(news)).toEqual([
      `vector_reserve() @ ${src('objects.cpp')}:69`,
      'std::__2::vector<int, std::__2::allocator<int> >::reserve(unsigned long) @ /usr/include/wasm32-wasi/c++/v1/vector:1468',
      'std::__2::__split_buffer<int, std::__2::allocator<int>&>::__split_buffer(unsigned long, unsigned long, std::__2::allocator<int>&) @ /usr/include/wasm32-wasi/c++/v1/__split_buffer:353',
      'std::__2::__allocate_at_least[abi:nn190107]<std::__2::allocator<int> >(std::__2::allocator_traits&, unsigned long) @ /usr/include/wasm32-wasi/c++/v1/__memory/allocate_at_least.h:41',
      'std::__2::allocator<int>::allocate[abi:nn190107](unsigned long) @ /usr/include/wasm32-wasi/c++/v1/__memory/allocator.h:118',
      'std::__2::__libcpp_allocate[abi:nn190107](unsigned long, unsigned long) @ /usr/include/wasm32-wasi/c++/v1/new:289',
      'std::__2::__libcpp_operator_new[abi:nn190107]<unsigned long>(unsigned long) @ /usr/include/wasm32-wasi/c++/v1/new:265',
    ]);
    // Without a demangler, names are the linkage names as DWARF has them.
    const raw = new DwarfInfo(dwarfSections(info)).frames(fn.body!.code - info.codeSection!.contentStart + 1)!;
    expect(raw[0]!.function).toBe('_Z14vector_reservev');
  });

  it('Rust 1.63 (DWARF 4): functions in namespaces, generics inlined', () => {
    const info = readModule(readFileSync(build('lib_rs.wasm')));
    const dwarf = new DwarfInfo(dwarfSections(info), demangle);
    const caller = info.functions.find((f) => f.name?.startsWith('_ZN6lib_rs11alloc_block'))!.name!;
    expect(where(dwarf.frames(callAddress(info, caller, '__rust_alloc')))).toEqual([
      `lib_rs::alloc_block @ ${src('lib_rs.rs')}:24`,
      'alloc::alloc::alloc @ /usr/src/rustc-1.63.0/library/alloc/src/alloc.rs:89',
    ]);
  });

  it('names the unit, section and offset of malformed data', () => {
    const info = readModule(readFileSync(build('leak_cli.wasm')));
    const sections = dwarfSections(info);
    const info2 = new Uint8Array(sections.info!);
    info2[4] = 9; // version 9
    expect(() => new DwarfInfo({ ...sections, info: info2 }).units).toThrow('.debug_info: unsupported unit version 9 (at offset 0x0)');
  });
});
