/*
 * churn-mt.c: allocator churn on several threads at once, the threaded twin of
 * bench/churn.c. Each thread keeps a live set of LIVE blocks of mixed sizes and
 * runs ITERS rounds of "free a random block, allocate a new one", with its own
 * random stream, so every thread does the same amount of work in every run. The
 * threads start together at a barrier: they contend for the allocator's lock the
 * whole time, as a threaded program's hot path does.
 *
 * Usage: churn-mt.js [THREADS [ITERS]] (defaults 2 and 1,000,000; THREADS <= 8,
 * the size of the prebuilt worker pool). Each thread's live set is left allocated
 * at exit (THREADS x LIVE blocks), so a tracer has some live blocks to report.
 *
 * Prints one line per thread, "thread I: ITERS pairs in MS ms", then
 * "total: THREADS threads, PAIRS pairs in MS ms" measured by main from the
 * barrier to the last join.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_THREADS 8
#define LIVE 1000

struct worker {
  int index;
  long iters;
  uint32_t state;
  uint64_t sum;
  double ms;
  void *slots[LIVE];
};

static struct worker workers[MAX_THREADS];
static pthread_barrier_t start_all;
volatile uint64_t checksum;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static uint32_t next(uint32_t *state) {
  uint32_t s = *state;
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  return *state = s;
}

/* bench/churn.c's mix without its 1% of 4-64 KiB blocks: small blocks are the
 * threaded hot path (per-thread buffers, messages, strings). 65% 16-79 B, 30%
 * 64-511 B, 5% 512-4095 B. */
static size_t pick_size(uint32_t r) {
  uint32_t c = r % 100, v = r >> 8;
  if (c < 65) return 16 + v % 64;
  if (c < 95) return 64 + v % 448;
  return 512 + v % 3584;
}

static void *run(void *arg) {
  struct worker *w = arg;
  for (int i = 0; i < LIVE; i++) w->slots[i] = malloc(pick_size(next(&w->state)));
  pthread_barrier_wait(&start_all);
  double t0 = now_ms();
  uint64_t sum = 0;
  for (long i = 0; i < w->iters; i++) {
    uint32_t s = next(&w->state) % LIVE;
    free(w->slots[s]);
    char *p = malloc(pick_size(next(&w->state)));
    p[0] = (char)i;
    w->slots[s] = p;
    sum += (uintptr_t)p & 0xff;
  }
  w->ms = now_ms() - t0;
  w->sum = sum;
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  long iters = argc > 2 ? atol(argv[2]) : 1000000;
  if (threads < 1 || threads > MAX_THREADS || iters < 0) {
    fprintf(stderr, "usage: churn-mt [THREADS (1-%d) [ITERS]]\n", MAX_THREADS);
    return 2;
  }
  pthread_t tids[MAX_THREADS];
  pthread_barrier_init(&start_all, NULL, threads + 1);
  for (int i = 0; i < threads; i++) {
    workers[i].index = i;
    workers[i].iters = iters;
    workers[i].state = 2463534242u + 7919u * (uint32_t)i;
    if (pthread_create(&tids[i], NULL, run, &workers[i]) != 0) {
      fprintf(stderr, "churn-mt: cannot start thread %d\n", i);
      return 2;
    }
  }
  pthread_barrier_wait(&start_all);
  double t0 = now_ms();
  uint64_t sum = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(tids[i], NULL);
    sum += workers[i].sum;
  }
  double total = now_ms() - t0;
  checksum = sum;
  for (int i = 0; i < threads; i++) printf("thread %d: %ld pairs in %.1f ms\n", i, iters, workers[i].ms);
  printf("total: %d threads, %ld pairs in %.1f ms\n", threads, (long)threads * iters, total);
  return 0;
}
