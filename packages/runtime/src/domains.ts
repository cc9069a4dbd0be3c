// Domains: one per instantiated traced module, as tracemalloc's domains are separate
// address spaces. Each knows its module's name and site table, and turns a site id
// into the frames that a traceback shows: the site's source frames when it was
// symbolized (outermost first, inlined calls included), else one frame naming the
// function and the call's offset.

import type { SiteRecord, SiteTable } from './site-table.js';
import type { FrameData } from './model/index.js';

export interface Domain {
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

export class DomainRegistry {
  private readonly byId = new Map<number, Domain>();
  private readonly instances = new Map<string, number>();
  private next = 1;

  register(moduleName: string, sites: SiteTable): Domain {
    const n = (this.instances.get(moduleName) ?? 0) + 1;
    this.instances.set(moduleName, n);
    const domain: Domain = { id: this.next++, name: n === 1 ? moduleName : `${moduleName}#${n}`, sites };
    this.byId.set(domain.id, domain);
    return domain;
  }

  get(id: number): Domain | undefined {
    return this.byId.get(id);
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
    const d = this.byId.get(domainId);
    if (!d) return [{ filename: '<unknown>', lineno: 0 }];
    return siteFrames(d.name, d.sites.sites[siteId], siteId);
  }
}
