// The page: instyle on the main thread ('auto' stays single-threaded there), then in a module
// Worker ('auto' uses threads when the page is cross-origin isolated). Results go to
// window.__instyle for the test to read.
import { init } from 'instyle';

import { compute, styleCheck } from './compute.js';

function runWorker() {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => {
      worker.terminate();
      resolve(e.data);
    };
    worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
  });
}

const result = { crossOriginIsolated: globalThis.crossOriginIsolated === true };
try {
  const ist = await init();
  result.main = { threads: ist.threads, variant: ist.variant, outputs: compute(ist), style: await styleCheck(ist) };
  ist.dispose();
  result.worker = await runWorker();
  if (result.crossOriginIsolated) {
    // Threads on the main thread only when asked for (with a console warning): it spins while waiting.
    const threaded = await init({ threads: 2 });
    result.mainThreaded = { threads: threaded.threads, variant: threaded.variant, outputs: compute(threaded) };
    threaded.dispose();
  }
} catch (e) {
  result.error = String(e?.stack ?? e);
}
window.__instyle = result;
document.getElementById('status').textContent = result.error ? `error: ${result.error}` : 'done';
