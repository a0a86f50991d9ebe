// The stylization studio's page side: style picker (built-in styles and .onnx files),
// strength and colour options, a worker running model.stylize with progress and cancel,
// a before/after split view, and PNG download.

import { blendStylized } from './blend.js';
import { decodeFile, fitImageData } from '../common/images.js';

const $ = (id) => document.getElementById(id);

// A worker that does not answer a cancel this quickly is busy inside one long WASM call;
// it is ended and a fresh one started (the model is reloaded from its bytes).
const CANCEL_GRACE_MS = 400;

export function createStudio({ onError }) {
  const el = {
    style: $('style-select'),
    builtin: $('builtin-styles'),
    user: $('user-styles'),
    modelInput: $('model-input'),
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
  let photo = null; // { name, image (ImageBitmap | HTMLVideoElement) }
  let photoData = null; // ImageData at the size last stylized
  let stylized = null; // raw network output (Uint8ClampedArray) for photoData
  const userModels = new Map(); // option value -> { name, bytes }
  let builtins = new Map(); // option value -> the worker's description of a built-in style
  let current = { value: '', loaded: false };
  let previousValue = '';
  let job = null; // { id, started }
  let nextId = 1;
  let loading = null; // { value, resolve }

  function setStatus(text) {
    el.status.textContent = text;
  }

  function refreshButtons() {
    const busy = Boolean(job);
    el.stylize.disabled = busy || !workerReady || !current.loaded || !photo;
    el.cancel.disabled = !busy;
    el.download.disabled = busy || !stylized;
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
            el.builtin.append(new Option(`${st.title}${st.network === 'light' ? ' (light)' : ''}`, value));
          }
          if (builtins.size) {
            el.styleHint.textContent = 'Built-in styles were trained by instyle; you can also load any fast ' +
              'neural style .onnx file, or drop one here.';
            // The first built-in style is the default: ready to stylize at once.
            if (!current.value) {
              el.style.value = builtins.keys().next().value;
              current = { value: el.style.value, loaded: false };
            }
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
        setStatus(`Loaded ${st?.title ?? msg.name}${count}.${credit}${stylized ? '' : ' Press Stylize.'}`);
        refreshButtons();
        break;
      }
      case 'progress':
        if (job && msg.id === job.id) {
          el.progress.value = msg.fraction;
          const w = msg.where;
          const part = w?.tiles > 1 ? (w.stage === 'thumbnail' ? ', statistics from a thumbnail' : `, tile ${Math.min(w.tile + 1, w.tiles)} of ${w.tiles}`) : '';
          setStatus(`Stylizing ${photoData.width} × ${photoData.height}… ${Math.round(100 * msg.fraction)} %${part}`);
        }
        break;
      case 'result':
        if (!job || msg.id !== job.id) break;
        job = null;
        stylized = msg.data;
        el.progress.value = 1;
        setStatus(`Done in ${(msg.ms / 1000).toFixed(1)} s (${msg.width} × ${msg.height}).`);
        showResult();
        refreshButtons();
        break;
      case 'cancelled':
        if (job && msg.id === job.id) finishCancel();
        break;
      case 'error':
        if (msg.request === 'stylize' && job) {
          job = null;
          el.progress.value = 0;
        }
        if (msg.request === 'load-model' || msg.request === 'load-style') {
          loading = null;
          current = { value: '', loaded: false };
          el.style.value = previousValue;
        }
        setStatus(`Could not ${msg.request === 'stylize' ? 'stylize' : 'load the style'}: ${msg.message}`);
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
    loadChoice(value);
  }

  el.style.addEventListener('focus', () => { previousValue = el.style.value; });
  el.style.addEventListener('change', () => {
    if (el.style.value === '__load__') {
      el.style.value = previousValue;
      el.modelInput.click();
      return;
    }
    previousValue = el.style.value;
    loadChoice(el.style.value);
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
    else decodeFile(file).then((image) => setPhoto({ name: file.name, image })).catch(onError);
  });

  // --- stylizing ----------------------------------------------------------------------------

  function drawBefore(data) {
    el.before.width = data.width;
    el.before.height = data.height;
    el.before.getContext('2d').putImageData(data, 0, 0);
  }

  // One buffer for the blended result, reused while the strength slider moves: at full size a
  // new one per step would be 48 MB of garbage for a 12 MP photo.
  let blended = null;
  function showResult() {
    if (!stylized || !photoData) return;
    if (blended?.width !== photoData.width || blended?.height !== photoData.height) {
      blended = new ImageData(photoData.width, photoData.height);
    }
    const out = blended;
    blendStylized(out.data, stylized, photoData.data, el.strength.valueAsNumber, el.preserve.checked);
    el.result.width = out.width;
    el.result.height = out.height;
    el.result.getContext('2d').putImageData(out, 0, 0);
    el.compare.classList.add('has-result');
    applySplit();
  }

  function applySplit() {
    const v = stylized ? el.split.valueAsNumber : 100;
    el.before.style.clipPath = `inset(0 ${100 - v}% 0 0)`;
    el.splitLine.style.left = `${v}%`;
    el.splitLine.hidden = !stylized;
  }

  function stylize() {
    if (!photo || job) return;
    photoData = fitImageData(photo.image, Number(el.maxSize.value));
    drawBefore(photoData);
    stylized = null;
    el.result.getContext('2d').clearRect(0, 0, el.result.width, el.result.height);
    applySplit();
    job = { id: nextId++, started: performance.now() };
    el.progress.value = 0;
    setStatus(`Stylizing ${photoData.width} × ${photoData.height}…`);
    const copy = photoData.data.slice();
    worker.postMessage({
      type: 'stylize', id: job.id,
      image: { data: copy, width: photoData.width, height: photoData.height },
    }, [copy.buffer]);
    refreshButtons();
  }

  function finishCancel() {
    job = null;
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

  el.stylize.addEventListener('click', stylize);
  el.cancel.addEventListener('click', cancel);
  el.strength.addEventListener('input', () => {
    el.strengthValue.textContent = `${Math.round(el.strength.valueAsNumber * 100)} %`;
    showResult();
  });
  el.preserve.addEventListener('change', showResult);
  el.split.addEventListener('input', applySplit);
  el.download.addEventListener('click', () => {
    el.result.toBlob((blob) => {
      if (!blob) return;
      const url = URL.createObjectURL(blob);
      const style = (current.value.split(':')[1] || 'style').replace(/\.onnx$/i, '');
      const base = (photo?.name || 'photo').replace(/\.[^.]+$/, '');
      const a = Object.assign(document.createElement('a'), { href: url, download: `${base}-${style}.png` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    }, 'image/png');
  });

  function setPhoto(next) {
    photo = next;
    if (job) return; // the running job keeps its own copy; the new photo shows when it ends
    stylized = null;
    if (photo.image instanceof HTMLVideoElement) {
      el.result.getContext('2d').clearRect(0, 0, el.result.width, el.result.height);
    } else {
      photoData = fitImageData(photo.image, Number(el.maxSize.value));
      drawBefore(photoData);
      el.result.getContext('2d').clearRect(0, 0, el.result.width, el.result.height);
    }
    applySplit();
    refreshButtons();
  }

  el.strengthValue.textContent = `${Math.round(el.strength.valueAsNumber * 100)} %`;
  applySplit();
  startWorker();
  refreshButtons();

  return { setPhoto };
}
