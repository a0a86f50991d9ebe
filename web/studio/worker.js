// The stylization studio's worker: full-size pixels live here and in the engine, never on the
// page. The engine (studio/engine-worker.js, a worker of this one) decodes the photo file and
// stylizes it; this worker keeps the raw result for the download and sends the page
// display-size previews of the photo and the result, which the page blends as the sliders
// move. For the download, a worker of its own blends the full-size result with the photo,
// decoded again from its file, and encodes the PNG. (Keeping the photo's bytes instead would
// hold 48 MB more for a 12 MP photo while the page looks at the result; decoding it again
// takes well under a second.)
//
// The engine runs in a worker of its own so that its heap can be given back: a WebAssembly
// heap never shrinks, so after a run that grew it the engine worker is ended, while the result
// stays here, and a fresh one is started when next needed.
//
// The page may end this worker outright to cancel (see studio.js); it then starts a new one
// and loads the style again.
//
// Messages in:  init, load-model {bytes, name}, load-style {name}, load-style-image {image, name},
//               stylize {id, source: Blob | ImageBitmap, maxSize, previewMax, styleStrength, styleTransform}, cancel,
//               export {id, strength, preserveColors}
// Messages out: ready {styles}, model {name, info}, progress {id, fraction, where},
//               result {id, width, height, ms, preview: {width, height, photo, result}},
//               cancelled {id}, png {id, blob, width, height}, error {id?, request, message}

import { downscaleRgba, fitSize } from '../common/images.js';

// An engine whose heap grew by more than this in a run is ended, and a fresh one started when
// next needed. Measured: a 512 px run grows it by 9 MB (kept), 768 px by 50 MB, 1536 px by
// 175 MB, a tiled 12 MP run by some 90 to 155 MB (depending on the build).
const ENGINE_HEAP_GROWTH_KEEP = 32 * 2 ** 20;

let engine = null; // { worker, answer (resolves the pending request), loadedHeap }
let styles = null; // the built-in styles, from the first engine
let style = null; // the last load request, to repeat in a fresh engine
let job = null; // { id, cancelled }
// The last run: { source, maxSize (to decode the photo again), photo (its bytes, kept only for
// a camera frame, which cannot be decoded again), result (full-size RGBA), width, height }.
let kept = null;
let queue = Promise.resolve(); // requests to the engine, one at a time

function fail(msg, err) {
  postMessage({ type: 'error', id: msg.id, request: msg.type, message: String(err && err.message ? err.message : err) });
}

// Runs `task` after those queued before it; its errors reach the page as the answer to `msg`.
function serial(msg, task) {
  queue = queue.then(task).catch((err) => fail(msg, err));
}

// Sends the engine one request and resolves with its answer (progress goes straight on to the
// page); an engine that fails to start answers with an error.
function ask(msg, transfer = []) {
  return new Promise((resolve) => {
    engine.answer = resolve;
    engine.worker.postMessage(msg, transfer);
  });
}

async function startEngine() {
  const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { type: 'module' });
  engine = { worker, answer: null, loadedHeap: 0 };
  const settle = (answer) => {
    const resolve = engine?.worker === worker ? engine.answer : null;
    if (resolve) engine.answer = null;
    resolve?.(answer);
  };
  worker.onmessage = ({ data: msg }) => {
    if (msg.type === 'progress') {
      if (job) postMessage({ type: 'progress', id: job.id, fraction: msg.fraction, where: msg.where });
    } else {
      settle(msg);
    }
  };
  worker.onerror = (event) => {
    event.preventDefault();
    settle({ type: 'error', message: `studio engine: ${event.message || 'failed to start'}` });
  };
  const ready = await ask({ type: 'init' });
  if (ready.type !== 'ready') {
    stopEngine(); // the next request tries a fresh one
    throw new Error(ready.message);
  }
  styles ??= ready.styles;
  if (style) await load(style);
}

// Asks the engine to end itself, which it does at once unless it is inside a run (a cancel
// ends that first); terminate() in a while makes sure.
function stopEngine() {
  const worker = engine?.worker;
  engine = null;
  worker?.postMessage({ type: 'close' });
  setTimeout(() => worker?.terminate(), 5000);
}

// A load request as the page sent it; the bytes of a user's model stay here for a restart.
async function load(request) {
  const copy = request.bytes ? { ...request, bytes: request.bytes.slice(0) } : request;
  const answer = await ask(copy, copy.bytes ? [copy.bytes] : []);
  if (answer.type === 'error') throw new Error(answer.message);
  engine.loadedHeap = answer.heapBytes; // what a run's growth is measured from
  return answer;
}

async function stylize(msg) {
  const t0 = performance.now();
  job = { id: msg.id, cancelled: false };
  kept = null; // the last run's result: a new run needs the room
  try {
    if (!engine) await startEngine();
    if (job.cancelled) {
      postMessage({ type: 'cancelled', id: job.id });
      return;
    }
    const { source, maxSize, previewMax, styleStrength, styleTransform } = msg;
    const answer = await ask({ type: 'stylize', source, maxSize, previewMax, styleStrength, styleTransform }, source instanceof Blob ? [] : [source]);
    // Its heap's growth is given back before anything else happens here (a failed run's engine
    // is not trusted either); the next request starts a fresh engine, so that the memory stays
    // free while the page looks at the result.
    if (answer.type === 'error' || answer.heapBytes > engine.loadedHeap + ENGINE_HEAP_GROWTH_KEEP) stopEngine();
    if (answer.type === 'cancelled') {
      postMessage({ type: 'cancelled', id: job.id });
      return;
    }
    if (answer.type !== 'result') throw new Error(answer.message);
    const { width, height } = answer;
    kept = { source: answer.photo ? null : source, maxSize, photo: answer.photo, result: answer.data, width, height };
    const pv = fitSize(width, height, previewMax);
    const preview = {
      width: pv.width,
      height: pv.height,
      photo: answer.preview,
      result: downscaleRgba(answer.data, width, height, pv.width, pv.height),
    };
    postMessage({ type: 'result', id: job.id, width, height, ms: performance.now() - t0, preview },
      [preview.photo.buffer, preview.result.buffer]);
  } finally {
    job = null;
  }
}

// The full-size PNG, made by a worker started for it alone (studio/engine-worker.js without
// an engine), which ends when it is done: the garbage that blending and encoding 12 MP leave
// goes with it. The result travels there and back; it is moved, not copied.
async function exportPng(msg) {
  if (!kept) throw new Error('stylize a photo first');
  const { result, width, height, source, maxSize, photo } = kept;
  const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { type: 'module' });
  const answer = await new Promise((resolve) => {
    worker.onmessage = ({ data }) => resolve(data);
    worker.onerror = (event) => {
      event.preventDefault();
      resolve({ type: 'error', message: `studio export: ${event.message || 'failed to start'}` });
    };
    worker.postMessage({
      type: 'export', result, width, height, source, maxSize, photo, strength: msg.strength, preserveColors: msg.preserveColors,
    }, [result.buffer]);
  });
  worker.terminate(); // it has ended itself; this makes sure
  if (answer.result) kept.result = answer.result;
  else kept = null; // lost with a worker that failed: stylize again
  if (answer.type !== 'png') throw new Error(answer.message);
  postMessage({ type: 'png', id: msg.id, blob: answer.blob, width, height });
}

self.onmessage = ({ data: msg }) => {
  switch (msg.type) {
    case 'init':
      serial(msg, async () => {
        await startEngine();
        postMessage({ type: 'ready', styles });
      });
      break;
    case 'load-model':
    case 'load-style':
    case 'load-style-image':
      serial(msg, async () => {
        if (!engine) await startEngine();
        const answer = await load(msg);
        style = msg; // only once loaded: a failed load leaves the engine with the model it had
        postMessage(answer);
      });
      break;
    case 'stylize':
      serial(msg, () => stylize(msg));
      break;
    case 'cancel':
      // Between steps of the network the engine stops at once; while the photo is decoded,
      // the run stops before it starts.
      if (job) {
        job.cancelled = true;
        engine?.worker.postMessage({ type: 'cancel' });
      }
      break;
    case 'export':
      serial(msg, () => exportPng(msg));
      break;
    default:
      fail(msg, new Error(`unknown message ${msg.type}`));
  }
};
