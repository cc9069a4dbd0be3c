/*
 * deep.c: known call chains for deep tracebacks.
 *   run_index(n)   -> build_index -> node_new -> malloc(44)      n times
 *   run_recurse(d) -> recurse(d) -> ... -> recurse(0) -> malloc(8)   d+1 recursive frames
 *   run_pointer(n) -> node_new through a function pointer (call_indirect) -> malloc(44)
 *   run_throw(n)   -> through_js -> node_new -> malloc(44), then may_throw(n) (JS), which
 *                     throws when n != 0: the exception unwinds through Wasm frames.
 */
#include <stdlib.h>

struct node {
  struct node *next;
  char payload[40];
};

static struct node *keep;
static void *volatile leaf;

__attribute__((import_module("env"), import_name("may_throw"))) void may_throw(int n);

__attribute__((noinline)) struct node *node_new(struct node *next) {
  struct node *n = malloc(sizeof *n);
  n->next = next;
  return n;
}

__attribute__((noinline)) struct node *build_index(int n) {
  struct node *head = keep;
  for (int i = 0; i < n; i++) head = node_new(head);
  return head;
}

__attribute__((noinline)) int recurse(int depth) {
  volatile char frame[8];
  frame[0] = (char)depth;
  if (depth == 0) {
    leaf = malloc(8);
    return 1;
  }
  int r = recurse(depth - 1); /* not a tail call: frame[0] is read after it */
  return r + frame[0];
}

__attribute__((noinline)) void through_js(int n) {
  keep = node_new(keep);
  may_throw(n);
}

__attribute__((export_name("run_index"))) int run_index(int n) {
  keep = build_index(n);
  return keep != 0;
}

static struct node *(*volatile maker)(struct node *) = node_new;

__attribute__((export_name("run_pointer"))) int run_pointer(int n) {
  for (int i = 0; i < n; i++) keep = maker(keep);
  return keep != 0;
}

__attribute__((export_name("run_recurse"))) int run_recurse(int d) { return recurse(d); }

__attribute__((export_name("run_throw"))) void run_throw(int n) { through_js(n); }
