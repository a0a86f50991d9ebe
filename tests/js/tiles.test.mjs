// Tiled stylize (js/model.js, TILING): tiles that share a thumbnail's instance norm statistics
// put together what one run over the whole photo gives; with each tile's own statistics they
// do not; progress counts tiles, cancelling stops between them, and the engine's memory stays
// within the budget however big the photo.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { InstyleError } from '../../js/index.node.js';
import { VARIANTS, diff, engine, photo, smallStyle } from './helpers.mjs';

for (const threads of VARIANTS) {
  describe(`tiled stylize, ${threads} thread(s)`, { timeout: 300_000 }, () => {
    let ist, model, style;
    before(async () => {
      ist = await engine(threads);
      style = smallStyle(ist);
      model = await ist.loadStyle(style.name);
    });
    after(() => {
      model.dispose();
      ist.dispose();
    });

    test('the receptive field of the style network: margin covers the radius on the stride grid', () => {
      const rf = model.receptiveField();
      // The light TransformerNet: kernel reach 4 (9x9) + 1 + 2 (two stride-2 3x3) + 24 (six 3x3
      // at stride 4) + 4 + 2 and 2 + 1 (two upsamplings, each a neighbour, then a 3x3) + 4
      // (9x9) = 44 pixels, and 1.5 more by which the strides and upsamplings shift pixel
      // centres; total stride 4, so the margin is 48. The live one has 3x3 first and last
      // layers: 3 + 3 pixels less, so 39.5 and a margin of 40.
      const expected = { light: [45.5, 48], live: [39.5, 40] }[style.network];
      assert.equal(rf.radius, expected[0], style.name);
      assert.equal(rf.align, 4);
      assert.equal(rf.margin, expected[1]);
    });

    test('with the whole photo as thumbnail, tiles rebuild the untiled result exactly', async () => {
      const image = photo(280, 212);
      const whole = await model.stylize(image, { tiled: false });
      const tiled = await model.stylize(image, { tiled: true, tileSize: 160, thumbnailSize: 280 });
      // Exact but for float rounding: a kernel may block its work relative to the tile's origin.
      const d = diff(whole.data, tiled.data);
      assert.ok(d.max <= 1 && d.mean < 0.01, `|tiled - whole|: max ${d.max}, mean ${d.mean}`);
      // Each tile with its own statistics: the naive way, visibly off.
      const naive = await model.stylize(image, { tiled: true, tileSize: 160, tileStatistics: 'tile' });
      const dn = diff(whole.data, naive.data);
      assert.ok(dn.mean > 1, `per-tile statistics differ by a mean of ${dn.mean} per byte`);
      // A smaller thumbnail: its statistics differ a little from the photo's own, but every
      // tile uses the same ones, so how the photo is cut does not show: small tiles give what
      // one tile over the whole photo gives. Per-tile statistics change with the cut.
      const thumbOne = await model.stylize(image, { tiled: true, tileSize: 1024, thumbnailSize: 140 });
      const thumbSmall = await model.stylize(image, { tiled: true, tileSize: 160, thumbnailSize: 140 });
      const dt = diff(thumbOne.data, thumbSmall.data);
      assert.ok(dt.max <= 1 && dt.mean < 0.01, `thumbnail statistics, 1 tile vs 4: max ${dt.max}, mean ${dt.mean}`);
      const naiveOther = await model.stylize(image, { tiled: true, tileSize: 200, tileStatistics: 'tile' });
      const dn2 = diff(naive.data, naiveOther.data);
      assert.ok(dn2.mean > 1, `per-tile statistics, tiles of 160 vs 200: mean ${dn2.mean}`);
    });

    test('maxSize first, then tiles: the same as the untiled run at that size', async () => {
      const image = photo(330, 220);
      const whole = await model.stylize(image, { maxSize: 240, tiled: false });
      const tiled = await model.stylize(image, { maxSize: 240, tiled: true, tileSize: 160, thumbnailSize: 240 });
      assert.deepEqual([tiled.width, tiled.height], [240, 160]);
      const d = diff(whole.data, tiled.data);
      assert.ok(d.max <= 1 && d.mean < 0.01, `max ${d.max}, mean ${d.mean}`);
    });

    test("'auto' tiles only past the memory budget", async () => {
      const image = photo(640, 480);
      const reports = [];
      await model.stylize(image, { onProgress: (p, where) => reports.push(where) });
      assert.equal(reports.at(-1).tiles, 1, 'a small photo runs whole');
      const peak = model.info({ width: 640, height: 480 }).peakBytes;
      reports.length = 0;
      await model.stylize(image, { maxMemoryMB: Math.max(16, Math.floor(peak / 2 ** 20 / 2)), onProgress: (p, where) => reports.push(where) });
      assert.ok(reports.at(-1).tiles > 1, `under half its peak (${(peak / 2 ** 20).toFixed(0)} MiB) the photo is tiled`);
    });

    test('progress: the thumbnail, then tile by tile, rising to 1', async () => {
      const seen = [];
      await model.stylize(photo(300, 200), {
        tiled: true, tileSize: 160, onProgress: (p, where) => seen.push({ p, ...where }),
      });
      assert.equal(seen[0].stage, 'thumbnail');
      const tiles = seen.at(-1).tiles;
      assert.ok(tiles >= 4, `${tiles} tiles`);
      for (let i = 1; i < seen.length; i++) {
        assert.ok(seen[i].p >= seen[i - 1].p, 'progress never goes back');
        assert.ok(seen[i].tile >= seen[i - 1].tile, 'tiles are counted up');
      }
      assert.deepEqual(seen.at(-1), { p: 1, stage: 'done', tile: tiles, tiles });
      assert.ok(seen.some((s) => s.stage === 'tiles' && s.tile === 2), 'tile 3 of the run is reported');
    });

    test('cancelling between tiles rejects with CANCELLED, frees what it held, and the model works on', async () => {
      const image = photo(300, 200);
      await model.stylize(image, { tiled: true, tileSize: 160 });
      const before = ist.memoryUsage().allocatedBytes; // plans for these tiles cached
      const controller = new AbortController();
      const run = model.stylize(image, {
        tiled: true, tileSize: 160,
        onProgress: (p, where) => { if (where.stage === 'tiles' && where.tile === 1) controller.abort(); },
        signal: controller.signal,
      });
      await assert.rejects(run, (e) => e instanceof InstyleError && e.code === 'CANCELLED');
      const again = await model.stylize(image, { tiled: true, tileSize: 160 });
      assert.equal(again.width, 300);
      // Nothing of the cancelled run stays (a tile's buffers alone are 100 KB); the cached
      // plans may hold a few bytes more or less in another order.
      const held = ist.memoryUsage().allocatedBytes - before;
      assert.ok(Math.abs(held) < 4096, `${held} bytes more after the cancelled run`);
    });

    test('bad tiling options name the problem', async () => {
      const image = photo(64, 64);
      const code = async (options, pattern) => {
        await assert.rejects(model.stylize(image, options), (e) => e instanceof InstyleError && pattern.test(e.message));
      };
      await code({ tiled: 'yes' }, /tiled must be 'auto', true or false/);
      await code({ maxMemoryMB: 1 }, /maxMemoryMB must be a number from 16 to 4096/);
      await code({ tileSize: 0 }, /tileSize must be a positive integer/);
      await code({ thumbnailSize: 1.5 }, /thumbnailSize must be a positive integer/);
      await code({ tileStatistics: 'image' }, /tileStatistics must be 'thumbnail' or 'tile'/);
      await code({ tiled: true, tileSize: 64 }, /leaves no room inside the network's \d+-pixel margins/);
      const ok = await model.stylize(image);
      assert.equal(ok.width, 64);
    });
  });
}

describe('tiled stylize in bounded memory', { timeout: 300_000 }, () => {
  test('a 2400 x 1800 photo under a 48 MB budget: the heap grows by at most the budget', async (t) => {
    const ist = await engine(2);
    const model = await ist.loadStyle(smallStyle(ist).name);
    try {
      const image = photo(2400, 1800);
      const start = ist.memoryUsage().heapBytes;
      const budget = 48;
      const out = await model.stylize(image, { maxMemoryMB: budget, thumbnailSize: 256 });
      const grew = ist.memoryUsage().heapBytes - start;
      // The photo (16 MiB here) never enters the heap whole: the thumbnail is made a band at a time.
      t.diagnostic(`heap grew by ${(grew / 2 ** 20).toFixed(1)} MiB for a ${budget} MiB budget`);
      assert.ok(grew <= budget * 2 ** 20, `heap grew by ${(grew / 2 ** 20).toFixed(1)} MiB for a ${budget} MiB budget`);
      const untiled = model.info({ width: 2400, height: 1800 }).peakBytes;
      assert.ok(untiled > 4 * budget * 2 ** 20, `the untiled run would need ${(untiled / 2 ** 20).toFixed(0)} MiB`);
      assert.equal(out.width, 2400);
      let painted = 0;
      for (let i = 3; i < out.data.length; i += 4) painted += out.data[i] === 255;
      assert.equal(painted, 2400 * 1800, 'every pixel written');
    } finally {
      model.dispose();
      ist.dispose();
    }
  });
});
