// The invariance lab's page side: reads the controls, keeps at most one frame in flight to the
// worker (the newest slider position wins, so dragging never queues up stale work), shows the
// figures of the frames it gets back, and draws the two plots. The worker paints the panels
// itself where the browser lets a canvas go to a worker (OffscreenCanvas); elsewhere it sends
// RGBA buffers that are painted here and handed back for reuse.
//
// pause() ends the worker, so that its memory (the engine's heap, the photos, the feature
// maps: some 100 MB at 512 x 512) goes back to the browser while the studio runs a big photo;
// resume() starts a fresh one and sends it the same photos and settings.

import { CHANNELS, DEFAULT_CHANNEL } from './filters.js';
import { legendGradient } from './colormap.js';
import { drawPlot } from '../common/plot.js';
import { formatFigure, formatStat, squareImageData } from '../common/images.js';

const NORM_COLOURS = { in: '#4f46e5', bn: '#ea580c', ln: '#059669', gn: '#c026d3' };
const NORM_LABELS = { in: 'IN', bn: 'BN', ln: 'LN', gn: 'GN' };
const PANELS = ['input', 'in', 'bn', 'ln', 'gn'];
const NORM_PANELS = ['in', 'bn', 'ln', 'gn'];

const $ = (id) => document.getElementById(id);

export function createLab({ onEngine, onError }) {
  const controls = {
    contrast: $('contrast'),
    brightness: $('brightness'),
    channel: $('channel-select'),
    batch: $('batch-size'),
    groups: $('groups-select'),
    relu: $('relu-toggle'),
    size: $('size-select'),
  };
  const canvases = Object.fromEntries(PANELS.map((p) => [p, $(`panel-${p}`)]));
  let handedOver = false; // the canvases went to a worker (and cannot go to another)
  let incoming = null; // after a restart, the fresh canvases the new worker paints, not yet shown
  const offscreen = typeof HTMLCanvasElement.prototype.transferControlToOffscreen === 'function' &&
    typeof OffscreenCanvas === 'function';
  const contexts = offscreen ? null : Object.fromEntries(PANELS.map((p) => [p, canvases[p].getContext('2d')]));

  CHANNELS.forEach((c, i) => controls.channel.add(new Option(`${i + 1} · ${c.name}`, String(i))));
  controls.channel.value = String(DEFAULT_CHANNEL);
  $('legend-bar').style.background = legendGradient();

  let worker = null;
  let paused = false;
  let engineReady = false;
  let ready = false;
  let size = Number(controls.size.value);
  let samples = []; // { name, bitmap }
  let source = null; // { key, sampleIndex, image (bitmap or video) , live }
  let sourceVersion = 0;
  let sentSource = '';
  let inFlight = false;
  let dirty = true;
  let spare = [];
  let frameTimes = [];
  let lastFrame = null;
  let sweep = null;
  let variance = null;
  let rafPending = false;
  let onFrameHook = null;
  const snapshotWaiters = new Map(); // id -> resolve
  let snapshotId = 0;

  function params() {
    return {
      a: controls.contrast.valueAsNumber,
      b: controls.brightness.valueAsNumber,
      channel: Number(controls.channel.value),
      batch: controls.batch.valueAsNumber,
      bnMode: document.querySelector('input[name="bn-mode"]:checked').value,
      groups: Number(controls.groups.value),
      relu: controls.relu.checked,
      size,
    };
  }

  function sourceKey() {
    return source ? `${source.key}#${sourceVersion}` : '';
  }

  // Keys shared with the worker's: a plot belongs to the settings it was computed for.
  function sweepKey(p) {
    return `${sourceKey()}|${p.size}|${p.batch}|${p.groups}|${p.channel}|${p.b}|${p.bnMode}|${p.relu}`;
  }
  function varianceKey(p) {
    return `${sourceKey()}|${p.size}|${p.batch}|${p.groups}|${p.channel}`;
  }

  function sendSource() {
    const key = sourceKey();
    if (!source || sentSource === `${key}@${size}`) return;
    if (source.sampleIndex >= 0) {
      worker.postMessage({ type: 'source', size, key, sample: source.sampleIndex });
    } else {
      const { data } = squareImageData(source.image, size);
      worker.postMessage({ type: 'source', size, key, data }, [data.buffer]);
    }
    sentSource = `${key}@${size}`;
  }

  function pump() {
    rafPending = false;
    if (!ready || !source || inFlight) return;
    if (source.live) {
      // A camera frame is a new image every time.
      sourceVersion++;
      dirty = true;
    }
    if (!dirty) return;
    dirty = false;
    sendSource();
    inFlight = true;
    const buffers = spare;
    spare = [];
    worker.postMessage({ type: 'update', params: { ...params(), sourceKey: sourceKey() }, buffers }, buffers);
  }

  function schedule() {
    dirty = true;
    if (!rafPending) {
      rafPending = true;
      requestAnimationFrame(pump);
    }
  }

  // Text nodes are written only when their text changes: every write costs the page a
  // style and layout pass, and most figures hold still while a slider moves.
  function setText(id, text) {
    const el = typeof id === 'string' ? $(id) : id;
    if (el.textContent !== text) el.textContent = text;
    return el;
  }

  function paint(msg) {
    const n = msg.params.size;
    for (const p of msg.buffers ? PANELS : []) {
      const canvas = canvases[p];
      if (canvas.width !== n) {
        canvas.width = n;
        canvas.height = n;
      }
      contexts[p].putImageData(new ImageData(new Uint8ClampedArray(msg.buffers[p]), n, n), 0, 0);
      spare.push(msg.buffers[p]);
    }
    const s = msg.stats;
    setText('stat-input-mean', formatStat(s.input.mean));
    setText('stat-input-std', formatStat(s.input.std));
    const figure = (el, value) => {
      setText(el, formatFigure(value));
      const state = value < 1e-2 ? 'good' : 'bad';
      if (el.dataset.state !== state) {
        el.dataset.state = state;
        el.classList.toggle('good', state === 'good');
        el.classList.toggle('bad', state === 'bad');
      }
    };
    for (const norm of NORM_PANELS) {
      setText(`stat-${norm}-mean`, formatStat(s[norm].mean));
      setText(`stat-${norm}-std`, formatStat(s[norm].std));
      figure($(`dev-${norm}`), msg.devs[norm].max);
    }
    figure($('dev-in-relu'), msg.devs.in.relu);
    const ms = setText('frame-ms', msg.ms.toFixed(0));
    ms.dataset.engineMs = msg.engineMs.toFixed(1);
    for (const p of PANELS) {
      Object.assign(canvases[p].dataset, {
        a: String(msg.params.a), b: String(msg.params.b), relu: String(msg.params.relu),
      });
    }
    updateReluNote(msg);
  }

  function updateReluNote(msg) {
    const note = $('relu-note');
    const a = msg.params.a;
    if (a < 0) {
      note.classList.add('active');
      setText(note, msg.params.relu
        ? `a < 0 flips every feature's sign. IN undoes the scale but not the sign, so after ReLU the ` +
          `other half of the features fire: the IN panel changed by up to ${formatFigure(msg.devs.in.relu)}.`
        : `a < 0: IN's output is exactly the negative of the original (max |IN(ax+b) + IN(x)| = ` +
          `${formatFigure(msg.devs.in.flip)}). Turn on ReLU to see what that does to the next layer.`);
    } else {
      note.classList.remove('active');
      setText(note, a === 0
        ? 'a = 0 erases the photo: every channel is constant and the normalizations have nothing to scale.'
        : '');
    }
  }

  let lastRateShown = 0;
  function updateRate(now) {
    frameTimes.push(now);
    while (frameTimes.length && now - frameTimes[0] > 1000) frameTimes.shift();
    if (frameTimes.length >= 3 && now - lastRateShown > 250) {
      lastRateShown = now;
      const rate = ((frameTimes.length - 1) * 1000) / (now - frameTimes[0]);
      setText('fps', rate.toFixed(0));
      $('fps').dataset.rate = rate.toFixed(2);
    }
  }

  // --- plots ----------------------------------------------------------------------------

  let lastSweepDraw = 0;
  function drawSweep() {
    lastSweepDraw = performance.now();
    const canvas = $('plot-sweep');
    const p = params();
    if (!sweep) {
      drawPlot(canvas, { x: { label: 'mean input intensity' }, y: { label: 'output mean' }, series: [] });
      return;
    }
    canvas.classList.toggle('stale', sweep.key !== sweepKey(p));
    const stat = document.querySelector('input[name="sweep-stat"]:checked').value;
    const series = ['bn', 'ln', 'gn', 'in'].map((norm) => ({
      label: NORM_LABELS[norm],
      colour: NORM_COLOURS[norm],
      width: norm === 'in' ? 3 : 2,
      points: sweep.intensity.map((x, i) => [x, sweep.series[norm][stat][i]]),
    }));
    const markers = lastFrame && sweep.key === sweepKey(lastFrame.params)
      ? ['bn', 'ln', 'gn', 'in'].map((norm) => ({
          x: lastFrame.stats.input.mean, y: lastFrame.stats[norm][stat], colour: NORM_COLOURS[norm],
        }))
      : [];
    drawPlot(canvas, {
      x: { label: 'mean input intensity, a·mean(x) + b' },
      y: stat === 'mean'
        ? { label: 'output mean (shown channel)', min: -1, max: 1 }
        : { label: 'output std (shown channel)', min: 0, max: 1.5 },
      series,
      markers,
    });
  }

  function drawVariance() {
    const canvas = $('plot-variance');
    const p = params();
    if (!variance) {
      drawPlot(canvas, { x: { label: '2/(B−1)', log: true }, y: { label: 'error', log: true }, series: [] });
      return;
    }
    canvas.classList.toggle('stale', variance.key !== varianceKey(p));
    const diag = [];
    for (let B = 2; B <= 80; B++) diag.push([2 / (B - 1), 2 / (B - 1)]);
    const series = [
      { label: '2/(B−1): Gaussian', colour: '#9ca3af', width: 1.5, points: diag },
      {
        label: `B pixels, kurtosis ${variance.kurtosis.toFixed(1)}`,
        colour: NORM_COLOURS.in,
        style: 'dots',
        points: variance.pixels.map((d) => [2 / (d.B - 1), d.err]),
      },
      {
        label: 'same, predicted from kurtosis',
        colour: '#a5b4fc',
        style: 'dashed',
        points: variance.pixels.map((d) => [2 / (d.B - 1), d.predicted]),
      },
      {
        label: 'B whole photos',
        colour: NORM_COLOURS.bn,
        style: 'dots',
        points: variance.photos.map((d) => [2 / (d.B - 1), d.err]),
      },
    ];
    const current = variance.photos.find((d) => d.B === p.batch);
    drawPlot(canvas, {
      x: { label: '2/(B−1)   (B = values or photos per estimate)', log: true, min: 0.02, max: 3 },
      y: { label: 'mean (estimate / true − 1)²', log: true },
      series,
      markers: current ? [{ x: 2 / (current.B - 1), y: current.err, colour: NORM_COLOURS.bn }] : [],
    });
    const note = $('variance-note');
    if (p.batch < 2) {
      note.textContent = 'With B = 1 the batch is this photo alone: BN then uses the same statistics as IN ' +
        '(per channel, over the whole image), but it still keeps them fixed when the input changes.';
    } else if (current) {
      const effective = 2 / current.err + 1;
      const sign = variance.batchError >= 0 ? '+' : '−';
      note.textContent = `A batch of ${p.batch} photos estimates this channel's variance about as well as ` +
        `${effective < 10 ? effective.toFixed(1) : effective.toFixed(0)} independent values would: photos differ far more ` +
        `from each other than pixels within one do. Your batch's variance is off by ${sign}` +
        `${Math.abs(100 * variance.batchError).toFixed(0)} % from that of all ${variance.population} photos.`;
    }
  }

  function drawPlots() {
    drawSweep();
    drawVariance();
  }

  // --- worker messages ------------------------------------------------------------------

  function handle(msg) {
    switch (msg.type) {
      case 'ready':
        engineReady = true;
        onEngine?.(msg.engine);
        loadSamplesIntoWorker();
        break;
      case 'frame': {
        inFlight = false;
        if (incoming) {
          for (const p of PANELS) {
            Object.assign(incoming[p].dataset, canvases[p].dataset);
            canvases[p].replaceWith(incoming[p]);
          }
          Object.assign(canvases, incoming);
          incoming = null;
        }
        lastFrame = msg;
        // Straight on to the newest settings, so that the engine works while this frame is
        // painted. A camera waits for the next video frame.
        if (source?.live) requestAnimationFrame(pump);
        else if (dirty) pump();
        paint(msg);
        updateRate(performance.now());
        // The plot's rings follow the sliders at a calmer pace than the panels.
        if (performance.now() - lastSweepDraw > 120) drawSweep();
        onFrameHook?.(msg);
        break;
      }
      case 'snapshot':
        snapshotWaiters.get(msg.id)?.(msg);
        snapshotWaiters.delete(msg.id);
        break;
      case 'sweep':
        sweep = msg;
        drawSweep();
        break;
      case 'variance':
        variance = msg;
        drawVariance();
        break;
      case 'error':
        inFlight = false;
        onError?.(new Error(msg.message));
        break;
      default:
        break;
    }
  }

  function startWorker() {
    const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker = w;
    w.onmessage = ({ data: msg }) => {
      if (w === worker) handle(msg); // not what a paused worker said before it went
    };
    w.onerror = (event) => {
      event.preventDefault();
      onError?.(new Error(`lab worker: ${event.message || 'failed to start'}`));
    };
    if (offscreen) {
      // A canvas hands its control over once: after a restart the new worker gets fresh copies
      // (same id and attributes), which take the old ones' places with its first frame, so
      // the panels never go blank.
      incoming = handedOver ? Object.fromEntries(PANELS.map((p) => [p, canvases[p].cloneNode(false)])) : null;
      const handed = Object.fromEntries(PANELS.map((p) => [p, (incoming ?? canvases)[p].transferControlToOffscreen()]));
      handedOver = true;
      worker.postMessage({ type: 'init', canvases: handed }, Object.values(handed));
    } else {
      worker.postMessage({ type: 'init' });
    }
  }

  // Ends the worker (the panels keep showing its last frame) and says why in the lab. Asked
  // to close, the worker ends itself at once, unless it is inside an update; terminate() in a
  // while makes sure.
  function pause(reason) {
    setText('lab-paused', reason).hidden = false;
    if (paused) return;
    paused = true;
    const closing = worker;
    closing.postMessage({ type: 'close' });
    setTimeout(() => closing.terminate(), 5000);
    worker = null;
    engineReady = false;
    ready = false;
    inFlight = false;
    for (const resolve of snapshotWaiters.values()) resolve({ params: null, size: 0, panels: {} });
    snapshotWaiters.clear();
    $('bench-button').disabled = true;
  }

  function resume() {
    if (!paused) return;
    paused = false;
    $('lab-paused').hidden = true;
    $('bench-button').disabled = false;
    startWorker(); // once ready, it gets the photos, the source and the newest settings
  }

  startWorker();

  function loadSamplesIntoWorker() {
    if (!engineReady || !samples.length) return;
    const images = samples.map((s) => ({ name: s.name, data: squareImageData(s.bitmap, size).data }));
    worker.postMessage({ type: 'samples', size, images }, images.map((i) => i.data.buffer));
    sentSource = '';
    ready = true;
    schedule();
  }

  // --- controls ---------------------------------------------------------------------------

  function showValues() {
    setText('contrast-value', controls.contrast.valueAsNumber.toFixed(2));
    setText('brightness-value', String(controls.brightness.valueAsNumber));
    setText('batch-value', String(controls.batch.valueAsNumber));
    const g = Number(controls.groups.value);
    setText('gn-sub', g === 1 ? '1 group: all 8 channels' : g === 8 ? '8 groups: one channel each'
      : `${g} groups of ${8 / g} channels`);
    const batchMode = document.querySelector('input[name="bn-mode"]:checked').value === 'batch';
    const B = controls.batch.valueAsNumber;
    setText('bn-sub', batchMode ? `statistics of this batch of ${B}` : `stored statistics, batch of ${B}`);
    setText('bn-explain', batchMode
      ? `Training mode: the statistics come from this photo and ${B - 1} other${B === 2 ? '' : 's'}, recomputed ` +
        `for every change. This photo is only 1/${B} of the batch, so BN adapts partly; with B = 1 it equals IN.`
      : 'At inference BN uses statistics stored beforehand (here measured on the batch at a = 1, b = 0). ' +
        'They do not follow the photo, so contrast and brightness go straight through. That is why style ' +
        'networks use IN instead.');
  }

  for (const el of [controls.contrast, controls.brightness, controls.batch]) {
    el.addEventListener('input', () => { showValues(); schedule(); });
  }
  for (const el of document.querySelectorAll('input[name="sweep-stat"]')) el.addEventListener('change', drawSweep);
  for (const el of [controls.channel, controls.groups, controls.relu, ...document.querySelectorAll('input[name="bn-mode"]')]) {
    el.addEventListener('change', () => { showValues(); schedule(); drawPlots(); });
  }
  controls.batch.addEventListener('change', drawPlots);
  controls.size.addEventListener('change', () => {
    size = Number(controls.size.value);
    ready = false;
    sweep = null;
    variance = null;
    loadSamplesIntoWorker();
  });
  $('reset-button').addEventListener('click', () => {
    controls.contrast.value = '1';
    controls.brightness.value = '0';
    showValues();
    schedule();
  });
  $('bench-button').addEventListener('click', () => benchmark());
  $('plot-sweep').addEventListener('plotresize', drawSweep);
  $('plot-variance').addEventListener('plotresize', drawVariance);
  showValues();
  drawPlots();

  // The RGBA of every panel as last painted, with the settings it was computed for:
  // { params, size, panels: { in: Uint8ClampedArray, ... } }. Painted by the worker, the
  // pixels come from there; a canvas would show them only some frames later.
  function snapshot() {
    if (paused) return Promise.resolve({ params: null, size: 0, panels: {} });
    if (offscreen) {
      const id = ++snapshotId;
      return new Promise((resolve) => {
        snapshotWaiters.set(id, resolve);
        worker.postMessage({ type: 'snapshot', id });
      });
    }
    const n = lastFrame?.params.size ?? 0;
    const panels = n ? Object.fromEntries(PANELS.map((p) => [p, contexts[p].getImageData(0, 0, n, n).data])) : {};
    return Promise.resolve({ params: lastFrame?.params ?? null, size: n, panels });
  }

  // Moves the contrast slider the way a hand would, for `ms`, and reports updates per second.
  function benchmark(ms = 3000) {
    const button = $('bench-button');
    if (button.disabled || !ready) return Promise.resolve(null);
    button.disabled = true;
    const start = performance.now();
    let frames = 0;
    let firstFrameAt = 0;
    onFrameHook = () => {
      frames++;
      if (frames === 1) firstFrameAt = performance.now();
    };
    return new Promise((resolve) => {
      const step = (now) => {
        const t = (now - start) / ms;
        if (t < 1) {
          controls.contrast.value = String((1.4 + 1.1 * Math.sin(2 * Math.PI * 1.5 * t)).toFixed(2));
          controls.contrast.dispatchEvent(new Event('input', { bubbles: true }));
          requestAnimationFrame(step);
          return;
        }
        onFrameHook = null;
        const rate = ((frames - 1) * 1000) / (performance.now() - firstFrameAt);
        $('fps').textContent = rate.toFixed(0);
        $('fps').dataset.rate = rate.toFixed(2);
        $('fps').dataset.bench = rate.toFixed(2);
        button.disabled = false;
        controls.contrast.value = '1';
        controls.contrast.dispatchEvent(new Event('input', { bubbles: true }));
        resolve(rate);
      };
      requestAnimationFrame(step);
    });
  }

  return {
    setSamples(list) {
      samples = list;
      sweep = null;
      variance = null;
      loadSamplesIntoWorker();
    },
    // source: { key, name, sampleIndex (or -1), image: ImageBitmap | HTMLVideoElement, live }
    setSource(next) {
      source = next;
      sourceVersion++;
      sentSource = '';
      schedule();
      drawPlots();
    },
    workerReady: () => ready,
    pause,
    resume,
    paused: () => paused,
    benchmark,
    snapshot,
  };
}
