/*
 * holder.c: the smallest traced module, to keep thousands of instances alive at once.
 * No libc and an imported memory (every instance shares the same two pages), so an instance
 * costs no memory reservation of its own. hold(n) allocates from a bump allocator.
 */
static unsigned long top = 1024;

__attribute__((export_name("malloc"), noinline)) void *malloc(unsigned long size) {
  void *p = (void *)top;
  top += (size + 7) & ~7ul;
  return p;
}

__attribute__((export_name("free"))) void free(void *p) { (void)p; }

__attribute__((export_name("hold"), noinline)) void *hold(int size) {
  return malloc(size); /* held */
}
