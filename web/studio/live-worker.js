// The studio's live mode, worker side: a style network and a model.live() session of its own,
// painting every stylized camera frame on the page's canvas (handed over with
// transferControlToOffscreen, so a frame goes from the engine to the screen without passing
// through the page).
//
// The page (studio/live.js) sends a frame only once the last one is painted, so nothing
// queues here and the picture is always of the newest frame the camera had.
//
// Messages in:  start {canvas: OffscreenCanvas, style: {name} | {name, bytes} | {name, image, transform},
//                      size, strength, preserveColors}
//               frame {frame: VideoFrame | ImageBitmap}, style {name} | {name, bytes} | {name, image, transform},
//               options {size?, strength?, preserveColors?}, snapshot, stats
// Messages out: ready {threads, style}, painted {ms, width, height}, style {name},
//               snapshot {blob}, stats {...}, error {request, message}
// A style {name, image: Blob} is any image as the style: the arbitrary-style network with that
// image's statistics (arb.live), its strength inside the network.
// The page ends it with terminate() when the camera stops; everything here goes with it.

import { init } from '../../js/index.browser.js';
import { decodePhoto, readPixels } from '../common/images.js';

let ist = null;
let model = null;
let live = null;
let canvas = null;
let ctx = null;
let options = null; // { size, strength, preserveColors }: kept to open the next style's session
let image = null; // ImageData over the session's output buffer, reused frame to frame
let frames = 0;
let queue = Promise.resolve();

// A style image's pixels, its long side at most 512 (the statistics' usual size).
async function styleImage(blob) {
  const bitmap = await decodePhoto(blob, 512);
  try {
    return { data: readPixels(bitmap), width: bitmap.width, height: bitmap.height };
  } finally {
    bitmap.close();
  }
}

async function loadStyle(style) {
  let next, session;
  if (style.image) {
    const pixels = await styleImage(style.image);
    next = await ist.loadArbitraryStyle();
    try {
      session = next.live(pixels, { ...options, transform: style.transform ?? 'wct' });
    } catch (err) {
      next.dispose();
      throw err;
    }
  } else {
    next = style.bytes ? await ist.loadModel(new Uint8Array(style.bytes)) : await ist.loadStyle(style.name);
    session = next.live(options);
  }
  // Only a style that loaded replaces the one running.
  live?.dispose();
  model?.dispose();
  model = next;
  live = session;
  image = null;
}

function paint(frame) {
  const t0 = performance.now();
  let r;
  try {
    const [w, h] = live.sizeFor(frame.displayWidth ?? frame.width, frame.displayHeight ?? frame.height);
    if (image?.width !== w || image?.height !== h) image = new ImageData(w, h);
    r = live.stylize(frame, { out: image.data });
  } finally {
    frame.close();
  }
  if (canvas.width !== r.width || canvas.height !== r.height) {
    canvas.width = r.width;
    canvas.height = r.height;
  }
  ctx.putImageData(image, 0, 0);
  frames++;
  return { ms: performance.now() - t0, width: r.width, height: r.height };
}

// The last painted frame's mean colour and a checksum, for tests and the curious console.
function stats() {
  const d = image?.data;
  const mean = [0, 0, 0];
  let sum = 0;
  for (let i = 0; d && i < d.length; i += 4) {
    for (let c = 0; c < 3; ++c) mean[c] += d[i + c];
    sum = (sum * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) >>> 0;
  }
  const n = d ? d.length / 4 : 1;
  return { frames, width: image?.width ?? 0, height: image?.height ?? 0, mean: mean.map((v) => v / n), checksum: sum, options: live?.options };
}

async function handle(msg) {
  switch (msg.type) {
    case 'start': {
      canvas = msg.canvas;
      ctx = canvas.getContext('2d');
      options = { size: msg.size, strength: msg.strength, preserveColors: msg.preserveColors };
      ist = await init({ threads: 'auto' });
      await loadStyle(msg.style);
      postMessage({ type: 'ready', threads: ist.threads, style: msg.style.name });
      break;
    }
    case 'frame':
      if (!live) {
        msg.frame.close();
        postMessage({ type: 'painted', ms: 0, width: 0, height: 0 });
      } else {
        postMessage({ type: 'painted', ...paint(msg.frame) });
      }
      break;
    case 'style':
      await loadStyle(msg.style);
      postMessage({ type: 'style', name: msg.style.name });
      break;
    case 'options': {
      const changes = Object.fromEntries(Object.entries(msg.options).filter(([, v]) => v !== undefined));
      live.update(changes);
      options = { ...options, ...changes };
      break;
    }
    case 'snapshot':
      postMessage({ type: 'snapshot', blob: await canvas.convertToBlob({ type: 'image/png' }) });
      break;
    case 'stats':
      postMessage({ type: 'stats', ...stats() });
      break;
    default:
      throw new Error(`unknown message ${msg.type}`);
  }
}

self.onmessage = ({ data: msg }) => {
  queue = queue.then(() => handle(msg)).catch((err) => {
    if (msg.type === 'frame') msg.frame.close?.();
    postMessage({ type: 'error', request: msg.type, message: String(err?.message ?? err) });
  });
};
