// manifold-3d 3.5.4 (Emscripten with embind, ES module glue; `_malloc = wasmExports["M"]`,
// `_free = wasmExports["N"]`): boolean operations on cubes and a sphere, then every
// Manifold is deleted.

import { digest, main } from './_main.mjs';
import Module from 'manifold-3d';

export async function run(checkpoint) {
  const wasm = await Module();
  wasm.setup();
  checkpoint('loaded');
  const { Manifold } = wasm;
  const made = [];
  const keep = (m) => (made.push(m), m);

  const cube = keep(Manifold.cube([2, 2, 2], true));
  const small = keep(Manifold.cube([1, 1, 3], true));
  const sphere = keep(Manifold.sphere(1.3, 48));
  const union = keep(cube.add(keep(small.translate([1, 1, 0]))));
  const hollow = keep(union.subtract(sphere));
  const rounded = keep(cube.intersect(keep(sphere.scale(1.1))));
  const both = keep(Manifold.union([hollow, keep(rounded.translate([4, 0, 0]))]));
  const mesh = both.getMesh();
  checkpoint('built');
  const lines = [];
  for (const [name, m] of Object.entries({ union, hollow, rounded, both })) {
    lines.push(`${name}: ${m.numVert()} verts, ${m.numTri()} tris, volume ${m.volume().toFixed(6)}, genus ${m.genus()}`);
  }
  for (const m of made) m.delete();
  checkpoint('deleted');
  return [...lines, `digest ${digest(mesh.triVerts, mesh.vertProperties)}`];
}

main(import.meta.url, run);
