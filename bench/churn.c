// Allocator churn: a live set of 100,000 blocks of mixed sizes, and ITERS rounds of
// "free a random block, allocate a new one". This is the worst case for a tracer:
// nothing but malloc and free. A volatile checksum keeps the work from being optimised
// away. (It is not printed: on Node 20.20, node:wasi's fd_write after this much
// memory growth corrupts V8's heap and crashes the uninstrumented program too.)
// The live set is left allocated at exit so the tracer's memory per live block can be
// read in the same run.
#include <stdint.h>
#include <stdlib.h>

#define LIVE 100000
static void *slots[LIVE];
static uint32_t state = 2463534242u;
volatile uint64_t checksum;

static uint32_t next(void) {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

// 60% small (16-79 B), 30% medium (64-511 B), 9% large (512-4095 B), 1% 4-64 KiB.
static size_t pick_size(uint32_t r) {
  uint32_t c = r % 100, v = r >> 8;
  if (c < 60) return 16 + v % 64;
  if (c < 90) return 64 + v % 448;
  if (c < 99) return 512 + v % 3584;
  return 4096 + v % 61440;
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 1000000;
  uint64_t sum = 0;
  for (int i = 0; i < LIVE; i++) slots[i] = malloc(pick_size(next()));
  for (long i = 0; i < iters; i++) {
    uint32_t s = next() % LIVE;
    free(slots[s]);
    char *p = malloc(pick_size(next()));
    p[0] = (char)i;
    slots[s] = p;
    sum += (uintptr_t)p & 0xff;
  }
  checksum = sum;
  return 0;
}
