// Loads @vladmandic/face-api's bundled TF.js and networks in Node (CPU
// backend, no network), for the reference scripts beside the Go tests.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

// dist/face-api.js is a browser bundle whose Node platform needs a util
// module it does not bundle; hiding `process` makes it load as a plain
// script, and a minimal platform and environment are set below instead.
export async function loadFaceAPI(pkg) {
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
  return faceapi;
}

// loadWeights fills net from the package's model/<name>-weights_manifest.json.
export function loadWeights(faceapi, pkg, net, name) {
  const model = path.join(pkg, 'model');
  const manifest = JSON.parse(fs.readFileSync(path.join(model, `${name}-weights_manifest.json`), 'utf8'));
  const bin = fs.readFileSync(path.join(model, manifest[0].paths[0]));
  net.loadFromWeightMap(faceapi.tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), manifest[0].weights));
  return net;
}
