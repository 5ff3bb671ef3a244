// Vite build of the canvas: `vite build web` writes web/dist, which `qntx serve` serves at /.
// `vite web` runs a dev server that proxies the API and the WebSocket to a local `qntx serve`.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const backend = process.env.QNTX_URL ?? 'http://127.0.0.1:8770';

/** Smaller files are served as they are (the server's COMPRESS_THRESHOLD). */
const COMPRESS_MIN_BYTES = 1024;
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt)$/;

/**
 * Writes `<file>.br` (brotli, best) and `<file>.gz` (gzip, best) beside every text file of the
 * build of 1 KiB or more. `qntx serve` sends them to browsers that accept them (@fastify/static's
 * preCompressed), so the page's files are compressed once, here, at the best level, instead of on
 * every request.
 */
function precompress(): Plugin {
  return {
    name: 'qntx-precompress',
    apply: 'build',
    writeBundle(options, bundle) {
      const dir = options.dir ?? path.join(import.meta.dirname, 'dist');
      for (const name of Object.keys(bundle)) {
        if (!COMPRESSIBLE.test(name)) continue;
        const file = path.join(dir, name);
        const body = fs.readFileSync(file);
        if (body.length < COMPRESS_MIN_BYTES) continue;
        fs.writeFileSync(`${file}.br`, zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } }));
        fs.writeFileSync(`${file}.gz`, zlib.gzipSync(body, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  oxc: { jsx: { runtime: 'automatic' } },
  plugins: [precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      // The compression at its best level (precompress, about 2 s) is meant to be slow: no warning for it.
      checks: { bundlerTimings: false },
      onwarn(warning, warn) {
        // React Flow's "use client" marks server components; a client-only bundle can ignore it.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
      output: {
        // One chunk for the editors, loaded when the first editor shows (ui/lazyEditor.tsx): the
        // CodeMirror core with Python's language, the Python editor and the AX query line. The
        // version diff (@codemirror/merge) stays in a chunk of its own, loaded when one is opened.
        codeSplitting: {
          // Only the modules named below: not what they import from the rest (React, the API client).
          includeDependenciesRecursively: false,
          groups: [
            {
              name: 'editor',
              test: /node_modules[\\/](@codemirror[\\/](?!merge)|@lezer|@marijn|codemirror|crelt|style-mod|w3c-keyname)|[\\/]src[\\/](ui[\\/]useCodeMirror|glyphs[\\/]py[\\/](CodeEditor|code-setup)|glyphs[\\/]ax[\\/]AxQueryEditor)\./,
            },
          ],
        },
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
