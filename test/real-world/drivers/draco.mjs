// draco3d 1.5.9 (Emscripten with WebIDL bindings and closure; `_malloc`, `_free`,
// `_webidl_malloc`, `_webidl_free` are one-letter exports named by the glue): build a
// 32×32 grid mesh with positions and normals, encode it with Edgebreaker, decode it,
// and read the decoded positions back. Every WebIDL object it creates is destroyed
// (not the Status, which the bindings return by value in a static).

import { createRequire } from 'node:module';
import { digest, main } from './_main.mjs';

const require = createRequire(import.meta.url);
const N = 32;

export async function run(checkpoint) {
  const draco3d = require('draco3d');
  const encoderModule = await draco3d.createEncoderModule({});
  const decoderModule = await draco3d.createDecoderModule({});
  checkpoint('loaded');

  // A (N+1)×(N+1) grid of points on a bumpy surface, two triangles per cell.
  const numPoints = (N + 1) * (N + 1);
  const positions = new Float32Array(numPoints * 3);
  const normals = new Float32Array(numPoints * 3);
  for (let y = 0; y <= N; y++) {
    for (let x = 0; x <= N; x++) {
      const i = (y * (N + 1) + x) * 3;
      positions.set([x / N, y / N, Math.sin(x / 3) * Math.cos(y / 5) * 0.1], i);
      normals.set([0, 0, 1], i);
    }
  }
  const faces = new Uint32Array(N * N * 6);
  for (let y = 0, f = 0; y < N; y++) {
    for (let x = 0; x < N; x++, f += 6) {
      const a = y * (N + 1) + x;
      faces.set([a, a + 1, a + N + 1, a + 1, a + N + 2, a + N + 1], f);
    }
  }

  const encoder = new encoderModule.Encoder();
  const builder = new encoderModule.MeshBuilder();
  const mesh = new encoderModule.Mesh();
  builder.AddFacesToMesh(mesh, faces.length / 3, faces);
  builder.AddFloatAttributeToMesh(mesh, encoderModule.POSITION, numPoints, 3, positions);
  builder.AddFloatAttributeToMesh(mesh, encoderModule.NORMAL, numPoints, 3, normals);
  encoder.SetSpeedOptions(5, 5);
  encoder.SetAttributeQuantization(encoderModule.POSITION, 14);
  encoder.SetEncodingMethod(encoderModule.MESH_EDGEBREAKER_ENCODING);
  const encoded = new encoderModule.DracoInt8Array();
  const length = encoder.EncodeMeshToDracoBuffer(mesh, encoded);
  const bytes = new Int8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = encoded.GetValue(i);
  checkpoint('encoded');
  for (const o of [encoded, mesh, builder, encoder]) encoderModule.destroy(o);

  const decoder = new decoderModule.Decoder();
  const buffer = new decoderModule.DecoderBuffer();
  buffer.Init(bytes, bytes.length);
  const decoded = new decoderModule.Mesh();
  const status = decoder.DecodeBufferToMesh(buffer, decoded);
  if (!status.ok()) throw new Error(`draco: ${status.error_msg()}`);
  const attribute = decoder.GetAttribute(decoded, decoder.GetAttributeId(decoded, decoderModule.POSITION));
  const values = new decoderModule.DracoFloat32Array();
  decoder.GetAttributeFloatForAllPoints(decoded, attribute, values);
  const out = new Float32Array(values.size());
  for (let i = 0; i < out.length; i++) out[i] = values.GetValue(i);
  const decodedFaces = decoded.num_faces();
  const decodedPoints = decoded.num_points();
  checkpoint('decoded');
  for (const o of [values, decoded, buffer, decoder]) decoderModule.destroy(o);

  return [`draco: ${faces.length / 3} faces → ${length} B → ${decodedFaces} faces, ${decodedPoints} points`, `digest ${digest(bytes, out)}`];
}

main(import.meta.url, run);
