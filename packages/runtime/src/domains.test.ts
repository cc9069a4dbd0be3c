import { describe, expect, it } from 'vitest';
import { DomainRegistry, siteFrames } from './domains.js';
import type { SiteRecord } from './site-table.js';

const call: SiteRecord = { kind: 'call', allocator: '__rust_alloc', func: 7, name: '_ZN7leak_rs10leak_boxes17hcf43e7f4f0ca77b4E', offset: 0x716 };

describe('frames of a site', () => {
  it('one function + offset frame without symbols', () => {
    expect(siteFrames('leak_rs.wasm', call, 3)).toEqual([{ filename: 'leak_rs.wasm', lineno: 0, function: call.name, offset: 0x716 }]);
    expect(siteFrames('m.wasm', undefined, 9)).toEqual([{ filename: 'm.wasm', lineno: 0, function: '<unknown site 9>', offset: 0 }]);
  });

  it('one frame per source frame, outermost first; lineless frames keep the offset', () => {
    const site: SiteRecord = {
      ...call,
      frames: [
        { file: '/src/leak_rs.rs', line: 30, column: 38, function: 'leak_rs::leak_boxes', source: 'let b = Box::new([0u8; 100]);' },
        { file: '/usr/src/alloc.rs', line: 0, function: 'alloc::alloc::alloc' },
        { file: '', line: 0, function: 'leak_rs::leak_boxes' },
      ],
    };
    expect(siteFrames('leak_rs.wasm', site, 3)).toEqual([
      { filename: '/src/leak_rs.rs', lineno: 30, function: 'leak_rs::leak_boxes', source: 'let b = Box::new([0u8; 100]);' },
      { filename: '/usr/src/alloc.rs', lineno: 0, function: 'alloc::alloc::alloc', offset: 0x716 },
      { filename: 'leak_rs.wasm', lineno: 0, function: 'leak_rs::leak_boxes', offset: 0x716 },
    ]);
  });

  it('the registry gives all frames of a site, and the most recent one', () => {
    const registry = new DomainRegistry();
    const d = registry.register('leak.wasm', { version: 1, codeSectionOffset: 0, sites: [{ ...call, frames: [{ file: 'a.c', line: 1 }, { file: 'b.h', line: 2 }] }] });
    expect(registry.frames(d.id, 0).map((f) => `${f.filename}:${f.lineno}`)).toEqual(['a.c:1', 'b.h:2']);
    expect(registry.frame(d.id, 0)).toEqual({ filename: 'b.h', lineno: 2 });
    expect(registry.frames(99, 0)).toEqual([{ filename: '<unknown>', lineno: 0 }]);
  });
});
