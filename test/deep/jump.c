/*
 * jump.c: longjmp out of a deep chain that allocates, then allocations from a fresh
 * chain. Built with clang-19 -mllvm -wasm-enable-sjlj (and wasm_sjlj_runtime.c) as a
 * WASI command.
 *   main -> parse -> descend x4 -> token_new -> malloc(24)   each level, then
 *           descend(0) longjmps back to parse's setjmp; then
 *   main -> parse -> recover -> token_new -> malloc(24)      after the longjmp
 *   main -> summary -> token_new -> malloc(24)               after parse returned
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Debian's wasi-libc has no <setjmp.h>; the buffer of wasi-libc's Wasm SjLj. */
typedef struct {
  void *func_invocation_id;
  uint32_t label;
  struct {
    void *env;
    int val;
  } arg;
} jmp_buf[1];
int setjmp(jmp_buf env) __attribute__((returns_twice));
_Noreturn void longjmp(jmp_buf env, int val);

struct token {
  struct token *next;
  int depth;
  char text[16];
};

static jmp_buf on_error;
static struct token *tokens;

__attribute__((noinline)) struct token *token_new(int depth) {
  struct token *t = malloc(sizeof *t);
  t->depth = depth;
  t->next = tokens;
  tokens = t;
  return t;
}

__attribute__((noinline)) void descend(int depth) {
  token_new(depth);
  if (depth == 0) longjmp(on_error, 42);
  descend(depth - 1);
  tokens->depth += depth; /* not a tail call */
}

__attribute__((noinline)) void recover(int code) {
  token_new(-code);
}

__attribute__((noinline)) int parse(int depth) {
  int code = setjmp(on_error);
  if (code == 0) {
    descend(depth);
    return 0;
  }
  recover(code);
  return code;
}

__attribute__((noinline)) int summary(void) {
  int n = 0;
  for (struct token *t = token_new(100); t; t = t->next) n++;
  return n;
}

int main(void) {
  int code = parse(3);
  int n = summary();
  printf("parse returned %d, %d tokens\n", code, n);
  return code == 42 ? n : 1;
}
