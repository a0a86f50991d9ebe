// Runs nsfwjs's own MobileNetV2 (tfjs, pure-JS CPU backend) on a raw RGB image so that
// nsfwjs_to_torch.py --verify can compare the converted PyTorch network against it.
//   node nsfwjs_check.mjs <nsfwjs cache dir> <in.rgb (uint8 HxWx3)> <H> <W> <out prefix> [endpoint...]
// Writes <out>.json ({ classes, probs, shapes }) and <out>.<endpoint>.f32 (NHWC float32).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const [root, rawPath, h, w, out, ...endpoints] = process.argv.slice(2);
// nsfwjs and tfjs live in a cache folder outside the repository, not in its node_modules.
const require = createRequire(path.join(path.resolve(root), 'package.json'));
const tf = require('@tensorflow/tfjs');
const nsfwjs = require('nsfwjs');

await tf.setBackend('cpu');
const model = await nsfwjs.load('MobileNetV2');
const pixels = new Uint8Array(fs.readFileSync(rawPath));
const img = tf.tensor3d(pixels, [Number(h), Number(w), 3], 'int32');

const probs = Array.from(await model.infer(img).data());
const classes = (await model.classify(img)).sort((a, b) => b.probability - a.probability);
const byName = Object.fromEntries(classes.map((c) => [c.className, c.probability]));
// infer() returns the dense_3 softmax in the model's class order; classify() names them.
const order = [];
for (const p of probs) {
  const hit = classes.find((c) => Math.abs(c.probability - p) < 1e-7 && !order.includes(c.className));
  order.push(hit ? hit.className : '?');
}
const shapes = {};
for (const e of endpoints) {
  const t = model.infer(img, e);
  shapes[e] = t.shape;
  fs.writeFileSync(`${out}.${e}.f32`, Buffer.from((await t.data()).buffer));
  t.dispose();
}
fs.writeFileSync(`${out}.json`, JSON.stringify({ classes: order, probs, shapes, byName }));
console.log('nsfwjs', JSON.stringify(byName));
