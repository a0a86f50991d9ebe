// The invariance lab's Web Worker: runs lab/engine.js off the page's thread, so that dragging
// a slider never waits on WASM, paints the panels, and computes the plots when the sliders
// rest. With a cross-origin-isolated page, init({ threads: 'auto' }) gives the engine threads.
//
// Panels: where the browser can, the page hands its five canvases over (OffscreenCanvas) and
// they are painted here, so the page's thread only updates text. Otherwise each frame's RGBA
// buffers are transferred to the page, which hands them back for reuse with the next update.
//
// Messages in:  init {canvases?}, samples {size, images}, source {size, key, sample | data},
//               update {params, buffers?}, snapshot {id}
// Messages out: ready {engine}, frame {params, buffers?, stats, devs, ms, engineMs},
//               snapshot {id, params, size, panels} (copies of what was last painted here),
//               sweep {key, a, intensity, series}, variance {key, ...}, error {message}

import { init } from '../../js/index.browser.js';
import { LabEngine, NORMS, SWEEP_A } from './engine.js';

let lab = null;
let latest = null; // params of the newest update
let pendingUpdate = false;
let lastRequestAt = 0;
let idleTimer = 0;
const bufferPool = [];
const plotsDone = { sweep: '', variance: '' };
let partialSweep = null; // { key, points }: a sweep interrupted by dragging resumes here

// The plots wait until the sliders have rested this long: dragging gets the whole engine.
const REST_MS = 250;

let canvases = null; // panel -> OffscreenCanvas, when the page handed them over
const images = {}; // panel -> ImageData painted into them
let paintedParams = null; // the settings of the frame in `images`

function takeBuffer(panel, bytes) {
  if (canvases) {
    const side = Math.sqrt(bytes / 4);
    if (!images[panel] || images[panel].width !== side) images[panel] = new ImageData(side, side);
    return images[panel].data.buffer;
  }
  while (bufferPool.length) {
    const b = bufferPool.pop();
    if (b.byteLength === bytes) return b;
  }
  return new ArrayBuffer(bytes);
}

function showPanels() {
  for (const [panel, canvas] of Object.entries(canvases)) {
    const image = images[panel];
    if (canvas.width !== image.width) {
      canvas.width = image.width;
      canvas.height = image.height;
    }
    canvas.getContext('2d').putImageData(image, 0, 0);
  }
}

function reportError(err) {
  postMessage({ type: 'error', message: String(err && err.message ? err.message : err) });
}

const resting = () => !pendingUpdate && performance.now() - lastRequestAt >= REST_MS;

// The output-vs-intensity plot, one contrast value per task so that an update arriving
// meanwhile runs first; interrupted, it resumes where it stopped unless the settings changed.
async function runSweep(params, key) {
  if (partialSweep?.key !== key) partialSweep = { key, points: [] };
  const { points } = partialSweep;
  while (points.length < SWEEP_A.length) {
    if (!resting() || lab.sweepKey(latest) !== key) return false;
    points.push(lab.sweepPoint(params, SWEEP_A[points.length]));
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (lab.sweepKey(latest) !== key) return false;
  const series = Object.fromEntries(NORMS.map((name) => [name, {
    mean: points.map((p) => p[name].mean), std: points.map((p) => p[name].std),
  }]));
  postMessage({ type: 'sweep', key, a: SWEEP_A, intensity: points.map((p) => p.intensity), series });
  return true;
}

async function idleWork() {
  idleTimer = 0;
  if (!latest || !lab?.ready || pendingUpdate) return;
  const rest = performance.now() - lastRequestAt;
  if (rest < REST_MS) {
    idleTimer = setTimeout(idleWork, REST_MS - rest);
    return;
  }
  const params = latest;
  try {
    const vk = lab.varianceKey(params);
    if (plotsDone.variance !== vk) {
      postMessage({ type: 'variance', key: vk, ...lab.variance(params) });
      plotsDone.variance = vk;
    }
    const sk = lab.sweepKey(params);
    if (plotsDone.sweep !== sk && (await runSweep(params, sk))) plotsDone.sweep = sk;
  } catch (err) {
    reportError(err);
  }
  if (!pendingUpdate && latest && lab.ready && (plotsDone.sweep !== lab.sweepKey(latest) ||
      plotsDone.variance !== lab.varianceKey(latest))) scheduleIdle();
}

function scheduleIdle() {
  if (!idleTimer) idleTimer = setTimeout(idleWork, 0);
}

function runUpdate() {
  pendingUpdate = false;
  if (!lab?.ready || !latest) return;
  const params = latest;
  try {
    const frame = lab.frame(params, takeBuffer);
    if (canvases) {
      showPanels();
      paintedParams = params;
      delete frame.buffers;
      postMessage({ type: 'frame', params, ...frame });
    } else {
      postMessage({ type: 'frame', params, ...frame }, Object.values(frame.buffers));
    }
  } catch (err) {
    reportError(err);
  }
  scheduleIdle();
}

self.onmessage = async ({ data: msg }) => {
  try {
    switch (msg.type) {
      case 'init': {
        const t0 = performance.now();
        const ist = await init({ threads: 'auto' });
        lab = new LabEngine(ist);
        canvases = msg.canvases ?? null;
        postMessage({
          type: 'ready',
          engine: {
            threads: ist.threads,
            variant: ist.variant,
            simd: ist.simd,
            version: ist.version,
            isolated: self.crossOriginIsolated === true,
            writesInto: lab.writesInto,
            offscreen: Boolean(canvases),
            startMs: performance.now() - t0,
          },
        });
        break;
      }
      case 'samples':
        lab.setSamples(msg.size, msg.images);
        break;
      case 'source':
        if (msg.size === lab.size) lab.setSource(msg);
        break;
      case 'update':
        latest = msg.params;
        lastRequestAt = performance.now();
        for (const b of msg.buffers ?? []) if (bufferPool.length < 16) bufferPool.push(b);
        if (!pendingUpdate) {
          pendingUpdate = true;
          queueMicrotask(runUpdate);
        }
        break;
      case 'close':
        // Ends this worker quickly: the engine's threads are joined first. A thread pool left
        // waiting (Atomics.wait) holds up a terminate() for two seconds, and the memory with it.
        lab?.ist.dispose();
        self.close();
        break;
      case 'snapshot': {
        // What this worker last put into the page's canvases, for tests and the console: an
        // OffscreenCanvas reaches the page's compositor some frames later, at no signal.
        const panels = Object.fromEntries(Object.entries(images).map(([p, im]) => [p, im.data.slice()]));
        const size = Object.values(images)[0]?.width ?? 0;
        postMessage({ type: 'snapshot', id: msg.id, params: paintedParams, size, panels },
          Object.values(panels).map((d) => d.buffer));
        break;
      }
      default:
        throw new Error(`unknown message ${msg.type}`);
    }
  } catch (err) {
    reportError(err);
  }
};
