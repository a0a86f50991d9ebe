// ESLint (flat config): the recommended rules over every JavaScript file of the project.
// `npm run lint` runs it with clang-format and tsc (scripts/lint.sh).
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['dist/', 'build*/', 'node_modules/', 'web/dist/', 'web/vendor/'] },
  js.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.worker, ...globals.node },
    },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // CommonJS files (the pthread worker shims and the like).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
];
