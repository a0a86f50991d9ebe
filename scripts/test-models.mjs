// test-models.mjs: the ONNX test models that scripts/make_test_models.py builds with Debian's
// PyTorch (TransformerNet at several opsets, small and mixed networks, a small arbitrary-style
// network, with PyTorch's outputs),
// for the JS tests, the demo test and the benchmark. They live in $INSTYLE_TEST_MODELS or the
// git-ignored build/test-models/ (where the native suites put them too: model_test_util.h) and
// are made here when missing or older than the script.
//
//   import { testModel } from '../../scripts/test-models.mjs';
//   const bytes = readFileSync(testModel('transformer.opset13.onnx'));
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/make_test_models.py');
// The script and the training code it exports the arbitrary-style test model with.
const SOURCES = [SCRIPT, ...['arbitrary_net.py', 'random_vgg.py', 'onnx_tools.py'].map((f) => join(ROOT, 'scripts/train', f))];

export function testModelsDir() {
  const dir = process.env.INSTYLE_TEST_MODELS || join(ROOT, 'build/test-models');
  const manifest = join(dir, 'manifest.txt');
  if (!existsSync(manifest) || SOURCES.some((f) => statSync(manifest).mtimeMs < statSync(f).mtimeMs)) {
    execFileSync('/usr/bin/python3', [SCRIPT, dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return dir;
}

export function testModel(name) {
  return join(testModelsDir(), name);
}
