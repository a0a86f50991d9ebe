// Run inside the temporary project: the installed package, imported by name, in Node.
import { readFileSync } from 'node:fs';

import { init, version } from 'instyle';

import { compute, styleCheck } from './compute.js';

const out = {};
for (const threads of [1, 2]) {
  const ist = await init({ threads });
  out[threads] = { threads: ist.threads, variant: ist.variant, version, outputs: compute(ist), style: await styleCheck(ist, (url) => readFileSync(new URL(url))) };
  ist.dispose();
}
process.stdout.write(JSON.stringify(out));
