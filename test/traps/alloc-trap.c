/*
 * alloc-trap.c: a reactor with its own allocator, which traps inside itself the way
 * dlmalloc traps on a corrupt heap or Emscripten's abort() on out-of-memory:
 *   malloc(TRAP_SIZE) and realloc(p, TRAP_SIZE) trap (`unreachable`) while the
 *   allocator wrapper's nesting guard is set.
 * realloc moves a block through a helper that calls malloc, so one allocator can run
 * inside another: the instrument pass keeps the nesting guard (nestingGuard true).
 *   alloc_many(n, size)  -> malloc(size) n times                 the blocks to count
 *   alloc_trap()         -> malloc(TRAP_SIZE): traps in malloc
 *   realloc_trap()       -> realloc(block, TRAP_SIZE): traps in realloc
 *   grow_many(n, size)   -> realloc(malloc(1), size) n times      a realloc that nests
 *   realloc_hooked()     -> realloc(block, HOOK_SIZE), which calls in_realloc (JS)
 *                           before it moves the block: JS runs while realloc waits;
 *                           then realloc takes a spare block of its own (passes through)
 * The allocator is a bump allocator over memory.grow: free keeps nothing.
 */
#include <stddef.h>
#include <string.h>

#define TRAP_SIZE 0x7ead
#define HOOK_SIZE 0x4b1d

__attribute__((import_module("env"), import_name("in_realloc"))) void in_realloc(int size);

static unsigned char *next_free, *end_free;
static void *volatile keep, *volatile spare;

__attribute__((noinline)) static void *bump(size_t size) {
  size_t need = (size + sizeof(size_t) + 15) & ~(size_t)15;
  if (!next_free || (size_t)(end_free - next_free) < need) {
    size_t pages = need / 65536 + 1;
    long old = __builtin_wasm_memory_grow(0, pages);
    if (old < 0) return 0;
    next_free = (unsigned char *)(old * 65536);
    end_free = next_free + pages * 65536;
  }
  unsigned char *block = next_free;
  next_free += need;
  *(size_t *)block = size;
  return block + sizeof(size_t);
}

/* Not inlined: the instrument pass wraps functions, and finds these by name. */
#define ALLOCATOR __attribute__((noinline, used))

ALLOCATOR void *malloc(size_t size) {
  if (size == TRAP_SIZE) __builtin_trap();
  return bump(size);
}

ALLOCATOR void free(void *p) { (void)p; }

ALLOCATOR void *calloc(size_t n, size_t size) {
  void *p = malloc(n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

/* Not inlined, and not an allocator: realloc's body reaches malloc through it. */
__attribute__((noinline)) void *fresh_copy(void *old, size_t size) {
  void *p = malloc(size);
  size_t had = ((size_t *)old)[-1];
  if (p) memcpy(p, old, had < size ? had : size);
  return p;
}

ALLOCATOR void *realloc(void *p, size_t size) {
  if (!p) return malloc(size);
  if (size == TRAP_SIZE) __builtin_trap();
  if (size == HOOK_SIZE) {
    in_realloc((int)size);
    spare = fresh_copy(p, 8); /* the allocator's own block: never traced */
  }
  void *q = fresh_copy(p, size);
  free(p);
  return q;
}

__attribute__((export_name("alloc_many"))) int alloc_many(int n, int size) {
  for (int i = 0; i < n; i++) keep = malloc(size); /* many */
  return n;
}

__attribute__((export_name("alloc_trap"))) int alloc_trap(void) {
  keep = malloc(TRAP_SIZE); /* traps */
  return 0;
}

__attribute__((export_name("realloc_trap"))) int realloc_trap(void) {
  keep = realloc(malloc(8), TRAP_SIZE); /* traps in realloc */
  return 0;
}

__attribute__((export_name("grow_many"))) int grow_many(int n, int size) {
  for (int i = 0; i < n; i++) keep = realloc(malloc(1), size); /* grown */
  return n;
}

__attribute__((export_name("realloc_hooked"))) int realloc_hooked(void) {
  keep = realloc(malloc(8), HOOK_SIZE); /* hooked */
  return keep != 0;
}
