// The studio's live mode, page side: the camera, stylized frame by frame by a worker
// (studio/live-worker.js) that paints straight onto the live canvas.
//
// Frames are dropped, never queued: one frame is in the worker at a time, and when it has been
// painted the page sends the newest frame the camera has given since (or waits for the next
// one). So the picture lags the camera by one frame's work at most, however slow the machine.
// The rate shown is frames painted in the last second.

import { saveBlob } from '../common/download.js';

const $ = (id) => document.getElementById(id);

// getStyle(): the studio's chosen style as the worker loads it ({ name }, { name, bytes } or
// { name, image }), or null. getOptions(): { strength, preserveColors }. onRunning(bool): live
// mode started or stopped (the page gives the lab's share of the processor to it meanwhile).
export function createLive({ getStyle, getOptions, onError, onRunning }) {
  const el = {
    button: $('live-button'),
    snapshot: $('live-snapshot'),
    size: $('live-size'),
    fps: $('live-fps'),
    status: $('live-status'),
    view: $('live-view'),
    card: $('live-view').closest('.compare-card'),
  };
  // { worker, stream, video, busy, pending, painted (times of the last second's frames),
  //   styleName, stopped }
  let run = null;

  if (!navigator.mediaDevices?.getUserMedia || typeof VideoFrame !== 'function' ||
      !('transferControlToOffscreen' in HTMLCanvasElement.prototype)) {
    el.button.disabled = true;
    el.status.textContent = 'Live mode needs a camera and a browser with VideoFrame and OffscreenCanvas.';
  }

  function setStatus(text) {
    el.status.textContent = text;
  }

  // A canvas can hand its drawing to a worker once only: each start gets a fresh one.
  function freshCanvas() {
    const old = $('live-canvas');
    const canvas = old.cloneNode(false);
    old.replaceWith(canvas);
    return canvas;
  }

  function showRate() {
    const now = performance.now();
    while (run.painted.length && run.painted[0] < now - 1000) run.painted.shift();
    // Until a full second has passed, the rate over the time so far.
    const span = Math.min(1000, now - run.startedAt);
    el.fps.textContent = span > 250 ? (run.painted.length * 1000 / span).toFixed(1) : '–';
  }

  function sendFrame() {
    if (!run || run.busy || !run.ready || run.video.readyState < 2) return;
    run.pending = false;
    let frame;
    try {
      frame = new VideoFrame(run.video, { timestamp: performance.now() * 1000 });
    } catch {
      return; // no picture yet
    }
    run.busy = true;
    run.worker.postMessage({ type: 'frame', frame }, [frame]);
  }

  function onVideoFrame() {
    if (!run) return;
    run.pending = true;
    sendFrame();
    run.video.requestVideoFrameCallback(onVideoFrame);
  }

  function handle(r, msg) {
    if (r !== run) return; // a stopped run's last words
    switch (msg.type) {
      case 'ready':
        r.ready = true;
        r.styleName = msg.style;
        setStatus(`Live: ${msg.style}, ${msg.threads > 1 ? `${msg.threads} threads` : 'one thread'}.`);
        el.snapshot.disabled = false;
        sendFrame();
        break;
      case 'painted':
        r.busy = false;
        if (msg.width) r.painted.push(performance.now());
        showRate();
        el.view.dataset.frames = String(Number(el.view.dataset.frames || 0) + 1);
        // A frame arrived while this one was being painted: send it now, it is the newest.
        if (r.pending) sendFrame();
        break;
      case 'style':
        r.styleName = msg.name;
        setStatus(`Live: ${msg.name}.`);
        break;
      case 'snapshot':
        saveBlob(msg.blob, `camera-${(r.styleName || 'style').replace(/\.onnx$/i, '')}.png`);
        break;
      case 'stats':
        r.statsWaiter?.(msg);
        r.statsWaiter = null;
        break;
      case 'error':
        if (msg.request === 'frame') r.busy = false;
        onError?.(new Error(`live mode: ${msg.message}`));
        if (msg.request === 'start') stop();
        break;
      default:
        break;
    }
  }

  async function start() {
    const style = getStyle();
    if (!style) {
      onError?.(new Error('Choose a style before starting the live camera.'));
      return;
    }
    el.button.disabled = true;
    setStatus('Starting the camera…');
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'user' }, audio: false,
      });
    } catch (err) {
      el.button.disabled = false;
      setStatus('');
      onError?.(new Error(`The camera is not available here (${err.name || err.message}).`));
      return;
    }
    const video = Object.assign(document.createElement('video'), { muted: true, playsInline: true, srcObject: stream });
    await video.play();
    const canvas = freshCanvas();
    const offscreen = canvas.transferControlToOffscreen();
    const worker = new Worker(new URL('./live-worker.js', import.meta.url), { type: 'module' });
    const r = { worker, stream, video, busy: false, pending: false, ready: false, painted: [], startedAt: performance.now(), styleName: '' };
    run = r;
    worker.onmessage = ({ data }) => handle(r, data);
    worker.onerror = (event) => {
      event.preventDefault();
      onError?.(new Error(`live worker: ${event.message || 'failed to start'}`));
      if (run === r) stop();
    };
    const bytes = style.bytes?.slice(0);
    worker.postMessage({
      type: 'start', canvas: offscreen, style: { ...style, bytes }, size: Number(el.size.value), ...getOptions(),
    }, bytes ? [offscreen, bytes] : [offscreen]);
    el.view.hidden = false;
    el.view.dataset.frames = '0';
    el.card.classList.add('live');
    el.button.textContent = 'Stop live';
    el.button.setAttribute('aria-pressed', 'true');
    el.button.disabled = false;
    setStatus('Loading the style…');
    onRunning?.(true);
    video.requestVideoFrameCallback(onVideoFrame);
  }

  function stop() {
    if (!run) return;
    const { worker, stream } = run;
    run = null;
    worker.terminate();
    for (const track of stream.getTracks()) track.stop();
    el.view.hidden = true;
    el.card.classList.remove('live');
    el.snapshot.disabled = true;
    el.fps.textContent = '–';
    el.button.textContent = 'Live camera';
    el.button.setAttribute('aria-pressed', 'false');
    setStatus('');
    onRunning?.(false);
  }

  el.button.addEventListener('click', () => {
    if (run) stop();
    else start().catch((err) => {
      stop();
      el.button.disabled = false;
      onError?.(err);
    });
  });
  el.snapshot.addEventListener('click', () => run?.worker.postMessage({ type: 'snapshot' }));
  el.size.addEventListener('change', () => run?.worker.postMessage({ type: 'options', options: { size: Number(el.size.value) } }));

  return {
    running: () => Boolean(run),
    // The studio's style changed: the worker loads it beside the running one and switches.
    setStyle(style) {
      if (!run || !style) return;
      const bytes = style.bytes?.slice(0);
      setStatus(`Loading ${style.name}…`);
      run.worker.postMessage({ type: 'style', style: { ...style, bytes } }, bytes ? [bytes] : []);
    },
    setOptions(options) {
      run?.worker.postMessage({ type: 'options', options });
    },
    // For tests: the last painted frame's size, mean colour, checksum and the session's options.
    stats() {
      if (!run) return Promise.resolve(null);
      return new Promise((resolve) => {
        run.statsWaiter = resolve;
        run.worker.postMessage({ type: 'stats' });
      });
    },
    stop,
  };
}
