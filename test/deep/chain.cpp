// chain.cpp: known call chains through a class template, and C++ exceptions that
// unwind shadow-stacked frames. Built with clang-19 -fwasm-exceptions (plus
// wasm_eh_runtime.cpp, the runtime Debian's libc++abi lacks) as a WASI command.
//   main -> build_tree -> Pool<Node>::make -> operator new(64)       TREE_SIZE times
//   main -> parse_all -> descend x4 -> Pool<Node>::make -> new       each level, then
//           descend(0) throws ParseError; the unique_ptr<char[]> of every level is freed
//           by the cleanup pads; parse_all catches it, then
//   main -> parse_all -> record_error -> Pool<Node>::make -> new     after the catch
//   main -> parse_all(-1): descend throws an int, which parse_all's handler does not
//           take (it rethrows); main's catch (...) gets it, then
//   main -> exhaust -> operator new(SIZE_MAX - 64): malloc fails, the new_handler
//           throws OutOfMemory out of operator new (through the allocator wrapper),
//           exhaust catches it; then
//   main -> after_catch -> Pool<Node>::make -> new
#include <cstdint>
#include <cstdio>
#include <memory>
#include <new>
#include <vector>

#define TREE_SIZE 50

struct Node {
  explicit Node(int k) : key(k) {}
  int key;
  char payload[60];
};

template <typename T>
class Pool {
 public:
  __attribute__((noinline)) T *make(int key) {
    T *object = new T(key);
    items_.push_back(object);
    return object;
  }
  size_t size() const { return items_.size(); }

 private:
  std::vector<T *> items_;
};

struct ParseError {
  int depth;
};

static Pool<Node> tree;
static Pool<Node> scratch;
static Pool<Node> errors;
static char *volatile last_buffer;  // keeps each level's buffer (and so its cleanup pad) real

__attribute__((noinline)) void build_tree(int count) {
  for (int i = 0; i < count; i++) tree.make(i);
}

__attribute__((noinline)) void descend(int depth, int kind) {
  std::unique_ptr<char[]> buffer(new char[32]);
  last_buffer = buffer.get();
  scratch.make(depth);
  if (depth == 0) {
    if (kind < 0) throw kind;
    throw ParseError{kind};
  }
  descend(depth - 1, kind);
  last_buffer = buffer.get();
}

__attribute__((noinline)) void record_error(const ParseError &e) {
  errors.make(e.depth);
}

__attribute__((noinline)) int parse_all(int kind) {
  try {
    descend(3, kind);
  } catch (const ParseError &e) {
    record_error(e);
    return 1;
  }
  return 0;
}

struct OutOfMemory {};

static void throw_out_of_memory() { throw OutOfMemory{}; }

static void *volatile huge;

__attribute__((noinline)) int exhaust() {
  std::set_new_handler(throw_out_of_memory);
  try {
    huge = ::operator new(SIZE_MAX - 64);
  } catch (const OutOfMemory &) {
    std::set_new_handler(nullptr);
    return 100;
  }
  return 0;
}

__attribute__((noinline)) void after_catch() {
  errors.make(-1);
}

int main() {
  build_tree(TREE_SIZE);
  int status = parse_all(7);
  try {
    parse_all(-1);
  } catch (...) {
    status += 10;
  }
  status += exhaust();
  after_catch();
  std::printf("tree %zu, scratch %zu, errors %zu\n", tree.size(), scratch.size(), errors.size());
  return status;
}
