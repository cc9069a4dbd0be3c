import { describe, expect, it } from 'vitest';
import { isAbsolutePath, joinPath, normalizePath } from './paths.js';

describe('paths', () => {
  it('normalizes what compilers write, keeping leading ..', () => {
    expect(normalizePath('./build/./libc-bottom-half/crt/crt1-command.c')).toBe('build/libc-bottom-half/crt/crt1-command.c');
    expect(normalizePath('/src/lib/src/../include/tree_sitter//api.h')).toBe('/src/lib/include/tree_sitter/api.h');
    expect(normalizePath('../lib/alloc.c')).toBe('../lib/alloc.c');
    expect(normalizePath('/work/main/test/fixtures/src/leak.c')).toBe('/work/main/test/fixtures/src/leak.c');
    expect(normalizePath('C:\\src\\.\\a.c')).toBe('C:\\src\\a.c');
  });

  it('joins a relative name to its directory; an absolute one stands alone', () => {
    expect(joinPath('/src', 'lib/src/alloc.c')).toBe('/src/lib/src/alloc.c');
    expect(joinPath('/src', '/usr/include/stdlib.h')).toBe('/usr/include/stdlib.h');
    expect(joinPath(undefined, 'a.c')).toBe('a.c');
    expect(isAbsolutePath('C:/x.c') && isAbsolutePath('\\\\server\\x.c') && !isAbsolutePath('x/y.c')).toBe(true);
  });
});
