// Runs @vladmandic/face-api's 68-point landmarker (its bundled TF.js, CPU)
// on square face crops, as the landmarks dlib's own get_face_chip_details
// is given in the alignment test:
//
//	node landmarks68.mjs PACKAGE_DIR CROPS.rgb SIDE POINTS.f32
//
// CROPS.rgb is N crops of SIDE*SIDE*3 bytes, HWC RGB; POINTS.f32 gets N×68
// (x, y) float32 in crop pixels.
import fs from 'node:fs';
import { loadFaceAPI, loadWeights } from '../../models/dlibconv/testdata/faceapi.mjs';

const [pkg, crops, sideArg, outputs] = process.argv.slice(2);
if (!outputs) throw new Error('usage: node landmarks68.mjs PACKAGE_DIR CROPS.rgb SIDE POINTS.f32');
const faceapi = await loadFaceAPI(pkg);
const net = loadWeights(faceapi, pkg, new faceapi.FaceLandmark68Net(), 'face_landmark_68_model');

const side = Number(sideArg);
const raw = fs.readFileSync(crops);
const size = side * side * 3;
const n = raw.length / size;
if (!Number.isInteger(n) || n < 1) throw new Error(`landmarks68: ${crops} is not whole ${side}x${side} RGB crops`);
const out = new Float32Array(n * 68 * 2);
for (let i = 0; i < n; i++) {
  const input = faceapi.tf.tensor3d(new Uint8Array(raw.subarray(i * size, (i + 1) * size)), [side, side, 3], 'int32');
  const marks = await net.detectLandmarks(input);
  marks.positions.forEach((p, j) => { out[i * 136 + 2 * j] = p.x; out[i * 136 + 2 * j + 1] = p.y; });
  input.dispose();
}
fs.writeFileSync(outputs, Buffer.from(out.buffer));
console.log(`landmarks68: ${n} faces (face-api ${faceapi.version})`);
