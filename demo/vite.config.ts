import { defineConfig } from 'vite';
import wasmTracemalloc from '@wasm-tracemalloc/vite-plugin';

// The one line: every .wasm this app loads is traced, in dev and (build: true) in
// `vite build`; the viewer is at /__wasm-tracemalloc/.
export default defineConfig({
  plugins: [wasmTracemalloc({ build: true })],
});
