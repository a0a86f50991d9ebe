// The demo page: picks the photo (samples, upload, camera) shared by the lab and the studio,
// shows the engine's status, and reports errors.

import { createLab } from './lab/lab.js';
import { createStudio } from './studio/studio.js';
import { decodePreview, fetchBlob } from './common/images.js';

const SAMPLES = [
  { file: 'lady-bird.jpg', title: 'Ladybird' },
  { file: 'dune.jpg', title: 'Dune grass' },
  { file: 'yellow-flower.jpg', title: 'Yellow flower' },
  { file: 'storm.jpg', title: 'Storm' },
  { file: 'aqua.jpg', title: 'Water drop' },
  { file: 'garden.jpg', title: 'Marigold' },
  { file: 'two-wings.jpg', title: 'Dandelion seeds' },
  { file: 'wood.jpg', title: 'Wood' },
];

const $ = (id) => document.getElementById(id);

let toastTimer = 0;
function showError(err) {
  console.warn(err);
  const toast = $('toast');
  toast.textContent = err.message || String(err);
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { toast.hidden = true; }, 6000);
}

function showEngine(engine) {
  const status = $('engine-status');
  const threads = engine.threads > 1 ? `${engine.threads} threads` : '1 thread';
  const why = engine.isolated ? 'cross-origin isolated' : 'not cross-origin isolated: no threads';
  status.querySelector('.engine-text').textContent = `WASM SIMD · ${threads} · ${why}`;
  status.dataset.state = 'ready';
  status.dataset.threads = String(engine.threads);
  status.dataset.isolated = String(engine.isolated);
  $('footer-threads').textContent = engine.threads > 1 ? `, ${engine.threads} threads` : ', one thread';
}

const lab = createLab({
  onEngine: showEngine,
  onError: (err) => {
    $('engine-status').dataset.state = 'error';
    showError(err);
  },
});
// Why the lab has stepped aside, if it has: reason -> message. It resumes when none is left.
const labHolds = new Map();
function holdLab(reason, message) {
  if (message) labHolds.set(reason, message);
  else labHolds.delete(reason);
  if (labHolds.size) lab.pause([...labHolds.values()].at(-1));
  else lab.resume();
}

const studio = createStudio({
  onError: showError,
  onPhotoFile: (file) => useFile(file).catch(showError),
  // A big run needs the memory the lab's worker holds: the lab steps aside until it ends.
  onBigJob: (job) => {
    const mp = job && `${(job.width * job.height / 1e6).toFixed(1).replace(/\.0$/, '')} MP`;
    holdLab('big-job', job && (job.png ? `Paused while the studio makes a ${mp} PNG.` : `Paused while the studio stylizes a ${mp} photo.`));
  },
  // The live camera wants every core it can get: the lab steps aside while it runs.
  onLive: (running) => holdLab('live', running && 'Paused while the studio’s live camera runs.'),
});
// For the browser tests and the curious console: instyleDemo.lab.snapshot() gives the panels' pixels.
globalThis.instyleDemo = { lab, studio };

// --- photo choice -------------------------------------------------------------------------

const thumbs = $('sample-list');
let uploads = 0;
let camera = null; // { stream, video, previous }
let currentSource = null;

// source: { key, name, sampleIndex (or -1), file (Blob; none for the camera), image (a bitmap
// whose long side is at most PREVIEW_MAX, or the video), width, height (the photo's own), live }
function choose(source) {
  currentSource = source;
  lab.setSource(source);
  studio.setPhoto({ name: source.name, source: source.file ?? null, image: source.image, width: source.width, height: source.height });
  for (const b of thumbs.children) b.setAttribute('aria-checked', String(Number(b.dataset.index) === source.sampleIndex));
  $('photo-name').textContent = source.sampleIndex >= 0 ? SAMPLES[source.sampleIndex].title : source.name;
}

SAMPLES.forEach((s, i) => {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'thumb';
  b.dataset.index = String(i);
  b.setAttribute('role', 'radio');
  b.setAttribute('aria-checked', 'false');
  b.setAttribute('aria-label', s.title);
  b.title = s.title;
  b.dataset.testid = `sample-${i}`;
  b.innerHTML = `<img src="samples/${s.file}" alt="" width="64" height="64" loading="eager" decoding="async">`;
  thumbs.append(b);
});

// Arrow keys move between samples, as in any radio group.
thumbs.addEventListener('keydown', (event) => {
  const i = [...thumbs.children].indexOf(document.activeElement);
  if (i < 0) return;
  const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
  if (!step) return;
  event.preventDefault();
  const next = thumbs.children[(i + step + SAMPLES.length) % SAMPLES.length];
  next.focus();
  next.click();
});

async function loadSamples() {
  const files = await Promise.all(SAMPLES.map((s) => fetchBlob(`samples/${s.file}`)));
  const decoded = await Promise.all(files.map(decodePreview));
  lab.setSamples(SAMPLES.map((s, i) => ({ name: s.file, bitmap: decoded[i].image })));
  const sample = (i) => ({ key: `sample:${i}`, name: SAMPLES[i].file, sampleIndex: i, file: files[i], ...decoded[i] });
  thumbs.addEventListener('click', (event) => {
    const button = event.target.closest('.thumb');
    if (!button) return;
    stopCamera(false);
    choose(sample(Number(button.dataset.index)));
  });
  choose(sample(0));
}

// The page keeps a display-size bitmap of the photo and the file itself, which the studio's
// worker decodes again when it needs every pixel.
async function useFile(file) {
  const decoded = await decodePreview(file);
  stopCamera(false);
  uploads++;
  choose({ key: `upload:${uploads}`, name: file.name, sampleIndex: -1, file, ...decoded });
}

$('upload-input').addEventListener('change', (event) => {
  const file = event.target.files?.[0];
  event.target.value = '';
  if (file) useFile(file).catch(showError);
});

// Dropping a photo on the lab uses it, like Upload.
const labEl = document.querySelector('.lab');
labEl.addEventListener('dragover', (event) => {
  if ([...event.dataTransfer.items].some((i) => i.kind === 'file')) event.preventDefault();
});
labEl.addEventListener('drop', (event) => {
  event.preventDefault();
  const file = event.dataTransfer.files?.[0];
  if (file) useFile(file).catch(showError);
});

// --- camera -----------------------------------------------------------------------------

const cameraButton = $('camera-button');
if (navigator.mediaDevices?.getUserMedia) cameraButton.hidden = false;

function stopCamera(restore) {
  if (!camera) return;
  for (const track of camera.stream.getTracks()) track.stop();
  const { previous } = camera;
  camera = null;
  cameraButton.setAttribute('aria-pressed', 'false');
  cameraButton.textContent = 'Camera';
  if (restore && previous) choose(previous);
}

cameraButton.addEventListener('click', async () => {
  if (camera) {
    stopCamera(true);
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' }, audio: false,
    });
    const video = Object.assign(document.createElement('video'), { muted: true, playsInline: true, srcObject: stream });
    await video.play();
    camera = { stream, video, previous: currentSource };
    cameraButton.setAttribute('aria-pressed', 'true');
    cameraButton.textContent = 'Stop camera';
    choose({ key: 'camera', name: 'camera.png', sampleIndex: -1, image: video, width: video.videoWidth, height: video.videoHeight, live: true });
  } catch (err) {
    showError(new Error(`The camera is not available here (${err.name || err.message}).`));
  }
});

loadSamples().catch(showError);
