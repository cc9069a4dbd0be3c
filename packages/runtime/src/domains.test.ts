import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DomainRegistry, releaseWhenCollected, siteFrames } from './domains.js';
import type { SiteRecord, SiteTable } from './site-table.js';

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

describe('domain ids: reuse and the limit', () => {
  const table: SiteTable = { version: 1, codeSectionOffset: 0, sites: [call] };

  function registry(referenced: Set<number>) {
    const warnings: string[] = [];
    const clock = { ms: 0, scans: 0 };
    const r = new DomainRegistry({
      maxId: 3,
      referenced: () => {
        clock.scans++;
        return referenced;
      },
      warn: (m) => warnings.push(m),
      now: () => clock.ms,
    });
    return { r, warnings, clock };
  }

  it('gives ids 1 … maxId, then id 0 (untraced) with one warning that says what to do', () => {
    const { r, warnings } = registry(new Set());
    expect(['a.wasm', 'a.wasm', 'b.wasm'].map((n) => r.register(n, table).id)).toEqual([1, 2, 3]);
    const refused = r.register('a.wasm', table);
    expect([refused.id, refused.name]).toEqual([0, 'a.wasm#3']);
    expect(r.register('c.wasm', table).id).toBe(0);
    expect(warnings).toEqual([
      'wasm-tracemalloc: a.wasm#3 runs untraced, and so will later instances until ids free up: 3 instances of traced modules are alive or still have live traced blocks, the most a frame can tell apart. Drop the references to instances you no longer use and free their blocks (or call clearTraces()), so that their ids can be reused.',
    ]);
    expect(r.all().map((d) => d.id)).toEqual([1, 2, 3]);
  });

  it('reuses the id of a gone instance only once no live trace refers to it', () => {
    const referenced = new Set([2]);
    const { r, clock } = registry(referenced);
    for (const n of ['a.wasm', 'b.wasm', 'c.wasm']) r.register(n, table);
    expect(r.register('d.wasm', table).id).toBe(0);
    expect(clock.scans).toBe(0); // nothing retired: nothing to scan for
    r.retire(2);
    expect(r.register('d.wasm', table).id).toBe(0); // a live trace still names b.wasm's id
    expect(r.get(2)!.name).toBe('b.wasm'); // and its frames keep b.wasm's name
    referenced.clear();
    clock.ms = 999;
    expect(r.register('d.wasm', table).id).toBe(0); // a fruitless scan waits a second
    expect(clock.scans).toBe(1);
    clock.ms = 1000;
    const d = r.register('d.wasm', table);
    expect(clock.scans).toBe(2);
    expect([d.id, d.name]).toEqual([2, 'd.wasm#4']);
    expect(r.get(2)!.name).toBe('d.wasm#4');
    expect(r.frame(2, 0).filename).toBe('d.wasm#4');
    expect(r.register('e.wasm', table).id).toBe(0);
  });

  it('retires an id when all the objects that own the instance have been collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const { r } = registry(new Set());
    const ids = ['a.wasm', 'b.wasm', 'c.wasm'].map((n) => r.register(n, table));
    let owners: object[] | undefined = [{}, () => 1];
    const kept = {};
    releaseWhenCollected(ids[0]!, owners);
    releaseWhenCollected(ids[1]!, [kept, {}]);
    owners = undefined;
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    expect(r.register('d.wasm', table).id).toBe(1);
    expect(r.register('e.wasm', table).id).toBe(0); // b.wasm is still owned by `kept`
    expect(kept).toBeDefined();
  });
});
