// Prepended (--extern-pre-js) to the Node loaders: Emscripten 3.1.6's Node code path uses
// require, __filename and __dirname, which an ES module lacks (TOOLCHAIN.md #3).
/* eslint-disable no-unused-vars -- read by the Emscripten loader this file is prepended to */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const __filename = fileURLToPath(import.meta.url);
const __dirname = dirname(__filename);
