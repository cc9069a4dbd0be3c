// Domains: one per instantiated traced module, as tracemalloc's domains are separate
// address spaces. Each knows its module's name and site table, and turns a site id
// into the frames that a traceback shows: the site's source frames when it was
// symbolized (outermost first, inlined calls included), else one frame naming the
// function and the call's offset.
//
// A frame holds its domain in DOMAIN_BITS bits (core/abi.ts), so ids are finite:
// the id of an instance that is gone is reused once no live trace refers to it
// (recycling), and an instance that finds none free runs untraced, with a warning.

import type { SiteRecord, SiteTable } from './site-table.js';
import type { FrameData } from './model/index.js';
import { MAX_DOMAIN_ID } from './core/abi.js';
import { TraceTable } from './core/trace-table.js';

/** The name of a module that arrives compiled, with no name (a Module posted to a worker). */
export const UNNAMED_MODULE = 'module.wasm';

export interface Domain {
  /** 0 when the instance runs untraced (no id was free). */
  id: number;
  /** Module name as shown in frames, e.g. `leak.wasm` (`leak.wasm#2` for a second instance). */
  name: string;
  sites: SiteTable;
}

/** The frame for one site of a module without line information. */
export function siteFrame(moduleName: string, site: SiteRecord | undefined, siteId: number): FrameData {
  if (!site) return { filename: moduleName, lineno: 0, function: `<unknown site ${siteId}>`, offset: 0 };
  switch (site.kind) {
    case 'call':
      return { filename: moduleName, lineno: 0, function: site.name ?? `wasm-function[${site.func}]`, offset: site.offset };
    case 'host':
      return { filename: moduleName, lineno: 0, function: `${site.allocator} (called from JS)`, offset: site.offset };
    case 'indirect':
      return { filename: moduleName, lineno: 0, function: `${site.allocator} (indirect call)`, offset: site.offset };
  }
}

/**
 * The frames of one site, outermost first. A symbolized site gives one frame per source
 * frame (`leak.c:61`, with its source line when known); a frame with no line keeps the
 * call's offset so that it stays distinct per site (`leak.wasm:leak_rs::leak_boxes+0x716`).
 */
export function siteFrames(moduleName: string, site: SiteRecord | undefined, siteId: number): FrameData[] {
  if (!site?.frames?.length) return [siteFrame(moduleName, site, siteId)];
  return site.frames.map((f) => {
    const frame: FrameData = { filename: f.file || moduleName, lineno: f.line };
    if (f.function !== undefined) frame.function = f.function;
    if (f.line === 0) frame.offset = site.offset;
    if (f.source !== undefined) frame.source = f.source;
    return frame;
  });
}

export interface DomainRegistryOptions {
  /** The largest id (default MAX_DOMAIN_ID, what a frame can hold). */
  maxId?: number;
  /** The domains live traces refer to (default: those of every trace table core). */
  referenced?: () => Set<number>;
  warn?: (message: string) => void;
  /** Milliseconds, for the pause between scans of the live traces. */
  now?: () => number;
}

/** Which registry gave out a domain, so that linking can report when it is gone. */
const registryOf = new WeakMap<Domain, DomainRegistry>();
/**
 * Owner → the lifelines of the domains it keeps alive. A WeakMap keeps its value alive
 * as long as its key, so a lifeline is collected only when all its owners are.
 */
const lifelines = new WeakMap<object, object[]>();

/**
 * Reports `domain`'s id as reusable once every one of `owners` (the instance, its
 * exports object, its exported functions, tables and memories) has been collected:
 * then no code of the instance can run, so no new trace can name the id.
 */
export function releaseWhenCollected(domain: Domain, owners: Iterable<unknown>): void {
  const registry = registryOf.get(domain);
  if (!registry || domain.id === 0) return;
  const lifeline = {};
  for (const owner of owners) {
    if ((typeof owner !== 'object' && typeof owner !== 'function') || owner === null) continue;
    const list = lifelines.get(owner);
    if (list) list.push(lifeline);
    else lifelines.set(owner, [lifeline]);
  }
  registry.watch(lifeline, domain.id);
}

/** The instance of `domain` was never made (its instantiation failed): its id is free again. */
export function releaseNow(domain: Domain): void {
  registryOf.get(domain)?.retire(domain.id);
}

export class DomainRegistry {
  private readonly byId = new Map<number, Domain>();
  private readonly instances = new Map<string, number>();
  private next = 1;
  /** Ids whose instance is gone; reused once no live trace refers to them. */
  private readonly retired = new Set<number>();
  private readonly reusable: number[] = [];
  /** When reclaim() last found nothing, and whether an id retired since. */
  private lastFruitlessScan = -Infinity;
  private retiredSinceScan = false;
  private warned = false;
  private readonly maxId: number;
  private readonly referenced: () => Set<number>;
  private readonly warn: (message: string) => void;
  private readonly now: () => number;
  private readonly collected = new FinalizationRegistry<number>((id) => this.retire(id));
  /** With threads (threads.ts): new ids come from the process's registry, and domains of other threads are looked up there. */
  private idSource?: () => number | undefined;
  private resolver?: (id: number) => Domain | undefined;

  constructor(options: DomainRegistryOptions = {}) {
    this.maxId = options.maxId ?? MAX_DOMAIN_ID;
    this.referenced = options.referenced ?? (() => TraceTable.domainsReferencedByAny());
    this.warn = options.warn ?? ((message) => console.warn(message));
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * A new domain for one instance. While ids last every instance gets a new one; then
   * ids of gone instances are reused. With none free, the domain's id is 0: the
   * instance must run untraced (link.ts), and the first such instance warns.
   */
  register(moduleName: string, sites: SiteTable): Domain {
    const n = (this.instances.get(moduleName) ?? 0) + 1;
    this.instances.set(moduleName, n);
    const name = n === 1 ? moduleName : `${moduleName}#${n}`;
    const fresh = this.idSource ? this.idSource() : this.next <= this.maxId ? this.next++ : undefined;
    const id = fresh ?? this.reusable.pop() ?? this.reclaim();
    if (id === undefined) {
      this.refuse(name);
      return { id: 0, name, sites };
    }
    const domain: Domain = { id, name, sites };
    this.byId.set(id, domain);
    registryOf.set(domain, this);
    return domain;
  }

  /** The next id this registry would give out by itself (threads.ts starts the process's count there). */
  get nextFreshId(): number {
    return this.next;
  }

  /**
   * Threads: fresh ids come from `source` (shared by every thread), and an id this
   * registry does not know is looked up with `resolve` (a domain another thread made).
   */
  shareIds(source: () => number | undefined, resolve: (id: number) => Domain | undefined): void {
    this.idSource = source;
    this.resolver = resolve;
  }

  /** A domain whose id was given out elsewhere (a module on shared memory, the same on every thread). */
  adopt(domain: Domain): Domain {
    this.byId.set(domain.id, domain);
    return domain;
  }

  /** `id` becomes reusable when `lifeline` is collected. */
  watch(lifeline: object, id: number): void {
    this.collected.register(lifeline, id);
  }

  /** The instance of `id` is gone: its id may be reused once no live trace names it. */
  retire(id: number): void {
    if (!this.byId.has(id)) return;
    this.retired.add(id);
    this.retiredSinceScan = true;
  }

  /**
   * Ids of gone instances that no live trace refers to become reusable. The scan
   * reads every live trace, so after one that found nothing it runs again only once
   * an id has retired since, or a second has passed (blocks may have been freed).
   */
  private reclaim(): number | undefined {
    if (this.retired.size === 0) return undefined;
    if (!this.retiredSinceScan && this.now() - this.lastFruitlessScan < 1000) return undefined;
    this.retiredSinceScan = false;
    const used = this.referenced();
    for (const id of this.retired) {
      if (used.has(id)) continue;
      this.retired.delete(id);
      this.byId.delete(id);
      this.reusable.push(id);
    }
    if (this.reusable.length === 0) this.lastFruitlessScan = this.now();
    return this.reusable.pop();
  }

  /** A domain for an instance that must run untraced: no id was left (warns once). */
  refused(moduleName: string, sites: SiteTable): Domain {
    this.refuse(moduleName);
    return { id: 0, name: moduleName, sites };
  }

  private refuse(name: string): void {
    if (this.warned) return;
    this.warned = true;
    this.warn(
      `wasm-tracemalloc: ${name} runs untraced, and so will later instances until ids free up: ` +
        `${this.maxId} instances of traced modules are alive or still have live traced blocks, the most a frame can tell apart. ` +
        `Drop the references to instances you no longer use and free their blocks (or call clearTraces()), so that their ids can be reused.`,
    );
  }

  get(id: number): Domain | undefined {
    const d = this.byId.get(id);
    if (d || !this.resolver) return d;
    const found = this.resolver(id);
    if (found) this.byId.set(id, found);
    return found;
  }

  all(): Domain[] {
    return [...this.byId.values()];
  }

  /** The most recent frame of a site (where the call instruction is). */
  frame(domainId: number, siteId: number): FrameData {
    return this.frames(domainId, siteId).at(-1)!;
  }

  /** All frames of a site, outermost first (see siteFrames). */
  frames(domainId: number, siteId: number): FrameData[] {
    const d = this.get(domainId);
    if (!d) return [{ filename: '<unknown>', lineno: 0 }];
    return siteFrames(d.name, d.sites.sites[siteId], siteId);
  }
}
