// Runs @vladmandic/face-api's own FaceRecognitionNet (its bundled TF.js,
// CPU backend) on 150x150 RGB inputs, as the reference the converted ONNX
// must reproduce:
//
//	node reference.mjs PACKAGE_DIR INPUTS.f32 OUTPUTS.f32
//
// INPUTS.f32 is N images of 150*150*3 little-endian float32, HWC RGB 0..255;
// OUTPUTS.f32 gets N descriptors of 128 float32.
import fs from 'node:fs';
import { loadFaceAPI, loadWeights } from './faceapi.mjs';

const [pkg, inputs, outputs] = process.argv.slice(2);
if (!outputs) throw new Error('usage: node reference.mjs PACKAGE_DIR INPUTS.f32 OUTPUTS.f32');

const faceapi = await loadFaceAPI(pkg);
const { tf } = faceapi;
const net = loadWeights(faceapi, pkg, new faceapi.FaceRecognitionNet(), 'face_recognition_model');

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
