/**
 * Builds the npm package into dist/: self-contained ES modules, bundled by
 * esbuild, with every dependency inlined except onnxruntime-web. ORT stays an
 * import so that the app's bundler finds its .wasm/.mjs files next to it (and
 * `wasmPaths` keeps working); nothing else the browser loads comes from another
 * package, so no dev server ever hands a browser a CommonJS file.
 *
 *   dist/index.js     the page API (`pageinfer`)          } share chunks (one copy
 *   dist/quantize.js  the quantizer (`pageinfer/quantize`) }  of the error classes)
 *   dist/worker.js    the worker: one file, found by `new URL('./worker.js', import.meta.url)`
 *   dist/vite.js      the optional Vite plugin (`pageinfer/vite`), for Node
 *   dist/cli.js       the `pageinfer` command, for Node
 *   dist/types/       declarations (tsc)
 *
 * Prints each browser file's size raw, minified and minified + gzip
 * (dist/sizes.json keeps them for the README and the install tests).
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';

const root = new URL('../..', import.meta.url).pathname;
const dist = join(root, 'dist');
const lib = (p: string) => join(root, 'lib', p);

/** Only ORT stays outside the bundles; `onnxruntime-web/*` are its entries. */
const external = ['onnxruntime-web', 'onnxruntime-web/*'];

const common: BuildOptions = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
  outdir: dist,
  external,
};

export async function buildPackage(): Promise<Record<string, FileSize>> {
  rmSync(dist, { recursive: true, force: true });
  await Promise.all([
    // Page entries share chunks, so `instanceof` holds between errors from pageinfer and pageinfer/quantize.
    // Chunks stay at dist/'s top level: the worker URL is resolved from whichever chunk holds the host.
    build({ ...common, platform: 'browser', splitting: true, entryPoints: { index: lib('index.ts'), quantize: lib('quantize/index.ts') }, chunkNames: 'chunk-[hash]' }),
    // The worker is one file: a dev server then serves it with nothing to resolve but ORT's entries.
    build({ ...common, platform: 'browser', entryPoints: { worker: lib('worker/worker.ts') } }),
    build({ ...common, platform: 'node', entryPoints: { vite: lib('vite/index.ts') }, external: [...external, 'vite'] }),
    build({ ...common, platform: 'node', entryPoints: { cli: lib('cli/bin.ts') }, banner: { js: '#!/usr/bin/env node' } }),
  ]);
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  const sizes = Object.fromEntries(await Promise.all(['index.js', 'worker.js', 'quantize.js'].map(async (f) => [f, await sizeOf(f)] as const)));
  writeFileSync(join(dist, 'sizes.json'), JSON.stringify(sizes, null, 2));
  return sizes;
}

export interface FileSize {
  /** The file plus the chunks it imports, as shipped (unminified, so apps' source maps and stacks read well). */
  bytes: number;
  minified: number;
  gzip: number;
}

/** What an app's production build carries for one entry: esbuild minifies it with its chunks, ORT left out. */
async function sizeOf(file: string): Promise<FileSize> {
  const out = await build({ entryPoints: [join(dist, file)], bundle: true, minify: true, format: 'esm', target: 'es2022', write: false, external, logLevel: 'silent' });
  const min = out.outputFiles[0].contents;
  const shipped = await build({ entryPoints: [join(dist, file)], bundle: true, format: 'esm', target: 'es2022', write: false, external, logLevel: 'silent' });
  return { bytes: shipped.outputFiles[0].contents.byteLength, minified: min.byteLength, gzip: gzipSync(min, { level: 9 }).byteLength };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await buildPackage();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  for (const [f, s] of Object.entries(sizes)) console.log(`dist/${f}: ${kb(s.bytes)}, minified ${kb(s.minified)}, minified + gzip ${kb(s.gzip)}`);
}
