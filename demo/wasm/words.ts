// words.ts: the word statistics of the wasm-tracemalloc demo, in AssemblyScript.
//
// countWords() splits a text into lower-cased words and counts them in a Map: every
// word is a new string, and the Map's buckets and entries grow as it fills. All of
// it is garbage once the function returns; the page calls __collect() afterwards,
// and the incremental GC frees it through ~lib/rt/tlsf/__free, which is traced too.
//
// Built with -O3 --debug --exportRuntime: --debug keeps the name section (so the
// allocator functions are found by name) and --exportRuntime exports __collect.

function isLetter(c: i32): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c == 0x27 || c >= 0xc0;
}

/** Distinct words in `text`; the most frequent one is left in `topWord()`. */
let top: string = '';
let topCount: i32 = 0;

export function countWords(text: string): i32 {
  const counts = new Map<string, i32>();
  let start = -1;
  top = '';
  topCount = 0;
  for (let i = 0; i <= text.length; i++) {
    const letter = i < text.length && isLetter(text.charCodeAt(i));
    if (letter && start < 0) start = i;
    if (!letter && start >= 0) {
      const word = text.substring(start, i).toLowerCase();
      const n = (counts.has(word) ? counts.get(word) : 0) + 1;
      counts.set(word, n);
      if (n > topCount) {
        topCount = n;
        top = word;
      }
      start = -1;
    }
  }
  return counts.size;
}

export function topWord(): string {
  return top;
}

export function topWordCount(): i32 {
  return topCount;
}
