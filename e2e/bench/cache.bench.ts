/**
 * Model cache benchmark (not a test):  npx tsx e2e/bench/cache.bench.ts
 *
 * 1. Time to first result (engine.load + the first run) for a ~10 MB and a
 *    ~50 MB int8 model: cold, over a 50 Mbit/s link (a throttling test
 *    server), against warm, from the IndexedDB cache (issue 19's goals are relative to session creation: see
 *    docs/load-path.md and the run.ts cache suite, which reports them from each load's timeline).
 * 2. A warm read through the cache (`engine.cache.fetch`, lock + lookup +
 *    chunk reads + SHA-256 verification of every chunk + LRU touch) against a
 *    raw idb-keyval `get` of the same bytes stored as one value. Goal ≤ 1.2× (issue 19).
 *
 * The split of each time (bytes in hand / session creation / the rest of
 * load / first run) shows what the cache can and cannot speed up.
 *
 * Writes cache.json into bench-results, or into DIR with `--out DIR` (the runner passes its own
 * results folder, so the cachebench suite's figures land beside the run's). Env: BENCH_COLD (runs, default 2),
 * BENCH_WARM (default 3), BENCH_READS (default 5), BENCH_MBIT (default 50).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { createServer as createVite } from 'vite';
import { encodeModel, makeTensor } from '../../lib/onnx/index.js';
import { makeModel, makeNode, makeValueInfo } from '../../lib/onnx/build.js';
import { chromiumArgs, chromiumPath } from '../browsers.js';
import { ModelServer } from '../servers/model-server.js';
import { outArg, outDirOf, repoRoot as root } from './paths.js';

const outDir = outDirOf(outArg(process.argv.slice(2)));
const COLD = Number(process.env.BENCH_COLD ?? 2);
const WARM = Number(process.env.BENCH_WARM ?? 3);
const READS = Number(process.env.BENCH_READS ?? 5);
const MBIT = Number(process.env.BENCH_MBIT ?? 50);
const DIM = 3200; // one 3200×3200 int8 weight: 10.24 MB

/** An int8 MLP of `layers` DynamicQuantizeLinear → MatMulInteger → Cast → Mul layers, as ORT's quantize_dynamic writes them. */
function int8Mlp(layers: number, dim = DIM): Uint8Array {
  let seed = 12345;
  const nodes = [];
  const initializers = [];
  let h = 'x';
  for (let i = 0; i < layers; i++) {
    const w = new Int8Array(dim * dim);
    for (let j = 0; j < w.length; j++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      w[j] = ((seed >>> 16) % 255) - 127;
    }
    initializers.push(makeTensor(`W${i}`, 'int8', [dim, dim], w));
    initializers.push(makeTensor(`W${i}_zp`, 'int8', [], [0]));
    initializers.push(makeTensor(`W${i}_scale`, 'float32', [], [1 / (127 * Math.sqrt(dim))]));
    nodes.push(makeNode('DynamicQuantizeLinear', [h], [`q${i}`, `s${i}`, `zp${i}`]));
    nodes.push(makeNode('MatMulInteger', [`q${i}`, `W${i}`, `zp${i}`, `W${i}_zp`], [`acc${i}`]));
    nodes.push(makeNode('Cast', [`acc${i}`], [`accf${i}`], { to: 1 }));
    nodes.push(makeNode('Mul', [`accf${i}`, `s${i}`], [`m${i}`]));
    h = i === layers - 1 ? 'y' : `h${i}`;
    nodes.push(makeNode('Mul', [`m${i}`, `W${i}_scale`], [h]));
  }
  return encodeModel(
    makeModel({ nodes, initializers, inputs: [makeValueInfo('x', 'float32', [1, dim])], outputs: [makeValueInfo('y', 'float32', [1, dim])] }),
  );
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number) => Math.round(x * 10) / 10;

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

interface FirstResult {
  /** engine.load → first outputs. */
  ms: number;
  loadMs: number;
  /** Model bytes in hand: download (+ verify) or cache read + verify. */
  bytesMs: number;
  /** Session creation (the 'compile' phase). */
  compileMs: number;
  /** The rest of load(): capability probe, backend planning, worker start. */
  otherMs: number;
  /** The first run. */
  runMs: number;
}

/** In the page: a fresh engine, load, first run; time split by the progress events. */
function firstResult(page: Page, args: { url: string; dbName: string; dim: number; clear: boolean }): Promise<FirstResult> {
  return page.evaluate(async ({ url, dbName, dim, clear }) => {
    const { pageinfer } = window;
    if (clear) await pageinfer.createEngine({ cache: { dbName } }).cache.clear();
    const t0 = performance.now();
    const engine = pageinfer.createEngine({ cache: { dbName } });
    let bytesAt = t0;
    let compileFrom = 0;
    let compileTo = 0;
    const model = await engine.load(url, {
      onProgress: (p) => {
        const now = performance.now();
        if (p.phase !== 'compile') bytesAt = now;
        else {
          compileFrom ||= now;
          compileTo = now;
        }
      },
    });
    const loaded = performance.now();
    await model.run({ x: { type: 'float32', data: new Float32Array(dim).fill(0.25), dims: [1, dim] } });
    const done = performance.now();
    await engine.dispose();
    const bytesMs = bytesAt - t0;
    const compileMs = compileTo - compileFrom;
    return { ms: done - t0, loadMs: loaded - t0, bytesMs, compileMs, otherMs: loaded - t0 - bytesMs - compileMs, runMs: done - loaded };
  }, args);
}

/** In the page: alternating warm reads through the cache and raw idb-keyval gets of the same bytes. */
function reads(page: Page, args: { url: string; dbName: string; n: number }): Promise<{ cache: number[]; raw: number[]; bytes: number }> {
  return page.evaluate(async ({ url, dbName, n }) => {
    const spec = '/node_modules/idb-keyval/dist/index.js'; // served by Vite as is: the library the cache itself uses
    const keyval = (await import(/* @vite-ignore */ spec)) as typeof import('idb-keyval');
    const raw = keyval.createStore(`${dbName}-raw`, 'kv');
    const engine = window.pageinfer.createEngine({ cache: { dbName } });
    const first = await engine.cache.fetch(url, { cache: 'cache-only' });
    await keyval.set('model', first.buffer, raw);
    const out = { cache: [] as number[], raw: [] as number[], bytes: first.byteLength };
    for (let i = 0; i <= n; i++) {
      let t = performance.now();
      const a = await engine.cache.fetch(url, { cache: 'cache-only' });
      const cacheMs = performance.now() - t;
      t = performance.now();
      const b = new Uint8Array((await keyval.get<ArrayBuffer>('model', raw))!);
      const rawMs = performance.now() - t;
      if (a.byteLength !== b.byteLength) throw new Error('reads differ');
      if (i > 0) (out.cache.push(cacheMs), out.raw.push(rawMs)); // the first round warms both up
    }
    await keyval.del('model', raw);
    return out;
  }, args);
}

async function main() {
  const port = await freePort();
  const vite = await createVite({ root, configFile: resolve(root, 'vite.config.ts'), logLevel: 'warn', server: { port, hmr: false, watch: null } });
  await vite.listen();
  const server = await ModelServer.start({ maxLifetimeMs: 30 * 60_000 });
  // A persistent profile: IndexedDB on disk, as for a user (an incognito context keeps it in memory).
  const profile = mkdtempSync(join(tmpdir(), 'pageinfer-cache-bench-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, args: chromiumArgs });
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadavg: os.loadavg().map(round) },
    storage: 'IndexedDB on disk (persistent profile)',
    link: `${MBIT} Mbit/s (throttled test server on loopback)`,
    chunkBytes: 16 * 1024 * 1024,
    runs: { cold: COLD, warm: WARM, reads: READS },
  };
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.addInitScript('globalThis.__name = (f) => f'); // tsx keeps function names with a helper the page lacks
    await page.goto(`http://127.0.0.1:${port}/e2e/pages/harness.html`);
    await page.waitForFunction(() => window.harnessReady === true);
    results.browser = `chromium ${/Chrom(?:e|ium)\/([\d.]+)/.exec(await page.evaluate(() => navigator.userAgent))?.[1] ?? ''}`;

    // Warm up ORT (its wasm in the HTTP cache, compiled) so both sides measure the model, not the runtime.
    const tiny = server.serve('/tiny.onnx', int8Mlp(1, 64));
    await firstResult(page, { url: tiny, dbName: 'bench-warmup', dim: 64, clear: true });

    const models = [];
    const readResults = [];
    for (const [name, layers] of [
      ['10MB', 1],
      ['50MB', 5],
    ] as const) {
      const bytes = int8Mlp(layers);
      const url = server.serve(`/${name}.onnx`, bytes, { bytesPerSecond: (MBIT * 1e6) / 8 });
      const dbName = `bench-${name}`;
      const cold: FirstResult[] = [];
      const warm: FirstResult[] = [];
      for (let i = 0; i < COLD; i++) {
        cold.push(await firstResult(page, { url, dbName, dim: DIM, clear: true }));
        if (i === COLD - 1) for (let j = 0; j < WARM; j++) warm.push(await firstResult(page, { url, dbName, dim: DIM, clear: false }));
      }
      const summary = (runs: FirstResult[]) => ({
        medianMs: round(median(runs.map((r) => r.ms))),
        runsMs: runs.map((r) => round(r.ms)),
        medianSplitMs: Object.fromEntries(
          (['bytesMs', 'compileMs', 'otherMs', 'runMs'] as const).map((k) => [k.replace(/Ms$/, ''), round(median(runs.map((r) => r[k])))]),
        ),
      });
      const c = summary(cold);
      const w = summary(warm);
      models.push({ name, bytes: bytes.byteLength, cold: c, warm: w, speedup: round(c.medianMs / w.medianMs), bytesSpeedup: round(c.medianSplitMs.bytes / w.medianSplitMs.bytes) });
      console.log(`${name} (${(bytes.byteLength / 1e6).toFixed(1)} MB): first result cold ${c.medianMs} ms, warm ${w.medianMs} ms → ×${round(c.medianMs / w.medianMs)}`);
      console.log(`   cold ${JSON.stringify(c.medianSplitMs)}; warm ${JSON.stringify(w.medianSplitMs)} (ms: bytes in hand, compile, probe etc., first run)`);

      const r = await reads(page, { url, dbName, n: READS });
      const cacheMs = median(r.cache);
      const rawMs = median(r.raw);
      readResults.push({ name, bytes: r.bytes, cacheMedianMs: round(cacheMs), rawGetMedianMs: round(rawMs), ratio: Math.round((cacheMs / rawMs) * 100) / 100, cacheMs: r.cache.map(round), rawMs: r.raw.map(round) });
      console.log(`   warm read: cache ${round(cacheMs)} ms vs raw idb-keyval get ${round(rawMs)} ms → ${(cacheMs / rawMs).toFixed(2)}×`);
      await page.evaluate((dbName) => window.pageinfer.createEngine({ cache: { dbName } }).cache.clear(), dbName);
    }
    results.timeToFirstResult = models;
    results.warmRead = readResults;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    await server.close();
    await vite.close();
  }
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'cache.json');
  writeFileSync(out, `${JSON.stringify(results, null, 1)}\n`);
  console.log(`→ ${out}`);
}

await main();
