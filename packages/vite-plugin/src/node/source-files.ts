/**
 * The files the instrument pass may read for a module's frames: the source lines it
 * embeds in the site table, source maps, a debug `.wasm`. What a module's debug info
 * names is the module author's choice, not the app's: a DWARF line table may name
 * `.env`, and whatever is read here is served inside the module to every page.
 *
 * So a read obeys Vite's own rules for what the dev server may send:
 *   - `server.fs.deny` (`.env`, `.env.*`, `*.{crt,pem}`, `**\/.git/**` by default),
 *     always, even with `server.fs.strict: false`: a secret inside a module is less
 *     visible than one at its own URL;
 *   - `server.fs.allow` (the workspace root by default) when `server.fs.strict` is on;
 *   - both for the path named and for its real path: a symlink never leads out.
 * A file refused is skipped (its frames keep file and line, without the text), with
 * one warning naming it and the rule.
 */

import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import picomatch from 'picomatch';
import { isFileLoadingAllowed, type ResolvedConfig } from 'vite';

export interface SourceFiles {
  /**
   * The bytes of `path` (absolute, or relative to the root), or undefined when it is not
   * a readable file or the rules refuse it. `module` names the module whose debug info
   * asks, for the warning.
   */
  read(path: string, module: string): Buffer | undefined;
  /** The rules `read` follows, as text: part of the instrument cache's key, so that a module instrumented under other rules is not reused. */
  readonly rules: string;
}

/** Files under `root` only (the plugin's rule before it followed Vite's; kept for callers without a Vite config). */
export function filesUnder(root: string | undefined): SourceFiles {
  return {
    rules: JSON.stringify(['under', root ?? null]),
    read(path) {
      if (!root) return undefined;
      const full = resolve(root, path);
      const rel = relative(root, full);
      if (!rel || rel.startsWith('..') || isAbsolute(rel)) return undefined;
      return readFile(full);
    },
  };
}

/** Files as Vite's dev server would send them (see the header); `warn` is told once per refused file. */
export function filesViteServes(config: ResolvedConfig, warn: (message: string) => void): SourceFiles {
  const { root } = config;
  const { deny, allow, strict } = config.server.fs;
  // As Vite matches them (resolveConfig's fsDenyGlob): a pattern without a slash matches a name anywhere.
  const denied = deny.map((pattern) => ({ pattern, matches: picomatch(pattern.includes('/') ? pattern : `**/${pattern}`, { matchBase: false, nocase: true, dot: true }) }));
  const warned = new Set<string>();

  /** Why Vite's rules refuse `file` (absolute, slash-separated), or undefined when they allow it. */
  const refusal = (file: string): string | undefined => {
    const deniedBy = denied.find((d) => d.matches(file));
    if (deniedBy) return `it matches server.fs.deny pattern ${JSON.stringify(deniedBy.pattern)}`;
    if (strict && !isFileLoadingAllowed(config, file)) return `it is outside server.fs.allow (${allow.join(', ')})`;
    return undefined;
  };

  return {
    rules: JSON.stringify(['vite-fs', root, strict, allow, deny]),
    read(path, module) {
      const full = resolve(root, path);
      let real: string;
      try {
        if (!statSync(full).isFile()) return undefined;
        real = realpathSync(full);
      } catch {
        return undefined; // debug info names many files that are not on this machine
      }
      let why = refusal(slash(full));
      if (!why && real !== full) {
        const rule = refusal(slash(real));
        if (rule) why = `it is a symlink to ${real}, and ${rule}`;
      }
      if (why) {
        if (!warned.has(full)) {
          warned.add(full);
          const name = relative(root, full);
          warn(`${module}: its debug info names ${name.startsWith('..') ? full : name}, which is not read for source lines: ${why}`);
        }
        return undefined;
      }
      return readFile(real);
    },
  };
}

function readFile(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function slash(path: string): string {
  return path.replace(/\\/g, '/');
}
