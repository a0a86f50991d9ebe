// js/index.d.ts against a TypeScript user's code (tests/js/types-check.ts): `tsc --noEmit`
// must accept the correct calls and reject the marked mistakes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('index.d.ts type-checks with tsc --noEmit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'instyle-types-'));
  try {
    const config = {
      compilerOptions: {
        strict: true, noEmit: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext',
        lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false,
        // Resolve 'instyle' to this checkout the way a dependency would be resolved.
        paths: { instyle: [join(root, 'js/index.d.ts')] },
      },
      files: [join(root, 'tests/js/types-check.ts')],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
