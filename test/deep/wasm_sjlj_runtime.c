/*
 * wasm_sjlj_runtime.c: the setjmp/longjmp runtime of clang's Wasm SjLj lowering
 * (-mllvm -wasm-enable-sjlj), which Debian's wasi-libc lacks (it has no setjmp.h and
 * no libsetjmp). The same three functions as wasi-libc's
 * libc-top-half/musl/src/setjmp/wasm32/rt.c; the lowering itself (setjmp and longjmp
 * calls become these calls plus try / catch __c_longjmp / delegate / rethrow) is
 * clang-19's, unchanged. Compiled on its own: in the same unit as a setjmp call, the
 * lowering would clone these functions.
 */
#include <stdint.h>

struct jmp_buf_impl {
  void *func_invocation_id;
  uint32_t label;
  struct arg {
    void *env;
    int val;
  } arg;
};

void __wasm_setjmp(void *env, uint32_t label, void *func_invocation_id) {
  struct jmp_buf_impl *jb = env;
  if (label == 0 || func_invocation_id == 0) __builtin_trap();
  jb->func_invocation_id = func_invocation_id;
  jb->label = label;
}

uint32_t __wasm_setjmp_test(void *env, void *func_invocation_id) {
  struct jmp_buf_impl *jb = env;
  return jb->func_invocation_id == func_invocation_id ? jb->label : 0;
}

void __wasm_longjmp(void *env, int val) {
  struct jmp_buf_impl *jb = env;
  jb->arg.env = env;
  jb->arg.val = val == 0 ? 1 : val;
  __builtin_wasm_throw(1, &jb->arg); /* tag 1: __c_longjmp */
}
