// Threads: what every thread of a program shares, so that its traces are one table.
//
// A program on threads (Emscripten -pthread, wasi-threads) runs one module on one
// shared memory in every thread, and a block allocated on one thread is often freed
// on another. So modules on a shared memory, and every traced module of a worker,
// trace into one threaded core (assembly/trace-table-shared.ts): each thread runs
// its own instance of it on the core's shared memory. The main thread's other modules
// keep the single-threaded core, which takes no lock.
//
// Beside the core, threads share a registry (a SharedArrayBuffer) that gives out
// domain ids and thread numbers for the whole process, and holds the name and site
// table of every domain a worker registered, so that the main thread can name frames
// of modules it never saw. A module on a shared memory is one domain on every thread:
// one address space, whose instances differ only by thread. It is found again by its
// site table (the same module), so two programs that each run the same module on a
// different shared memory would share a domain: a limit we accept for now.
//
// The handle (TracerHandle) is structured-cloneable: Node passes it to every worker
// through worker_threads.setEnvironmentData (the CLI does); a page posts it to its
// workers.

import { MAX_DOMAIN_ID } from './core/abi.js';
import { TraceTable, type SharedCoreHandle } from './core/trace-table.js';
import { decodeSiteTable, encodeSiteSection, type SiteTable } from './site-table.js';

export interface TracerHandle {
  core: SharedCoreHandle;
  registry: SharedArrayBuffer;
}

// The registry: a header of i32 words, a record per domain id, then names and site tables.
const LOCK = 0;
const NEXT_DOMAIN = 1;
const BLOB_END = 2;
const NEXT_THREAD = 3;
const RECORDS = 16; // i32 index of record 0
const RECORD_WORDS = 8; // [flags][key][name offset][name bytes][table offset][table bytes][thread][-]
const PUBLISHED = 1;
const SHARED_MEMORY = 2;
// Names of compiled modules, by site-table key: [key][name offset][name bytes].
const NAME_COUNT = 4;
const NAMES = RECORDS + (MAX_DOMAIN_ID + 1) * RECORD_WORDS;
const MAX_NAMES = 1024;
const BLOB_START = (NAMES + MAX_NAMES * 3) * 4;
/** Bytes for names and site tables; a SharedArrayBuffer's pages are only used once written. */
const REGISTRY_BYTES = 64 * 1024 * 1024;

/**
 * A new tracer for this process: the main thread makes it, every other thread attaches
 * to it. Domain ids start at `firstDomainId` (the main thread may have given out some).
 */
export function newTracerHandle(firstDomainId = 1): TracerHandle {
  const registry = new SharedArrayBuffer(REGISTRY_BYTES);
  const words = new Int32Array(registry);
  words[NEXT_DOMAIN] = firstDomainId;
  words[NEXT_THREAD] = 1;
  words[BLOB_END] = BLOB_START;
  return { core: TraceTable.newSharedHandle(), registry };
}

export function isTracerHandle(value: unknown): value is TracerHandle {
  const h = value as TracerHandle | null;
  return (
    typeof h === 'object' && h !== null && h.registry instanceof SharedArrayBuffer && h.registry.byteLength === REGISTRY_BYTES &&
    typeof h.core === 'object' && h.core !== null && h.core.module instanceof WebAssembly.Module && h.core.memory instanceof WebAssembly.Memory
  );
}

/** The FNV-1a hash of a module's site table, which tells one module from another across threads. */
function siteTableKey(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h | 0;
}

/** A site table as the registry stores it, and its key: encoded once per table (a module instantiated on every thread, or many times). */
const encoded = new WeakMap<SiteTable, { table: Uint8Array; key: number }>();
function encodedSites(sites: SiteTable): { table: Uint8Array; key: number } {
  let e = encoded.get(sites);
  if (e === undefined) {
    const table = encodeSiteSection(sites);
    encoded.set(sites, (e = { table, key: siteTableKey(table) }));
  }
  return e;
}

/** The registry of one process's threads (see the top of this file). */
export class ThreadRegistry {
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  /** Domains decoded from the registry, by id. */
  private readonly decoded = new Map<number, { name: string; sites: SiteTable } | null>();

  constructor(readonly handle: TracerHandle) {
    this.words = new Int32Array(handle.registry);
    this.bytes = new Uint8Array(handle.registry);
  }

  private lock<T>(f: () => T): T {
    // Held for a few microseconds; a spin, as a page's main thread may not wait.
    while (Atomics.compareExchange(this.words, LOCK, 0, 1) !== 0);
    try {
      return f();
    } finally {
      Atomics.store(this.words, LOCK, 0);
    }
  }

  /** A new domain id for the whole process, or undefined when all are taken. */
  allocateDomainId(): number | undefined {
    const id = Atomics.add(this.words, NEXT_DOMAIN, 1);
    if (id > MAX_DOMAIN_ID) {
      Atomics.store(this.words, NEXT_DOMAIN, MAX_DOMAIN_ID + 1);
      return undefined;
    }
    return id;
  }

  /** A new thread number (the main thread is 0). */
  nextThreadNumber(): number {
    return Atomics.add(this.words, NEXT_THREAD, 1);
  }

  /**
   * The domain of a module on a shared memory: the one registered before for the same
   * module (another thread's instance), or a new one. Undefined when no id is left.
   */
  sharedDomain(name: string, sites: SiteTable): { id: number; name: string } | undefined {
    const { table, key } = encodedSites(sites);
    return this.lock(() => {
      const next = Math.min(Atomics.load(this.words, NEXT_DOMAIN), MAX_DOMAIN_ID + 1);
      for (let id = 1; id < next; id++) {
        const r = RECORDS + id * RECORD_WORDS;
        if (this.words[r]! & SHARED_MEMORY && this.words[r + 1] === key) return { id, name: this.nameAt(r) };
      }
      const id = this.allocateDomainId();
      if (id === undefined) return undefined;
      this.write(id, name, table, key, SHARED_MEMORY);
      return { id, name };
    });
  }

  /** Makes domain `id`, registered by this thread, known to the others (the main thread names its frames). */
  publish(id: number, name: string, sites: SiteTable): void {
    const { table, key } = encodedSites(sites);
    this.lock(() => this.write(id, name, table, key, 0));
  }

  /**
   * The name another thread gave the same module (the same site table), without its
   * instance number: a worker that gets a compiled Module knows no name of its own.
   */
  nameOf(sites: SiteTable): string | undefined {
    const { key } = encodedSites(sites);
    return this.lock(() => {
      const names = Math.min(this.words[NAME_COUNT]!, MAX_NAMES);
      for (let i = 0; i < names; i++) {
        const at = NAMES + i * 3;
        if (this.words[at] === key) return new TextDecoder().decode(this.bytes.slice(this.words[at + 1]!, this.words[at + 1]! + this.words[at + 2]!));
      }
      const next = Math.min(Atomics.load(this.words, NEXT_DOMAIN), MAX_DOMAIN_ID + 1);
      for (let id = 1; id < next; id++) {
        const r = RECORDS + id * RECORD_WORDS;
        if (this.words[r]! & PUBLISHED && this.words[r + 1] === key) return this.nameAt(r).replace(/#\d+$/, '');
      }
      return undefined;
    });
  }

  /** The main thread compiled a module named `name`: a worker that gets it compiled takes that name. */
  nameModule(sites: SiteTable, name: string): void {
    const { key } = encodedSites(sites);
    const nameBytes = new TextEncoder().encode(name);
    this.lock(() => {
      const names = this.words[NAME_COUNT]!;
      const end = this.words[BLOB_END]!;
      if (names >= MAX_NAMES || end + nameBytes.length > REGISTRY_BYTES) return;
      for (let i = 0; i < names; i++) if (this.words[NAMES + i * 3] === key) return;
      this.bytes.set(nameBytes, end);
      this.words[NAMES + names * 3] = key;
      this.words[NAMES + names * 3 + 1] = end;
      this.words[NAMES + names * 3 + 2] = nameBytes.length;
      this.words[BLOB_END] = end + nameBytes.length;
      this.words[NAME_COUNT] = names + 1;
    });
  }

  /** The name and site table of domain `id` as another thread registered it, or undefined. */
  domain(id: number): { name: string; sites: SiteTable } | undefined {
    if (!Number.isInteger(id) || id < 1 || id > MAX_DOMAIN_ID) return undefined;
    const known = this.decoded.get(id);
    if (known !== undefined) return known ?? undefined;
    const found = this.lock(() => {
      const r = RECORDS + id * RECORD_WORDS;
      if (!(this.words[r]! & PUBLISHED)) return undefined;
      const name = this.nameAt(r);
      const at = this.words[r + 4]!;
      const length = this.words[r + 5]!;
      return { name, table: length > 0 ? this.bytes.slice(at, at + length) : undefined };
    });
    if (!found) return undefined; // not yet published: ask again later
    let sites: SiteTable = { version: 0, codeSectionOffset: 0, sites: [] };
    try {
      if (found.table) sites = decodeSiteTable(found.table, found.name);
    } catch {
      // A table we wrote ourselves; if it cannot be read, its frames show the module name only.
    }
    const domain = { name: found.name, sites };
    this.decoded.set(id, domain);
    return domain;
  }

  private nameAt(r: number): string {
    const at = this.words[r + 2]!;
    return new TextDecoder().decode(this.bytes.slice(at, at + this.words[r + 3]!));
  }

  /** Under the lock: the record of a published domain whose site table has `key`. */
  private recordWithKey(key: number): number | undefined {
    const next = Math.min(Atomics.load(this.words, NEXT_DOMAIN), MAX_DOMAIN_ID + 1);
    for (let id = 1; id < next; id++) {
      const r = RECORDS + id * RECORD_WORDS;
      if (this.words[r]! & PUBLISHED && this.words[r + 1] === key) return r;
    }
    return undefined;
  }

  /** Under the lock. A table that does not fit is left out: the frames then name the module only. */
  private write(id: number, name: string, table: Uint8Array, key: number, flags: number): void {
    const nameBytes = new TextEncoder().encode(name);
    let end = this.words[BLOB_END]!;
    const r = RECORDS + id * RECORD_WORDS;
    if (end + nameBytes.length > REGISTRY_BYTES) return;
    this.bytes.set(nameBytes, end);
    this.words[r + 2] = end;
    this.words[r + 3] = nameBytes.length;
    end += nameBytes.length;
    const same = this.recordWithKey(key);
    if (same !== undefined && this.words[same + 5]! > 0) {
      // The same module again (another instance, another thread): one copy of its table.
      this.words[r + 4] = this.words[same + 4]!;
      this.words[r + 5] = this.words[same + 5]!;
    } else if (end + table.length <= REGISTRY_BYTES) {
      this.bytes.set(table, end);
      this.words[r + 4] = end;
      this.words[r + 5] = table.length;
      end += table.length;
    }
    this.words[BLOB_END] = end;
    this.words[r + 1] = key;
    Atomics.store(this.words, r, flags | PUBLISHED);
  }
}
