// The stylization studio's page side: style picker (built-in styles, .onnx files, and any
// image as the style), strength and colour options, a worker running model.stylize with
// progress and cancel, a before/after split view, and PNG download.
//
// For a built-in style or a network the strength blends the result with the photo here, at
// once. For a style image it is the blend of the photo's and the style's statistics inside the
// network (WCT or AdaIN, the "Carry over" choice), so letting go of the slider runs the network
// again (in the worker, with progress and cancel).
//
// The page never holds a photo at full size: the worker (studio/worker.js) decodes the file,
// keeps the full-size photo and result, and sends previews at most PREVIEW_MAX on the long
// side, which the sliders blend here. Download asks the worker for the full-size PNG.

import { blendStylized } from './blend.js';
import { createLive } from './live.js';
import { saveBlob } from '../common/download.js';
import { PREVIEW_MAX, fitSize } from '../common/images.js';

const $ = (id) => document.getElementById(id);

// A worker that does not answer a cancel this quickly is busy inside one long WASM call;
// it is ended and a fresh one started (the model is reloaded from its bytes).
const CANCEL_GRACE_MS = 400;
// A run this big (output pixels) takes more memory than the page can spare beside the lab:
// the engine's heap grows by 175 MB for a 1536 x 1152 run and by up to its 256 MB budget for
// tiled ones, and a 12 MP photo and its result are 96 MB more (its PNG another 75). So
// onBigJob is told, and the lab steps aside meanwhile; smaller runs leave it be.
const BIG_JOB_PIXELS = 1_500_000;

// onPhotoFile(file): a photo dropped on the studio (the page makes it the photo of both).
// onBigJob({ width, height, png }) when a big run (or its PNG, png: true) starts, and
// onBigJob(null) when it ends. onLive(running): the live camera started or stopped.
export function createStudio({ onError, onPhotoFile, onBigJob, onLive }) {
  const el = {
    style: $('style-select'),
    gallery: $('style-gallery'),
    builtin: $('builtin-styles'),
    user: $('user-styles'),
    images: $('image-styles'),
    modelInput: $('model-input'),
    styleImageInput: $('style-image-input'),
    styleImage: $('style-image'),
    styleImageCanvas: $('style-image-canvas'),
    styleTransform: $('style-transform'),
    styleHint: $('style-hint'),
    strength: $('strength'),
    strengthValue: $('strength-value'),
    preserve: $('preserve-colors'),
    maxSize: $('max-size'),
    stylize: $('stylize-button'),
    cancel: $('cancel-button'),
    progress: $('stylize-progress'),
    status: $('studio-status'),
    download: $('download-button'),
    result: $('result-canvas'),
    before: $('before-canvas'),
    split: $('split'),
    splitLine: $('split-line'),
    compare: $('compare'),
    drop: $('studio-drop'),
  };

  let worker = null;
  let workerReady = false;
  // { name, source (the file: Blob; null for the camera), image (ImageBitmap at most
  // PREVIEW_MAX, or the HTMLVideoElement), width, height (the photo's own size) }
  let photo = null;
  // The last run at display size: { width, height, photo: ImageData, result: raw network
  // output (Uint8ClampedArray), fileName, full: { width, height } }. The full-size pair stays
  // in the worker.
  let preview = null;
  let exporting = null; // { id, fileName, big }: a PNG the worker is making
  const userModels = new Map(); // option value -> { name, bytes }
  const styleImages = new Map(); // option value -> { name, blob }
  let rerun = false; // a style image's strength changed during a run: run again after it
  let builtins = new Map(); // option value -> the worker's description of a built-in style
  let current = { value: '', loaded: false };
  let previousValue = '';
  let job = null; // { id, width, height, big, fileName }
  let nextId = 1;
  let loading = null; // { value, resolve }

  function setStatus(text) {
    el.status.textContent = text;
  }

  // A style image is chosen: strength works inside the network.
  const arbitrary = () => el.style.value.startsWith('image:');

  function refreshButtons() {
    const busy = Boolean(job);
    el.stylize.disabled = busy || Boolean(exporting) || !workerReady || !current.loaded || !photo || live.running();
    el.cancel.disabled = !busy;
    el.download.disabled = busy || !preview || Boolean(exporting);
    el.style.disabled = busy;
  }

  function startWorker() {
    worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    workerReady = false;
    worker.onmessage = ({ data: msg }) => handle(msg);
    worker.onerror = (event) => {
      event.preventDefault();
      onError?.(new Error(`studio worker: ${event.message || 'failed to start'}`));
    };
    worker.postMessage({ type: 'init' });
  }

  function handle(msg) {
    switch (msg.type) {
      case 'ready':
        workerReady = true;
        if (!el.builtin.children.length) {
          builtins = new Map((msg.styles ?? []).map((st) => [`builtin:${st.name}`, st]));
          for (const [value, st] of builtins) {
            const label = `${st.title}${st.network === 'full' ? '' : ` (${st.network})`}`;
            el.builtin.append(new Option(label, value));
            el.gallery.append(galleryButton(value, label, st));
          }
          if (builtins.size) {
            el.styleHint.textContent = 'Built-in styles were trained by instyle; you can also load any fast ' +
              'neural style .onnx file (or drop one here), or take any image as the style.';
            // The first built-in style is the default: ready to stylize at once.
            if (!current.value) {
              el.style.value = builtins.keys().next().value;
              current = { value: el.style.value, loaded: false };
            }
            showChoice();
          } else {
            el.builtin.append(Object.assign(new Option('(none)', ''), { disabled: true }));
          }
        }
        // After a restart (cancel), bring the chosen model back.
        if (current.value) loadChoice(current.value);
        refreshButtons();
        break;
      case 'model': {
        current = { value: loading?.value ?? current.value, loaded: true };
        loading = null;
        const params = msg.info?.parameters ?? msg.info?.params;
        const count = !params ? '' : params >= 1e6 ? ` (${(params / 1e6).toFixed(2)} M parameters)`
          : ` (${params.toLocaleString('en')} parameters)`;
        const st = builtins.get(current.value);
        const credit = st ? ` Style from ${st.about}, by ${st.author} (${st.licence}).` : '';
        const what = msg.arbitrary ? `your style image ${msg.name}, through the arbitrary-style network${count}. ` +
          'The strength slider blends its statistics with the photo’s inside the network.' : `${st?.title ?? msg.name}${count}.${credit}`;
        setStatus(`Loaded ${what}${preview ? '' : ' Press Stylize.'}`);
        refreshButtons();
        break;
      }
      case 'progress':
        if (job && msg.id === job.id) {
          el.progress.value = msg.fraction;
          const w = msg.where;
          const part = w?.tiles > 1 ? (w.stage === 'thumbnail' ? ', statistics from a thumbnail' : `, tile ${Math.min(w.tile + 1, w.tiles)} of ${w.tiles}`) : '';
          setStatus(`Stylizing ${job.width} × ${job.height}… ${Math.round(100 * msg.fraction)} %${part}`);
        }
        break;
      case 'result': {
        if (!job || msg.id !== job.id) break;
        const { fileName, arbitrary: byStatistics } = job;
        endJob();
        const pv = msg.preview;
        preview = {
          width: pv.width, height: pv.height, photo: new ImageData(pv.photo, pv.width, pv.height), result: pv.result,
          fileName, full: { width: msg.width, height: msg.height }, arbitrary: byStatistics,
        };
        el.progress.value = 1;
        setStatus(`Done in ${(msg.ms / 1000).toFixed(1)} s (${msg.width} × ${msg.height}).`);
        // The photo as the network saw it, where the page had drawn its own resampling.
        drawBefore(preview.photo);
        showResult();
        refreshButtons();
        if (rerun) restylize();
        break;
      }
      case 'png':
        if (exporting && msg.id === exporting.id) {
          saveBlob(msg.blob, exporting.fileName);
          endExport();
        }
        break;
      case 'cancelled':
        if (job && msg.id === job.id) finishCancel();
        break;
      case 'error':
        if (msg.request === 'stylize' && job) {
          endJob();
          el.progress.value = 0;
        }
        if (msg.request === 'export') endExport();
        if (msg.request === 'load-model' || msg.request === 'load-style') {
          loading = null;
          current = { value: '', loaded: false };
          el.style.value = previousValue;
          showChoice();
        }
        setStatus(`Could not ${{ stylize: 'stylize', export: 'make the PNG' }[msg.request] ?? 'load the style'}: ${msg.message}`);
        onError?.(new Error(msg.message));
        refreshButtons();
        break;
      default:
        break;
    }
  }

  // --- choosing a style -------------------------------------------------------------------

  function loadChoice(value) {
    if (!workerReady || !value) return;
    loading = { value };
    current = { value, loaded: false };
    refreshButtons();
    if (value.startsWith('builtin:')) {
      const name = value.slice(8);
      setStatus(`Loading ${name}…`);
      worker.postMessage({ type: 'load-style', name });
    } else if (value.startsWith('image:')) {
      const { name, blob } = styleImages.get(value);
      setStatus(`Loading the arbitrary-style network and the statistics of ${name}…`);
      worker.postMessage({ type: 'load-style-image', name, image: blob });
    } else {
      const { name, bytes } = userModels.get(value);
      setStatus(`Loading ${name}…`);
      // A copy goes to the worker: the page keeps the bytes to reload after a cancel.
      const copy = bytes.slice(0);
      worker.postMessage({ type: 'load-model', name, bytes: copy }, [copy]);
    }
  }

  async function addModelFile(file) {
    if (!/\.onnx$/i.test(file.name)) {
      onError?.(new Error(`${file.name} is not an .onnx file`));
      return;
    }
    const bytes = await file.arrayBuffer();
    const value = `user:${file.name}`;
    if (!userModels.has(value)) el.user.append(new Option(file.name, value));
    userModels.set(value, { name: file.name, bytes });
    el.style.value = value;
    previousValue = value;
    showChoice();
    loadChoice(value);
    live.setStyle(liveStyle());
  }

  // Any image as the style: checked here (it must decode), shown beside the picker, and sent
  // to the worker as its file.
  async function addStyleImage(file) {
    if (!file.type.startsWith('image/') && !/\.(jpe?g|png|webp|gif|bmp|avif)$/i.test(file.name)) {
      throw new Error(`${file.name} is not an image`);
    }
    let bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      throw new Error(`${file.name}: not an image this browser can read`);
    }
    const c = el.styleImageCanvas;
    const fit = fitSize(bitmap.width, bitmap.height, 192);
    c.width = fit.width;
    c.height = fit.height;
    const ctx = c.getContext('2d');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, fit.width, fit.height);
    bitmap.close();
    const value = `image:${file.name}`;
    if (!styleImages.has(value)) el.images.append(new Option(file.name, value));
    styleImages.set(value, { name: file.name, blob: file });
    el.style.value = value;
    previousValue = value;
    showChoice();
    loadChoice(value);
    live.setStyle(liveStyle());
  }

  // What follows the select: the style image panel, and which artwork is marked in the gallery.
  function showChoice() {
    el.styleImage.hidden = !arbitrary();
    for (const b of el.gallery.children) b.setAttribute('aria-checked', String(b.dataset.value === el.style.value));
  }

  el.styleImageInput.addEventListener('change', () => {
    const file = el.styleImageInput.files?.[0];
    el.styleImageInput.value = '';
    if (file) addStyleImage(file).catch(onError);
  });
  el.styleImage.addEventListener('dragover', (event) => {
    event.preventDefault();
    event.stopPropagation();
    el.styleImage.classList.add('dragging');
  });
  el.styleImage.addEventListener('dragleave', () => el.styleImage.classList.remove('dragging'));
  el.styleImage.addEventListener('drop', (event) => {
    event.preventDefault();
    event.stopPropagation(); // the studio would take it as the photo
    el.styleImage.classList.remove('dragging');
    const file = event.dataTransfer.files?.[0];
    if (file) addStyleImage(file).catch(onError);
  });

  // A built-in style as its artwork's thumbnail: a radio button that picks it in the select.
  function galleryButton(value, label, st) {
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('role', 'radio');
    button.dataset.value = value;
    button.title = `${label}: ${st.about}, ${st.author}`;
    const img = new Image(64, 64);
    img.src = st.thumbnail;
    img.alt = '';
    img.decoding = 'async';
    button.append(img, label);
    button.addEventListener('click', () => {
      if (el.style.value === value) return;
      el.style.value = value;
      el.style.dispatchEvent(new Event('change'));
    });
    return button;
  }

  el.style.addEventListener('focus', () => { previousValue = el.style.value; });
  el.style.addEventListener('change', () => {
    if (el.style.value === '__load__' || el.style.value === '__image__') {
      const input = el.style.value === '__load__' ? el.modelInput : el.styleImageInput;
      el.style.value = previousValue;
      input.click();
      return;
    }
    previousValue = el.style.value;
    showChoice();
    loadChoice(el.style.value);
    live.setStyle(liveStyle());
  });
  el.modelInput.addEventListener('change', () => {
    const file = el.modelInput.files?.[0];
    el.modelInput.value = '';
    if (file) addModelFile(file).catch(onError);
  });

  // Drop an .onnx file (or a photo) anywhere on the studio.
  el.drop.addEventListener('dragover', (event) => {
    if ([...event.dataTransfer.items].some((i) => i.kind === 'file')) {
      event.preventDefault();
      el.drop.classList.add('dragging');
    }
  });
  el.drop.addEventListener('dragleave', () => el.drop.classList.remove('dragging'));
  el.drop.addEventListener('drop', (event) => {
    event.preventDefault();
    el.drop.classList.remove('dragging');
    const file = event.dataTransfer.files?.[0];
    if (!file) return;
    if (/\.onnx$/i.test(file.name)) addModelFile(file).catch(onError);
    else onPhotoFile?.(file);
  });

  // --- stylizing ----------------------------------------------------------------------------

  // The size a run makes at the chosen "Largest side", and the size it is shown at.
  function runSize() {
    const out = fitSize(photo.width, photo.height, Number(el.maxSize.value));
    return { ...out, shown: fitSize(out.width, out.height, PREVIEW_MAX) };
  }

  function drawBefore(data) {
    el.before.width = data.width;
    el.before.height = data.height;
    el.before.getContext('2d').putImageData(data, 0, 0);
  }

  // The page's own picture of the photo, at the size a run's preview will have.
  function drawPhoto() {
    const { shown } = runSize();
    el.before.width = shown.width;
    el.before.height = shown.height;
    const ctx = el.before.getContext('2d');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(photo.image, 0, 0, shown.width, shown.height);
  }

  function clearResult() {
    el.result.getContext('2d').clearRect(0, 0, el.result.width, el.result.height);
  }

  // One buffer for the blended preview, reused while the strength slider moves.
  let blended = null;
  function showResult() {
    if (!preview) return;
    if (blended?.width !== preview.width || blended?.height !== preview.height) {
      blended = new ImageData(preview.width, preview.height);
    }
    // A style image's result has its strength already (inside the network).
    blendStylized(blended.data, preview.result, preview.photo.data, preview.arbitrary ? 1 : el.strength.valueAsNumber, el.preserve.checked);
    el.result.width = blended.width;
    el.result.height = blended.height;
    el.result.getContext('2d').putImageData(blended, 0, 0);
    el.compare.classList.add('has-result');
    applySplit();
  }

  function applySplit() {
    const v = preview ? el.split.valueAsNumber : 100;
    el.before.style.clipPath = `inset(0 ${100 - v}% 0 0)`;
    el.splitLine.style.left = `${v}%`;
    el.splitLine.hidden = !preview;
  }

  async function stylize() {
    if (!photo || job) return;
    const { width, height } = runSize();
    const style = (current.value.split(':')[1] || 'style').replace(/\.onnx$/i, '');
    const base = (photo.name || 'photo').replace(/\.[^.]+$/, '');
    const id = nextId++;
    rerun = false;
    job = { id, width, height, big: width * height > BIG_JOB_PIXELS, fileName: `${base}-${style}.png`, arbitrary: arbitrary() };
    preview = null;
    drawPhoto();
    clearResult();
    applySplit();
    el.progress.value = 0;
    setStatus(`Stylizing ${width} × ${height}…`);
    refreshButtons();
    if (job.big) onBigJob?.({ width, height });
    // The worker decodes the file itself; a camera frame goes as a bitmap of its own.
    let source;
    try {
      source = photo.source ?? await createImageBitmap(photo.image);
    } catch (err) {
      if (job?.id === id) {
        endJob();
        setStatus(`Could not stylize: ${err.message}`);
        refreshButtons();
      }
      throw err;
    }
    if (job?.id !== id) {
      source.close?.(); // cancelled meanwhile
      return;
    }
    worker.postMessage({
      type: 'stylize', id, source, maxSize: Number(el.maxSize.value), previewMax: PREVIEW_MAX,
      styleStrength: job.arbitrary ? el.strength.valueAsNumber : undefined,
      styleTransform: job.arbitrary ? el.styleTransform.value : undefined,
    }, source instanceof ImageBitmap ? [source] : []);
  }

  function endJob() {
    if (job?.big) onBigJob?.(null);
    job = null;
  }

  function endExport() {
    if (exporting?.big) onBigJob?.(null);
    exporting = null;
    refreshButtons();
  }

  function finishCancel() {
    endJob();
    el.progress.value = 0;
    setStatus('Cancelled.');
    refreshButtons();
  }

  function cancel() {
    if (!job) return;
    const { id } = job;
    worker.postMessage({ type: 'cancel' });
    setTimeout(() => {
      if (job && job.id === id) {
        // Still busy: the network is inside one long call. End the worker and start another.
        worker.terminate();
        current.loaded = false;
        finishCancel();
        startWorker();
      }
    }, CANCEL_GRACE_MS);
  }

  el.stylize.addEventListener('click', () => stylize().catch(onError));
  el.cancel.addEventListener('click', cancel);
  el.strength.addEventListener('input', () => {
    el.strengthValue.textContent = `${Math.round(el.strength.valueAsNumber * 100)} %`;
    showResult();
    live.setOptions({ strength: el.strength.valueAsNumber });
  });
  // A style image's strength is the network's: run it again when the slider is let go (after
  // the run under way, if there is one).
  function restylize() {
    if (!arbitrary() || !current.loaded || !photo) return;
    if (job) rerun = true;
    else stylize().catch(onError);
  }
  el.strength.addEventListener('change', () => {
    if (preview?.arbitrary || job?.arbitrary) restylize();
  });
  // How a style image's statistics reach the photo's features (js/arbitrary.js): WCT or AdaIN.
  el.styleTransform.addEventListener('change', () => {
    restylize();
    if (arbitrary()) live.setStyle(liveStyle());
  });
  el.preserve.addEventListener('change', () => {
    showResult();
    live.setOptions({ preserveColors: el.preserve.checked });
  });
  el.split.addEventListener('input', applySplit);
  // The full-size PNG, blended by the worker at the sliders' settings.
  el.download.addEventListener('click', () => {
    if (!preview || exporting) return;
    const { width, height } = preview.full;
    exporting = { id: nextId++, fileName: preview.fileName, big: width * height > BIG_JOB_PIXELS };
    if (exporting.big) onBigJob?.({ width, height, png: true });
    worker.postMessage({
      type: 'export', id: exporting.id, strength: preview.arbitrary ? 1 : el.strength.valueAsNumber, preserveColors: el.preserve.checked,
    });
    refreshButtons();
  });

  // next: { name, source, image, width, height }, as `photo` above.
  function setPhoto(next) {
    photo = next;
    if (job) return; // the running job has its own copy; the new photo shows when it ends
    preview = null;
    clearResult();
    // A live camera is drawn when a frame is stylized.
    if (!(photo.image instanceof HTMLVideoElement)) drawPhoto();
    applySplit();
    refreshButtons();
  }

  // --- live camera ----------------------------------------------------------------------------

  // The chosen style as the live worker loads it: a built-in style's name, a model's bytes, or
  // a style image's file.
  function liveStyle() {
    const value = el.style.value;
    if (value.startsWith('builtin:')) return { name: value.slice(8) };
    const picture = styleImages.get(value);
    if (picture) return { name: picture.name, image: picture.blob, transform: el.styleTransform.value };
    const user = userModels.get(value);
    return user ? { name: user.name, bytes: user.bytes } : null;
  }

  const live = createLive({
    getStyle: liveStyle,
    getOptions: () => ({ strength: el.strength.valueAsNumber, preserveColors: el.preserve.checked }),
    onError,
    onRunning: (running) => {
      refreshButtons();
      onLive?.(running);
    },
  });

  el.strengthValue.textContent = `${Math.round(el.strength.valueAsNumber * 100)} %`;
  applySplit();
  startWorker();
  refreshButtons();

  return { setPhoto, live };
}
