// `npm run profile` (scripts/profile.mjs): the WebAssembly build's step profile of a built-in
// style, one line per step, and the kinds summed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/profile.mjs', import.meta.url));

test('npm run profile prints every step and the kinds of the default style', () => {
  const out = execFileSync(process.execPath, [SCRIPT, '--size', '64x48', '--runs', '2'], { encoding: 'utf8' });
  assert.match(out, /at 64x48, WebAssembly SIMD, 1 thread, median of 2 runs: total [\d.]+ ms/);
  const steps = out.split('\n').filter((l) => /^\s*\d+\s+\S/.test(l));
  assert.ok(steps.length >= 20, `one line per step, got ${steps.length}`);
  assert.match(steps[0], /Conv 9x9\/1 3->(16|32) \w+\s+1x(16|32)x48x64/);
  assert.match(out, /by kind[\s\S]*Conv 3x3 winograd\s+\d+/);
});

test('npm run profile names a bad argument', () => {
  assert.throws(() => execFileSync(process.execPath, [SCRIPT, '--size', 'big'], { encoding: 'utf8', stdio: 'pipe' }),
    (e) => e.status === 2 && /usage: npm run profile/.test(e.stderr));
});
