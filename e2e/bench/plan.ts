/**
 * The benchmark matrix: presets (`full`, `--quick`) and command-line narrowing
 * (`--browsers`, `--models`, `--suites`, `--batches`, `--threads`).
 *
 * Cells: browser × backend × model × precision/format × batch, each peer side by side.
 * Schedules (streaming vs hybrid, 1 vs 2 workers) are measured where they matter: 64 concurrent
 * single-row requests on an int8 model (issue 5's benchmark).
 */
import { cpus } from 'node:os';
import type { BrowserName } from '../../scripts/browsers/find.js';
import { browserNames } from '../../scripts/browsers/find.js';
import type { Backend, ConcurrencyConfig, ModelKey, PeerName } from './types.js';
import { variantKeys } from './prepare.js';

/** cachebench: e2e/bench/cache.bench.ts (the cache's own benchmark, Chromium: 10/50 MB cold vs warm, cache read vs raw idb-keyval), run as is. */
export const suiteNames = ['peers', 'concurrency', 'sustained', 'memory', 'backends', 'cache', 'cachebench', 'tune'] as const;
export type SuiteName = (typeof suiteNames)[number];
export const modelKeys: readonly ModelKey[] = ['mlp', 'mnist', 'ppocr'];

export interface Plan {
  preset: 'quick' | 'full';
  browsers: BrowserName[];
  suites: SuiteName[];
  models: ModelKey[];
  variants: Record<ModelKey, string[]>;
  batches: Record<ModelKey, number[]>;
  /** wasm threads for every peer (the same for all, so ratios compare like with like). */
  threads: number;
  peers: { list: PeerName[]; rounds: Record<ModelKey, number>; minIters: number; maxIters: number; budgetMs: Record<ModelKey, number> };
  concurrency: { cells: Array<{ model: ModelKey; variant: string }>; requests: number; rounds: number; maxBatch: number; maxDelayMs: number; budgetMs: number; warmupMs: number; cycles: number; configs: ConcurrencyConfig[] };
  sustained: { cells: Array<{ model: ModelKey; variant: string; batch: number }>; slotMs: number; rounds: number };
  backends: { cells: Partial<Record<Backend, Array<{ model: ModelKey; variant: string; batch: number }>>>; iters: number; budgetMs: number };
  memory: { cells: Array<{ model: ModelKey; variant: string; batch: number }>; runs: number };
  cache: { cells: Array<{ model: ModelKey; variant: string }>; mbitPerSecond: number };
  tune: { cells: Array<{ model: ModelKey; variant: string; mode: 'streaming' | 'hybrid' }>; maxBatch: number; budgetMs: number; rounds: number; measureBudgetMs: number; settleMs: number };
  /** Firefox headed on an Xvfb of our own (WebGL needs it); off: headless. */
  firefoxHeaded: boolean;
  /** build: a `vite build` of the bench page on a static server (default); dev: the Vite dev server. */
  serve: 'build' | 'dev';
  outDir: string;
}

export const concurrencyConfigs: ConcurrencyConfig[] = [
  { name: 'sequential', mode: 'streaming', workers: 1, sequential: true },
  { name: 'streaming', mode: 'streaming', workers: 1, sequential: false },
  { name: 'hybrid', mode: 'hybrid', workers: 1, sequential: false },
  { name: 'streaming-2w', mode: 'streaming', workers: 2, sequential: false },
  { name: 'hybrid-2w', mode: 'hybrid', workers: 2, sequential: false },
  { name: 'raw-1w', mode: 'hybrid', workers: 1, sequential: false, raw: true },
  { name: 'raw-2w', mode: 'hybrid', workers: 2, sequential: false, raw: true },
];

export const usage = `Usage: npm run bench -- [options]      (tsx e2e/bench/run.ts)
  --quick                 smoke preset: Chromium only (unless --browsers), small models, few iterations (CI)
  --browsers a,b          chromium, firefox, webkit (default: every one found; quick: chromium)
  --models a,b            mlp, mnist, ppocr (default: all; quick: mlp, mnist)
  --suites a,b            ${suiteNames.join(', ')} (default: all)
  --batches 1,8,32        batch sizes for every model (default: 1,8,32; PP-OCR 1,8)
  --threads N             wasm threads of every peer (default 1; 2 on 8+ cores)
  --firefox-headless      run Firefox headless (default: headed on a private Xvfb when Xvfb exists, for WebGL)
  --serve build|dev       build: vite build + static server, as a site ships (default); dev: Vite dev server
  --out DIR               results folder, relative to the repo root (default: bench-results): <id>.json,
                          report.html, cache.json; the built page and prepared data stay in bench-results
  --report-only FILE      only rebuild report.html and BENCHMARKS.md from a results JSON`;

export function parseArgs(argv: string[]): { plan: Plan; reportOnly?: string; explicitBrowsers: boolean } {
  const opts = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`Unexpected argument '${a}'\n${usage}`);
    const key = a.slice(2);
    const takesValue = ['browsers', 'models', 'suites', 'batches', 'threads', 'out', 'report-only', 'serve'].includes(key);
    if (takesValue) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`--${key} needs a value\n${usage}`);
      opts.set(key, v);
    } else if (['quick', 'firefox-headless', 'help'].includes(key)) opts.set(key, true);
    else throw new Error(`Unknown option ${a}\n${usage}`);
  }
  if (opts.has('help')) {
    console.log(usage);
    process.exit(0);
  }
  const list = <T extends string>(key: string, known: readonly T[], fallback: T[]): T[] => {
    const v = opts.get(key);
    if (typeof v !== 'string') return fallback;
    const items = v.split(',').map((s) => s.trim()).filter(Boolean) as T[];
    const bad = items.filter((x) => !known.includes(x));
    if (bad.length) throw new Error(`Unknown ${key}: ${bad.join(', ')} (known: ${known.join(', ')})`);
    return items;
  };
  const quick = opts.has('quick');
  const plan = quick ? quickPlan() : fullPlan();
  plan.browsers = list('browsers', browserNames, plan.browsers);
  plan.models = list('models', modelKeys, plan.models);
  plan.suites = list('suites', suiteNames, plan.suites);
  if (typeof opts.get('batches') === 'string') {
    const b = String(opts.get('batches')).split(',').map(Number);
    if (b.some((x) => !Number.isInteger(x) || x < 1)) throw new Error('--batches takes positive integers');
    for (const m of modelKeys) plan.batches[m] = b;
  }
  if (typeof opts.get('threads') === 'string') plan.threads = Math.max(1, Number(opts.get('threads')));
  if (typeof opts.get('out') === 'string') plan.outDir = String(opts.get('out'));
  if (opts.has('firefox-headless')) plan.firefoxHeaded = false;
  if (typeof opts.get('serve') === 'string') {
    const v = String(opts.get('serve'));
    if (v !== 'build' && v !== 'dev') throw new Error('--serve takes build or dev');
    plan.serve = v;
  }
  // Narrow the per-suite cells to the chosen models.
  const keep = <T extends { model: ModelKey }>(cells: T[]) => cells.filter((c) => plan.models.includes(c.model));
  plan.concurrency.cells = keep(plan.concurrency.cells);
  plan.sustained.cells = keep(plan.sustained.cells);
  for (const k of Object.keys(plan.backends.cells) as Backend[]) plan.backends.cells[k] = keep(plan.backends.cells[k] ?? []);
  plan.memory.cells = keep(plan.memory.cells);
  plan.cache.cells = keep(plan.cache.cells);
  plan.tune.cells = keep(plan.tune.cells);
  const reportOnly = typeof opts.get('report-only') === 'string' ? String(opts.get('report-only')) : undefined;
  return { plan, reportOnly, explicitBrowsers: opts.has('browsers') };
}

/**
 * One wasm thread per peer by default: ORT's pthreads spin-wait after a run, and with three ORT
 * instances in one page on a small machine the spinning of one peer's threads lands in the next
 * peer's timing. `--threads 2` measures the multi-threaded case.
 */
const defaultThreads = () => (cpus().length >= 8 ? 2 : 1);
const peerList: PeerName[] = ['pageinfer', 'pageinfer-message', 'pageinfer-spin', 'ort-main', 'ort-proxy'];
/** CI's smoke run: pageinfer on its default path against raw ORT (the run-path variants are the full run's). */
const quickPeers: PeerName[] = ['pageinfer', 'ort-main', 'ort-proxy'];

function fullPlan(): Plan {
  return {
    preset: 'full',
    browsers: [...browserNames],
    suites: [...suiteNames],
    models: [...modelKeys],
    variants: { mlp: [...variantKeys.mlp], mnist: ['f32', 'int8', 'qdq'], ppocr: ['f32', 'int8'] },
    // PP-OCR rec at batch 32 takes seconds per run on 2 cores: 1 and 8 keep the full run within 15 minutes.
    batches: { mlp: [1, 8, 32], mnist: [1, 8, 32], ppocr: [1, 8] },
    threads: defaultThreads(),
    peers: { list: peerList, rounds: { mlp: 5, mnist: 5, ppocr: 3 }, minIters: 1, maxIters: 12, budgetMs: { mlp: 3000, mnist: 2000, ppocr: 6000 } },
    concurrency: {
      cells: [
        { model: 'mlp', variant: 'qlinear' },
        { model: 'mnist', variant: 'int8' },
      ],
      requests: 64,
      // A burst takes 5–50 ms: a round runs every config's bursts interleaved, 4 each.
      rounds: 15,
      // The library's default: 64 requests make two batches, one per worker with 2 workers.
      maxBatch: 32,
      maxDelayMs: 4,
      budgetMs: 8000,
      warmupMs: 2000,
      cycles: 4,
      configs: concurrencyConfigs,
    },
    sustained: {
      cells: [
        { model: 'mlp', variant: 'f32', batch: 32 },
        { model: 'ppocr', variant: 'f32', batch: 1 },
      ],
      slotMs: 1200,
      rounds: 2,
    },
    // wasm is in every peers cell. WebGPU here is SwiftShader (session creation alone takes seconds): f32 and
    // QDQ, the int8 form that stays on the GPU. WebGL: f32, plus an int8 model to show the typed refusal.
    backends: {
      cells: {
        webgpu: [
          { model: 'mlp', variant: 'qdq', batch: 1 },
          { model: 'mnist', variant: 'f32', batch: 1 },
        ],
        webgl: [
          { model: 'mlp', variant: 'f32', batch: 1 },
          { model: 'mnist', variant: 'f32', batch: 1 },
          { model: 'mnist', variant: 'int8', batch: 1 },
        ],
      },
      iters: 5,
      budgetMs: 3000,
    },
    memory: {
      cells: [
        { model: 'mlp', variant: 'f32', batch: 8 },
        { model: 'mlp', variant: 'qlinear', batch: 8 },
        { model: 'ppocr', variant: 'int8', batch: 1 },
      ],
      runs: 1,
    },
    // Real models in every browser; e2e/bench/cache.bench.ts adds 10/50 MB synthetic models and raw idb-keyval reads (Chromium).
    cache: {
      cells: [
        { model: 'ppocr', variant: 'f32' },
        { model: 'ppocr', variant: 'int8' },
      ],
      mbitPerSecond: 50,
    },
    // The tuner's choice against every candidate it listed, measured here (streaming: latency; hybrid: throughput).
    tune: {
      cells: [
        { model: 'mlp', variant: 'qlinear', mode: 'streaming' },
        { model: 'mlp', variant: 'qlinear', mode: 'hybrid' },
        { model: 'mnist', variant: 'int8', mode: 'streaming' },
        { model: 'mnist', variant: 'int8', mode: 'hybrid' },
        { model: 'ppocr', variant: 'int8', mode: 'streaming' },
      ],
      maxBatch: 32,
      budgetMs: 5000,
      rounds: 9,
      measureBudgetMs: 4000,
      settleMs: 2000,
    },
    firefoxHeaded: true,
    serve: 'build',
    outDir: 'bench-results',
  };
}

function quickPlan(): Plan {
  const p = fullPlan();
  return {
    ...p,
    preset: 'quick',
    browsers: ['chromium'],
    suites: suiteNames.filter((s) => s !== 'cachebench'),
    models: ['mlp', 'mnist'],
    variants: { mlp: ['f32', 'qlinear'], mnist: ['f32', 'int8'], ppocr: ['f32', 'int8'] },
    batches: { mlp: [1, 8], mnist: [1, 8], ppocr: [1] },
    peers: { list: quickPeers, rounds: { mlp: 2, mnist: 2, ppocr: 2 }, minIters: 1, maxIters: 5, budgetMs: { mlp: 400, mnist: 400, ppocr: 1000 } },
    concurrency: { ...p.concurrency, cells: [{ model: 'mlp', variant: 'qlinear' }], rounds: 3, budgetMs: 2000, warmupMs: 300, cycles: 2 },
    sustained: { cells: [{ model: 'mnist', variant: 'int8', batch: 8 }], slotMs: 500, rounds: 1 },
    backends: { cells: { webgl: [{ model: 'mnist', variant: 'f32', batch: 1 }, { model: 'mnist', variant: 'int8', batch: 1 }] }, iters: 2, budgetMs: 1000 },
    memory: { cells: [{ model: 'mnist', variant: 'int8', batch: 8 }], runs: 2 },
    cache: { cells: [{ model: 'mlp', variant: 'qlinear' }], mbitPerSecond: 50 },
    tune: { ...p.tune, cells: [{ model: 'mnist', variant: 'int8', mode: 'streaming' }], budgetMs: 1500, rounds: 3, measureBudgetMs: 500, settleMs: 200 },
    firefoxHeaded: false,
  };
}
