/*
 * trap.c: a reactor that traps 21 frames down, for tracebacks after a trap.
 *   alloc_shallow(size) -> malloc(size)                                  one frame deep
 *   trap_deep(depth)    -> level(depth) -> ... -> level(0) -> malloc(64), then traps
 *                          (`unreachable`) in level(0): every level is still on the
 *                          shadow stack. The allocator's own call is never pushed, so a
 *                          trap inside malloc leaves the shadow stack exactly as this does.
 *   call_host(size)     -> deeper(size) -> host_call(size) (JS), which may call back
 *                          into an export (re-entry) and catch a trap there.
 */
#include <stdlib.h>

static void *volatile keep;
static volatile int sink;

__attribute__((import_module("env"), import_name("host_call"))) void host_call(int size);

/*
 * No local lives in memory: a trap leaves LLVM's own stack pointer (__stack_pointer)
 * where it was, and 100,000 traps would run it out of its 64 KiB.
 */
__attribute__((noinline)) int level(int depth) {
  if (depth == 0) {
    keep = malloc(64);
    __builtin_trap();
  }
  int r = level(depth - 1);
  sink = depth; /* not a tail call: a store follows it */
  return r + 1;
}

__attribute__((export_name("trap_deep"))) int trap_deep(int depth) { return level(depth); }

__attribute__((export_name("alloc_shallow"))) int alloc_shallow(int size) {
  keep = malloc(size); /* shallow */
  return keep != 0;
}

__attribute__((noinline)) void deeper(int size) {
  keep = malloc(size); /* before host_call */
  host_call(size);
  keep = malloc(size); /* after host_call */
}

__attribute__((export_name("call_host"))) int call_host(int size) {
  deeper(size); /* from call_host */
  return 1;
}

/* Reached from JS only through the exported table (function pointer). */
static int by_pointer(int size) { return level(size); }
__attribute__((used)) int (*volatile pointer)(int) = by_pointer;
__attribute__((export_name("pointer_index"))) int pointer_index(void) { return (int)(long)pointer; }
