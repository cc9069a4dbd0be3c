// A release build's aligned allocations: aligned_alloc and posix_memalign reach
// dlmalloc's internal_memalign, which mallocs a padded request and hands out an
// aligned pointer inside it. Built stripped (no names), with malloc and free
// exported, by test/stripped-memalign.test.ts.
#include <stdlib.h>
#include <stdio.h>
static void *kept[300];
int main(void) {
  int n = 0;
  for (int i = 0; i < 100; i++) kept[n++] = aligned_alloc(64, 192);        /* SITE aligned_alloc */
  for (int i = 0; i < 100; i++) {
    void *p = 0;
    if (posix_memalign(&p, 4096, 1000) != 0) return 1;                        /* SITE posix_memalign */
    if (i % 2) free(p); else kept[n++] = p;
  }
  for (int i = 0; i < 100; i++) { void *p = malloc(24); free(p); }
  printf("kept %d\n", n);
  return 0;
}
