/**
 * `npm run bench` — cross-browser benchmarks of pageinfer against its peers, side by side
 * in one run, on the same page, model bytes and inputs.
 *
 *   npx tsx e2e/bench/run.ts [--quick] [--browsers chromium,firefox,webkit] [--models mlp,mnist,ppocr] [--suites ...]
 *
 * Writes <id>.json (everything, raw samples included), report.html (self-contained, charts by
 * Chart.js) and, when the cachebench suite runs, cache.json into the results folder (bench-results,
 * or --out DIR), and, for a full run, BENCHMARKS.md at the repo root.
 * Exits 1 when a browser could not be driven, a task failed, or a wasm result was wrong;
 * never because of a timing (the --quick preset is CI's smoke test).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { browserNames, describeBrowsers, findBrowsers, type BrowserName } from '../../scripts/browsers/find.js';
import { chartJsSource, writeReports } from './report/report.js';
import type { BenchResults, BrowserRun, CacheCell } from './report/results.js';
import { ModelServer } from '../servers/model-server.js';
import { launch, startXvfb, type BenchBrowser } from '../drivers.js';
import { modelKeys, parseArgs, suiteNames, type Plan } from './plan.js';
import { prepare, type PrepareNeeds } from './prepare.js';
import { waitForQuiet } from './quiet.js';
import { outDirOf, repoRoot } from './paths.js';
import { benchPagePath, findTfjs, startServer } from './server.js';
import type {
  Backend,
  BackendsResult,
  ConcurrencyResult,
  Manifest,
  MemoryResult,
  ModelKey,
  PageInfo,
  PeersOutput,
  SustainedResult,
  CacheResult,
  TuneResult,
} from './types.js';

const CALL_TIMEOUT = 300_000;
const startedAt = new Date();
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
const log = (msg: string) => console.log(`[bench ${elapsed()}] ${msg}`);

function needsOf(plan: Plan): PrepareNeeds {
  const needs: PrepareNeeds = { models: plan.models, variants: {}, batches: {}, single: {} };
  for (const m of plan.models) {
    needs.variants[m] = [...plan.variants[m]];
    needs.batches[m] = [...plan.batches[m]];
  }
  const add = (m: ModelKey, variant: string, batch?: number) => {
    if (!needs.variants[m]!.includes(variant)) needs.variants[m]!.push(variant);
    if (batch !== undefined && !needs.batches[m]!.includes(batch)) needs.batches[m]!.push(batch);
  };
  for (const c of plan.sustained.cells) add(c.model, c.variant, c.batch);
  for (const cells of Object.values(plan.backends.cells)) for (const c of cells ?? []) add(c.model, c.variant, c.batch);
  for (const c of plan.memory.cells) add(c.model, c.variant, c.batch);
  for (const c of plan.cache.cells) add(c.model, c.variant, 1);
  for (const c of plan.tune.cells) add(c.model, c.variant, c.mode === 'streaming' ? 1 : plan.tune.maxBatch);
  for (const c of plan.concurrency.cells) {
    add(c.model, c.variant, 1);
    (needs.single[c.model] ??= []).push(c.variant);
  }
  for (const m of plan.models) if (!needs.batches[m]!.includes(1)) needs.batches[m]!.push(1); // first-inference checks
  return needs;
}

async function runBrowser(name: BrowserName, plan: Plan, manifest: Manifest, origin: string, modelServer: ModelServer | null, display: string | undefined, out: BenchResults): Promise<void> {
  const found = findBrowsers()[name];
  const run: BrowserRun = { name, via: found.note, version: '', flags: [], env: {}, headless: true, durationS: 0, errors: [], logs: [] };
  out.browsers.push(run);
  if (!found.found) {
    run.skipped = `not found: ${found.note}`;
    log(`${name}: SKIPPED (${run.skipped})`);
    return;
  }
  const started = Date.now();
  let b: BenchBrowser;
  try {
    b = await launch(found, { display: name === 'firefox' && plan.firefoxHeaded ? display : undefined });
  } catch (e) {
    run.skipped = `launch failed: ${(e as Error).message.split('\n')[0]}`;
    run.errors.push(run.skipped);
    log(`${name}: ${run.skipped}`);
    return;
  }
  Object.assign(run, { version: b.version, via: b.via, flags: b.flags, env: b.env, headless: b.headless });
  log(`${name} ${b.version} — ${b.via}`);
  const page = `${origin}${benchPagePath}`;
  const task = async <T>(what: string, method: string, arg: unknown): Promise<T | null> => {
    const s = Date.now();
    try {
      await b.goto(page);
      const r = await b.call<T>(method, arg, CALL_TIMEOUT);
      log(`${name} ${what} (${((Date.now() - s) / 1000).toFixed(1)} s)`);
      return r;
    } catch (e) {
      const msg = `${what}: ${(e as Error).message.split('\n').slice(0, 3).join(' | ')}`;
      run.errors.push(msg);
      log(`${name} FAILED ${msg}`);
      return null;
    } finally {
      run.logs.push(...b.drainLogs().map((l) => `${what}: ${l}`));
    }
  };

  try {
    const info = await task<PageInfo>('info', 'info', null);
    if (info) run.info = info;
    // Warm-up (discarded): Vite's first transforms, the browser's module and wasm caches.
    const firstModel = plan.models[0];
    await task<PeersOutput>('warm-up', 'peers', { model: firstModel, variants: [plan.variants[firstModel][0]], batches: [1], peers: plan.peers.list, threads: plan.threads, rounds: 1, minIters: 1, maxIters: 1, budgetMs: 0 });

    // The run path's variants (pageinfer-message, pageinfer-spin) are the peers suite's alone; the other suites
    // compare pageinfer as users get it. WebKitGTK refuses wasm memory past about 20 live ORT instances in a
    // page (the peers suite's MLP cells with every variant: 'RangeError: Out of memory'): it leaves the spin out.
    const peersHere = name === 'webkit' ? plan.peers.list.filter((p) => p !== 'pageinfer-spin') : plan.peers.list;
    const corePeers = plan.peers.list.filter((p) => p !== 'pageinfer-message' && p !== 'pageinfer-spin');
    if (name === 'webkit' && peersHere.length < plan.peers.list.length) run.notes = [...(run.notes ?? []), 'peers: pageinfer-spin left out in WebKitGTK (wasm memory runs out with every run-path variant loaded)'];
    if (plan.suites.includes('peers')) {
      for (const model of plan.models) {
        const r = await task<PeersOutput>(`peers ${model} [${plan.variants[model].join(', ')}] b${plan.batches[model].join('/')}`, 'peers', {
          model,
          variants: plan.variants[model],
          batches: plan.batches[model],
          // TF.js joins where it runs the same network (MNIST CNN, f32), when it is installed.
          peers: model === 'mnist' && run.info?.tfjs ? [...peersHere, 'tfjs-wasm', 'tfjs-webgl'] : peersHere,
          threads: plan.threads,
          rounds: plan.peers.rounds[model],
          minIters: plan.peers.minIters,
          maxIters: plan.peers.maxIters,
          budgetMs: plan.peers.budgetMs[model],
        });
        for (const x of r?.results ?? []) {
          out.peers.push({ browser: name, ...x });
          for (const e of x.errors) run.errors.push(`peers ${model}/${x.variant}: ${e}`);
          for (const l of x.loads) {
            if ((l.info?.createMs ?? 0) > 30_000) run.notes = [...(run.notes ?? []), `peers ${model}/${x.variant}: pageinfer's session took ${(l.info!.createMs / 1000).toFixed(1)} s to build — past pageinfer's default 30 s deadline (sessionTimeoutMs), which the benchmark raises to 120 s`];
          }
        }
        for (const p of r?.precision ?? []) out.precision.push({ browser: name, ...p });
      }
    }
    if (plan.suites.includes('concurrency')) {
      for (const c of plan.concurrency.cells) {
        const r = await task<ConcurrencyResult>(`concurrency ${c.model}/${c.variant}`, 'concurrency', {
          ...c,
          requests: plan.concurrency.requests,
          rounds: plan.concurrency.rounds,
          maxBatch: plan.concurrency.maxBatch,
          maxDelayMs: plan.concurrency.maxDelayMs,
          configs: plan.concurrency.configs,
          budgetMs: plan.concurrency.budgetMs,
          warmupMs: plan.concurrency.warmupMs,
          cycles: plan.concurrency.cycles,
        });
        if (r) {
          out.concurrency.push({ browser: name, ...r });
          for (const e of r.errors) run.errors.push(`concurrency ${c.model}/${c.variant}: ${e}`);
        }
      }
    }
    if (plan.suites.includes('sustained')) {
      for (const c of plan.sustained.cells) {
        const r = await task<SustainedResult>(`sustained ${c.model}/${c.variant} b${c.batch}`, 'sustained', { ...c, threads: plan.threads, peers: corePeers, slotMs: plan.sustained.slotMs, rounds: plan.sustained.rounds });
        if (r) {
          out.sustained.push({ browser: name, ...r });
          for (const e of r.errors) run.errors.push(`sustained ${c.model}/${c.variant}: ${e}`);
        }
      }
    }
    if (plan.suites.includes('memory')) {
      if (!run.info?.measureMemory) {
        run.notes = [...(run.notes ?? []), 'memory: performance.measureUserAgentSpecificMemory() is not available in this browser; no memory figures'];
      } else {
        for (const c of plan.memory.cells) {
          for (const peer of ['baseline', ...corePeers] as const) {
            if (peer === 'baseline' && c !== plan.memory.cells[0]) continue;
            const r = await task<MemoryResult>(`memory ${c.model}/${c.variant} ${peer}`, 'memory', { ...c, threads: plan.threads, peer, runs: plan.memory.runs });
            if (r) out.memory.push({ browser: name, batch: c.batch, ...r });
          }
        }
      }
    }
    // Before the backends suite: WebGPU on SwiftShader leaves the GPU process busy for 15 s and more.
    if (plan.suites.includes('tune')) {
      for (const c of plan.tune.cells) {
        const { maxBatch, budgetMs, rounds, measureBudgetMs, settleMs } = plan.tune;
        // The page waits for its previous task's workers to go; the machine, for the browser's background work.
        const quiet = await waitForQuiet({ minMs: settleMs });
        log(`${name} tune ${c.model}/${c.variant} ${c.mode}: waited ${(quiet.waitedMs / 1000).toFixed(1)} s for quiet (${quiet.busyCores ?? '?'} cores busy${quiet.quiet ? '' : ', not quiet'})`);
        const r = await task<TuneResult>(`tune ${c.model}/${c.variant} ${c.mode}`, 'tune', { ...c, maxBatch, budgetMs, rounds, measureBudgetMs, settleMs: 500 });
        if (r) out.tune!.push({ browser: name, ...r, quiet });
      }
    }
    if (plan.suites.includes('backends')) {
      for (const [backend, cells] of Object.entries(plan.backends.cells) as Array<[Backend, Array<{ model: ModelKey; variant: string; batch: number }>]>) {
        for (const [i, c] of cells.entries()) {
          const r = await task<BackendsResult>(`backend ${backend} ${c.model}/${c.variant} b${c.batch}`, 'backends', { ...c, backend, iters: plan.backends.iters, budgetMs: plan.backends.budgetMs, threads: plan.threads });
          if (r) out.backends.push({ browser: name, ...r });
          // A backend this browser does not have fails the same way for every model: try it once.
          if (r?.error?.code === 'BACKEND_UNAVAILABLE') {
            for (const rest of cells.slice(i + 1)) {
              out.backends.push({ browser: name, model: rest.model, variant: rest.variant, requested: backend, backend: null, batch: rest.batch, loadMs: NaN, samples: [], summary: null, check: null, error: r.error, adapter: r.adapter });
            }
            break;
          }
        }
      }
    }
    if (plan.suites.includes('cache') && modelServer) {
      for (const c of plan.cache.cells) {
        const v = manifest.models[c.model]!.variants[c.variant];
        const path = `/${name}/${v.sha256.slice(0, 16)}/${c.model}.${c.variant}.onnx`;
        const url = modelServer.serve(path, new Uint8Array(readFileSync(join(repoRoot, v.path))), { bytesPerSecond: (plan.cache.mbitPerSecond * 1e6) / 8 });
        const before = modelServer.gets(path).length;
        const cold = await task<CacheResult>(`cache cold ${c.model}/${c.variant} (${plan.cache.mbitPerSecond} Mbit/s)`, 'cache', { url, model: c.model, variant: c.variant, threads: plan.threads, phase: 'cold' });
        const mid = modelServer.gets(path).length;
        const warm = await task<CacheResult>(`cache warm ${c.model}/${c.variant}`, 'cache', { url, model: c.model, variant: c.variant, threads: plan.threads, phase: 'warm' });
        const after = modelServer.gets(path).length;
        const cell: CacheCell = { browser: name, model: c.model, variant: c.variant, bytes: v.bytes, mbitPerSecond: plan.cache.mbitPerSecond, cold, warm, downloads: { cold: mid - before, warm: after - mid } };
        out.cache.push(cell);
        for (const r of [cold, warm]) if (r?.error) run.errors.push(`cache ${r.phase} ${c.model}/${c.variant}: ${r.error}`);
      }
    }
  } finally {
    await b.close();
    run.durationS = (Date.now() - started) / 1000;
    log(`${name} done in ${run.durationS.toFixed(0)} s, ${run.errors.length} error(s)`);
  }
}

async function main(): Promise<void> {
  const { plan, reportOnly, explicitBrowsers } = parseArgs(process.argv.slice(2));
  const outDir = outDirOf(plan.outDir);
  if (reportOnly) {
    const results = JSON.parse(readFileSync(resolve(reportOnly), 'utf8')) as BenchResults;
    const written = writeReports(results, { outDir, markdown: results.preset === 'full' ? join(repoRoot, 'BENCHMARKS.md') : undefined });
    for (const w of written) log(`wrote ${w}`);
    return;
  }
  const found = findBrowsers();
  log(`browsers:\n${describeBrowsers(found)}`);
  const missing = plan.browsers.filter((b) => !found[b].found);
  if (missing.length) log(`MISSING (skipped): ${missing.join(', ')} — install with: npx tsx scripts/browsers/setup.ts --install`);

  const manifest = await prepare(needsOf(plan));
  // Variants a model does not have here (e.g. no PP-OCR QDQ without scripts/models/build.ts) drop out of every suite.
  const has = (m: ModelKey, v: string) => !!manifest.models[m]?.variants[v];
  for (const m of plan.models) plan.variants[m] = plan.variants[m].filter((v) => has(m, v));
  plan.concurrency.cells = plan.concurrency.cells.filter((c) => has(c.model, c.variant));
  plan.sustained.cells = plan.sustained.cells.filter((c) => has(c.model, c.variant));
  plan.memory.cells = plan.memory.cells.filter((c) => has(c.model, c.variant));
  plan.cache.cells = plan.cache.cells.filter((c) => has(c.model, c.variant));
  for (const k of Object.keys(plan.backends.cells) as Backend[]) plan.backends.cells[k] = (plan.backends.cells[k] ?? []).filter((c) => has(c.model, c.variant));
  const server = await startServer(plan.serve);
  log(`serving ${server.origin} (${server.mode === 'build' ? 'vite build of the bench page, static server' : 'Vite dev server'})`);
  const modelServer = plan.suites.includes('cache') ? await ModelServer.start({ maxLifetimeMs: 60 * 60_000 }) : null;
  const xvfb = plan.firefoxHeaded && plan.browsers.includes('firefox') && found.firefox.found ? await startXvfb() : null;
  if (plan.firefoxHeaded && plan.browsers.includes('firefox') && !xvfb) log('no Xvfb: Firefox runs headless (no WebGL)');

  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const dep = (name: string) => {
    try {
      return (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  const id = `${startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19)}-${plan.preset}`;
  const results: BenchResults = {
    schema: 1,
    id,
    preset: plan.preset,
    command: `tsx e2e/bench/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    durationS: 0,
    plan,
    machine: {
      platform: platform(),
      release: release(),
      arch: arch(),
      cpuModel: cpus()[0]?.model ?? '?',
      cores: cpus().length,
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadavgStart: loadavg(),
      loadavgEnd: [],
    },
    versions: {
      pageinfer: pkg.version,
      ort: manifest.ortVersion,
      ortWeb: dep('onnxruntime-web'),
      playwright: dep('@playwright/test'),
      vite: dep('vite'),
      chartjs: chartJsSource() ? dep('chart.js') : 'not installed',
      tfjs: findTfjs(plan.serve === 'build')?.version ?? 'not installed',
    },
    models: manifest.models,
    browsers: [],
    peers: [],
    precision: [],
    concurrency: [],
    sustained: [],
    backends: [],
    memory: [],
    cache: [],
    tune: [],
  };
  try {
    for (const name of plan.browsers) await runBrowser(name, plan, manifest, server.origin, modelServer, xvfb?.display, results);
  } finally {
    xvfb?.stop();
    await modelServer?.close();
    await server.close();
  }
  if (plan.suites.includes('cachebench')) results.cacheBench = await runCacheBench(outDir);
  results.finishedAt = new Date().toISOString();
  results.durationS = (Date.now() - t0) / 1000;
  results.machine.loadavgEnd = loadavg();

  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${id}.json`);
  writeFileSync(file, JSON.stringify(results));
  copyFileSync(file, join(outDir, `latest-${plan.preset}.json`));
  log(`wrote ${file}`);
  const markdown = coversEverything(plan) ? join(repoRoot, 'BENCHMARKS.md') : undefined;
  if (!markdown) log('BENCHMARKS.md left alone: it summarises full, un-narrowed runs only');
  for (const w of writeReports(results, { outDir, markdown })) log(`wrote ${w}`);

  const wasmWrong = [
    ...results.peers.flatMap((p) => Object.values(p.batches.flatMap((b) => Object.values(b.check)))),
    ...results.concurrency.flatMap((c) => Object.values(c.summary).map((s) => s.check)),
  ].reduce((n, c) => n + (c?.wrong ?? 0), 0);
  if (results.cacheBench && 'error' in results.cacheBench) log(`cache.bench.ts: ${results.cacheBench.error}`);
  const failures = results.browsers.flatMap((b) => [...(b.skipped && plan.browsers.includes(b.name) && (explicitBrowsers || plan.preset === 'quick') ? [`${b.name}: ${b.skipped}`] : []), ...b.errors.map((e) => `${b.name}: ${e}`)]);
  log(`done in ${results.durationS.toFixed(0)} s; ${wasmWrong} wrong wasm result(s); ${failures.length} error(s)`);
  for (const f of failures) log(`  ${f}`);
  if (wasmWrong > 0 || failures.length > 0) process.exitCode = 1;
}

/** Runs the cache's own benchmark (e2e/bench/cache.bench.ts, Chromium) as it is, into this run's results folder, and keeps what it wrote. */
async function runCacheBench(outDir: string): Promise<BenchResults['cacheBench']> {
  const script = join(repoRoot, 'e2e/bench/cache.bench.ts');
  if (!existsSync(script)) return { error: 'e2e/bench/cache.bench.ts does not exist' };
  const out = join(outDir, 'cache.json');
  const before = existsSync(out) ? statSync(out).mtimeMs : 0;
  log('cache.bench.ts (Chromium: 10/50 MB cold vs warm, cache read vs raw idb-keyval)');
  const code = await new Promise<number | null>((resolvePromise) => {
    const child = spawn('npx', ['tsx', script, '--out', outDir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGTERM'), 6 * 60_000);
    const relay = (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => log(`  cache.bench: ${l}`));
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolvePromise(c);
    });
  });
  if (code !== 0 || !existsSync(out) || statSync(out).mtimeMs === before) return { error: `cache.bench.ts exited with ${code}` };
  return JSON.parse(readFileSync(out, 'utf8')) as BenchResults['cacheBench'];
}

/** BENCHMARKS.md summarises a full run; a narrowed run (some browsers, models or suites) does not overwrite it. */
function coversEverything(plan: Plan): boolean {
  return plan.preset === 'full' && plan.browsers.length === browserNames.length && plan.models.length === modelKeys.length && plan.suites.length === suiteNames.length;
}

if (!existsSync(join(repoRoot, 'package.json'))) throw new Error('run from the pageinfer repo');
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
