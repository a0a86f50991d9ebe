// The package as a user gets it: `npm pack`, install the tarball into a temporary project,
// import 'instyle' in Node, build a page with Vite and open it in headless Chromium twice,
// cross-origin isolated (threads in a Worker) and not (single-threaded fallback). Every
// place must compute the same numbers as this checkout, bit for bit (the same .wasm runs).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { init } from '../../js/index.node.js';
import { compute } from '../consumer/compute.js';
import * as ref from './reference.mjs';
import { assertClose } from './helpers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const consumerSources = join(root, 'tests/consumer');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 2 ** 20 });

function serve(dir, isolated) {
  const server = createServer((req, res) => {
    if (req.url === '/favicon.ico') return res.writeHead(204).end();
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    let file = path.startsWith(dir) ? path : join(dir, 'index.html');
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const body = readFileSync(file);
      const headers = { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' };
      if (isolated) {
        headers['Cross-Origin-Opener-Policy'] = 'same-origin';
        headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      }
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('consumer: npm pack, install, Node, Vite, Chromium', { timeout: 180_000 }, () => {
  let work, project, expected, tarball, styleExpected;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'instyle-consumer-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root))[0];
    tarball = { file: join(work, packed.filename), size: packed.size, unpackedSize: packed.unpackedSize, files: packed.files.map((f) => f.path) };
    project = join(work, 'app');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'instyle-consumer', private: true, type: 'module' }));
    for (const f of readdirSync(consumerSources)) copyFileSync(join(consumerSources, f), join(project, f));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball.file], project);
    const ist = await init({ threads: 1 });
    expected = compute(ist);
    ist.dispose();
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('the tarball holds the loaders, the engines and the types, and nothing else', () => {
    const files = tarball.files.sort();
    for (const f of ['LICENSE', 'THIRD_PARTY.md', 'README.md', 'package.json', 'bindings/runtime.js', 'js/index.d.ts', 'js/index.node.js', 'js/index.browser.js', 'dist/instyle-simd-web.wasm', 'dist/instyle-simd-threads-web.wasm', 'dist/instyle-simd-threads-web.worker.js', 'dist/instyle-simd-threads-node.worker.cjs']) {
      assert.ok(files.includes(f), `${f} missing from the tarball`);
    }
    // Sources, tests, build folders and the demo stay out; bin/ is the command line, styles/
    // the built-in style networks.
    for (const f of files) assert.match(f, /^(LICENSE|THIRD_PARTY\.md|README\.md|package\.json|bindings\/runtime\.js|(js|bin)\/[\w.-]+|dist\/instyle-[\w.-]+|styles\/[\w-]+\.(onnx|jpg))$/, `unexpected file ${f}`);
    assert.ok(files.some((f) => f.startsWith('styles/')), 'the built-in styles are in the tarball');
    console.log(`# npm pack: ${(tarball.size / 1024).toFixed(0)} KiB packed, ${(tarball.unpackedSize / 1024).toFixed(0)} KiB unpacked, ${files.length} files`);
  });

  test('npm install instyle pulls no native binary; the CLI lists styles without sharp and asks for it to read photos', () => {
    const modules = join(project, 'node_modules');
    const installed = readdirSync(modules).filter((d) => !d.startsWith('.'));
    assert.deepEqual(installed, ['instyle'], `installed beside instyle: ${installed.join(', ')}`);
    const native = [];
    let bytes = 0;
    const walk = (dir) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else {
          bytes += statSync(p).size;
          if (/\.(node|so(\.\d+)*|dylib|dll)$/.test(e.name)) native.push(p);
        }
      }
    };
    walk(modules);
    assert.deepEqual(native, [], 'native binaries in the install');
    console.log(`# npm install instyle: ${(bytes / 2 ** 20).toFixed(1)} MiB in node_modules, no native binary`);
    const cli = join(modules, 'instyle/bin/instyle.js');
    assert.match(run(process.execPath, [cli, 'styles'], project), /\(default\)/);
    writeFileSync(join(project, 'photo.png'), Buffer.from('not read'));
    let failure;
    try {
      run(process.execPath, [cli, 'stylize', 'photo.png', 'out.png'], project);
    } catch (e) {
      failure = e;
    }
    assert.equal(failure?.status, 1, 'stylize without sharp must fail with status 1');
    assert.match(failure.stderr, /'sharp', which is not installed.*npm install sharp/);
  });

  test('the installed package computes the known values in Node', () => {
    const out = JSON.parse(run(process.execPath, ['node-check.mjs'], project));
    for (const threads of ['1', '2']) {
      assert.equal(out[threads].threads, Number(threads));
      assert.deepEqual(out[threads].outputs, expected, `threads ${threads}`);
      assert.ok(out[threads].style.names.length >= 1);
      assert.ok(out[threads].style.jpeg && out[threads].style.thumbnailBytes > 1000, 'the default style\'s thumbnail is a JPEG in the package');
      assert.deepEqual(out[threads].style, out['1'].style, 'the default style gives the same pixels with 2 threads');
    }
    styleExpected = out['1'].style;
    // And the known values are right: the plain-JS reference agrees.
    const { SHAPE } = { SHAPE: [2, 3, 8, 9] };
    const x = Float32Array.from({ length: 432 }, (_, i) => Math.fround(Math.sin(i * 0.37) * 3 + (i % 7) * 0.25));
    assertClose(out['1'].outputs.instanceNorm, ref.instanceNorm(x, SHAPE, { gamma: [1, 2, 3], beta: [0, 0.5, -1], relu: true }), { atol: 1e-4, rtol: 1e-4 });
  });

  describe('a Vite build in headless Chromium', () => {
    let browser, site;
    before(async () => {
      const vite = join(root, 'node_modules/vite/bin/vite.js');
      run(process.execPath, [vite, 'build'], project);
      site = join(project, 'dist');
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    });
    after(async () => browser?.close());

    for (const isolated of [true, false]) {
      test(isolated ? 'cross-origin isolated: threads in the Worker, same numbers' : 'not isolated: single-threaded fallback, same numbers', async () => {
        const server = await serve(site, isolated);
        const page = await browser.newPage();
        const problems = [];
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(m.text());
        });
        page.on('pageerror', (e) => problems.push(String(e)));
        page.on('response', (r) => {
          if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
        });
        try {
          await page.goto(`http://127.0.0.1:${server.address().port}/`);
          await page.waitForFunction(() => window.__instyle !== undefined, null, { timeout: 60_000 });
          const r = await page.evaluate(() => window.__instyle);
          assert.equal(r.error, undefined, r.error);
          assert.equal(r.crossOriginIsolated, isolated);
          assert.deepEqual(problems, []);
          // The main thread never picks threads by itself.
          assert.equal(r.main.threads, 1);
          assert.deepEqual(r.main.outputs, expected, 'main thread');
          assert.deepEqual(r.main.style, styleExpected, 'the bundled default style gives the pixels it gives in Node');
          assert.equal(r.worker.error, undefined, r.worker.error);
          assert.deepEqual(r.worker.outputs, expected, 'worker');
          if (isolated) {
            assert.ok(r.worker.threads > 1, `worker threads: ${r.worker.threads}`);
            assert.equal(r.worker.variant, 'simd-threads');
            assert.equal(r.mainThreaded.threads, 2);
            assert.deepEqual(r.mainThreaded.outputs, expected, 'main thread, 2 threads');
          } else {
            assert.equal(r.worker.threads, 1);
            assert.equal(r.worker.variant, 'simd');
            assert.equal(r.mainThreaded, undefined);
          }
        } finally {
          await page.close();
          server.close();
        }
      });
    }
  });
});
