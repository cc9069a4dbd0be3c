/*
 * handoff.c: blocks allocated on one thread and freed or resized on another
 * (issue 18's scenario), for Emscripten -pthread builds.
 *
 * Phases, each started only after the previous one is joined, so every count
 * below is the same in every run (only W and B overlap, on purpose: they share
 * the allocator and its address reuse, not data):
 *   main  allocates MAIN_HANDOFF x 40 B for B to free, and leaks 10 x 32 B;
 *   A     allocates 1,300 x 24 B and fills them;
 *   W, B  start together at a barrier:
 *         W leaks 500 x 64 B;
 *         B checks A's blocks, frees 1,250 of them and main's 250, and reallocs
 *         the other 50 to 256 B, which it keeps.
 * Live at exit (the truth a tracer must report): 50 x 256 + 500 x 64 + 10 x 32
 * = 12,800 + 32,000 + 320 = 45,120 B in 560 blocks.
 *
 * Every allocating or freeing call is on a line of its own tagged with a
 * "site:NAME" comment; test/threads/facts.ts finds the lines from those tags.
 * The calls sit in noinline functions so -O1 -g names them.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

#define A_BLOCKS 1300
#define A_SIZE 24
#define B_FREES 1250
#define B_KEEP (A_BLOCKS - B_FREES)
#define B_REALLOC_SIZE 256
#define W_BLOCKS 500
#define W_SIZE 64
#define MAIN_LEAK_BLOCKS 10
#define MAIN_LEAK_SIZE 32
#define MAIN_HANDOFF 250
#define MAIN_HANDOFF_SIZE 40

/* Globals keep every pointer reachable, so no call is optimized away. */
static unsigned char *from_a[A_BLOCKS];
static unsigned char *from_main[MAIN_HANDOFF];
static unsigned char *kept_by_b[B_KEEP];
static unsigned char *w_leaks[W_BLOCKS];
static unsigned char *main_leaks[MAIN_LEAK_BLOCKS];
static pthread_barrier_t start_wb;
static int b_verified, b_bad;

static unsigned char tag(int i) { return (unsigned char)(i * 7 + 3); }

NOINLINE static void a_allocate(void) {
  for (int i = 0; i < A_BLOCKS; i++) {
    from_a[i] = malloc(A_SIZE); /* site:a-malloc */
    memset(from_a[i], tag(i), A_SIZE);
  }
}

NOINLINE static void b_free_from_a(int i) {
  free(from_a[i]); /* site:b-free-a */
}

NOINLINE static void b_free_from_main(int i) {
  free(from_main[i]); /* site:b-free-main */
}

NOINLINE static unsigned char *b_resize(unsigned char *p) {
  return realloc(p, B_REALLOC_SIZE); /* site:b-realloc */
}

NOINLINE static void b_work(void) {
  for (int i = 0; i < A_BLOCKS; i++) {
    const unsigned char *p = from_a[i];
    int ok = 1;
    for (int k = 0; k < A_SIZE; k++) ok &= p[k] == tag(i);
    b_verified += ok;
    b_bad += !ok;
  }
  for (int i = 0; i < B_FREES; i++) b_free_from_a(i);
  for (int i = 0; i < MAIN_HANDOFF; i++) b_free_from_main(i);
  for (int i = 0; i < B_KEEP; i++) {
    unsigned char *p = b_resize(from_a[B_FREES + i]);
    /* The first 24 bytes survive the move; the rest is B's. */
    for (int k = 0; k < A_SIZE; k++) b_bad += p[k] != tag(B_FREES + i);
    memset(p + A_SIZE, 0xb0, B_REALLOC_SIZE - A_SIZE);
    kept_by_b[i] = p;
  }
}

NOINLINE static void w_work(void) {
  for (int i = 0; i < W_BLOCKS; i++) {
    w_leaks[i] = malloc(W_SIZE); /* site:w-malloc */
    memset(w_leaks[i], 0x77, W_SIZE);
  }
}

NOINLINE static void main_allocate(void) {
  for (int i = 0; i < MAIN_HANDOFF; i++) {
    from_main[i] = malloc(MAIN_HANDOFF_SIZE); /* site:main-handoff-malloc */
    memset(from_main[i], 0x5a, MAIN_HANDOFF_SIZE);
  }
  for (int i = 0; i < MAIN_LEAK_BLOCKS; i++) {
    main_leaks[i] = malloc(MAIN_LEAK_SIZE); /* site:main-malloc */
    memset(main_leaks[i], 0x33, MAIN_LEAK_SIZE);
  }
}

static void *thread_a(void *arg) { (void)arg; a_allocate(); return NULL; }
static void *thread_b(void *arg) { (void)arg; pthread_barrier_wait(&start_wb); b_work(); return NULL; }
static void *thread_w(void *arg) { (void)arg; pthread_barrier_wait(&start_wb); w_work(); return NULL; }

static void start(pthread_t *t, void *(*fn)(void *), const char *name) {
  if (pthread_create(t, NULL, fn, NULL) != 0) {
    fprintf(stderr, "handoff: cannot start thread %s\n", name);
    exit(2);
  }
}

int main(void) {
  pthread_t a, b, w;
  main_allocate();
  start(&a, thread_a, "A");
  pthread_join(a, NULL);
  pthread_barrier_init(&start_wb, NULL, 2);
  start(&w, thread_w, "W");
  start(&b, thread_b, "B");
  pthread_join(w, NULL);
  pthread_join(b, NULL);
  pthread_barrier_destroy(&start_wb);

  unsigned long leaked = (unsigned long)B_KEEP * B_REALLOC_SIZE + (unsigned long)W_BLOCKS * W_SIZE +
                         (unsigned long)MAIN_LEAK_BLOCKS * MAIN_LEAK_SIZE;
  printf("handoff: A malloc %d x %d B; B verified %d, bad %d, freed %d of A's and %d x %d B of main's, "
         "realloc %d to %d B (kept); W leaked %d x %d B; main leaked %d x %d B; live at exit %lu B in %d blocks\n",
         A_BLOCKS, A_SIZE, b_verified, b_bad, B_FREES, MAIN_HANDOFF, MAIN_HANDOFF_SIZE, B_KEEP, B_REALLOC_SIZE,
         W_BLOCKS, W_SIZE, MAIN_LEAK_BLOCKS, MAIN_LEAK_SIZE, leaked, B_KEEP + W_BLOCKS + MAIN_LEAK_BLOCKS);
  return b_bad != 0;
}
