import { defineConfig } from 'vite';

// hookd serves the built files at /portal/ (see src/api/api.cpp serve_portal).
export default defineConfig({
  base: '/portal/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
});
