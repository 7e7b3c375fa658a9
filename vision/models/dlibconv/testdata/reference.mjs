// Runs @vladmandic/face-api's own FaceRecognitionNet (its bundled TF.js,
// CPU backend) on 150x150 RGB inputs, as the reference the converted ONNX
// must reproduce:
//
//	node reference.mjs PACKAGE_DIR INPUTS.f32 OUTPUTS.f32
//
// INPUTS.f32 is N images of 150*150*3 little-endian float32, HWC RGB 0..255;
// OUTPUTS.f32 gets N descriptors of 128 float32.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [pkg, inputs, outputs] = process.argv.slice(2);
if (!outputs) throw new Error('usage: node reference.mjs PACKAGE_DIR INPUTS.f32 OUTPUTS.f32');

// dist/face-api.js is a browser bundle whose Node platform needs a util
// module it does not bundle; hiding `process` makes it load as a plain
// script, and a minimal platform and environment are set below instead.
const src = fs.readFileSync(path.join(pkg, 'dist/face-api.js'), 'utf8');
const faceapi = new Function('require', 'process', `${src}\nreturn faceapi;`)(createRequire(import.meta.url), { env: {} });
const { tf } = faceapi;
tf.env().setPlatform('roomgate-reference', {
  fetch: () => { throw new Error('reference: no network'); },
  now: () => performance.now(),
  encode: (s) => new TextEncoder().encode(s),
  decode: (b, enc) => new TextDecoder(enc).decode(b),
  isTypedArray: (a) => ArrayBuffer.isView(a) && !(a instanceof DataView),
});
await tf.setBackend('cpu');
faceapi.env.setEnv(faceapi.env.createNodejsEnv());

const model = path.join(pkg, 'model');
const manifest = JSON.parse(fs.readFileSync(path.join(model, 'face_recognition_model-weights_manifest.json'), 'utf8'));
const bin = fs.readFileSync(path.join(model, manifest[0].paths[0]));
const net = new faceapi.FaceRecognitionNet();
net.loadFromWeightMap(tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), manifest[0].weights));

const raw = fs.readFileSync(inputs);
const side = 150;
const size = side * side * 3;
const n = raw.length / 4 / size;
if (!Number.isInteger(n) || n < 1) throw new Error(`reference: ${inputs} is not whole 150x150x3 float32 images`);
const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
const out = new Float32Array(n * 128);
for (let i = 0; i < n; i++) {
  const input = tf.tensor3d(all.subarray(i * size, (i + 1) * size), [side, side, 3]);
  out.set(await net.computeFaceDescriptor(input), i * 128);
  input.dispose();
}
fs.writeFileSync(outputs, Buffer.from(out.buffer));
console.log(`reference: ${n} descriptors from ${faceapi.tf.version_core ?? 'tfjs'} (face-api ${faceapi.version})`);
