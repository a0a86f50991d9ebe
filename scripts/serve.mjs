#!/usr/bin/env node
// serve.mjs: a small static server for the demo (web/) and the package files it loads (js/, dist/).
// No dependencies. Listens on 127.0.0.1 only and serves the repository root, by default with
// the COOP/COEP headers that make a page cross-origin isolated, which WASM threads need.
//
//   node scripts/serve.mjs [--port 8080] [--no-isolation]        # prints the demo's URL
//   import { startServer } from './scripts/serve.mjs';
//   const { url, close } = await startServer({ port: 0, isolation: false });

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

// Headers for every response. With isolation, the page gets crossOriginIsolated === true and
// with it SharedArrayBuffer, which Emscripten's pthreads build needs.
function baseHeaders(isolation) {
  const headers = {
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
  if (isolation) {
    headers['Cross-Origin-Opener-Policy'] = 'same-origin';
    headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
  }
  return headers;
}

// Maps a URL path to a file under root, or null when it would leave root.
function resolvePath(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  // Hidden files (.git, .ci, ...) are not the demo's business.
  if (decoded.split('/').some((part) => part.startsWith('.'))) return null;
  const file = resolve(join(root, decoded));
  if (file !== root && !file.startsWith(root + sep)) return null;
  return file;
}

// The request handler alone, for embedding in another server.
export function createHandler({ root = REPO_ROOT, isolation = true } = {}) {
  root = resolve(root);
  return async (req, res) => {
    const headers = baseHeaders(isolation);
    const send = (status, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { ...headers, 'Content-Type': type });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(405, 'method not allowed\n');
    }
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/') {
      res.writeHead(302, { ...headers, Location: '/web/' });
      return res.end();
    }
    let file = resolvePath(root, url.pathname);
    if (!file) return send(403, 'forbidden\n');
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        if (!url.pathname.endsWith('/')) {
          res.writeHead(301, { ...headers, Location: url.pathname + '/' + url.search });
          return res.end();
        }
        file = join(file, 'index.html');
        info = await stat(file);
      }
      if (!info.isFile()) return send(404, 'not found\n');
      const type = MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
      res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': info.size });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res);
    } catch {
      send(404, 'not found\n');
    }
  };
}

// Starts listening (port 0: any free port). Resolves to { server, port, url, close }, where url
// is the demo page's address.
export function startServer({ port = 8080, host = '127.0.0.1', root, isolation = true } = {}) {
  const server = createServer(createHandler({ root, isolation }));
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const actual = server.address().port;
      const origin = `http://${host}:${actual}`;
      resolvePromise({
        server,
        port: actual,
        origin,
        url: `${origin}/web/`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

function parseArgs(argv) {
  const options = { port: 8080, isolation: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--no-isolation') options.isolation = false;
    else if (arg === '--isolation') options.isolation = true;
    else if (arg === '--port' || arg === '-p') options.port = Number(argv[++i]);
    else if (arg.startsWith('--port=')) options.port = Number(arg.slice(7));
    else if (arg === '--help' || arg === '-h') options.help = true;
    else throw new Error(`unknown argument: ${arg}`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new Error('--port takes a number from 0 to 65535');
  }
  return options;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`serve.mjs: ${err.message}`);
    process.exit(2);
  }
  if (options.help) {
    console.log('usage: node scripts/serve.mjs [--port N] [--no-isolation]');
    process.exit(0);
  }
  try {
    const { url } = await startServer(options);
    const mode = options.isolation
      ? 'cross-origin isolated (COOP/COEP): WASM threads on'
      : 'not isolated (--no-isolation): single-threaded fallback';
    console.log(`instyle demo: ${url}\n  ${mode}\n  Ctrl+C stops the server.`);
  } catch (err) {
    const hint = err.code === 'EADDRINUSE' ? ' (try --port 0 for any free port)' : '';
    console.error(`serve.mjs: cannot listen on port ${options.port}: ${err.message}${hint}`);
    process.exit(1);
  }
}
