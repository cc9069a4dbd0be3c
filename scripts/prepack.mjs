#!/usr/bin/env node
// `prepack` of every published package: refuses to pack with anything but pnpm, then
// builds the package.
//
// Our packages depend on each other as "workspace:*". `pnpm pack` (and `pnpm publish`)
// write the real version into the tarball's package.json; `npm pack` and `yarn pack`
// copy "workspace:*" as it is, and such a tarball cannot be installed from a registry.
//
// WTM_PACK_PREBUILT=1 skips the build when the caller has just built the whole
// workspace (`pnpm run build`, as `npm test`'s set-up does): test/install.test.ts packs
// every package in a few seconds that way.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const agent = process.env.npm_config_user_agent ?? '';
const onWorkspace = Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies, ...manifest.optionalDependencies }).filter(([, range]) => String(range).startsWith('workspace:'));

if (!agent.startsWith('pnpm/') && onWorkspace.length > 0) {
  const tool = agent.split('/')[0] || 'this tool';
  console.error(
    `${manifest.name}: pack it with \`pnpm pack\` (or publish with \`pnpm publish\`), not ${tool}: ` +
      `its dependencies ${onWorkspace.map(([name, range]) => `${name}@${range}`).join(', ')} stay "workspace:" in a tarball ${tool} makes, which no registry can install.`,
  );
  process.exit(1);
}

if (process.env.WTM_PACK_PREBUILT !== '1' && manifest.scripts?.build) {
  const r = spawnSync('pnpm', ['run', '-s', 'build'], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
