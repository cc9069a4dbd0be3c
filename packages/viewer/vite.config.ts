import { defineConfig } from 'vite';

// A static app: `base: './'` makes dist/ work from any path (a file server, the
// Vite plugin's mount point), and the analysis worker is an ES module worker.
export default defineConfig({
  base: './',
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, sourcemap: true, reportCompressedSize: false },
  worker: { format: 'es' },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
