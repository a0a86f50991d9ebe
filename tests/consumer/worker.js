import { init } from 'instyle';

import { compute } from './compute.js';

try {
  const ist = await init({ threads: 'auto' });
  postMessage({ threads: ist.threads, variant: ist.variant, outputs: compute(ist) });
  ist.dispose();
} catch (e) {
  postMessage({ error: String(e?.stack ?? e) });
}
