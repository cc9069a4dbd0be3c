// wasm-tracemalloc node [options] SCRIPT [ARGS]: `memray run` for Wasm in Node.
// Starts SCRIPT in a child Node process with the global hook preloaded (preload.ts):
// every module the program compiles is instrumented in process and traced, and the
// report is printed at exit. The program's stdout, stderr and exit code are its own
// (but for --limit-*: see exit-report.ts).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, REPORT_OPTIONS, UsageError } from '../args.js';
import { PRELOAD_ENV } from '../preload-config.js';
import { runOptions } from '../run-options.js';

const NODE_USAGE = 'usage: wasm-tracemalloc node [options] SCRIPT [ARGS]';

/** Where our options end: the first word that is neither an option nor an option's value. */
function scriptIndex(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return i + 1;
    if (!a.startsWith('-')) return i;
    const name = a.slice(2);
    const spec = (REPORT_OPTIONS as Record<string, { type: string }>)[name];
    if (spec?.type === 'string') i++; // its value (`--top 5`); `--top=5` is one word
  }
  return -1;
}

export async function nodeCommand(argv: string[]): Promise<number> {
  const scriptAt = scriptIndex(argv);
  const ours = argv.slice(0, scriptAt < 0 ? argv.length : scriptAt).filter((a) => a !== '--');
  const { values } = parse(ours, REPORT_OPTIONS);
  if (scriptAt < 0 || scriptAt >= argv.length) throw new UsageError(NODE_USAGE);
  const config = runOptions(values);
  const script = argv[scriptAt]!;
  if (!existsSync(resolve(script))) throw new UsageError(`no such file: ${script}`);
  const preload = fileURLToPath(new URL('../preload.js', import.meta.url));
  const child = spawn(process.execPath, ['--import', preload, ...argv.slice(scriptAt)], {
    stdio: 'inherit',
    env: { ...process.env, [PRELOAD_ENV]: JSON.stringify(config) },
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}
