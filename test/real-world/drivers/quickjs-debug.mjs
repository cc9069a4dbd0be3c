// @jitl/quickjs-wasmfile-debug-sync 0.32.0, the debug variant of the same QuickJS (name
// section, assertions), running quickjs.mjs's workload: traced by its names, it gives
// the numbers that the release-sync variant, traced with no options, must match.

import { main } from './_main.mjs';
import variant from '@jitl/quickjs-wasmfile-debug-sync';
import { workload } from './quickjs.mjs';

export const run = (checkpoint) => workload(variant, checkpoint);
main(import.meta.url, run);
