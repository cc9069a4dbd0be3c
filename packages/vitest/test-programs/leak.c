// leak.c: a C module (WASI reactor) for the limit tests. leak() keeps its blocks,
// like a cache that never evicts; release() frees them all.
#include <stdlib.h>
#include <string.h>

#define MAX_KEPT 100000

static char *kept[MAX_KEPT];
static int nkept;

__attribute__((export_name("leak")))
void leak(int n, int size) {
  for (int i = 0; i < n && nkept < MAX_KEPT; i++) {
    char *block = malloc(size); // SITE leak
    memset(block, i | 1, size);
    kept[nkept++] = block;
  }
}

__attribute__((export_name("release")))
void release(void) {
  while (nkept > 0) free(kept[--nkept]);
}
