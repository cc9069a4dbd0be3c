// box2d-wasm 7.0.0 (Emscripten with WebIDL bindings and closure; its Node entry picks
// Box2D.simd.wasm when the engine has SIMD, as Node 20 does; `_malloc`/`_free` are the
// exports `Xu`/`Yu`, named by the glue as `a.asm.Xu`): a world with a ground box and
// 100 falling boxes and circles, stepped 240 times at 60 Hz, then destroyed.
// Its glue predates Node's global fetch: given a path, it fetches it and fails ("Failed
// to parse URL"), so Node programs hand it the module's bytes as `wasmBinary`.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { digest, main } from './_main.mjs';

const require = createRequire(import.meta.url);
const BODIES = 100;
const STEPS = 240;

export async function run(checkpoint) {
  const wasmBinary = readFileSync(require.resolve('box2d-wasm/dist/umd/Box2D.simd.wasm'));
  const Box2D = await require('box2d-wasm')({ wasmBinary });
  checkpoint('loaded');
  const { b2World, b2Vec2, b2BodyDef, b2PolygonShape, b2CircleShape, b2FixtureDef, b2_dynamicBody, destroy } = Box2D;

  const gravity = new b2Vec2(0, -10);
  const world = new b2World(gravity);
  const groundDef = new b2BodyDef();
  const ground = world.CreateBody(groundDef);
  const groundShape = new b2PolygonShape();
  groundShape.SetAsBox(50, 1);
  ground.CreateFixture(groundShape, 0);

  const box = new b2PolygonShape();
  box.SetAsBox(0.5, 0.5);
  const circle = new b2CircleShape();
  circle.set_m_radius(0.5);
  const fixture = new b2FixtureDef();
  fixture.set_density(1);
  fixture.set_friction(0.3);
  const bodyDef = new b2BodyDef();
  bodyDef.set_type(b2_dynamicBody);
  const position = new b2Vec2(0, 0);
  const bodies = [];
  for (let i = 0; i < BODIES; i++) {
    position.Set((i % 10) * 1.5 - 7, 2 + Math.floor(i / 10) * 1.5 + (i % 3) * 0.1);
    bodyDef.set_position(position);
    const body = world.CreateBody(bodyDef);
    fixture.set_shape(i % 2 ? box : circle);
    body.CreateFixture(fixture);
    bodies.push(body);
  }
  checkpoint('created');
  for (let s = 0; s < STEPS; s++) world.Step(1 / 60, 8, 3);
  checkpoint('stepped');

  const state = new Float64Array(BODIES * 3);
  bodies.forEach((b, i) => {
    const p = b.GetPosition();
    state.set([Math.round(p.get_x() * 1e4), Math.round(p.get_y() * 1e4), Math.round(b.GetAngle() * 1e4)], i * 3);
  });
  const awake = bodies.filter((b) => b.IsAwake()).length;
  const contacts = world.GetContactCount();
  for (const o of [world, position, bodyDef, fixture, circle, box, groundShape, groundDef, gravity]) destroy(o);
  checkpoint('destroyed');

  return [`box2d: ${BODIES} bodies, ${STEPS} steps, ${contacts} contacts, ${awake} awake`, `digest ${digest(state)}`];
}

main(import.meta.url, run);
