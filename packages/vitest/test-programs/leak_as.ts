// leak_as.ts: an AssemblyScript module (incremental GC) for the limit tests.
// leak() keeps its buffers in `kept`; release() drops them, and the GC frees them at
// its next collection (__collect(), exported with --exportRuntime). `kept` is sized
// when the module starts, so that leak() allocates nothing but the buffers.

const MAX_KEPT = 100_000;
const kept = new StaticArray<ArrayBuffer | null>(MAX_KEPT);
let nkept = 0;

export function leak(n: i32, size: i32): void {
  for (let i = 0; i < n && nkept < MAX_KEPT; i++) {
    kept[nkept++] = new ArrayBuffer(size); // SITE leak
  }
}

export function release(): void {
  while (nkept > 0) kept[--nkept] = null;
}
