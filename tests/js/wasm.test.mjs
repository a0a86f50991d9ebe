// The shipped engine files: real WASM SIMD (f32x4 instructions, so a silent fallback to scalar
// code fails here), both variants present, and the package metadata that points at them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { init, version } from '../../js/index.node.js';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const WASM = ['dist/instyle-simd-web.wasm', 'dist/instyle-simd-threads-web.wasm'];

for (const file of WASM) {
  test(`${file} contains f32x4 instructions`, () => {
    const text = execFileSync('wasm-dis', [new URL(file, root).pathname], { maxBuffer: 256 * 2 ** 20, encoding: 'utf8' });
    const f32x4 = text.match(/f32x4\.\w+/g) ?? [];
    assert.ok(f32x4.length > 0, 'no f32x4 instruction: the kernels were not compiled to WASM SIMD');
    const kinds = new Set(f32x4);
    for (const op of ['f32x4.add', 'f32x4.mul', 'f32x4.max']) assert.ok(kinds.has(op), `${op} missing`);
    console.log(`# ${file}: ${f32x4.length} f32x4 instructions (${[...kinds].sort().join(' ')})`);
  });
}

test('the pthreads build uses shared memory and atomics', () => {
  const text = execFileSync('wasm-dis', [new URL(WASM[1], root).pathname], { maxBuffer: 256 * 2 ** 20, encoding: 'utf8' });
  assert.match(text, /\(import "\w+" "\w+" \(memory \$\S+ \(shared \d+ \d+\)\)\)/);
  assert.match(text, /memory\.atomic\.wait32/); // pool threads sleep, not spin
});

test('every file the loaders need is in dist/ and in the package files list', () => {
  const needed = [
    ...WASM,
    'dist/instyle-simd-web.mjs',
    'dist/instyle-simd-node.mjs',
    'dist/instyle-simd-threads-web.mjs',
    'dist/instyle-simd-threads-web.worker.js',
    'dist/instyle-simd-threads-node.mjs',
    'dist/instyle-simd-threads-node.worker.cjs',
  ];
  for (const file of needed) {
    assert.ok(existsSync(new URL(file, root)), `${file} missing`);
    const ext = file.slice(file.indexOf('.', file.lastIndexOf('/')));
    assert.ok(pkg.files.some((f) => f === `dist/*${ext.slice(ext.lastIndexOf('.'))}` || f === `dist/*${ext}`), `${file} not covered by package.json files`);
  }
  // Node borrows the web .wasm: no second copy is shipped.
  assert.ok(!existsSync(new URL('dist/instyle-simd-node.wasm', root)));
});

test('package.json: exports conditions, types, version', async () => {
  assert.equal(pkg.name, 'instyle');
  assert.equal(pkg.type, 'module');
  const entry = pkg.exports['.'];
  assert.deepEqual(Object.keys(entry), ['types', 'browser', 'node', 'default']);
  for (const target of Object.values(entry)) assert.ok(existsSync(new URL(target, root)), target);
  assert.equal(Object.keys(pkg.scripts ?? {}).filter((s) => /install/.test(s)).length, 0, 'no install scripts');
  assert.equal(version, pkg.version);
  const ist = await init({ threads: 1 });
  assert.equal(ist.version, pkg.version);
  assert.equal(ist.simd, 'sse4.1'); // xsimd's SSE4.1 path, lowered to WASM SIMD128
  ist.dispose();
});
