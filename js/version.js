// Kept equal to package.json's version by tests/js/package.test.mjs.
export const VERSION = '0.1.0';
