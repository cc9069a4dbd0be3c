import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import wasmTracemalloc from '@wasm-tracemalloc/vite-plugin';

// src/e2e.test.ts links the packages into node_modules from the workspace, and the
// sources the modules' DWARF names are there too: the dev server may serve, and the
// plugin read source lines, only from server.fs.allow.
const allow = process.env.WTM_FS_ALLOW?.split(',') ?? [];

export default defineConfig({
  // Instruments every .wasm the dev server serves.
  plugins: [wasmTracemalloc()],
  server: { fs: { allow: ['.', ...allow] } },
  test: {
    include: ['*.test.ts'],
    // Node resolves setup files, so the browser's has a name of its own.
    setupFiles: ['@wasm-tracemalloc/vitest/browser-setup'],
    browser: {
      enabled: true,
      headless: true,
      // Debian's chromium, not a browser of Playwright's own (none is downloaded).
      provider: playwright({
        launchOptions: {
          executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
          args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        },
      }),
      instances: [{ browser: 'chromium' }],
      screenshotFailures: false,
    },
  },
});
