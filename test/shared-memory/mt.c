// A threaded program without libc, as wasi-threads programs are built: one module on
// one shared memory, instantiated by every thread (driver.mjs), with its own locked
// size-class allocator. Built by test/shared-memory.test.ts with clang-19
// (-matomics, wasm-ld --shared-memory). Lines marked `site:` are where the test
// expects the blocks.
typedef unsigned int u32;
typedef unsigned long size_t;
extern unsigned char __heap_base;
static volatile int heap_lock;
static u32 brk_ptr;
#define CLASSES 1024
static u32 free_list[CLASSES]; // per size class (16-byte steps)

static void lock(void) { while (__atomic_exchange_n(&heap_lock, 1, __ATOMIC_ACQUIRE)) {} }
static void unlock(void) { __atomic_store_n(&heap_lock, 0, __ATOMIC_RELEASE); }
static u32 cls(size_t n) { u32 c = (u32)((n + 15) / 16); return c < CLASSES ? c : CLASSES - 1; }

__attribute__((noinline)) void *malloc(size_t n) {
  u32 c = cls(n + 4);
  lock();
  u32 p = free_list[c];
  if (p) free_list[c] = *(u32 *)p;
  else {
    if (!brk_ptr) brk_ptr = ((u32)&__heap_base + 15) & ~15u;
    u32 need = brk_ptr + c * 16 + 16;
    while ((u32)__builtin_wasm_memory_size(0) * 65536u < need) __builtin_wasm_memory_grow(0, 1);
    p = brk_ptr; brk_ptr += c * 16 + 16;
  }
  unlock();
  *(u32 *)p = c;
  return (void *)(p + 16);
}
__attribute__((noinline)) void free(void *q) {
  if (!q) return;
  u32 p = (u32)q - 16;
  u32 c = *(u32 *)p;
  lock();
  *(u32 *)p = free_list[c];
  free_list[c] = p;
  unlock();
}
__attribute__((noinline)) void *realloc(void *q, size_t n) {
  if (!q) return malloc(n);
  void *r = malloc(n);
  u32 c = *(u32 *)((u32)q - 16);
  u32 old = c * 16 - 4;
  for (u32 i = 0; i < old && i < n; i++) ((unsigned char *)r)[i] = ((unsigned char *)q)[i];
  free(q);
  return r;
}
// The scenario: `who` allocates n blocks of size into the shared array `slots`.
__attribute__((export_name("make_blocks"))) void make_blocks(void **slots, u32 n, u32 size) {
  for (u32 i = 0; i < n; i++) slots[i] = malloc(size);  /* site:make */
}
__attribute__((export_name("free_blocks"))) void free_blocks(void **slots, u32 from, u32 to) {
  for (u32 i = from; i < to; i++) { free(slots[i]); slots[i] = 0; }  /* site:free */
}
__attribute__((export_name("grow_blocks"))) void grow_blocks(void **slots, u32 from, u32 to, u32 size) {
  for (u32 i = from; i < to; i++) slots[i] = realloc(slots[i], size);  /* site:grow */
}
__attribute__((export_name("churn"))) void churn(u32 n, u32 size) {
  for (u32 i = 0; i < n; i++) { void *p = malloc(size + (i & 7) * 8); free(p); }  /* site:churn */
}
__attribute__((export_name("slots"))) void **slots(u32 n) { return (void **)malloc(n * sizeof(void *)); }  /* site:slots */
