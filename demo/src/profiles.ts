// The C profile directory (wasm/profiles.c), loaded with Vite's `?init` import.
import initProfiles from './generated/profiles.wasm?init';

export interface Profiles {
  /** Opens profiles first..first+n-1; returns how many were not cached. */
  open(first: number, n: number): number;
  lastOpened(): string;
  cached(): number;
  /** Cached profiles whose bio mentions `topic`. */
  search(topic: string): number;
  clear(): void;
}

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  open_profiles(first: number, n: number): number;
  last_opened(): number;
  cached_profiles(): number;
  search(topic: number): number;
  input_buffer(): number;
  input_capacity(): number;
  clear_cache(): void;
}

export async function loadProfiles(): Promise<Profiles> {
  const instance = await initProfiles({});
  return wrap(instance.exports as unknown as Exports);
}

export function wrap(e: Exports): Profiles {
  e._initialize();
  const cString = (ptr: number) => {
    const bytes = new Uint8Array(e.memory.buffer, ptr);
    return new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)));
  };
  return {
    open: (first, n) => e.open_profiles(first, n) >>> 0,
    lastOpened: () => cString(e.last_opened()),
    cached: () => e.cached_profiles() >>> 0,
    search(topic) {
      const bytes = new TextEncoder().encode(topic);
      const buf = new Uint8Array(e.memory.buffer, e.input_buffer(), e.input_capacity());
      if (bytes.length >= buf.length) throw new RangeError(`search topic longer than ${buf.length - 1} bytes`);
      buf.set(bytes);
      buf[bytes.length] = 0;
      return e.search(e.input_buffer()) >>> 0;
    },
    clear: () => e.clear_cache(),
  };
}
