// Domains: one per instantiated traced module, as tracemalloc's domains are separate
// address spaces. Each knows its module's name and site table, and turns a site id
// into the frame that a traceback shows.

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

  frame(domainId: number, siteId: number): FrameData {
    const d = this.byId.get(domainId);
    if (!d) return { filename: '<unknown>', lineno: 0 };
    return siteFrame(d.name, d.sites.sites[siteId], siteId);
  }
}
