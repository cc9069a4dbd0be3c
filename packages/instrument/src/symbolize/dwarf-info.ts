// .debug_info (with .debug_abbrev and the string, address and range sections it
// points into): for an address, the function that contains it and every inlined call
// on the way to it, as frames, outermost first.
//
//   DW_TAG_subprogram            leak_rs::leak_boxes          (low_pc/high_pc or ranges)
//     DW_TAG_inlined_subroutine  alloc::boxed::Box::new       call_file leak_rs.rs, call_line 30
//       DW_TAG_inlined_subroutine  alloc::alloc::exchange_malloc  call_file boxed.rs, …
//         …                      the call instruction          .debug_line: alloc.rs:89
//
// Each frame's line is where it calls the next one (DW_AT_call_file/call_line of the
// inlined subroutine below it); the innermost frame's line is the line table's row for
// the address. Names come from DW_AT_linkage_name (demangled) or DW_AT_name, following
// DW_AT_abstract_origin and DW_AT_specification.
//
// Units are read lazily: their headers and root DIEs first, to learn which address
// ranges each covers, and the whole DIE tree of a unit only when a looked-up address
// falls inside it. Version 2 to 5 unit headers, 32- and 64-bit DWARF, every DW_FORM.

import { DwarfReader, stringAt, type DwarfSections } from './dwarf-reader.js';
import { readLineProgram, lookupLine, type LineFile, type LineProgram } from './dwarf-line.js';

export interface DwarfFrame {
  /** The file (see LineFile); undefined when DWARF names none. */
  file?: LineFile;
  line: number;
  column: number;
  function?: string;
}

type Range = readonly [start: number, end: number];

interface Abbrev {
  tag: number;
  children: boolean;
  /** attribute, form, implicit constant (DW_FORM_implicit_const) */
  attrs: Array<[number, number, number]>;
  /** The same, flat (at0, form0, implicit0, at1, …): the DIE walk's hot loop reads these. */
  flat: Int32Array;
}

export interface Unit {
  offset: number;
  end: number;
  version: number;
  offsetSize: 4 | 8;
  addressSize: number;
  abbrevs: Map<number, Abbrev>;
  /** Offset of the root DIE. */
  root: number;
  name?: string;
  compDir?: string;
  stmtList?: number;
  base: number;
  strOffsetsBase: number;
  addrBase: number;
  rnglistsBase: number;
  ranges: Range[];
  /** Whether the root DIE gave any code range (units without one are searched last). */
  hasRanges: boolean;
  line?: LineProgram | null;
  scopes?: ScopeIndex;
}

interface Scope {
  tag: number;
  ranges: Range[];
  children: Scope[];
  /** Offset of the DIE, for names resolved on demand. */
  die: number;
  callFile: number;
  callLine: number;
  callColumn: number;
}

/** The subprograms of a unit that have code, as address intervals sorted by start. */
interface ScopeIndex {
  starts: number[];
  ends: number[];
  scopes: Scope[];
}

// DW_TAG_*
const TAG_compile_unit = 0x11;
const TAG_partial_unit = 0x3c;
const TAG_skeleton_unit = 0x4a;
const TAG_subprogram = 0x2e;
const TAG_inlined_subroutine = 0x1d;
const TAG_lexical_block = 0x0b;
// DW_AT_*
const AT_name = 0x03;
const AT_stmt_list = 0x10;
const AT_low_pc = 0x11;
const AT_high_pc = 0x12;
const AT_comp_dir = 0x1b;
const AT_abstract_origin = 0x31;
const AT_specification = 0x47;
const AT_ranges = 0x55;
const AT_call_column = 0x57;
const AT_call_file = 0x58;
const AT_call_line = 0x59;
const AT_linkage_name = 0x6e;
const AT_MIPS_linkage_name = 0x2007;
const AT_str_offsets_base = 0x72;
const AT_addr_base = 0x73;
const AT_rnglists_base = 0x74;
const AT_GNU_addr_base = 0x2133;
const AT_GNU_ranges_base = 0x2132;

// DW_FORM_* that need interpretation beyond "a number".
const FORM_addr = 0x01;
const FORM_string = 0x08;
const FORM_strp = 0x0e;
const FORM_ref_addr = 0x10;
const FORM_ref1 = 0x11;
const FORM_ref2 = 0x12;
const FORM_ref4 = 0x13;
const FORM_ref8 = 0x14;
const FORM_ref_udata = 0x15;
const FORM_indirect = 0x16;
const FORM_strx = 0x1a;
const FORM_addrx = 0x1b;
const FORM_line_strp = 0x1f;
const FORM_implicit_const = 0x21;
const FORM_rnglistx = 0x23;
const FORM_strx1 = 0x25;
const FORM_strx4 = 0x28;
const FORM_addrx1 = 0x29;
const FORM_addrx4 = 0x2c;
const FORM_GNU_addr_index = 0x1f01;
const FORM_GNU_str_index = 0x1f02;

/** Tombstones and empty ranges: discarded code that wasm-ld left in the debug info. */
function live(start: number, end: number): boolean {
  return start !== 0 && start < 0xfffffffe && end > start;
}

export class DwarfInfo {
  #units: Unit[] | undefined;
  readonly #abbrevCache = new Map<number, Map<number, Abbrev>>();
  readonly #names = new Map<number, string | undefined>();

  constructor(
    readonly sections: DwarfSections,
    private readonly demangle: (name: string) => string = (n) => n,
  ) {}

  /** Every compilation unit: headers and root DIEs only. */
  get units(): Unit[] {
    return (this.#units ??= this.#readUnits());
  }

  /** The frames for `address`, outermost first; undefined when no unit covers it. */
  frames(address: number): DwarfFrame[] | undefined {
    const covering = this.units.filter((u) => u.hasRanges && u.ranges.some(([s, e]) => s <= address && address < e));
    // A unit without ranges may still hold the address: try those only as a last resort.
    const candidates = covering.length ? covering : this.units.filter((u) => !u.hasRanges);
    for (const unit of candidates) {
      const frames = this.#framesIn(unit, address);
      if (frames.length) return frames;
    }
    return undefined;
  }

  #framesIn(unit: Unit, address: number): DwarfFrame[] {
    const line = this.#line(unit);
    const row = line ? lookupLine(line, address) : undefined;
    const chain = this.#chain(unit, address);
    if (chain.length === 0) return row ? [{ file: row, line: row.line, column: row.column }] : [];
    const fileOf = (index: number) => (line ? line.files[index] : undefined);
    const frames: DwarfFrame[] = [];
    for (let i = 0; i < chain.length; i++) {
      const fn = this.#scopeName(chain[i]!.die);
      const next = chain[i + 1];
      if (next) frames.push({ file: fileOf(next.callFile), line: next.callLine, column: next.callColumn, function: fn });
      else frames.push({ file: row, line: row?.line ?? 0, column: row?.column ?? 0, function: fn });
    }
    return frames;
  }

  #line(unit: Unit): LineProgram | null {
    if (unit.line !== undefined) return unit.line;
    unit.line = null;
    if (unit.stmtList !== undefined && this.sections.line) {
      unit.line = readLineProgram(this.sections, unit.stmtList, {
        compDir: unit.compDir,
        compName: unit.name,
        addressSize: unit.addressSize,
        strOffsetsBase: unit.strOffsetsBase,
      });
    }
    return unit.line;
  }

  /** The subprogram containing the address, then each inlined subroutine inside it. */
  #chain(unit: Unit, address: number): Scope[] {
    const index = (unit.scopes ??= this.#readScopes(unit));
    // Last interval starting at or before the address; intervals rarely overlap, so
    // look back a few in case a longer one started earlier.
    let lo = 0;
    let hi = index.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (index.starts[mid]! <= address) lo = mid + 1;
      else hi = mid - 1;
    }
    let top: Scope | undefined;
    for (let i = hi; i >= 0 && i > hi - 8; i--) {
      if (address < index.ends[i]!) {
        top = index.scopes[i];
        break;
      }
    }
    if (!top) return [];
    const chain = [top];
    let scope: Scope | undefined = top;
    while (scope) {
      scope = descend(scope.children, address, chain);
    }
    return chain;
  }

  #readUnits(): Unit[] {
    const info = this.sections.info;
    const units: Unit[] = [];
    if (!info) return units;
    const r = new DwarfReader(info, '.debug_info');
    while (r.pos < info.length) {
      const offset = r.pos;
      const { end, offsetSize } = r.unitLength();
      const version = r.u16();
      if (version < 2 || version > 5) r.fail(`unsupported unit version ${version}`, offset);
      let unitType = 1;
      let addressSize: number;
      let abbrevOffset: number;
      if (version >= 5) {
        unitType = r.u8();
        addressSize = r.u8();
        abbrevOffset = r.sized(offsetSize);
        if (unitType === 4 || unitType === 5) r.skip(8); // skeleton / split: DWO id
        else if (unitType === 2 || unitType === 6) r.skip(8 + offsetSize); // type units
      } else {
        abbrevOffset = r.sized(offsetSize);
        addressSize = r.u8();
      }
      const unit: Unit = {
        offset,
        end,
        version,
        offsetSize,
        addressSize,
        abbrevs: this.#abbrevs(abbrevOffset),
        root: r.pos,
        base: 0,
        strOffsetsBase: 8,
        addrBase: 8,
        rnglistsBase: 0,
        ranges: [],
        hasRanges: false,
      };
      if (unitType !== 2 && unitType !== 6) this.#readRoot(unit);
      units.push(unit);
      r.pos = end;
    }
    return units;
  }

  #readRoot(unit: Unit): void {
    const r = new DwarfReader(this.sections.info!, '.debug_info', unit.root, unit.end);
    const code = r.uleb();
    const abbrev = unit.abbrevs.get(code) ?? r.fail(`unknown abbreviation code ${code}`);
    if (abbrev.tag !== TAG_compile_unit && abbrev.tag !== TAG_partial_unit && abbrev.tag !== TAG_skeleton_unit) return;
    // Bases (str_offsets, addr, rnglists) may follow the attributes that need them.
    const raw = new Map<number, [number, number | string | undefined]>();
    for (const [at, form0, implicit] of abbrev.attrs) {
      const form = form0 === FORM_indirect ? r.uleb() : form0;
      raw.set(at, [form, readForm(r, unit, form, implicit)]);
    }
    const num = (at: number) => {
      const v = raw.get(at)?.[1];
      return typeof v === 'number' ? v : undefined;
    };
    unit.strOffsetsBase = num(AT_str_offsets_base) ?? 8;
    unit.addrBase = num(AT_addr_base) ?? num(AT_GNU_addr_base) ?? 8;
    unit.rnglistsBase = num(AT_rnglists_base) ?? num(AT_GNU_ranges_base) ?? (unit.version >= 5 ? (unit.offsetSize === 8 ? 20 : 12) : 0);
    const str = (at: number) => {
      const v = raw.get(at);
      return v ? this.#string(unit, v[0], v[1]) : undefined;
    };
    unit.name = str(AT_name);
    unit.compDir = str(AT_comp_dir);
    unit.stmtList = num(AT_stmt_list);
    const low = raw.get(AT_low_pc);
    if (low) unit.base = this.#address(unit, low[0], low[1]);
    const ranges: Range[] = [];
    const high = raw.get(AT_high_pc);
    if (low && high) {
      const end = isAddressForm(high[0]) ? this.#address(unit, high[0], high[1]) : unit.base + (high[1] as number);
      ranges.push([unit.base, end]);
    }
    const rs = raw.get(AT_ranges);
    if (rs) ranges.push(...this.#ranges(unit, rs[0], rs[1] as number));
    unit.hasRanges = !!(low && high) || !!rs;
    unit.ranges = ranges.filter(([s, e]) => live(s, e));
  }

  #readScopes(unit: Unit): ScopeIndex {
    const r = new DwarfReader(this.sections.info!, '.debug_info', unit.root, unit.end);
    const tops: Scope[] = [];
    // The nearest enclosing scope of each open DIE (undefined outside any function).
    const stack: Array<Scope | undefined> = [];
    let current: Scope | undefined;
    while (r.pos < unit.end) {
      const die = r.pos;
      const code = r.uleb();
      if (code === 0) {
        current = stack.pop();
        continue;
      }
      const abbrev = unit.abbrevs.get(code) ?? r.fail(`unknown abbreviation code ${code}`, die);
      const tag = abbrev.tag;
      const isScope = tag === TAG_subprogram || tag === TAG_inlined_subroutine || tag === TAG_lexical_block;
      if (!isScope) {
        const flat = abbrev.flat;
        for (let i = 0; i < flat.length; i += 3) {
          const form = flat[i + 1] === FORM_indirect ? r.uleb() : flat[i + 1]!;
          skipForm(r, unit, form, flat[i + 2]!);
        }
        if (abbrev.children) stack.push(current);
        continue;
      }
      const scope: Scope = { tag, ranges: [], children: [], die, callFile: 0, callLine: 0, callColumn: 0 };
      let low: [number, number | string | undefined] | undefined;
      let high: [number, number | string | undefined] | undefined;
      let ranges: [number, number] | undefined;
      for (const [at, form0, implicit] of abbrev.attrs) {
        const form = form0 === FORM_indirect ? r.uleb() : form0;
        switch (at) {
          case AT_low_pc: low = [form, readForm(r, unit, form, implicit)]; break;
          case AT_high_pc: high = [form, readForm(r, unit, form, implicit)]; break;
          case AT_ranges: ranges = [form, readForm(r, unit, form, implicit) as number]; break;
          case AT_call_file: scope.callFile = readForm(r, unit, form, implicit) as number; break;
          case AT_call_line: scope.callLine = readForm(r, unit, form, implicit) as number; break;
          case AT_call_column: scope.callColumn = readForm(r, unit, form, implicit) as number; break;
          default: skipForm(r, unit, form, implicit);
        }
      }
      if (low && high) {
        const start = this.#address(unit, low[0], low[1]);
        const end = isAddressForm(high[0]) ? this.#address(unit, high[0], high[1]) : start + (high[1] as number);
        if (live(start, end)) scope.ranges.push([start, end]);
      }
      if (ranges) scope.ranges.push(...this.#ranges(unit, ranges[0], ranges[1]).filter(([s, e]) => live(s, e)));
      if (tag === TAG_subprogram) {
        // Declarations (in classes, namespaces) have no code: not a scope of their own.
        if (scope.ranges.length) tops.push(scope);
        else if (abbrev.children) {
          stack.push(current);
          current = undefined;
          continue;
        }
      } else if (current) {
        current.children.push(scope);
      }
      if (abbrev.children) {
        stack.push(current);
        current = tag === TAG_subprogram && !scope.ranges.length ? undefined : scope;
      }
    }
    const intervals: Array<[number, number, Scope]> = [];
    for (const s of tops) for (const [a, b] of s.ranges) intervals.push([a, b, s]);
    intervals.sort((x, y) => x[0] - y[0]);
    return { starts: intervals.map((i) => i[0]), ends: intervals.map((i) => i[1]), scopes: intervals.map((i) => i[2]) };
  }

  /** A function's name: linkage name demangled, else DW_AT_name, through origins. */
  #scopeName(die: number): string | undefined {
    if (this.#names.has(die)) return this.#names.get(die);
    this.#names.set(die, undefined); // a cycle of origins ends here
    const unit = this.#unitAt(die);
    let result: string | undefined;
    if (unit) {
      const r = new DwarfReader(this.sections.info!, '.debug_info', die, unit.end);
      const abbrev = unit.abbrevs.get(r.uleb());
      if (abbrev) {
        let name: string | undefined;
        let linkage: string | undefined;
        let origin: number | undefined;
        for (const [at, form0, implicit] of abbrev.attrs) {
          const form = form0 === FORM_indirect ? r.uleb() : form0;
          if (at === AT_name) name = this.#string(unit, form, readForm(r, unit, form, implicit));
          else if (at === AT_linkage_name || at === AT_MIPS_linkage_name) linkage = this.#string(unit, form, readForm(r, unit, form, implicit));
          else if (at === AT_abstract_origin || (at === AT_specification && origin === undefined)) origin = reference(unit, form, readForm(r, unit, form, implicit) as number);
          else skipForm(r, unit, form, implicit);
        }
        if (linkage) result = this.demangle(linkage);
        else if (origin !== undefined) result = this.#scopeName(origin) ?? name;
        else result = name;
      }
    }
    this.#names.set(die, result);
    return result;
  }

  #unitAt(offset: number): Unit | undefined {
    const units = this.units;
    let lo = 0;
    let hi = units.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const u = units[mid]!;
      if (offset < u.offset) hi = mid - 1;
      else if (offset >= u.end) lo = mid + 1;
      else return u;
    }
    return undefined;
  }

  #abbrevs(offset: number): Map<number, Abbrev> {
    let table = this.#abbrevCache.get(offset);
    if (table) return table;
    table = new Map();
    const data = this.sections.abbrev;
    if (!data) throw new Error('.debug_abbrev: the section is missing but .debug_info needs it');
    const r = new DwarfReader(data, '.debug_abbrev', offset);
    for (;;) {
      const code = r.uleb();
      if (code === 0) break;
      const tag = r.uleb();
      const children = r.u8() !== 0;
      const attrs: Array<[number, number, number]> = [];
      for (;;) {
        const at = r.uleb();
        const form = r.uleb();
        if (at === 0 && form === 0) break;
        attrs.push([at, form, form === FORM_implicit_const ? r.sleb() : 0]);
      }
      table.set(code, { tag, children, attrs, flat: Int32Array.from(attrs.flat()) });
    }
    this.#abbrevCache.set(offset, table);
    return table;
  }

  #string(unit: Unit, form: number, value: number | string | undefined): string | undefined {
    if (typeof value === 'string') return value;
    if (value === undefined) return undefined;
    switch (form) {
      case FORM_strp: return stringAt(this.sections.str, '.debug_str', value);
      case FORM_line_strp: return stringAt(this.sections.lineStr, '.debug_line_str', value);
      case 0x1d: return undefined; // DW_FORM_strp_sup: in a supplementary file we do not have
      default:
        if (form === FORM_strx || (form >= FORM_strx1 && form <= FORM_strx4) || form === FORM_GNU_str_index) {
          const table = this.sections.strOffsets;
          if (!table) return undefined;
          const r = new DwarfReader(table, '.debug_str_offsets', unit.strOffsetsBase + value * unit.offsetSize);
          return stringAt(this.sections.str, '.debug_str', r.sized(unit.offsetSize));
        }
        return undefined;
    }
  }

  #address(unit: Unit, form: number, value: number | string | undefined): number {
    if (typeof value !== 'number') return 0;
    if (form === FORM_addrx || (form >= FORM_addrx1 && form <= FORM_addrx4) || form === FORM_GNU_addr_index) {
      const table = this.sections.addr;
      if (!table) return 0;
      return new DwarfReader(table, '.debug_addr', unit.addrBase + value * unit.addressSize).sized(unit.addressSize);
    }
    return value;
  }

  /** DW_AT_ranges: a .debug_ranges list (DWARF 2-4) or a .debug_rnglists list (DWARF 5). */
  #ranges(unit: Unit, form: number, value: number): Range[] {
    const out: Range[] = [];
    if (unit.version < 5) {
      const data = this.sections.ranges;
      if (!data) return out;
      const r = new DwarfReader(data, '.debug_ranges', value);
      const max = unit.addressSize === 8 ? 2 ** 64 - 1 : 0xffffffff;
      let base = unit.base;
      for (;;) {
        const start = r.sized(unit.addressSize);
        const end = r.sized(unit.addressSize);
        if (start === 0 && end === 0) break;
        if (start === max) base = end;
        else out.push([base + start, base + end]);
      }
      return out;
    }
    const data = this.sections.rnglists;
    if (!data) return out;
    let offset = value;
    if (form === FORM_rnglistx) {
      const t = new DwarfReader(data, '.debug_rnglists', unit.rnglistsBase + value * unit.offsetSize);
      offset = unit.rnglistsBase + t.sized(unit.offsetSize);
    }
    const r = new DwarfReader(data, '.debug_rnglists', offset);
    const addrx = (i: number) => this.#address(unit, FORM_addrx, i);
    let base = unit.base;
    for (;;) {
      const kind = r.u8();
      switch (kind) {
        case 0: return out; // DW_RLE_end_of_list
        case 1: base = addrx(r.uleb()); break; // DW_RLE_base_addressx
        case 2: { const s = addrx(r.uleb()); out.push([s, addrx(r.uleb())]); break; } // DW_RLE_startx_endx
        case 3: { const s = addrx(r.uleb()); out.push([s, s + r.uleb()]); break; } // DW_RLE_startx_length
        case 4: { const s = base + r.uleb(); out.push([s, base + r.uleb()]); break; } // DW_RLE_offset_pair
        case 5: base = r.sized(unit.addressSize); break; // DW_RLE_base_address
        case 6: { const s = r.sized(unit.addressSize); out.push([s, r.sized(unit.addressSize)]); break; } // DW_RLE_start_end
        case 7: { const s = r.sized(unit.addressSize); out.push([s, s + r.uleb()]); break; } // DW_RLE_start_length
        default: r.fail(`unknown range list entry kind ${kind}`, r.pos - 1);
      }
    }
  }
}

/** The child scope containing the address; lexical blocks are looked through, not frames. */
function descend(children: Scope[], address: number, chain: Scope[]): Scope | undefined {
  for (const child of children) {
    const contains = child.ranges.some(([s, e]) => s <= address && address < e);
    if (child.tag === TAG_lexical_block) {
      if (!contains && child.ranges.length) continue;
      const inner = descend(child.children, address, chain);
      if (inner) return inner;
      continue;
    }
    if (contains) {
      chain.push(child);
      return child;
    }
  }
  return undefined;
}

function isAddressForm(form: number): boolean {
  return form === FORM_addr || form === FORM_addrx || (form >= FORM_addrx1 && form <= FORM_addrx4) || form === FORM_GNU_addr_index;
}

function reference(unit: Unit, form: number, value: number): number {
  if (form === FORM_ref_addr) return value;
  if (form === FORM_ref1 || form === FORM_ref2 || form === FORM_ref4 || form === FORM_ref8 || form === FORM_ref_udata) return unit.offset + value;
  return -1;
}

/**
 * The value of an attribute: a number for constants, addresses, references,
 * offsets and string indices (interpreted by the caller, which knows the form); a
 * string for DW_FORM_string; undefined for blocks and expressions.
 */
function readForm(r: DwarfReader, unit: Unit, form: number, implicit: number): number | string | undefined {
  switch (form) {
    case 0x01: return r.sized(unit.addressSize); // addr
    case 0x03: r.skip(r.u16()); return undefined; // block2
    case 0x04: r.skip(r.u32()); return undefined; // block4
    case 0x05: return r.u16(); // data2
    case 0x06: return r.u32(); // data4
    case 0x07: return r.u64(); // data8
    case 0x08: return r.cstr(); // string
    case 0x09: r.skip(r.uleb()); return undefined; // block
    case 0x0a: r.skip(r.u8()); return undefined; // block1
    case 0x0b: return r.u8(); // data1
    case 0x0c: return r.u8(); // flag
    case 0x0d: return r.sleb(); // sdata
    case 0x0e: return r.sized(unit.offsetSize); // strp
    case 0x0f: return r.uleb(); // udata
    case 0x10: return r.sized(unit.version <= 2 ? unit.addressSize : unit.offsetSize); // ref_addr
    case 0x11: return r.u8(); // ref1
    case 0x12: return r.u16(); // ref2
    case 0x13: return r.u32(); // ref4
    case 0x14: return r.u64(); // ref8
    case 0x15: return r.uleb(); // ref_udata
    case 0x16: { const f = r.uleb(); return readForm(r, unit, f, implicit); } // indirect
    case 0x17: return r.sized(unit.offsetSize); // sec_offset
    case 0x18: r.skip(r.uleb()); return undefined; // exprloc
    case 0x19: return 1; // flag_present
    case 0x1a: return r.uleb(); // strx
    case 0x1b: return r.uleb(); // addrx
    case 0x1c: return r.u32(); // ref_sup4
    case 0x1d: return r.sized(unit.offsetSize); // strp_sup
    case 0x1e: r.skip(16); return undefined; // data16
    case 0x1f: return r.sized(unit.offsetSize); // line_strp
    case 0x20: return r.u64(); // ref_sig8
    case 0x21: return implicit; // implicit_const
    case 0x22: return r.uleb(); // loclistx
    case 0x23: return r.uleb(); // rnglistx
    case 0x24: return r.u64(); // ref_sup8
    case 0x25: return r.u8(); // strx1
    case 0x26: return r.u16(); // strx2
    case 0x27: return r.u24(); // strx3
    case 0x28: return r.u32(); // strx4
    case 0x29: return r.u8(); // addrx1
    case 0x2a: return r.u16(); // addrx2
    case 0x2b: return r.u24(); // addrx3
    case 0x2c: return r.u32(); // addrx4
    case 0x1f01: return r.uleb(); // GNU_addr_index
    case 0x1f02: return r.uleb(); // GNU_str_index
    case 0x1f20: return r.sized(unit.offsetSize); // GNU_ref_alt
    case 0x1f21: return r.sized(unit.offsetSize); // GNU_strp_alt
    default: return r.fail(`unknown attribute form 0x${form.toString(16)}`);
  }
}

/** Skips an attribute value without building it (the walk's common case). */
function skipForm(r: DwarfReader, unit: Unit, form: number, implicit: number): void {
  switch (form) {
    case 0x0b: case 0x0c: case 0x11: case 0x25: case 0x29: r.pos += 1; return;
    case 0x05: case 0x12: case 0x26: case 0x2a: r.pos += 2; return;
    case 0x27: case 0x2b: r.pos += 3; return;
    case 0x06: case 0x13: case 0x1c: case 0x28: case 0x2c: r.pos += 4; return;
    case 0x07: case 0x14: case 0x20: case 0x24: r.pos += 8; return;
    case 0x0e: case 0x17: case 0x1d: case 0x1f: case 0x1f20: case 0x1f21: r.pos += unit.offsetSize; return;
    case 0x19: case 0x21: return;
    case 0x08: {
      const nul = r.bytes.indexOf(0, r.pos);
      if (nul < 0 || nul >= r.end) r.fail('unterminated string');
      r.pos = nul + 1;
      return;
    }
    case 0x0d: case 0x0f: case 0x15: case 0x1a: case 0x1b: case 0x22: case 0x23: case 0x1f01: case 0x1f02:
      while (r.u8() & 0x80);
      return;
    default:
      readForm(r, unit, form, implicit);
  }
}
