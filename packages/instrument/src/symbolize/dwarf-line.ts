// .debug_line: the line-number program of a compilation unit (DWARF 2 to 5), run
// through its state machine into address-sorted rows, and looked up by address.
//
// In Wasm, an "address" is a byte offset relative to the start of the Code section's
// content (after its id and size), so a module-relative offset maps to
// `offset - codeSectionContentStart`. wasm-ld marks the code of discarded functions
// with a tombstone address (0 in older LLVM, 0xffffffff since LLVM 11); offset 0 can
// never hold code (it is the function count), so sequences starting there are dropped.
//
// Version 5 headers describe their directory and file tables with entry formats
// (DW_LNCT_* content types, each with a DW_FORM_*); directory 0 is the compilation
// directory and file 0 the primary source file. Before version 5, directory 0 means
// the compilation directory and file numbers start at 1.

import { DwarfReader, stringAt, type DwarfSections } from './dwarf-reader.js';
import { joinPath } from './paths.js';

/** A file of the line table: as the table names it, and resolved against the compilation directory. */
export interface LineFile {
  /** The path as DWARF gives it: the file's directory entry joined with its name; relative paths are relative to the compilation directory. */
  name: string;
  /** The same, joined with the compilation directory when relative: where to read it. */
  full: string;
}

export interface LineLocation extends LineFile {
  /** 1-based; 0 means the code has no source line (compiler-generated). */
  line: number;
  /** 1-based; 0 means the whole line. */
  column: number;
}

interface Sequence {
  start: number;
  end: number;
  /** Rows of this sequence: indices into the program's row columns, sorted by address. */
  first: number;
  last: number;
}

export interface LineProgram {
  offset: number;
  version: number;
  /** Files by the index the program uses. */
  files: Array<LineFile | undefined>;
  sequences: Sequence[];
  rows: { address: number[]; file: number[]; line: number[]; column: number[] };
}

export interface LineUnit {
  /** DW_AT_comp_dir of the unit that owns the program. */
  compDir?: string;
  /** DW_AT_name of that unit (the primary file: file 0 before DWARF 5 has no entry). */
  compName?: string;
  /** The unit's address size; version 5 headers carry their own. */
  addressSize?: number;
  /** DW_AT_str_offsets_base, for DW_FORM_strx in a version 5 header. */
  strOffsetsBase?: number;
}

// DW_LNCT_* content types and the DW_FORM_* values version 5 headers use.
const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;

export function readLineProgram(sections: DwarfSections, offset: number, unit: LineUnit = {}): LineProgram {
  const data = sections.line;
  if (!data) throw new Error('.debug_line: the section is missing but a compilation unit refers to it');
  const r = new DwarfReader(data, '.debug_line', offset);
  const { end, offsetSize } = r.unitLength();
  const version = r.u16();
  if (version < 2 || version > 5) r.fail(`unsupported line table version ${version}`, offset + (offsetSize === 8 ? 12 : 4));
  let addressSize = unit.addressSize ?? 4;
  if (version >= 5) {
    addressSize = r.u8();
    r.u8(); // segment selector size
  }
  const headerLength = r.sized(offsetSize);
  const programStart = r.pos + headerLength;
  const minInstLength = r.u8();
  if (version >= 4) r.u8(); // maximum_operations_per_instruction: VLIW only, never in Wasm
  const defaultIsStmt = r.u8() !== 0;
  void defaultIsStmt; // rows are looked up regardless of is_stmt, as llvm-symbolizer does
  const lineBase = (r.u8() << 24) >> 24;
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  if (lineRange === 0) r.fail('line_range is 0');
  const standardLengths = [0];
  for (let i = 1; i < opcodeBase; i++) standardLengths.push(r.u8());

  const files: Array<LineFile | undefined> = [];
  // Directory 0 is the compilation directory (implicit before version 5, listed since).
  let compDir = unit.compDir;
  const dirs: string[] = [];
  const entry = (dir: number, name: string): LineFile => {
    const shown = dir === 0 || dir >= dirs.length ? joinPath(undefined, name) : joinPath(dirs[dir], name);
    return { name: shown, full: joinPath(compDir, shown) };
  };
  if (version >= 5) {
    dirs.push(...readEntries(r, sections, offsetSize, unit).map((e) => e.path ?? ''));
    compDir ??= dirs[0];
    for (const e of readEntries(r, sections, offsetSize, unit)) files.push(e.path === undefined ? undefined : entry(e.dir, e.path));
  } else {
    dirs.push('');
    for (let s = r.cstr(); s !== ''; s = r.cstr()) dirs.push(s);
    files.push(unit.compName === undefined ? undefined : entry(0, unit.compName));
    for (let s = r.cstr(); s !== ''; s = r.cstr()) {
      const dir = r.uleb();
      r.uleb(); // modification time
      r.uleb(); // length
      files.push(entry(dir, s));
    }
  }

  const program: LineProgram = { offset, version, files, sequences: [], rows: { address: [], file: [], line: [], column: [] } };
  r.pos = programStart;
  const rows = program.rows;
  let address = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  let seqFirst = 0;
  const emit = () => {
    rows.address.push(address);
    rows.file.push(file);
    // A damaged program can advance the line below 1 or past any real file: such a
    // row has no usable line, as a compiler-generated one (0) has none.
    rows.line.push(line >= 0 && line <= 0xffffffff ? line : 0);
    rows.column.push(column);
  };
  const reset = () => {
    address = 0;
    file = 1;
    line = 1;
    column = 0;
  };
  const constAddPc = Math.floor((255 - opcodeBase) / lineRange) * minInstLength;
  while (r.pos < end) {
    const op = r.u8();
    if (op >= opcodeBase) {
      const adjusted = op - opcodeBase;
      address += Math.floor(adjusted / lineRange) * minInstLength;
      line += lineBase + (adjusted % lineRange);
      emit();
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.uleb();
        const next = r.pos + len;
        if (len === 0) break;
        const sub = r.u8();
        if (sub === 1) {
          // DW_LNE_end_sequence: the address is one past the sequence's last byte.
          const first = seqFirst;
          const last = rows.address.length;
          if (last > first) {
            const start = rows.address[first]!;
            if (start !== 0 && start < 0xfffffffe) program.sequences.push({ start, end: address, first, last });
          }
          seqFirst = last;
          reset();
        } else if (sub === 2) {
          address = r.sized(version >= 5 ? addressSize : len - 1);
        } else if (sub === 3) {
          // DW_LNE_define_file (DWARF 2-4)
          const name = r.cstr();
          files.push(entry(r.uleb(), name));
        }
        r.pos = next;
        break;
      }
      case 1: // DW_LNS_copy
        emit();
        break;
      case 2: // DW_LNS_advance_pc
        address += r.uleb() * minInstLength;
        break;
      case 3: // DW_LNS_advance_line
        line += r.sleb();
        break;
      case 4: // DW_LNS_set_file
        file = r.uleb();
        break;
      case 5: // DW_LNS_set_column
        column = r.uleb();
        break;
      case 8: // DW_LNS_const_add_pc
        address += constAddPc;
        break;
      case 9: // DW_LNS_fixed_advance_pc
        address += r.u16();
        break;
      default:
        // negate_stmt, basic_block, prologue_end, epilogue_begin (no operands),
        // set_isa and opcodes of later versions: skip their LEB128 operands.
        for (let i = 0; i < (standardLengths[op] ?? 0); i++) r.uleb();
    }
  }
  // Rows after the last end_sequence belong to no sequence: a truncated program.
  rows.address.length = rows.file.length = rows.line.length = rows.column.length = seqFirst;
  program.sequences.sort((a, b) => a.start - b.start);
  return program;
}

interface Entry {
  path?: string;
  dir: number;
}

/** A DWARF 5 directory or file table: its entry format, then the entries. */
function readEntries(r: DwarfReader, sections: DwarfSections, offsetSize: 4 | 8, unit: LineUnit): Entry[] {
  const format: Array<[number, number]> = [];
  const n = r.u8();
  for (let i = 0; i < n; i++) format.push([r.uleb(), r.uleb()]);
  const count = r.uleb();
  const out: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const e: Entry = { dir: 0 };
    for (const [type, form] of format) {
      const value = readLineForm(r, sections, form, offsetSize, unit);
      if (type === DW_LNCT_path && typeof value === 'string') e.path = value;
      else if (type === DW_LNCT_directory_index && typeof value === 'number') e.dir = value;
    }
    out.push(e);
  }
  return out;
}

/** The forms a version 5 line table header may use (DWARF 5 §6.2.4.1). */
function readLineForm(r: DwarfReader, sections: DwarfSections, form: number, offsetSize: 4 | 8, unit: LineUnit): string | number | undefined {
  switch (form) {
    case 0x08: return r.cstr(); // DW_FORM_string
    case 0x1f: return stringAt(sections.lineStr, '.debug_line_str', r.sized(offsetSize)); // DW_FORM_line_strp
    case 0x0e: return stringAt(sections.str, '.debug_str', r.sized(offsetSize)); // DW_FORM_strp
    case 0x1a: return strx(r.uleb()); // DW_FORM_strx
    case 0x25: return strx(r.u8()); // DW_FORM_strx1
    case 0x26: return strx(r.u16()); // DW_FORM_strx2
    case 0x27: return strx(r.u24()); // DW_FORM_strx3
    case 0x28: return strx(r.u32()); // DW_FORM_strx4
    case 0x0f: return r.uleb(); // DW_FORM_udata
    case 0x0b: return r.u8(); // DW_FORM_data1
    case 0x05: return r.u16(); // DW_FORM_data2
    case 0x06: return r.u32(); // DW_FORM_data4
    case 0x07: return r.u64(); // DW_FORM_data8
    case 0x1e: r.skip(16); return undefined; // DW_FORM_data16 (MD5)
    case 0x09: r.skip(r.uleb()); return undefined; // DW_FORM_block
    default: return r.fail(`unsupported form 0x${form.toString(16)} in a line table header`);
  }
  function strx(index: number): string {
    const table = sections.strOffsets;
    if (!table) return r.fail('DW_FORM_strx in a line table, but there is no .debug_str_offsets section');
    const t = new DwarfReader(table, '.debug_str_offsets', (unit.strOffsetsBase ?? 8) + index * offsetSize);
    return stringAt(sections.str, '.debug_str', t.sized(offsetSize));
  }
}

/** Every line program in .debug_line, for modules whose .debug_info is missing. */
export function readAllLinePrograms(sections: DwarfSections): LineProgram[] {
  const out: LineProgram[] = [];
  const data = sections.line;
  if (!data) return out;
  let offset = 0;
  while (offset < data.length) {
    const program = readLineProgram(sections, offset);
    out.push(program);
    const r = new DwarfReader(data, '.debug_line', offset);
    offset = r.unitLength().end;
  }
  return out;
}

/**
 * The row that covers `address`: the last row at or below it in the sequence that
 * contains it (llvm-symbolizer's choice when several rows share an address).
 */
export function lookupLine(program: LineProgram, address: number): LineLocation | undefined {
  const seqs = program.sequences;
  let lo = 0;
  let hi = seqs.length - 1;
  let found: Sequence | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = seqs[mid]!;
    if (s.start > address) hi = mid - 1;
    else {
      if (address < s.end) found = s;
      lo = mid + 1;
    }
  }
  if (!found) return undefined;
  const addr = program.rows.address;
  let a = found.first;
  let b = found.last - 1;
  while (a < b) {
    const mid = (a + b + 1) >> 1;
    if (addr[mid]! <= address) a = mid;
    else b = mid - 1;
  }
  const f = program.files[program.rows.file[a]!];
  if (f === undefined) return undefined;
  return { name: f.name, full: f.full, line: program.rows.line[a]!, column: program.rows.column[a]! };
}

/** Whether any sequence of the program covers `address`. */
export function coversAddress(program: LineProgram, address: number): boolean {
  return program.sequences.some((s) => s.start <= address && address < s.end);
}
