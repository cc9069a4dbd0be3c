// `--alloc [MODULE.wasm:]NAME=KIND`: allocators the user names. They override every
// finder. A rule qualified with a module file name applies to that module only; an
// unqualified one applies wherever the name exists, so that one rule for the app's
// module does not leave every other module in the process (Node's own llhttp, say)
// untraced.

import type { ModuleInfo } from '../binary/module.js';
import { namesOf, presetFor, specsOf } from './by-name.js';
import { alloc, calloc, fits, free, realloc, signatureOf, type AllocatorMatch, type AllocSpec } from './specs.js';

export const USER_KINDS = ['alloc', 'calloc', 'realloc', 'free', 'memalign'] as const;
export type UserKind = (typeof USER_KINDS)[number];

export interface UserRule {
  /** A function name, an export name, or `#N` / a bare number for a function index. */
  target: string;
  /**
   * A generic kind, or the name of a known allocator whose signature the target has:
   * `__wbindgen_export_2=__wbindgen_realloc` for wasm-bindgen's anonymous exports.
   */
  kind: UserKind | string;
  /** The module file name (`sql-wasm.wasm`) the rule is for; every module when absent. */
  module?: string;
}

export function parseUserRule(text: string): UserRule {
  const eq = text.lastIndexOf('=');
  let target = eq > 0 ? text.slice(0, eq) : '';
  const kind = text.slice(eq + 1);
  const qualified = /^([^:]+\.wasm):(.+)$/.exec(target);
  const module = qualified?.[1];
  if (qualified) target = qualified[2]!;
  if (!target || !((USER_KINDS as readonly string[]).includes(kind) || presetFor(kind))) {
    throw new Error(
      `--alloc "${text}": expected [MODULE.wasm:]NAME=KIND with KIND one of ${USER_KINDS.join(', ')}, or the name of a known allocator ` +
        `whose signature NAME has (e.g. --alloc my_malloc=alloc, --alloc 'app.wasm:#42=free', --alloc __wbindgen_export_2=__wbindgen_realloc)`,
    );
  }
  return module ? { target, kind, module } : { target, kind };
}

export function formatUserRule(rule: UserRule): string {
  return `${rule.module ? `${rule.module}:` : ''}${rule.target}=${rule.kind}`;
}

function userSpec(kind: UserKind, params: number): AllocSpec {
  switch (kind) {
    case 'alloc': return alloc(params);
    case 'calloc': return calloc(params);
    case 'realloc': return realloc(params, 0, 1);
    case 'free': return free(params);
    case 'memalign': return alloc(params, 1);
  }
}

/** The file name part of a module's source (a path or URL), which qualified rules name. */
function moduleFileName(source: string): string {
  return source.split(/[\\/?#]/).filter(Boolean).find((p, i, all) => i === all.length - 1 || /\.wasm$/.test(p)) ?? source;
}

/**
 * The functions the rules name in this module. Throws for a rule this module should
 * satisfy but cannot (a qualified rule naming nothing here, a signature that does not
 * fit); returns the unqualified rules that name nothing here in `unmatched`.
 */
export function findByUserRules(info: ModuleInfo, rules: UserRule[], source: string): { found: AllocatorMatch[]; unmatched: UserRule[] } {
  const found: AllocatorMatch[] = [];
  const unmatched: UserRule[] = [];
  const names = namesOf(info);
  const file = moduleFileName(source);
  for (const rule of rules) {
    if (rule.module && rule.module !== file) continue;
    const m = /^#?(\d+)$/.exec(rule.target);
    const matches = m
      ? info.functions.filter((f) => f.index === Number(m[1]))
      : info.functions.filter((f) => names.get(f.index)?.some((n) => n.name === rule.target));
    if (matches.length === 0) {
      if (rule.module) throw new Error(`--alloc ${formatUserRule(rule)}: no function, import or export is named "${rule.target}" (use #N for a function index)`);
      unmatched.push(rule);
      continue;
    }
    for (const f of matches) {
      const params = f.type?.params.length ?? 0;
      const preset = (USER_KINDS as readonly string[]).includes(rule.kind) ? undefined : presetFor(rule.kind);
      const candidates = preset ? specsOf(preset) : [userSpec(rule.kind as UserKind, params)];
      const spec = candidates.find((c) => fits(f, c)) ?? candidates[0]!;
      if (!fits(f, spec)) {
        throw new Error(`--alloc ${formatUserRule(rule)}: function ${f.index} has signature ${signatureOf(f)}, which does not fit a ${rule.kind} of i32 arguments`);
      }
      found.push({ func: f, matchedBy: rule.target, family: preset ? preset.family : 'user', spec, evidence: { finder: 'user', detail: `--alloc ${formatUserRule(rule)}` } });
    }
  }
  return { found, unmatched };
}
