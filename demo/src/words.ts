// The AssemblyScript word statistics (wasm/words.ts): compiled from a
// `new URL(…, import.meta.url)` asset, instantiated through asc's raw bindings.
import { instantiate } from './generated/words.js';

export interface Words {
  /** Distinct words, the most frequent one and its count; the garbage is collected after. */
  count(text: string): { distinct: number; top: string; topCount: number };
}

export async function loadWords(): Promise<Words> {
  const module = await WebAssembly.compileStreaming(fetch(new URL('./generated/words.wasm', import.meta.url)));
  const e = await instantiate(module, { env: {} });
  return {
    count(text) {
      const distinct = e.countWords(text);
      const result = { distinct, top: e.topWord(), topCount: e.topWordCount() };
      e.__collect(); // every Map entry and string is garbage now: the GC frees it (traced frees)
      return result;
    },
  };
}
