// Exact deep tracebacks with source, on C, C++ and Rust programs built here from
// test/deep with clang-19 and Debian's rustc: every frame's file, line and function,
// oldest first, `totalNframe`, and `format()` with the source lines read from disk
// (each file named relative to its DWARF comp_dir). Then non-local exits: C++
// exceptions (clang -fwasm-exceptions) and longjmp (-mllvm -wasm-enable-sjlj) unwind
// shadow-stacked frames, and the next allocation's traceback is exactly its own chain.
// And the demangled names of C++ templates and Rust generics (legacy and v0 mangling).

import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as tm from 'wasm-tracemalloc';
import { clang, clangxx, lineOf, runCommand, rustc, withoutDebugSections, type RunResult } from './deep/toolchain.js';

interface Built {
  original: Uint8Array<ArrayBuffer>;
  result: ReturnType<typeof tm.instrument>;
}

function instrumented(original: Uint8Array<ArrayBuffer>, name: string): Built {
  return { original, result: tm.instrument(original, { source: name, maxFrames: 128, readSource: tm.nodeFiles().readSource }) };
}

const plain = (f: tm.Frame) => ({ filename: f.filename, lineno: f.lineno, function: f.function });
/** A frame of our sources: its line found by its text, which symbolization read from disk. */
const ours = (file: string, text: string, fn: string) => ({ filename: file, lineno: lineOf(file, text), function: fn, source: text });
const withSource = (f: tm.Frame) => ({ ...plain(f), source: f.source });
/** `function@line` per frame: compact enough to compare whole sets of tracebacks. */
const chain = (tb: tm.Traceback) => tb.frames.map((f) => `${f.function}@${f.lineno}`).join(' > ');

/** wasi-libc's command start-up, under every traceback of a command: `_start.command_export` (wasm-ld's, no DWARF) calls `_start`. */
function startupFrames(tb: tm.Traceback, original: Uint8Array, name: string) {
  const [exp, start] = tb.frames;
  expect(plain(exp!)).toEqual({ filename: name, lineno: 0, function: '_start.command_export' });
  expect(original[exp!.offset!], 'the offset frame points at a call instruction of the original module').toBe(0x10);
  expect(plain(start!)).toEqual({ filename: 'libc-bottom-half/crt/crt1-command.c', lineno: 12, function: '_start' });
  return exp!.offset!;
}

describe('exact tracebacks with source lines', () => {
  beforeEach(() => tm.stop());

  describe('C: main → build_index → node_new → malloc', () => {
    let c: Built;
    beforeAll(() => {
      c = instrumented(clang('chain.wasm', ['chain.c']), 'chain.wasm');
    });

    it('every frame, oldest first, and format() with the lines from disk', async () => {
      tm.start(128);
      expect(await runCommand(c.result.bytes, 'chain.wasm', true)).toEqual({ status: 0, stdout: 'index head 99, first name ALPHA\n' });
      const snapshot = tm.takeSnapshot();
      const [index, names, ...rest] = snapshot.statistics('traceback');
      expect(rest).toEqual([]);
      expect([index!.size, index!.count, names!.size, names!.count]).toEqual([100 * 44, 100, 6 + 5 + 6, 3]);

      const offset = startupFrames(index!.traceback, c.original, 'chain.wasm');
      expect(index!.traceback.frames.slice(2).map(withSource)).toEqual([
        ours('chain.c', 'struct node *index = build_index(INDEX_SIZE);', 'main'),
        ours('chain.c', 'head = node_new(i, head);', 'build_index'),
        ours('chain.c', 'struct node *n = malloc(sizeof *n);', 'node_new'),
      ]);
      expect(index!.traceback.totalNframe).toBe(5);
      expect(String(index!.traceback)).toBe(`chain.c:${lineOf('chain.c', 'malloc(sizeof *n)')}`);
      expect(index!.traceback.format()).toEqual([
        `  File "chain.wasm", offset 0x${offset.toString(16)}, in _start.command_export`,
        '  File "libc-bottom-half/crt/crt1-command.c", line 12',
        `  File "chain.c", line ${lineOf('chain.c', 'build_index(INDEX_SIZE);')}`,
        '    struct node *index = build_index(INDEX_SIZE);',
        `  File "chain.c", line ${lineOf('chain.c', 'head = node_new(i, head);')}`,
        '    head = node_new(i, head);',
        `  File "chain.c", line ${lineOf('chain.c', 'malloc(sizeof *n)')}`,
        '    struct node *n = malloc(sizeof *n);',
      ]);
      expect(index!.traceback.format(2, true)).toEqual([
        `  File "chain.c", line ${lineOf('chain.c', 'malloc(sizeof *n)')}`,
        '    struct node *n = malloc(sizeof *n);',
        `  File "chain.c", line ${lineOf('chain.c', 'head = node_new(i, head);')}`,
        '    head = node_new(i, head);',
      ]);
      // Python's self[:limit]: a negative limit drops that many of the most recent frames.
      expect(index!.traceback.format(-2)).toEqual(index!.traceback.format().slice(0, 4));

      startupFrames(names!.traceback, c.original, 'chain.wasm');
      expect(names!.traceback.frames.slice(2).map(withSource)).toEqual([
        ours('chain.c', 'char **names = name_table();', 'main'),
        ours('chain.c', 'for (int i = 0; i < 3; i++) table[i] = strdup_upper(names[i]);', 'name_table'),
        ours('chain.c', 'char *copy = malloc(n);', 'strdup_upper'),
      ]);
      expect(snapshot.statistics('lineno').map(String)).toEqual([
        `chain.c:${lineOf('chain.c', 'malloc(sizeof *n)')}: size=4400 B, count=100, average=44 B`,
        `chain.c:${lineOf('chain.c', 'char *copy = malloc(n);')}: size=17 B, count=3, average=6 B`,
      ]);
    });

    it('start(3) keeps the 3 most recent frames and still counts all 5', async () => {
      tm.start(3);
      await runCommand(c.result.bytes, 'chain.wasm', true);
      const [index] = tm.takeSnapshot().statistics('traceback');
      expect(index!.traceback.frames.map(plain)).toEqual([
        { filename: 'chain.c', lineno: lineOf('chain.c', 'build_index(INDEX_SIZE);'), function: 'main' },
        { filename: 'chain.c', lineno: lineOf('chain.c', 'head = node_new(i, head);'), function: 'build_index' },
        { filename: 'chain.c', lineno: lineOf('chain.c', 'malloc(sizeof *n)'), function: 'node_new' },
      ]);
      expect(index!.traceback.totalNframe).toBe(5);
    });
  });

  describe('Rust: run → build_index → Pool<Node>::make (generic) → Box::new → __rust_alloc', () => {
    const std = '/usr/src/rustc-1.63.0/library/alloc/src';
    const boxNew = (fn: string) => [
      { filename: `${std}/boxed.rs`, lineno: 215, function: fn },
      { filename: `${std}/alloc.rs`, lineno: 320, function: 'alloc::alloc::exchange_malloc' },
      { filename: `${std}/alloc.rs`, lineno: 231, function: '<alloc::alloc::Global as core::alloc::Allocator>::allocate' },
      { filename: `${std}/alloc.rs`, lineno: 171, function: 'alloc::alloc::Global::alloc_impl' },
      { filename: `${std}/alloc.rs`, lineno: 89, function: 'alloc::alloc::alloc' },
    ];

    // Legacy mangling is rustc 1.63's default (naming it needs -Z); v0 is stable.
    it.each([
      ['legacy', [], /^_ZN5chain13Pool\$LT\$T\$GT\$4make17h[0-9a-f]{16}E$/, 'chain::build_index', 'chain::Pool<T>::make', 'alloc::boxed::Box<T>::new'],
      ['v0', ['-C', 'symbol-mangling-version=v0'], /^_RNvMCs[0-9A-Za-z]+_5chainINtB2_4PoolNtB2_4NodeE4makeB2_$/, 'chain::build_index', '<chain::Pool<chain::Node>>::make', '<alloc::boxed::Box<chain::Node>>::new'],
    ] as const)('%s mangling: every frame, oldest first, demangled without hashes', async (_, flags, mangled, buildIndex, make, box) => {
      const rs = instrumented(rustc('chain_rs.wasm', [...flags, 'chain.rs']), 'chain_rs.wasm');
      tm.start(128);
      const { instance } = await tm.instantiateTraced(rs.result.bytes, {}, { name: 'chain_rs.wasm' });
      expect((instance.exports.run as (n: number) => number)(7)).toBe(7);
      const nodes = tm.takeSnapshot().statistics('traceback').find((s) => s.count === 7)!;
      expect(nodes.size).toBe(7 * 32);
      expect(nodes.traceback.frames.slice(0, 3).map(withSource)).toEqual([
        ours('chain.rs', 'build_index(&mut pool, count);', 'run'),
        ours('chain.rs', 'pool.make(Node { key, payload: [key as u8; 28] });', buildIndex),
        ours('chain.rs', 'let object = Box::into_raw(Box::new(value));', make),
      ]);
      expect(nodes.traceback.frames.slice(3).map(plain)).toEqual(boxNew(box));
      expect(nodes.traceback.totalNframe).toBe(8);
      expect(nodes.traceback.format(6, true).slice(-2)).toEqual([
        `  File "chain.rs", line ${lineOf('chain.rs', 'Box::into_raw(Box::new(value))')}`,
        '    let object = Box::into_raw(Box::new(value));',
      ]);

      // The name section holds the mangled name; without DWARF, it is demangled alone.
      const site = (sites: tm.SiteRecord[]) => sites.find((s) => s.kind === 'call' && s.allocator === '__rust_alloc' && mangled.test(s.name ?? ''))!;
      expect(site(rs.result.sites).frames![0]!.function).toBe(make);
      const bare = tm.instrument(withoutDebugSections(rs.original), { source: 'chain_rs.wasm' });
      expect(site(bare.sites).frames).toEqual([{ file: '', line: 0, function: make }]);
    });
  });
});

describe('C++: templates, and exceptions that unwind shadow-stacked frames', () => {
  let cpp: Built;
  let traced: RunResult;
  let original: RunResult;
  let snapshot: tm.Snapshot;
  const main = (text: string) => `main@${lineOf('chain.cpp', text)}`;
  const at = (fn: string, text: string) => `${fn}@${lineOf('chain.cpp', text)}`;
  const make = () => at('Pool<Node>::make(int)', 'T *object = new T(key);');
  const descend = (levels: number) => [
    at('parse_all(int)', 'descend(3, kind);'),
    ...Array.from({ length: levels }, () => at('descend(int, int)', 'descend(depth - 1, kind);')),
    at('descend(int, int)', 'scratch.make(depth);'),
    make(),
  ];

  beforeAll(async () => {
    cpp = instrumented(clangxx('chain_cpp.wasm', ['-fwasm-exceptions', 'chain.cpp', 'wasm_eh_runtime.cpp']), 'chain_cpp.wasm');
    tm.stop();
    tm.start(128);
    traced = await runCommand(cpp.result.bytes, 'chain_cpp.wasm', true);
    snapshot = tm.takeSnapshot();
    tm.stop();
    original = await runCommand(cpp.original, 'chain_cpp.wasm', false);
  });

  it('the traced program prints and exits as the original', () => {
    expect(original).toEqual({ status: 111, stdout: 'tree 50, scratch 8, errors 2\n' });
    expect(traced).toEqual(original);
    expect(cpp.result.shadowStack!.catches).toBeGreaterThan(0);
  });

  it('main → build_tree → Pool<Node>::make(int) → operator new: every frame, with its line', () => {
    const tree = snapshot.statistics('traceback').find((s) => s.count === 50)!;
    expect(tree.size).toBe(50 * 64);
    const offset = startupFrames(tree.traceback, cpp.original, 'chain_cpp.wasm');
    expect(tree.traceback.frames.slice(2).map(withSource)).toEqual([
      ours('chain.cpp', 'build_tree(TREE_SIZE);', 'main'),
      ours('chain.cpp', 'for (int i = 0; i < count; i++) tree.make(i);', 'build_tree(int)'),
      ours('chain.cpp', 'T *object = new T(key);', 'Pool<Node>::make(int)'),
    ]);
    expect(tree.traceback.totalNframe).toBe(5);
    expect(tree.traceback.format(null, true)).toEqual([
      `  File "chain.cpp", line ${lineOf('chain.cpp', 'T *object = new T(key);')}`,
      '    T *object = new T(key);',
      `  File "chain.cpp", line ${lineOf('chain.cpp', 'tree.make(i);')}`,
      '    for (int i = 0; i < count; i++) tree.make(i);',
      `  File "chain.cpp", line ${lineOf('chain.cpp', 'build_tree(TREE_SIZE);')}`,
      '    build_tree(TREE_SIZE);',
      '  File "libc-bottom-half/crt/crt1-command.c", line 12',
      `  File "chain_cpp.wasm", offset 0x${offset.toString(16)}, in _start.command_export`,
    ]);
  });

  it('after each throw, catch, rethrow and a throw out of operator new, every traceback is exactly its own chain', () => {
    // Live: the 64 B nodes. Freed: each level's unique_ptr buffer (by the cleanup pads
    // the exception ran), the exception objects, the vectors (at exit).
    const stats = snapshot.statistics('traceback');
    for (const s of stats) expect(s.traceback.frames.slice(0, 2).map((f) => f.function)).toEqual(['_start.command_export', '_start']);
    const found = stats.map((s) => `${s.count} × ${s.size / s.count} B: ${chain(new tm.Traceback(s.traceback.frames.slice(2), s.traceback.totalNframe - 2))}`).sort();
    const expected = [
      `50 × 64 B: ${[main('build_tree(TREE_SIZE);'), at('build_tree(int)', 'tree.make(i);'), make()].join(' > ')}`,
      // parse_all(7): each level of descend allocates; descend(0) throws ParseError.
      ...[0, 1, 2, 3].map((n) => `1 × 64 B: ${[main('int status = parse_all(7);'), ...descend(n)].join(' > ')}`),
      // parse_all's catch (const ParseError &): the next allocation is record_error's.
      `1 × 64 B: ${[main('int status = parse_all(7);'), at('parse_all(int)', 'record_error(e);'), at('record_error(ParseError const&)', 'errors.make(e.depth);'), make()].join(' > ')}`,
      // parse_all(-1): descend(0) throws an int, parse_all's handler rethrows it to main's catch (...).
      ...[0, 1, 2, 3].map((n) => `1 × 64 B: ${[main('parse_all(-1);'), ...descend(n)].join(' > ')}`),
      // exhaust(): operator new's new_handler throws out of the allocator wrapper; then after_catch().
      `1 × 64 B: ${[main('after_catch();'), at('after_catch()', 'errors.make(-1);'), make()].join(' > ')}`,
    ].sort();
    expect(found).toEqual(expected);
    const after = stats.find((s) => s.traceback.frames.some((f) => f.function === 'after_catch()'))!;
    expect(after.traceback.totalNframe).toBe(5);
  });

  it('C++ names: class template methods, std::vector<Node*> and operator new, demangled', () => {
    // wasm-ld writes demangled names into the name section (LLVM's demangler: `>>`);
    // DWARF's linkage names are mangled, and the frames come from ours (`> >`).
    const pushBack = cpp.result.sites.find((s) => s.kind === 'call' && s.name === 'Pool<Node>::make(int)' && s.allocator === 'operator new(unsigned long)' && s.frames!.length > 1)!;
    expect(pushBack.frames!.map((f) => f.function)).toEqual([
      'Pool<Node>::make(int)',
      'std::__2::vector<Node*, std::__2::allocator<Node*> >::push_back[abi:ne190107](Node* const&)',
      'std::__2::vector<Node*, std::__2::allocator<Node*> >::__push_back_slow_path<Node* const&>(Node* const&)',
      'std::__2::__split_buffer<Node*, std::__2::allocator<Node*>&>::__split_buffer(unsigned long, unsigned long, std::__2::allocator<Node*>&)',
      'std::__2::__allocate_at_least[abi:ne190107]<std::__2::allocator<Node*> >(std::__2::allocator_traits&, unsigned long)',
      'std::__2::allocator<Node*>::allocate[abi:ne190107](unsigned long)',
      'std::__2::__libcpp_allocate[abi:ne190107](unsigned long, unsigned long)',
      'std::__2::__libcpp_operator_new[abi:ne190107]<unsigned long>(unsigned long)',
    ]);
    // Mangled names as this build's DWARF holds them, and what demangle() makes of them.
    const bytes = Buffer.from(cpp.original);
    const names: Array<[string, string]> = [
      ['_ZN4PoolI4NodeE4makeEi', 'Pool<Node>::make(int)'],
      ['_ZNSt3__26vectorIP4NodeNS_9allocatorIS2_EEE9push_backB8ne190107ERKS2_', 'std::__2::vector<Node*, std::__2::allocator<Node*> >::push_back[abi:ne190107](Node* const&)'],
      ['_ZNSt3__26vectorIP4NodeNS_9allocatorIS2_EEE21__push_back_slow_pathIRKS2_EEPS2_OT_', 'std::__2::vector<Node*, std::__2::allocator<Node*> >::__push_back_slow_path<Node* const&>(Node* const&)'],
      ['_ZNSt3__29allocatorIP4NodeE8allocateB8ne190107Em', 'std::__2::allocator<Node*>::allocate[abi:ne190107](unsigned long)'],
      ['_Z12record_errorRK10ParseError', 'record_error(ParseError const&)'],
    ];
    for (const [mangled, name] of names) {
      expect(bytes.includes(`${mangled}\0`), mangled).toBe(true);
      expect(tm.demangle(mangled)).toBe(name);
    }
    // operator new and delete, as their Itanium names (the allocator presets' _Znwm, _ZdlPvm).
    expect(['_Znwm', '_Znam', '_ZdlPvm', '_ZnwmSt11align_val_t'].map(tm.demangle)).toEqual([
      'operator new(unsigned long)',
      'operator new[](unsigned long)',
      'operator delete(void*, unsigned long)',
      'operator new(unsigned long, std::align_val_t)',
    ]);
  });
});

describe('longjmp out of a deep chain (clang -mllvm -wasm-enable-sjlj)', () => {
  let jump: Built;
  let traced: RunResult;
  let snapshot: tm.Snapshot;

  beforeAll(async () => {
    jump = instrumented(clang('jump.wasm', ['-mllvm', '-wasm-enable-sjlj', 'jump.c', 'wasm_sjlj_runtime.c']), 'jump.wasm');
    tm.stop();
    tm.start(128);
    traced = await runCommand(jump.result.bytes, 'jump.wasm', true);
    snapshot = tm.takeSnapshot();
    tm.stop();
  });

  it('the traced program prints and exits as the original', async () => {
    const original = await runCommand(jump.original, 'jump.wasm', false);
    expect(original).toEqual({ status: 6, stdout: 'parse returned 42, 6 tokens\n' });
    expect(traced).toEqual(original);
  });

  it('after the longjmp, the next allocations have exactly their own chains', () => {
    const at = (fn: string, text: string) => `${fn}@${lineOf('jump.c', text)}`;
    const token = at('token_new', 'struct token *t = malloc(sizeof *t);');
    const parse = at('main', 'int code = parse(3);');
    const stats = snapshot.statistics('traceback');
    for (const s of stats) expect(s.traceback.frames.slice(0, 2).map((f) => f.function)).toEqual(['_start.command_export', '_start']);
    expect(stats.map((s) => `${s.count} × ${s.size} B: ${chain(new tm.Traceback(s.traceback.frames.slice(2), s.traceback.totalNframe - 2))}`).sort()).toEqual([
      ...[0, 1, 2, 3].map((n) => `1 × 24 B: ${[parse, at('parse', 'descend(depth);'), ...Array(n).fill(at('descend', 'descend(depth - 1);')), at('descend', 'token_new(depth);'), token].join(' > ')}`),
      `1 × 24 B: ${[parse, at('parse', 'recover(code);'), at('recover', 'token_new(-code);'), token].join(' > ')}`,
      `1 × 24 B: ${[at('main', 'int n = summary();'), at('summary', 'token_new(100)'), token].join(' > ')}`,
    ].sort());
    const recovered = stats.find((s) => s.traceback.frames.some((f) => f.function === 'recover'))!;
    expect(recovered.traceback.totalNframe).toBe(6);
    expect(recovered.traceback.format(2)).toEqual([
      `  File "jump.c", line ${lineOf('jump.c', 'token_new(-code);')}`,
      '    token_new(-code);',
      `  File "jump.c", line ${lineOf('jump.c', 'struct token *t = malloc(sizeof *t);')}`,
      '    struct token *t = malloc(sizeof *t);',
    ]);
  });
});
