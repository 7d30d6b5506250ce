/**
 * Serves the bench page with COOP/COEP (cross-origin isolation, so wasm threads and
 * measureUserAgentSpecificMemory work), in one of two ways:
 *
 * - `build` (default): `vite build` of e2e/bench/pages/bench.html into bench-results/site
 *   (the worker and ORT bundled, hashed assets, as a production site ships them), served
 *   by a small static server. Load times then mean what they mean for a real site, and no
 *   dev server transforms modules while a benchmark runs.
 * - `dev`: the repo's Vite dev server (vite.config.ts), HMR off (PAGEINFER_TEST). Faster to
 *   start; loads include Vite's module-by-module serving.
 *
 * Model files and data (paths.ts's servedFromRepo: bench-results/data, fixtures, models and the
 * sources prepare.ts falls back to) are served from the repo either way, with `no-store`, so every
 * peer fetches them from the loopback network.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { build, createServer, type Plugin, type ViteDevServer } from 'vite';
import { freePort } from '../drivers.js';
import { fileOfUrl, repoRoot, siteDir } from './paths.js';

export const benchPagePath = '/e2e/bench/pages/bench.html';

export interface BenchServer {
  origin: string;
  mode: 'build' | 'dev';
  close(): Promise<void>;
}

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

const tfjsPackages = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgl'];

/**
 * Where TF.js (the optional peer) is: the repo's node_modules, or (build mode only, for trying it
 * without touching the repo) a node_modules folder named by PAGEINFER_BENCH_TFJS. Null when absent.
 */
export function findTfjs(allowEnv: boolean): { root: string | null; version: string } | null {
  const req = createRequire(join(repoRoot, 'package.json'));
  try {
    for (const p of tfjsPackages) req.resolve(`${p}/package.json`);
    return { root: null, version: (req(`@tensorflow/tfjs-core/package.json`) as { version: string }).version };
  } catch {
    const dir = allowEnv ? process.env.PAGEINFER_BENCH_TFJS : undefined;
    if (dir && tfjsPackages.every((p) => existsSync(join(dir, p, 'package.json')))) {
      return { root: resolve(dir), version: (createRequire(join(dir, 'x.js'))(`@tensorflow/tfjs-core/package.json`) as { version: string }).version };
    }
    return null;
  }
}

/** `virtual:bench-tfjs`: TF.js core, its wasm and WebGL backends and the wasm file URLs, or `null`. */
function tfjsPlugin(allowEnv: boolean): Plugin {
  const id = 'virtual:bench-tfjs';
  const found = findTfjs(allowEnv);
  const at = (p: string, file: string) => (found?.root ? join(found.root, p, file) : `${p}/${file}`);
  return {
    name: 'pageinfer-bench:tfjs',
    resolveId: (source) => (source === id ? `\0${id}` : undefined),
    load(loaded) {
      if (loaded !== `\0${id}`) return undefined;
      if (!found) return 'export const tfjs = null;';
      const wasmFiles = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
      return [
        `import * as tf from ${JSON.stringify(found.root ? at('@tensorflow/tfjs-core', 'dist/index.js') : '@tensorflow/tfjs-core')};`,
        `import ${JSON.stringify(found.root ? at('@tensorflow/tfjs-backend-webgl', 'dist/index.js') : '@tensorflow/tfjs-backend-webgl')};`,
        `import * as wasm from ${JSON.stringify(found.root ? at('@tensorflow/tfjs-backend-wasm', 'dist/index.js') : '@tensorflow/tfjs-backend-wasm')};`,
        ...wasmFiles.map((f, i) => `import w${i} from ${JSON.stringify(`${at('@tensorflow/tfjs-backend-wasm', `dist/${f}`)}?url`)};`),
        `const wasmFiles = { ${wasmFiles.map((f, i) => `${JSON.stringify(f)}: new URL(w${i}, location.href).href`).join(', ')} };`,
        `export const tfjs = { tf, version: ${JSON.stringify(found.version)}, setWasmPaths: wasm.setWasmPaths, setThreadsCount: wasm.setThreadsCount, wasmFiles };`,
      ].join('\n');
    },
  };
}

async function startDev(): Promise<BenchServer> {
  process.env.PAGEINFER_TEST = '1';
  const port = await freePort();
  const server: ViteDevServer = await createServer({
    configFile: resolve(repoRoot, 'vite.config.ts'),
    root: repoRoot,
    logLevel: 'warn',
    clearScreen: false,
    server: { port, strictPort: true, host: '127.0.0.1', hmr: false, watch: { ignored: ['**/bench-results/**', '**/test-results/**', '**/dist/**'] } },
    // Scan the bench page up front too, so Vite never discovers a dependency mid-run and reloads it.
    optimizeDeps: { entries: ['e2e/bench/pages/*.html'] },
    plugins: [tfjsPlugin(false)],
  });
  await server.listen();
  return { origin: `http://127.0.0.1:${port}`, mode: 'dev', close: () => server.close() };
}

async function startBuilt(): Promise<BenchServer> {
  await build({
    configFile: false,
    root: repoRoot,
    logLevel: 'warn',
    plugins: [tfjsPlugin(true)],
    worker: { format: 'es', rolldownOptions: { checks: { bundlerTimings: false } } },
    build: { outDir: siteDir, emptyOutDir: true, target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 100_000, rolldownOptions: { input: { bench: join(repoRoot, benchPagePath) }, checks: { bundlerTimings: false } } },
  });
  const port = await freePort();
  const server = createHttpServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = fileOfUrl(path, { root: repoRoot, site: siteDir });
    for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const size = statSync(file).size;
    res.writeHead(200, {
      'Content-Type': types[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(size),
      // Hashed build assets are cacheable (a returning visitor has ORT's wasm compiled); models and data are not.
      'Cache-Control': path.startsWith('/assets/') ? 'public, max-age=3600, immutable' : 'no-store',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${port}`,
    mode: 'build',
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function startServer(mode: 'build' | 'dev' = 'build'): Promise<BenchServer> {
  return mode === 'dev' ? startDev() : startBuilt();
}
