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

/** Vite prints the server's root URL: `/` and `/demo` lead to the demo, which lives at `/demo/`. */
function demoAtRoot(): Plugin {
  const middleware: Connect.NextHandleFunction = (req, res, next) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/' && path !== '/demo') return next();
    res.statusCode = 302;
    res.setHeader('Location', '/demo/');
    res.end();
  };
  return { name: 'pageinfer:demo-at-root', configureServer: (server) => void server.middlewares.use(middleware) };
}

export default defineConfig({
  root,
  plugins: [crossOriginIsolation(), demoAtRoot()],
  // Tests set PAGEINFER_TEST: no HMR, so a file saved mid-run cannot reload a page under test.
  server: { host: '127.0.0.1', strictPort: true, hmr: !process.env.PAGEINFER_TEST },
  preview: { host: '127.0.0.1', strictPort: true },
  // ORT locates its .wasm/.mjs next to its own module (import.meta.url); pre-bundling would move it.
  // Scanning every page up front stops Vite from discovering a dependency mid-test and reloading the page.
  optimizeDeps: { exclude: ['onnxruntime-web'], include: ['onnx-proto', 'comlink', 'idb-keyval'], entries: ['demo/**/*.html', 'e2e/pages/**/*.html'] },
  worker: { format: 'es' as const },
  build: {
    outDir: 'dist/demo',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: { demo: resolve(root, 'demo/index.html') } },
  },
});
