import { resolve } from 'node:path';
import { defineConfig, type Connect, type Plugin } from 'vite';

/**
 * COOP/COEP make the page cross-origin isolated, which is what unlocks
 * SharedArrayBuffer and so multi-threaded wasm in onnxruntime-web.
 */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const root = import.meta.dirname;

/**
 * Sends the isolation headers on every response, except for documents asked
 * for with `?coi=0`: tests use that to see how pageinfer behaves on a page
 * that is not cross-origin isolated.
 */
function crossOriginIsolation(): Plugin {
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    if (!/[?&]coi=0\b/.test(req.url ?? '')) for (const [k, v] of Object.entries(isolationHeaders)) res.setHeader(k, v);
    next();
  };
  return {
    name: 'pageinfer:cross-origin-isolation',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}

export default defineConfig({
  root,
  plugins: [crossOriginIsolation()],
  server: { host: '127.0.0.1', strictPort: true },
  preview: { host: '127.0.0.1', strictPort: true },
  // ORT locates its .wasm/.mjs next to its own module (import.meta.url); pre-bundling would move it.
  optimizeDeps: { exclude: ['onnxruntime-web'], include: ['onnx-proto'] },
  worker: { format: 'es' as const },
  build: {
    outDir: 'dist/demo',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: { demo: resolve(root, 'demo/index.html') } },
  },
});
