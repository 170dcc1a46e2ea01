#!/usr/bin/env node
// Runs a TF.js graph model with TF.js itself (pure-JS CPU backend) on a deterministic input and
// prints a JSON fixture: per output its shape, sums and evenly spaced samples. la3d's converter
// tests compare their ONNX results with these. Slow (seconds per model): for fixtures only.
//
// usage: LA3D_TFJS_DIR=~/.cache/la3d/tfjs-ref node scripts/tfjs-reference.cjs MODEL_JSON [--ppm IMAGE.ppm] [OUTPUT_NODE...]
// The input is x[i] = ((i * 7919) % 1000) / 1000 over the flat input in the model's own layout, or
// with --ppm a binary PPM of exactly the input's height and width, as RGB / 255 (NHWC inputs).
const fs = require('fs');
const path = require('path');

const dir = process.env.LA3D_TFJS_DIR;
if (!dir) throw new Error('set LA3D_TFJS_DIR to a folder where @tensorflow/tfjs-core, -backend-cpu, -converter are installed');
const load = (name) => require(require.resolve(name, { paths: [dir] }));
const tf = load('@tensorflow/tfjs-core');
load('@tensorflow/tfjs-backend-cpu');
const converter = load('@tensorflow/tfjs-converter');

async function main() {
  const args = process.argv.slice(2);
  const ppmAt = args.indexOf('--ppm');
  const ppm = ppmAt >= 0 ? args.splice(ppmAt, 2)[1] : null;
  const [modelJson, ...wanted] = args;
  const model = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const weightSpecs = [];
  const buffers = [];
  for (const group of model.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(path.dirname(modelJson), p)));
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  await tf.setBackend('cpu');
  const graph = await converter.loadGraphModel({
    load: async () => ({ modelTopology: model.modelTopology, weightSpecs, weightData, format: model.format,
                         signature: model.signature, userDefinedMetadata: model.userDefinedMetadata }),
  });
  const input = graph.inputs[0];
  const shape = input.shape.map((d) => (d === -1 || d === null ? 1 : d));
  const n = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  if (ppm) {
    const bytes = fs.readFileSync(ppm);
    const header = bytes.toString('latin1', 0, 64).split(/\s+/);  // P6 W H 255, then pixels
    const [w, h] = [Number(header[1]), Number(header[2])];
    if (header[0] !== 'P6' || w !== shape[2] || h !== shape[1] || shape[3] !== 3) throw new Error('PPM must be P6 of the input size');
    const start = bytes.length - w * h * 3;
    for (let i = 0; i < n; ++i) x[i] = bytes[start + i] / 255;
  } else {
    for (let i = 0; i < n; ++i) x[i] = ((i * 7919) % 1000) / 1000;
  }
  const names = wanted.length ? wanted : graph.outputs.map((o) => o.name).sort();
  const outs = await graph.executeAsync(tf.tensor(x, shape), names);
  const list = Array.isArray(outs) ? outs : [outs];
  const fixture = { input: { name: input.name, shape, ppm: ppm ? path.basename(ppm) : null }, outputs: [] };
  for (let k = 0; k < list.length; ++k) {
    const v = await list[k].data();
    // 256 indices spread over the whole tensor; a fixed stride could fall on one image column.
    const samples = [];
    for (let k = 0; k < Math.min(256, v.length); ++k) {
      const i = Math.floor((k * (v.length - 1)) / 255);
      samples.push([i, v[i]]);
    }
    let sum = 0, abs = 0;
    for (const e of v) { sum += e; abs += Math.abs(e); }
    fixture.outputs.push({ name: names[k].replace(/:0$/, ''), shape: list[k].shape, sum, abs_sum: abs, samples });
  }
  process.stdout.write(JSON.stringify(fixture) + '\n');
}
main().catch((e) => { console.error(e.message); process.exit(1); });
