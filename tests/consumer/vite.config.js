// Plain Vite settings a user would write; nothing instyle-specific is needed for a build.
// (For `vite dev`, optimizeDeps.exclude keeps instyle's new URL(..., import.meta.url) pointing
// at its own files instead of Vite's pre-bundled copy.)
export default {
  logLevel: 'warn',
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  optimizeDeps: { exclude: ['instyle'] },
};
