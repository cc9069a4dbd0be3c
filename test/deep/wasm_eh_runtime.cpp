// wasm_eh_runtime.cpp: the C++ exception runtime that Debian's wasm32 libc++abi lacks
// (it is built with -fno-exceptions: no __cxa_throw, no personality, no libunwind).
//
// Only the *runtime* is ours. Every throw, catch, cleanup and rethrow in the fixtures is
// the Wasm exception-handling code clang-19 -fwasm-exceptions emits (try / catch
// __cpp_exception / catch_all / rethrow / delegate), which is what the instrumentation
// must get right. The pieces follow libc++abi and libunwind's Unwind-wasm.c:
//   - __cxa_throw throws tag 0 (__cpp_exception) with the exception's header address;
//   - a catch pad stores its landing-pad index and LSDA in __wasm_lpad_context and calls
//     _Unwind_CallPersonality, which walks the LSDA's call-site and action tables and
//     sets the selector to the type-table index of the handler that matches;
//   - __cxa_begin_catch / __cxa_end_catch keep a stack of caught exceptions and
//     destroy and free each one when its handler ends.
// Simplifications, enough for the fixtures: a handler matches the exact thrown type
// (or catch (...)); no exception specifications, no __cxa_rethrow, single thread.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <typeinfo>

namespace {
struct Header {
  const std::type_info *type;
  void (*destroy)(void *);
  Header *nextCaught;
  int handlers;
};
static_assert(sizeof(Header) == 16, "the thrown object stays 16-byte aligned");
Header *caught;

uintptr_t uleb(const uint8_t **p) {
  uintptr_t r = 0;
  unsigned shift = 0;
  uint8_t b;
  do {
    b = *(*p)++;
    r |= uintptr_t(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  return r;
}

intptr_t sleb(const uint8_t **p) {
  uintptr_t r = 0;
  unsigned shift = 0;
  uint8_t b;
  do {
    b = *(*p)++;
    r |= uintptr_t(b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  if (shift < 8 * sizeof r && (b & 0x40)) r |= ~uintptr_t(0) << shift;
  return intptr_t(r);
}
}  // namespace

extern "C" {
struct _Unwind_LandingPadContext {
  uintptr_t lpad_index;  // set by the catch pad
  uintptr_t lsda;        // set by the catch pad
  uintptr_t selector;    // set here: the matching handler's type index, 0 for none
};
_Unwind_LandingPadContext __wasm_lpad_context;

void *__cxa_allocate_exception(size_t size) {
  Header *h = static_cast<Header *>(calloc(1, sizeof(Header) + size));
  if (!h) abort();
  return h + 1;
}

void __cxa_free_exception(void *object) { free(static_cast<Header *>(object) - 1); }

[[noreturn]] void __cxa_throw(void *object, std::type_info *type, void (*destroy)(void *)) {
  Header *h = static_cast<Header *>(object) - 1;
  h->type = type;
  h->destroy = destroy;
  __builtin_wasm_throw(0, h);  // tag 0: __cpp_exception
}

int _Unwind_CallPersonality(void *exception) {
  const Header *h = static_cast<const Header *>(exception);
  __wasm_lpad_context.selector = 0;
  const uint8_t *p = reinterpret_cast<const uint8_t *>(__wasm_lpad_context.lsda);
  if (*p++ != 0xff) abort();  // landing-pad base: always omitted on Wasm
  const uint8_t typeEncoding = *p++;
  const uint8_t *types = nullptr;
  if (typeEncoding != 0xff) {
    uintptr_t offset = uleb(&p);
    types = p + offset;
  }
  p++;  // call-site encoding: Wasm's call-site table is indexed by landing pad
  const uintptr_t length = uleb(&p);
  const uint8_t *site = p;
  const uint8_t *actions = p + length;
  for (uintptr_t index = 0; site < actions; index++) {
    uleb(&site);  // landing pad (unused)
    const uintptr_t action = uleb(&site);
    if (index != __wasm_lpad_context.lpad_index) continue;
    if (action == 0) return 8;  // cleanup only: _URC_CONTINUE_UNWIND
    const uint8_t *a = actions + action - 1;
    for (;;) {
      const intptr_t typeIndex = sleb(&a);
      if (typeIndex > 0) {
        if ((typeEncoding & 0x0f) != 0x00 && (typeEncoding & 0x0f) != 0x03) abort();  // absptr / udata4
        const std::type_info *catchType;
        memcpy(&catchType, types - typeIndex * 4, 4);
        if (!catchType || catchType == h->type) {
          __wasm_lpad_context.selector = typeIndex;
          return 6;  // _URC_HANDLER_FOUND
        }
      }
      const uint8_t *next = a;
      const intptr_t offset = sleb(&next);
      if (offset == 0) return 8;
      a += offset;
    }
  }
  abort();
}

void *__cxa_begin_catch(void *exception) {
  Header *h = static_cast<Header *>(exception);
  if (h->handlers++ == 0) {
    h->nextCaught = caught;
    caught = h;
  }
  return h + 1;
}

void __cxa_end_catch() {
  Header *h = caught;
  if (--h->handlers) return;
  caught = h->nextCaught;
  if (h->destroy) h->destroy(h + 1);
  free(h);
}
}
