import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from 'vite';
import { filesUnder, filesViteServes } from './source-files.js';

describe('filesViteServes', () => {
  let workspace: string;
  let root: string;
  let outside: string;
  const module = 'public/app.wasm';

  beforeAll(() => {
    // A workspace (server.fs.allow's default is the nearest one) holding the app, and a folder outside it.
    workspace = realpathSync(mkdtempSync(join(tmpdir(), 'wtm-source-files-')));
    writeFileSync(join(workspace, 'pnpm-workspace.yaml'), 'packages: []\n');
    root = join(workspace, 'app');
    outside = join(workspace, '..', `${workspace.split('/').pop()}-outside`);
    mkdirSync(join(root, 'src'), { recursive: true });
    mkdirSync(join(workspace, 'shared'));
    mkdirSync(outside);
    writeFileSync(join(root, 'src/main.c'), 'int main(void) { return 0; }\n');
    writeFileSync(join(workspace, 'shared/util.c'), 'void util(void) {}\n');
    writeFileSync(join(root, '.env'), 'SECRET_API_KEY=1\n');
    writeFileSync(join(root, '.env.local'), 'SECRET_API_KEY=2\n');
    writeFileSync(join(root, 'src/server.pem'), '-----BEGIN PRIVATE KEY-----\n');
    writeFileSync(join(outside, 'token.c'), 'TOKEN=3\n');
    symlinkSync(join(outside, 'token.c'), join(root, 'src/linked.c'));
    symlinkSync(join(root, '.env'), join(root, 'src/env.c'));
  });

  afterAll(() => {
    rmSync(workspace, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  const files = async (fs: { strict?: boolean; deny?: string[] } = {}) => {
    const config = await resolveConfig({ root, configFile: false, logLevel: 'silent', server: { fs } }, 'serve');
    const warnings: string[] = [];
    return { files: filesViteServes(config, (m) => warnings.push(m)), warnings, config };
  };

  it('reads what the dev server may send: under the root, and elsewhere in server.fs.allow', async () => {
    const { files: f, warnings } = await files();
    expect(f.read('src/main.c', module)?.toString()).toBe('int main(void) { return 0; }\n');
    expect(f.read(join(root, 'src/main.c'), module)?.toString()).toBe('int main(void) { return 0; }\n');
    expect(f.read('../shared/util.c', module)?.toString()).toBe('void util(void) {}\n');
    // Not there: nothing, and nothing to say.
    expect(f.read('/usr/src/glibc/malloc.c', module)).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it("refuses server.fs.deny's files and what lies outside server.fs.allow, through symlinks too, once each, naming the rule", async () => {
    const { files: f, warnings, config } = await files();
    // Vite's defaults: the workspace first, then its own client's folder.
    expect(config.server.fs.allow[0]).toBe(workspace);
    const allow = config.server.fs.allow.join(', ');
    const pem = config.server.fs.deny.find((d) => d.includes('pem'));
    expect(pem).toMatch(/^\*\.\{crt,pem/);
    for (const path of ['.env', '.env.local', 'src/server.pem', 'src/linked.c', 'src/env.c', '.env']) expect(f.read(path, module), path).toBeUndefined();
    expect(f.read(join(outside, 'token.c'), module)).toBeUndefined();
    expect(warnings).toEqual([
      'public/app.wasm: its debug info names .env, which is not read for source lines: it matches server.fs.deny pattern ".env"',
      'public/app.wasm: its debug info names .env.local, which is not read for source lines: it matches server.fs.deny pattern ".env.*"',
      `public/app.wasm: its debug info names src/server.pem, which is not read for source lines: it matches server.fs.deny pattern "${pem}"`,
      `public/app.wasm: its debug info names src/linked.c, which is not read for source lines: it is a symlink to ${join(outside, 'token.c')}, and it is outside server.fs.allow (${allow})`,
      `public/app.wasm: its debug info names src/env.c, which is not read for source lines: it is a symlink to ${join(root, '.env')}, and it matches server.fs.deny pattern ".env"`,
      `public/app.wasm: its debug info names ${join(outside, 'token.c')}, which is not read for source lines: it is outside server.fs.allow (${allow})`,
    ]);
  });

  it('keeps server.fs.deny with server.fs.strict off, and follows a deny list of the user', async () => {
    const loose = await files({ strict: false });
    expect(loose.files.read('.env', module)).toBeUndefined();
    expect(loose.files.read(join(outside, 'token.c'), module)?.toString()).toBe('TOKEN=3\n');
    const custom = await files({ deny: ['**/src/main.c'] });
    expect(custom.files.read('src/main.c', module)).toBeUndefined();
    expect(custom.warnings).toEqual(['public/app.wasm: its debug info names src/main.c, which is not read for source lines: it matches server.fs.deny pattern "**/src/main.c"']);
    // Other rules, another cache key.
    expect(new Set([loose.files.rules, custom.files.rules, (await files()).files.rules]).size).toBe(3);
  });
});

describe('filesUnder', () => {
  it('reads under its root only', () => {
    const root = mkdtempSync(join(tmpdir(), 'wtm-files-under-'));
    try {
      writeFileSync(join(root, 'a.c'), 'a\n');
      expect(filesUnder(root).read('a.c', 'm')?.toString()).toBe('a\n');
      expect(filesUnder(root).read('../etc/passwd', 'm')).toBeUndefined();
      expect(filesUnder(undefined).read('a.c', 'm')).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
