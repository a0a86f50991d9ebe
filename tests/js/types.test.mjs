// js/index.d.ts against a TypeScript user's code (tests/js/types-check.ts): `tsc --noEmit`
// with the project's tsconfig.json (which resolves 'instyle' to js/index.d.ts, as a dependency
// would be resolved) must accept the correct calls and reject the marked mistakes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('index.d.ts type-checks with tsc --noEmit', () => {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});
