// The user's flow end to end: a vitest project outside the workspace, copied to a
// temp directory with the packages linked into its node_modules as an install would
// leave them, run with `npx vitest run`. In Node mode (../e2e: the setup file
// instruments in process) and in browser mode (../e2e-browser: Debian's chromium
// through Playwright, modules instrumented by the Vite plugin), the same tests must
// pass and fail the same way, with the same reports.
// Needs the packages built (pnpm run build) and /usr/bin/chromium (scripts/setup.sh).

import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram, lineOf, PROGRAMS } from './programs.test-helper.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = dirname(PACKAGE.replace(/\/$/, ''));
const projects: string[] = [];

afterAll(() => {
  for (const p of projects) rmSync(p, { recursive: true, force: true });
});

/** `from` copied to a temp directory with the programs and the packages it needs linked in. */
function userProject(from: string, links: Record<string, string>): string {
  for (const [name, dir] of Object.entries(links)) {
    if (name.startsWith('@wasm-tracemalloc/') && !existsSync(join(dir, 'dist'))) throw new Error(`${dir}/dist is not built: run pnpm run build`);
  }
  const project = mkdtempSync(join(tmpdir(), 'wtm-vitest-e2e-'));
  projects.push(project);
  cpSync(join(PACKAGE, from), project, { recursive: true });
  mkdirSync(join(project, 'programs'));
  for (const program of ['c', 'rust'] as const) {
    const wasm = buildProgram(program);
    copyFileSync(wasm, join(project, 'programs', basename(wasm)));
  }
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, '.bin'), { recursive: true });
  for (const [name, dir] of Object.entries(links)) {
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(realpathSync(dir), join(modules, name));
  }
  symlinkSync(join(realpathSync(links.vitest!), 'vitest.mjs'), join(modules, '.bin/vitest'));
  return project;
}

const dependency = (name: string) => join(PACKAGE, 'node_modules', name);

const MODES = {
  node: { from: 'e2e', links: { '@wasm-tracemalloc/vitest': PACKAGE, vitest: dependency('vitest') }, label: '' },
  browser: {
    from: 'e2e-browser',
    links: {
      '@wasm-tracemalloc/vitest': PACKAGE,
      '@wasm-tracemalloc/vite-plugin': join(PACKAGES, 'vite-plugin'),
      '@vitest/browser-playwright': dependency('@vitest/browser-playwright'),
      vitest: dependency('vitest'),
    },
    label: '|chromium| ',
  },
};

describe.each(Object.keys(MODES) as Array<keyof typeof MODES>)('vitest %s mode', (mode) => {
  it('npx vitest run passes the tests within their limits and fails the others with their sites', () => {
    const { from, links, label } = MODES[mode];
    if (mode === 'browser' && !existsSync('/usr/bin/chromium')) throw new Error('/usr/bin/chromium is missing: run scripts/setup.sh (apt-get install chromium)');
    const project = userProject(from, links);
    const run = spawnSync('npx', ['vitest', 'run', '--root', project], {
      cwd: project,
      encoding: 'utf8',
      // The linked packages and the programs' sources live in the workspace: let the dev server read them.
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '1', WTM_FS_ALLOW: PACKAGES },
      timeout: 180_000,
    });
    const output = run.stdout + run.stderr;
    expect(run.status, output).toBe(1);
    const lines = output.split('\n').map((l) => l.trimEnd());
    expect(lines.find((l) => l.trim().startsWith('Tests '))?.trim(), output).toBe('Tests  3 failed | 3 passed (6)');
    const header = (name: string) => ` FAIL  ${label}cache.test.ts > ${name}`;
    for (const name of ['C cache frees what it holds', 'C cache stays under 1 MB', 'Rust module leaks under 1 KB while C leaks more']) {
      expect(lines.includes(header(name)), name).toBe(false);
    }
    const failed = (name: string) => {
      const at = lines.indexOf(header(name));
      expect(at, `${name} is not reported failed:\n${output}`).toBeGreaterThanOrEqual(0);
      return lines.slice(at + 1);
    };
    const site = lineOf('leak.c', 'SITE leak');
    expect(failed('FAILS: C cache leaks').slice(0, 6)).toEqual([
      'WasmMemoryLimitError: Wasm leak limit exceeded: 97.7 KiB (100000 B) in 1000 blocks still allocated at the end, limit 1 KB (1024 B)',
      'Allocated in the block and still live at its end:',
      'Top 1 tracebacks',
      `#1: ${PROGRAMS}leak.c:${site}: size=97.7 KiB, count=1000, average=100 B`,
      `  File "${PROGRAMS}leak.c", line ${site}`,
      '    char *block = malloc(size); // SITE leak',
    ]);
    expect(failed('FAILS: C cache peaks above 64 KB').slice(0, 2)).toEqual([
      'WasmMemoryLimitError: Wasm memory limit exceeded: peak 97.7 KiB (100000 B), limit 64 KB (65536 B)',
      'Every block allocated in the block was freed by its end; the sites that made the peak are not recorded.',
    ]);
    const matcher = failed('FAILS: Rust cache leaks, by matcher');
    expect(matcher[0]).toBe('Error: Wasm leak limit exceeded: 10000 B in 100 blocks still allocated at the end, limit 1 KB (1024 B)');
    expect(matcher.join('\n')).toContain(`  File "${PROGRAMS}leak.rs", line ${lineOf('leak.rs', 'SITE keep')}\n    vec![fill; size].into_boxed_slice() // SITE keep`);
  });
});
