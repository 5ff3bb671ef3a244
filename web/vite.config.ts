// Vite build of the canvas: `vite build web` writes web/dist, which `qntx serve` serves at /.
// `vite web` runs a dev server that proxies the API and the WebSocket to a local `qntx serve`.
import { defineConfig } from 'vite';

const backend = process.env.QNTX_URL ?? 'http://127.0.0.1:8770';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      onwarn(warning, warn) {
        // React Flow's "use client" marks server components; a client-only bundle can ignore it.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: {
      '/api': backend,
      '/health': backend,
      '/ws': { target: backend.replace(/^http/, 'ws'), ws: true },
    },
  },
});
