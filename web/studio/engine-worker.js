// The studio's engine: loads a style network (a built-in style or the user's .onnx bytes),
// decodes the photo and runs model.stylize, reporting progress. It runs in a worker of the
// studio's worker (studio/worker.js), which ends it after a run that grew its heap (a
// WebAssembly heap never shrinks: a 12 MP run leaves 120 to 190 MB behind) and starts a fresh
// one when next needed. So it keeps nothing that cannot be rebuilt from the model's bytes,
// and the photo's full-size pixels, and the garbage that reading them leaves, live here: they
// go with this worker's memory, not at some later garbage collection.
//
// The same goes for the download: a worker of this kind, started for it alone (no engine),
// blends the full-size result with the photo, streams it into a PNG (png.js) and ends itself.
//
// "Your own style image": the arbitrary-style network (ist.loadArbitraryStyle) with the style
// image's statistics (styleCode), computed once when the image is chosen; each run then takes
// the strength as the blend of the photo's and the style's statistics inside the network, by the
// transform the page chose (WCT or AdaIN, js/arbitrary.js).
//
// One request at a time (studio/worker.js waits for each answer), except cancel.
// Messages in:  init, load-model {bytes, name}, load-style {name},
//               load-style-image {image: Blob, name},
//               stylize {source: Blob | ImageBitmap, maxSize, previewMax, styleStrength, styleTransform}, cancel, close,
//               export {result, width, height, source, maxSize, photo, strength, preserveColors}
// Messages out: ready {styles}, model {name, info, heapBytes, arbitrary}, progress {fraction, where},
//               result {data, width, height, preview (the photo at previewMax), photo (its
//               bytes, for a bitmap source only: it cannot be decoded again), heapBytes},
//               cancelled {heapBytes}, png {blob, result (handed back)},
//               error {request, message, result (export only, handed back)}

import { init } from '../../js/index.browser.js';
import { blendStylized } from './blend.js';
import { bandRows, decodePhoto, downscaleRgba, fitSize, pixelBands, readPixels } from '../common/images.js';
import { PngStream } from './png.js';

let ist = null;
let model = null; // a model, or { arb, code } for a style image
let controller = null; // the running stylize's
// The style image's long side for its statistics (js/arbitrary.js DEFAULT_STYLE_SIZE).
const STYLE_IMAGE_SIZE = 512;

function describe(err) {
  return String(err && err.message ? err.message : err);
}

function modelInfo(m) {
  try {
    return m.info ? JSON.parse(JSON.stringify(m.info())) : null;
  } catch {
    return null;
  }
}

function setModel(next, name) {
  if (model && model !== next) (model.arb ?? model).dispose?.();
  model = next;
  postMessage({
    type: 'model', name, info: modelInfo(model.arb ?? model), heapBytes: ist.memoryUsage().heapBytes, arbitrary: Boolean(model.arb),
  });
}

// The shipped arbitrary-style network (kept across style images) and the image's statistics.
async function loadStyleImage({ image }) {
  const bitmap = await decodePhoto(image, STYLE_IMAGE_SIZE);
  const pixels = { data: readPixels(bitmap), width: bitmap.width, height: bitmap.height };
  bitmap.close();
  const arb = model?.arb ?? await ist.loadArbitraryStyle();
  try {
    return { arb, code: arb.styleCode(pixels) };
  } catch (err) {
    if (arb !== model?.arb) arb.dispose();
    throw err;
  }
}

async function stylize({ source, maxSize, previewMax, styleStrength = 1, styleTransform = 'wct' }) {
  if (!model) throw new Error('load a style first');
  controller = new AbortController();
  const { signal } = controller;
  try {
    const bitmap = await decodePhoto(source, maxSize);
    const { width, height } = bitmap;
    const photo = { data: readPixels(bitmap), width, height };
    bitmap.close(); // the decoded photo goes as soon as its bytes are read
    const pv = fitSize(width, height, previewMax);
    const preview = downscaleRgba(photo.data, width, height, pv.width, pv.height);
    // Strength 1 and the photo's own colours off: the studio blends the raw result with the
    // photo itself, so its sliders answer at once without running the network again.
    const options = {
      strength: 1,
      preserveColors: false,
      signal,
      // Past the engine's memory budget the photo is stylized in tiles (js/model.js).
      onProgress: (fraction, where) => postMessage({ type: 'progress', fraction, where }),
    };
    // A style image's strength works inside the network, so it is the run's own.
    const out = model.arb
      ? await model.arb.stylize(photo, model.code, { ...options, strength: styleStrength, transform: styleTransform })
      : await model.stylize(photo, options);
    // stylize() returns pixels in a buffer of their own (never the engine's heap): moved, not
    // copied.
    const kept = source instanceof Blob ? null : photo.data;
    postMessage({
      type: 'result', data: out.data, width, height, preview, photo: kept, heapBytes: ist.memoryUsage().heapBytes,
    }, [out.data.buffer, preview.buffer, ...(kept ? [kept.buffer] : [])]);
  } catch (err) {
    if (!signal.aborted) throw err;
    postMessage({ type: 'cancelled', heapBytes: ist.memoryUsage().heapBytes });
  } finally {
    controller = null;
  }
}

// The full-size result blended at the page's settings, as a PNG, encoded a band of rows at a
// time (png.js): besides the result, only the decoded photo is full size, and only when the
// blend needs it (strength below 1 or the photo's colours kept).
async function exportPng({ result, width, height, source, maxSize, photo, strength, preserveColors }) {
  const png = new PngStream(width, height);
  const rowBytes = width * 4;
  if (strength >= 1 && !preserveColors) {
    const rows = bandRows(width, height);
    for (let y = 0; y < height; y += rows) {
      const h = Math.min(rows, height - y);
      await png.addRows(result.subarray(y * rowBytes, (y + h) * rowBytes), h);
    }
    return png.finish();
  }
  const bitmap = photo ? null : await decodePhoto(source, maxSize);
  try {
    if (bitmap && (bitmap.width !== width || bitmap.height !== height)) throw new Error('the photo changed size');
    // A camera frame's bytes came with the request; a file is decoded again, in bands.
    const bands = bitmap ? pixelBands(bitmap) : [{ data: photo, y: 0, rows: height }];
    for (const { data, y, rows } of bands) {
      const from = y * rowBytes;
      blendStylized(data, result.subarray(from, from + data.length), data, strength, preserveColors);
      await png.addRows(data, rows);
    }
  } finally {
    bitmap?.close();
  }
  return png.finish();
}

self.onmessage = async ({ data: msg }) => {
  if (msg.type === 'export') {
    // The result goes back whatever happens: it is the only copy.
    const { result } = msg;
    try {
      const blob = await exportPng(msg);
      postMessage({ type: 'png', blob, result }, [result.buffer]);
    } catch (err) {
      postMessage({ type: 'error', request: 'export', message: describe(err), result }, [result.buffer]);
    }
    self.close();
    return;
  }
  try {
    switch (msg.type) {
      case 'init': {
        ist = await init({ threads: 'auto' });
        const styles = ist.styles().map((st) => ({
          name: st.name, title: st.title, network: st.network,
          about: st.artwork.about, author: st.artwork.author, licence: st.artwork.licence,
          thumbnail: st.artwork.thumbnail,
        }));
        postMessage({ type: 'ready', styles });
        break;
      }
      case 'load-model':
        setModel(await ist.loadModel(new Uint8Array(msg.bytes)), msg.name);
        break;
      case 'load-style':
        setModel(await ist.loadStyle(msg.name), msg.name);
        break;
      case 'load-style-image':
        setModel(await loadStyleImage(msg), msg.name);
        break;
      case 'stylize':
        await stylize(msg);
        break;
      case 'cancel':
        controller?.abort();
        break;
      case 'close':
        // Ends this worker at once: the engine's threads are joined first. A thread pool left
        // waiting (Atomics.wait) holds a terminate() up for two seconds, and the memory with it.
        (model?.arb ?? model)?.dispose();
        ist?.dispose();
        self.close();
        break;
      default:
        throw new Error(`unknown message ${msg.type}`);
    }
  } catch (err) {
    postMessage({ type: 'error', request: msg.type, message: describe(err) });
  }
};
