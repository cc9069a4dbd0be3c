/*
 * release.c: a library built the way a release ships, to check the frames of a module
 * without a name section or DWARF (stripped.test.ts strips them). Built as a reactor:
 * _initialize, then the exports. They keep their names in any build; make_node is
 * named only by debug info.
 *
 * add_nodes(10)   10 x 48 B  (make_node's malloc)
 * add_record()     1 x 24 B  (add_record's malloc)
 * add_indirect()   1 x 32 B  (make_node's malloc, entered through a function pointer)
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
#define EXPORT(name) __attribute__((export_name(name)))

static void *kept[16];
static int count;

NOINLINE static void *make_node(unsigned size) {
  return malloc(size); /* SITE make_node */
}

EXPORT("add_nodes") NOINLINE void add_nodes(int n) {
  for (int i = 0; i < n; i++) kept[count++] = make_node(48);
}

EXPORT("add_record") NOINLINE void add_record(void) {
  kept[count++] = malloc(24); /* SITE add_record */
}

/* volatile: the call stays indirect at -O2. */
static void *(*volatile make)(unsigned) = make_node;

EXPORT("add_indirect") void add_indirect(void) {
  kept[count++] = make(32);
}
