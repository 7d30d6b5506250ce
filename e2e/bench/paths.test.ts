/** Where the benchmark reads and writes (paths.ts): model URLs the server serves, the results folder. No I/O. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileOfUrl, outArg, outDirOf, shownDir, urlOfRepoFile } from './paths.js';
import { modelFiles, variantKeys } from './prepare.js';

const root = '/repo';
const site = '/repo/bench-results/site';

describe('model URLs', () => {
  // The MNIST and PP-OCR fallbacks (no models/ built) were once given URLs the built site answered with 404.
  it('serves every file a variant may come from at the URL prepare gives it', () => {
    const files = [
      ...variantKeys.mlp.map(modelFiles.mlp.fixture),
      ...(['mnist', 'ppocr'] as const).flatMap((m) => [...Object.values(modelFiles[m].built), modelFiles[m].float]),
      'bench-results/data/models/mnist-cnn.int8.0123456789ab.onnx', // quantized here
      'bench-results/data/refs/mnist-int8-b1_8.0.bin',
    ];
    for (const f of files) {
      const url = urlOfRepoFile(join(root, f), root);
      expect(url).toBe(`/${f}`);
      expect(fileOfUrl(url, { root, site })).toBe(join(root, f));
    }
  });

  it('refuses a URL for a file the server would not serve', () => {
    expect(() => urlOfRepoFile('/repo/lib/index.ts', root)).toThrow(/does not serve it/);
    expect(() => urlOfRepoFile('/elsewhere/models/x.onnx', root)).toThrow(/does not serve it/);
    expect(() => urlOfRepoFile('/repo/models-old/x.onnx', root)).toThrow(/does not serve it/);
  });

  it('serves the rest from the built site, and nothing above it', () => {
    expect(fileOfUrl('/e2e/bench/pages/bench.html', { root, site })).toBe(`${site}/e2e/bench/pages/bench.html`);
    expect(fileOfUrl('/assets/bench-abc.js', { root, site })).toBe(`${site}/assets/bench-abc.js`);
    expect(fileOfUrl('/models/../package.json', { root, site })).toBe(`${site}/package.json`);
    expect(fileOfUrl('/../../etc/passwd', { root, site })).toBe(`${site}/etc/passwd`);
  });
});

describe('results folder', () => {
  it('is bench-results without --out, else --out relative to the repo root', () => {
    expect(outDirOf(undefined, root)).toBe('/repo/bench-results');
    expect(outDirOf('out/x', root)).toBe('/repo/out/x');
    expect(outDirOf('/tmp/bench-out', root)).toBe('/tmp/bench-out');
  });

  it('is shown relative to the repo root when inside it', () => {
    expect(shownDir('/repo/bench-results', root)).toBe('bench-results');
    expect(shownDir('/tmp/bench-out', root)).toBe('/tmp/bench-out');
    expect(shownDir('/repo/../repo2/x', root)).toBe('/repo2/x');
  });

  it('reads --out from cache.bench.ts command line', () => {
    expect(outArg([])).toBeUndefined();
    expect(outArg(['--out', '/tmp/x'])).toBe('/tmp/x');
    expect(() => outArg(['--out'])).toThrow(/needs a folder/);
  });
});
