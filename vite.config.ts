import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/**
 * COOP/COEP make the page cross-origin isolated, which is what unlocks
 * SharedArrayBuffer and so multi-threaded wasm in onnxruntime-web.
 */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const root = import.meta.dirname;

export default defineConfig(({ mode }) => ({
  root,
  server: { headers: isolationHeaders, host: '127.0.0.1', strictPort: true },
  preview: { headers: isolationHeaders, host: '127.0.0.1', strictPort: true },
  // ORT locates its .wasm/.mjs next to its own module (import.meta.url); pre-bundling would move it.
  optimizeDeps: { exclude: ['onnxruntime-web'], include: ['onnx-proto'] },
  worker: { format: 'es' },
  build:
    mode === 'lib'
      ? {
          outDir: 'dist',
          emptyOutDir: true,
          target: 'es2022',
          lib: { entry: resolve(root, 'lib/index.ts'), formats: ['es'], fileName: 'index' },
          rollupOptions: { external: ['comlink', 'idb-keyval'] },
        }
      : {
          outDir: 'dist/demo',
          emptyOutDir: true,
          target: 'es2022',
          rollupOptions: { input: { demo: resolve(root, 'demo/index.html') } },
        },
}));
