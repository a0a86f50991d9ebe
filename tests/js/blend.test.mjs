// The studio blends strength and preserveColors in JS (web/studio/blend.js) so its sliders cost
// milliseconds; model.stylize does the same in C++ (src/image.cpp, stylize_output_u8). The two
// must agree: the studio's picture at strength s is what the API gives at strength s.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { init } from '../../js/index.node.js';
import { blendStylized } from '../../web/studio/blend.js';
import { smallStyle } from './helpers.mjs';

const W = 64, H = 48;
let ist, model;

function photo() {
  const data = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; ++y) {
    for (let x = 0; x < W; ++x) {
      const i = (y * W + x) * 4;
      data[i] = (x * 4 + ((x * y) % 23)) % 256;
      data[i + 1] = (y * 5 + 40) % 256;
      data[i + 2] = ((x ^ y) * 3) % 256;
      data[i + 3] = 255;
    }
  }
  return { data, width: W, height: H };
}

before(async () => {
  ist = await init({ threads: 1 });
  model = await ist.loadStyle(smallStyle(ist).name);
});
after(() => {
  model?.dispose();
  ist?.dispose();
});

for (const preserveColors of [false, true]) {
  for (const strength of [0, 0.3, 0.75, 1]) {
    test(`JS and C++ blends agree: strength ${strength}, preserveColors ${preserveColors}`, async () => {
      const p = photo();
      const raw = await model.stylize(p, { strength: 1 });
      const api = await model.stylize(p, { strength, preserveColors });
      const js = blendStylized(new Uint8ClampedArray(p.data.length), raw.data, p.data, strength, preserveColors);
      let worst = 0, sum = 0;
      for (let i = 0; i < js.length; ++i) {
        const d = Math.abs(js[i] - api.data[i]);
        worst = Math.max(worst, d);
        sum += d;
      }
      // The JS blend starts from the rounded 8-bit result, C++ from the float output: at most
      // the rounding apart.
      assert.ok(worst <= 1, `max |diff| ${worst}`);
      assert.ok(sum / js.length < 0.5, `mean |diff| ${sum / js.length}`);
      if (strength === 1 && !preserveColors) assert.equal(worst, 0);
      if (strength > 0) assert.notDeepEqual(api.data, p.data, 'the style changed the photo');
    });
  }
}
