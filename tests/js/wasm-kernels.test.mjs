// The kernel suites (tests/native/{conv,norm,eltwise,pad,resize,pool,wct,invariance}_test.cpp) compiled to
// WebAssembly SIMD and run under Node: every SIMD kernel against its scalar reference, the
// Winograd, im2col, direct, 1x1 and depthwise shape sweeps, the folded upsampling, every pad
// mode, odd sizes and the norms, in the instruction set that ships to browsers rather than
// the host's AVX2. Built by scripts/build.sh into build-wasm/kernel-tests/ (cmake/wasm.cmake).
// One suite by hand: node build-wasm/kernel-tests/conv_test.cjs [--gtest_filter=Conv2dWinograd.*]
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const dir = new URL('../../build-wasm/kernel-tests/', import.meta.url);
const SUITES = ['conv', 'norm', 'eltwise', 'pad', 'resize', 'pool', 'wct', 'invariance'];

for (const suite of SUITES) {
  test(`${suite} kernel suite passes in WebAssembly`, () => {
    const file = new URL(`${suite}_test.cjs`, dir).pathname;
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    const out = run.stdout + run.stderr;
    const failed = out.split('\n').filter((l) => l.startsWith('[  FAILED  ]'));
    assert.equal(run.status, 0, `${suite}_test exited with ${run.status}:\n${failed.join('\n') || out.slice(-4000)}`);
    const passed = Number(/\[ {2}PASSED {2}\] (\d+) tests?\./.exec(out)?.[1] ?? 0);
    assert.ok(passed > 0, `${suite}_test ran no test:\n${out.slice(-2000)}`);
    console.log(`# ${suite}: ${passed} tests passed in WebAssembly`);
  });
}

test('the kernel suites run WASM SIMD code (f32x4), as the shipped engine does', () => {
  // The .cjs files carry their module inline (SINGLE_FILE) as a base64 data URI.
  const js = readFileSync(new URL('conv_test.cjs', dir), 'utf8');
  const b64 = /data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)/.exec(js)?.[1];
  assert.ok(b64, 'no inline module in conv_test.cjs');
  const tmp = mkdtempSync(join(tmpdir(), 'instyle-kernels-'));
  try {
    writeFileSync(join(tmp, 'conv_test.wasm'), Buffer.from(b64, 'base64'));
    const text = execFileSync('wasm-dis', [join(tmp, 'conv_test.wasm')], { maxBuffer: 512 * 2 ** 20, encoding: 'utf8' });
    const count = (text.match(/f32x4\.mul/g) ?? []).length;
    assert.ok(count > 100, `only ${count} f32x4.mul instructions: the kernels were not compiled to WASM SIMD`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
