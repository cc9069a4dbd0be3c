// Source paths as debug info spells them: POSIX or Windows, absolute or relative to a
// compilation directory. Pure string work (no node:path): the symbolizer runs anywhere.

export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || p.startsWith('\\\\') || /^[A-Za-z]:[\\/]/.test(p);
}

/** Removes `.` segments, empty segments and `dir/..` pairs; keeps leading `..`. */
export function normalizePath(p: string): string {
  // The common case, already normal: no `.` or `..` segments, no doubled or back slashes.
  if (!/\/\.{1,2}(\/|$)|^\.{1,2}(\/|$)|\/\/|\\|\/$/.test(p) && p !== '') return p;
  const sep = p.includes('\\') && !p.includes('/') ? '\\' : '/';
  const absolute = p.startsWith(sep);
  const out: string[] = [];
  for (const part of p.split(/[\\/]/)) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') {
      out.pop();
      continue;
    }
    if (part === '..' && absolute) continue;
    out.push(part);
  }
  const joined = out.join(sep);
  return absolute ? sep + joined : joined || '.';
}

/** `name` resolved against `dir` (unless it is absolute already). */
export function joinPath(dir: string | undefined, name: string): string {
  if (!dir || isAbsolutePath(name)) return normalizePath(name);
  return normalizePath(`${dir}/${name}`);
}
