/**
 * Headline figures from a results file: pure functions, used by the HTML report and
 * BENCHMARKS.md (and unit-tested). Ratios are computed pair by pair: per round of
 * interleaved runs first, then the median of those.
 */
import type { BenchResults } from './results.js';
import type { Span } from './waterfall.js';

export const geomean = (xs: readonly number[]): number => {
  const ok = xs.filter((x) => Number.isFinite(x) && x > 0);
  return ok.length ? Math.exp(ok.reduce((s, x) => s + Math.log(x), 0) / ok.length) : NaN;
};

export const median = (xs: readonly number[]): number => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface OverheadRow {
  browser: string;
  model: string;
  variant: string;
  batch: number;
  pageinfer: number;
  ortMain: number;
  ortProxy: number;
  /** pageinfer / ort-main and pageinfer / ort-proxy, median of per-round ratios. */
  vsMain: number;
  vsProxy: number;
  /** Best case against best case (min / min): less sensitive to a busy machine. */
  vsMainMin: number;
  vsProxyMin: number;
  /** pageinfer's own split (p50s): time in session.run, and the rest (transfer, queue, messaging). */
  compute: number;
  overheadMs: number;
  /** The run path's variants (NaN where they did not run): every run by message, and a worker spinning 0.5 ms after a run. */
  vsProxyMessage: number;
  vsProxySpin: number;
  /** pageinfer (default path) / pageinfer by message; pageinfer spinning 0.5 ms / pageinfer. */
  vsMessage: number;
  spinVsDefault: number;
  overheadMsMessage: number;
  wrong: number;
}

const extraOf = (s: { totalMs: number; computeMs: number } | undefined) => (s ? s.totalMs - s.computeMs : NaN);

export function overheadRows(r: BenchResults): OverheadRow[] {
  const rows: OverheadRow[] = [];
  for (const p of r.peers) {
    for (const b of p.batches) {
      const wrong = Object.values(b.check).reduce((n, c) => n + (c?.wrong ?? 0), 0);
      rows.push({
        browser: p.browser,
        model: p.model,
        variant: p.variant,
        batch: b.batch,
        pageinfer: b.summary.pageinfer?.p50 ?? NaN,
        ortMain: b.summary['ort-main']?.p50 ?? NaN,
        ortProxy: b.summary['ort-proxy']?.p50 ?? NaN,
        vsMain: b.ratios['pageinfer/ort-main']?.median ?? NaN,
        vsProxy: b.ratios['pageinfer/ort-proxy']?.median ?? NaN,
        vsMainMin: (b.summary.pageinfer?.min ?? NaN) / (b.summary['ort-main']?.min ?? NaN),
        vsProxyMin: (b.summary.pageinfer?.min ?? NaN) / (b.summary['ort-proxy']?.min ?? NaN),
        compute: b.pageinferStats?.computeMs ?? NaN,
        overheadMs: b.pageinferStats ? b.pageinferStats.totalMs - b.pageinferStats.computeMs : NaN,
        vsProxyMessage: b.ratios['pageinfer-message/ort-proxy']?.median ?? NaN,
        vsProxySpin: b.ratios['pageinfer-spin/ort-proxy']?.median ?? NaN,
        vsMessage: b.ratios['pageinfer/pageinfer-message']?.median ?? NaN,
        spinVsDefault: b.ratios['pageinfer-spin/pageinfer']?.median ?? NaN,
        overheadMsMessage: extraOf(b.pageinferStatsByPeer?.['pageinfer-message']),
        wrong,
      });
    }
  }
  return rows;
}

export interface TfjsRow {
  browser: string;
  model: string;
  variant: string;
  batch: number;
  pageinfer: number;
  tfjsWasm: number;
  tfjsWebgl: number;
  /** pageinfer / TF.js, median of per-round ratios (< 1: pageinfer faster). */
  vsWasm: number;
  vsWebgl: number;
  wrong: string;
}

/** pageinfer against TF.js running the same MNIST CNN weights (where TF.js is installed). */
export function tfjsRows(r: BenchResults): TfjsRow[] {
  const rows: TfjsRow[] = [];
  for (const p of r.peers) {
    for (const b of p.batches) {
      if (!b.summary['tfjs-wasm'] && !b.summary['tfjs-webgl']) continue;
      const wrong = (['tfjs-wasm', 'tfjs-webgl'] as const).filter((k) => b.check[k]?.wrong).map((k) => `${k} ${b.check[k]!.wrong}/${b.check[k]!.results}`);
      rows.push({
        browser: p.browser,
        model: p.model,
        variant: p.variant,
        batch: b.batch,
        pageinfer: b.summary.pageinfer?.p50 ?? NaN,
        tfjsWasm: b.summary['tfjs-wasm']?.p50 ?? NaN,
        tfjsWebgl: b.summary['tfjs-webgl']?.p50 ?? NaN,
        vsWasm: b.ratios['pageinfer/tfjs-wasm']?.median ?? NaN,
        vsWebgl: b.ratios['pageinfer/tfjs-webgl']?.median ?? NaN,
        wrong: wrong.join(', '),
      });
    }
  }
  return rows;
}

export interface Int8Row {
  browser: string;
  model: string;
  variant: string;
  format: string;
  batch: number;
  f32: number;
  int8: number;
  /** f32 / int8 through pageinfer (> 1: int8 is faster): median of per-round ratios where the runs were interleaved, else p50 / p50. */
  speedup: number;
  /** The same through raw ORT on the main thread. */
  speedupOrt: number;
  sizeRatio: number;
}

export function int8Rows(r: BenchResults): Int8Row[] {
  const rows: Int8Row[] = [];
  for (const p of r.peers) {
    const man = r.models[p.model];
    if (!man || man.variants[p.variant]?.precision !== 'int8') continue;
    const f = r.peers.find((q) => q.browser === p.browser && q.model === p.model && man.variants[q.variant]?.precision === 'f32');
    if (!f) continue;
    for (const b of p.batches) {
      const fb = f.batches.find((x) => x.batch === b.batch);
      if (!fb) continue;
      const interleaved = (peer: string) => (r.precision ?? []).find((x) => x.browser === p.browser && x.model === p.model && x.variant === p.variant && x.batch === b.batch && x.peer === peer)?.median;
      rows.push({
        browser: p.browser,
        model: p.model,
        variant: p.variant,
        format: man.variants[p.variant].format,
        batch: b.batch,
        f32: fb.summary.pageinfer?.p50 ?? NaN,
        int8: b.summary.pageinfer?.p50 ?? NaN,
        speedup: interleaved('pageinfer') ?? (fb.summary.pageinfer?.p50 ?? NaN) / (b.summary.pageinfer?.p50 ?? NaN),
        speedupOrt: interleaved('ort-main') ?? (fb.summary['ort-main']?.p50 ?? NaN) / (b.summary['ort-main']?.p50 ?? NaN),
        sizeRatio: man.variants[f.variant].bytes / man.variants[p.variant].bytes,
      });
    }
  }
  return rows;
}

export interface ConcurrencyRow {
  browser: string;
  model: string;
  variant: string;
  config: string;
  throughput: number;
  p50: number;
  p95: number;
  meanBatchSize: number;
  computeP50: number;
  vsSequential: number;
  wrong: number;
  schedule: string;
}

export function concurrencyRows(r: BenchResults): ConcurrencyRow[] {
  const rows: ConcurrencyRow[] = [];
  for (const c of r.concurrency) {
    for (const cfg of c.configs) {
      const s = c.summary[cfg.name];
      if (!s) continue;
      const sched = cfg.schedule as { mode?: string; batchable?: boolean; reason?: string } | undefined;
      rows.push({
        browser: c.browser,
        model: c.model,
        variant: c.variant,
        config: cfg.name,
        throughput: s.throughput,
        p50: s.p50,
        p95: s.p95,
        meanBatchSize: s.meanBatchSize,
        computeP50: s.computeP50,
        vsSequential: cfg.name === 'sequential' ? 1 : (c.ratios[`${cfg.name}/sequential`]?.median ?? NaN),
        wrong: s.check.wrong,
        schedule: sched?.mode ? `${sched.mode}${sched.batchable === false ? ' (not batchable)' : ''}` : '',
      });
    }
  }
  return rows;
}

export interface ConcurrencyGoals {
  browser: string;
  model: string;
  variant: string;
  /** Hybrid on 1 and on 2 single-thread workers against sequential; goal ≥ 4. */
  hybridVsSequential: number;
  hybrid2wVsSequential: number;
  hybridGoal: boolean;
  hybridP95: number;
  hybrid2wP95: number;
  /** maxDelay + 2 × that config's batch compute time (p50). */
  p95Bound: number;
  p95Bound2w: number;
  p95Goal: boolean;
  streaming2wVs1w: number;
  hybrid2wVs1w: number;
  /** Goal ≥ 1.7 (2 single-thread workers vs 1). */
  workersGoal: boolean;
  /** The same 2 / 1 ratio for hand-written batching over raw ORT workers: what this machine allows. */
  rawCeiling: number;
  /** pageinfer hybrid on 2 workers against that hand-written pool (throughput; < 1 = pageinfer slower). */
  hybrid2wVsRaw: number;
  /** p95 of the hand-written pool, 1 and 2 workers: the machine's share of the tail. */
  rawP95: number;
  raw2wP95: number;
}

export function concurrencyGoals(r: BenchResults): ConcurrencyGoals[] {
  return r.concurrency.map((c) => {
    const h = c.summary.hybrid;
    const h2w = c.summary['hybrid-2w'];
    const bound = c.maxDelayMs + 2 * (h?.computeP50 ?? NaN);
    const bound2w = c.maxDelayMs + 2 * (h2w?.computeP50 ?? NaN);
    const s2 = c.ratios['streaming-2w/streaming']?.median ?? NaN;
    const h2 = c.ratios['hybrid-2w/hybrid']?.median ?? NaN;
    const hv = c.ratios['hybrid/sequential']?.median ?? NaN;
    const hv2 = c.ratios['hybrid-2w/sequential']?.median ?? NaN;
    return {
      browser: c.browser,
      model: c.model,
      variant: c.variant,
      hybridVsSequential: hv,
      hybrid2wVsSequential: hv2,
      hybridGoal: hv >= 4,
      hybridP95: h?.p95 ?? NaN,
      hybrid2wP95: h2w?.p95 ?? NaN,
      p95Bound: bound,
      p95Bound2w: bound2w,
      p95Goal: (h?.p95 ?? Infinity) <= bound,
      streaming2wVs1w: s2,
      hybrid2wVs1w: h2,
      workersGoal: Math.max(...[s2, h2].filter(Number.isFinite)) >= 1.7,
      rawCeiling: c.ratios['raw-2w/raw-1w']?.median ?? NaN,
      hybrid2wVsRaw: c.ratios['hybrid-2w/raw-2w']?.median ?? NaN,
      rawP95: c.summary['raw-1w']?.p95 ?? NaN,
      raw2wP95: c.summary['raw-2w']?.p95 ?? NaN,
    };
  });
}

export interface SustainedRow {
  browser: string;
  model: string;
  variant: string;
  batch: number;
  who: string;
  inferencesPerS: number;
  /** Dropped frames as a share of the frames a 60 Hz-ish display would have shown. */
  droppedPct: number;
  maxFrameGapMs: number;
  longTasks: number | null;
  longTaskMsPerS: number | null;
  stallsPerS: number;
  /** Main-thread time lost to stalls (> 50 ms heartbeat gaps) per second: the portable stand-in for long tasks. */
  stallMsPerS: number;
  longTaskSupported: boolean;
}

export function sustainedRows(r: BenchResults): SustainedRow[] {
  const rows: SustainedRow[] = [];
  for (const s of r.sustained) {
    const whos = [...new Set(s.slots.map((x) => x.who))];
    for (const who of whos) {
      const slots = s.slots.filter((x) => x.who === who);
      const secs = slots.reduce((a, x) => a + x.durationMs, 0) / 1000;
      const expected = slots.reduce((a, x) => a + x.durationMs / s.frameIntervalMs, 0);
      rows.push({
        browser: s.browser,
        model: s.model,
        variant: s.variant,
        batch: s.batch,
        who,
        inferencesPerS: slots.reduce((a, x) => a + x.inferences, 0) / secs,
        droppedPct: (100 * slots.reduce((a, x) => a + x.droppedFrames, 0)) / expected,
        maxFrameGapMs: Math.max(...slots.map((x) => x.maxFrameGapMs)),
        longTasks: s.longTaskSupported ? slots.reduce((a, x) => a + (x.longTasks ?? 0), 0) : null,
        longTaskMsPerS: s.longTaskSupported ? slots.reduce((a, x) => a + (x.longTaskMs ?? 0), 0) / secs : null,
        stallsPerS: slots.reduce((a, x) => a + x.stalls, 0) / secs,
        stallMsPerS: slots.reduce((a, x) => a + x.stallMs, 0) / secs,
        longTaskSupported: s.longTaskSupported,
      });
    }
  }
  return rows;
}

export interface CacheRow {
  browser: string;
  model: string;
  variant: string;
  mb: number;
  coldMs: number;
  warmMs: number;
  /** cold / warm time to the first result (goal ≥ 10). */
  speedup: number;
  /** Getting the bytes only: network download (cold) against IndexedDB read + verify (warm). */
  coldBytesMs: number;
  warmBytesMs: number;
  /** Session creation (worker, wasm, ORT session), the same either way. */
  createMs: number;
  warmDownloads: number;
  correct: boolean;
  error?: string;
  coldTimeline: Span[];
  warmTimeline: Span[];
  /** Issue 19: warm first result / (cache read + load from memory + its first run), measured right after; goal ≤ 1.15. */
  warmGoal: number;
  /** Issue 19: cold first result / (max(last byte, ORT ready) + session creation + first run), from its own timeline; goal ≤ 1.15. */
  coldGoal: number;
  /** Bytes through the cache alone (read + verify), from the warm floor. */
  cacheReadMs: number;
}

/** The cold floor of issue 19 from a load's timeline: what no overlap can beat. */
export function coldFloorMs(timeline: readonly Span[]): number {
  const get = (step: string) => timeline.find((s) => s.step === step);
  const bytes = get('bytes');
  const ort = get('ort-init') ?? get('worker');
  const session = get('session');
  const run = get('first-run');
  if (!bytes || !session || !run) return NaN;
  return Math.max(bytes.end, ort?.end ?? 0) + (session.end - session.start) + (run.end - run.start);
}

export function cacheRows(r: BenchResults): CacheRow[] {
  return r.cache.map((c) => ({
    browser: c.browser,
    model: c.model,
    variant: c.variant,
    mb: c.bytes / 1e6,
    coldMs: c.cold?.firstResultMs ?? NaN,
    warmMs: c.warm?.firstResultMs ?? NaN,
    speedup: (c.cold?.firstResultMs ?? NaN) / (c.warm?.firstResultMs ?? NaN),
    coldBytesMs: c.cold?.downloadMs ?? NaN,
    warmBytesMs: c.warm?.downloadMs ?? NaN,
    createMs: c.warm?.createMs ?? NaN,
    warmDownloads: c.downloads.warm,
    correct: !!c.cold?.correct && !!c.warm?.correct,
    coldTimeline: c.cold?.timeline ?? [],
    warmTimeline: c.warm?.timeline ?? [],
    warmGoal: c.warm?.floor ? c.warm.firstResultMs / (c.warm.floor.readMs + c.warm.floor.memoryLoadMs + c.warm.floor.memoryRunMs) : NaN,
    coldGoal: (c.cold?.firstResultMs ?? NaN) / coldFloorMs(c.cold?.timeline ?? []),
    cacheReadMs: c.warm?.floor?.readMs ?? NaN,
    error: c.cold?.error ?? c.warm?.error ?? (c.downloads.warm > 0 ? `the warm load downloaded again (cache entries after cold: ${c.cold?.cacheEntries ?? '?'}${[...(c.cold?.warnings ?? []), ...(c.warm?.warnings ?? [])].length ? `; warnings: ${[...new Set([...(c.cold?.warnings ?? []), ...(c.warm?.warnings ?? [])])].join('; ')}` : ''})` : undefined),
  }));
}

export interface BackendRow {
  browser: string;
  backend: string;
  model: string;
  variant: string;
  batch: number;
  p50: number;
  loadMs: number;
  /** 'ok', 'WRONG (max |Δ| …)', 'refused: …' (a typed refusal, by design), or the error. */
  verdict: string;
  /** A typed refusal of a model the backend cannot run (int8 on WebGL): expected, not a failure. */
  refused: boolean;
  adapter: string;
}

export function backendRows(r: BenchResults): BackendRow[] {
  const rows: BackendRow[] = [];
  // wasm from the peers suite (pageinfer, batch 1), so the GPU backends have something to stand against.
  for (const p of r.peers) {
    const b = p.batches.find((x) => x.batch === 1);
    if (!b?.summary.pageinfer) continue;
    const c = b.check.pageinfer;
    rows.push({ browser: p.browser, backend: 'wasm', model: p.model, variant: p.variant, batch: 1, p50: b.summary.pageinfer.p50, loadMs: p.loads.find((l) => l.peer === 'pageinfer')?.loadMs ?? NaN, verdict: c && c.wrong ? `WRONG (${c.wrong}/${c.results})` : 'ok', refused: false, adapter: '' });
  }
  for (const b of r.backends) {
    const refused = !!b.error && /UNSUPPORTED_MODEL|cannot run this model/.test(`${b.error.code} ${b.error.message}`);
    const message = b.error ? b.error.message.split('\n')[0].slice(0, 200) : '';
    const verdict = b.error
      ? refused
        ? `refused (typed, by design): ${message}`
        : `${b.error.code}: ${message}`
      : b.check && b.check.wrong
        ? `WRONG: ${b.check.wrong}/${b.check.results}, max |Δ| ${b.check.maxAbs.toPrecision(3)} > ${b.check.limit.toPrecision(2)}`
        : 'ok';
    rows.push({ browser: b.browser, backend: b.requested, model: b.model, variant: b.variant, batch: b.batch, p50: b.summary?.p50 ?? NaN, loadMs: b.loadMs, verdict, refused, adapter: b.adapter ?? '' });
  }
  return rows;
}

export interface MemoryRow {
  browser: string;
  model: string;
  variant: string;
  peer: string;
  mb: number;
  /** Above the empty page's baseline. */
  aboveBaselineMb: number;
  api: string;
}

export function memoryRows(r: BenchResults): MemoryRow[] {
  const rows: MemoryRow[] = [];
  for (const m of r.memory) {
    if (m.peer === 'baseline') continue;
    const base = r.memory.find((x) => x.browser === m.browser && x.peer === 'baseline');
    const mb = (m.uaBytes ?? m.jsHeapBytes ?? NaN) / 1e6;
    const baseMb = (base?.uaBytes ?? base?.jsHeapBytes ?? NaN) / 1e6;
    rows.push({ browser: m.browser, model: m.model, variant: m.variant, peer: m.peer, mb, aboveBaselineMb: mb - baseMb, api: m.error ? `error: ${m.error}` : m.api });
  }
  return rows;
}

export interface Headline {
  browser: string;
  /** Geometric means over every model/variant cell at batch 1 and at the largest batch. */
  overheadB1VsMain: number;
  overheadBigVsMain: number;
  overheadB1VsProxy: number;
  overheadBigVsProxy: number;
  /** Median extra milliseconds of a pageinfer call over its own compute, at batch 1. */
  overheadMsB1: number;
  /** The same two figures with every run by message (runChannel: false); NaN where that variant did not run. */
  overheadB1VsProxyMessage: number;
  overheadMsB1Message: number;
  /** Batch 1, geomean: pageinfer / pageinfer by message, and pageinfer spinning 0.5 ms / pageinfer. */
  sharedVsMessageB1: number;
  spinVsDefaultB1: number;
  longTasksPageinfer: number | null;
  longTasksOrtMain: number | null;
  droppedPctPageinfer: number;
  droppedPctOrtMain: number;
  droppedPctIdle: number;
  int8SpeedupByBatch: Record<number, number>;
  hybridVsSequential: number;
  /** 2 single-thread workers against 1: streaming, and hybrid. */
  twoWorkersStreaming: number;
  twoWorkersHybrid: number;
  warmVsCold: number;
  /** Getting the bytes: download at the throttled rate against the IndexedDB read + verify. */
  warmVsColdBytes: number;
  wrongResults: number;
}

export function headlines(r: BenchResults): Headline[] {
  const ov = overheadRows(r);
  const i8 = int8Rows(r);
  const su = sustainedRows(r);
  const goals = concurrencyGoals(r);
  const ca = cacheRows(r);
  return r.browsers
    .filter((b) => !b.skipped)
    .map((b) => {
      const mine = ov.filter((x) => x.browser === b.name);
      const maxBatch = (m: string) => Math.max(...mine.filter((x) => x.model === m).map((x) => x.batch));
      const big = mine.filter((x) => x.batch === maxBatch(x.model) && x.batch > 1);
      const b1 = mine.filter((x) => x.batch === 1);
      const s = su.filter((x) => x.browser === b.name);
      const sumOf = (who: string, f: (x: SustainedRow) => number | null) => {
        const rows = s.filter((x) => x.who === who);
        if (!rows.length || rows.some((x) => f(x) === null)) return null;
        return rows.reduce((a, x) => a + (f(x) ?? 0), 0);
      };
      const batches = [...new Set(i8.filter((x) => x.browser === b.name).map((x) => x.batch))].sort((a, c) => a - c);
      const g = goals.filter((x) => x.browser === b.name);
      return {
        browser: b.name,
        overheadB1VsMain: geomean(b1.map((x) => x.vsMain)),
        overheadBigVsMain: geomean(big.map((x) => x.vsMain)),
        overheadB1VsProxy: geomean(b1.map((x) => x.vsProxy)),
        overheadBigVsProxy: geomean(big.map((x) => x.vsProxy)),
        overheadMsB1: median(b1.map((x) => x.overheadMs)),
        overheadB1VsProxyMessage: geomean(b1.map((x) => x.vsProxyMessage)),
        overheadMsB1Message: median(b1.map((x) => x.overheadMsMessage)),
        sharedVsMessageB1: geomean(b1.map((x) => x.vsMessage)),
        spinVsDefaultB1: geomean(b1.map((x) => x.spinVsDefault)),
        longTasksPageinfer: sumOf('pageinfer', (x) => x.longTasks),
        longTasksOrtMain: sumOf('ort-main', (x) => x.longTasks),
        droppedPctPageinfer: median(s.filter((x) => x.who === 'pageinfer').map((x) => x.droppedPct)),
        droppedPctOrtMain: median(s.filter((x) => x.who === 'ort-main').map((x) => x.droppedPct)),
        droppedPctIdle: median(s.filter((x) => x.who === 'idle').map((x) => x.droppedPct)),
        int8SpeedupByBatch: Object.fromEntries(batches.map((bs) => [bs, geomean(i8.filter((x) => x.browser === b.name && x.batch === bs).map((x) => x.speedup))])),
        hybridVsSequential: geomean(g.map((x) => x.hybridVsSequential)),
        twoWorkersStreaming: geomean(g.map((x) => x.streaming2wVs1w)),
        twoWorkersHybrid: geomean(g.map((x) => x.hybrid2wVs1w)),
        warmVsCold: geomean(ca.filter((x) => x.browser === b.name).map((x) => x.speedup)),
        warmVsColdBytes: geomean(ca.filter((x) => x.browser === b.name).map((x) => x.coldBytesMs / x.warmBytesMs)),
        wrongResults: mine.reduce((n, x) => n + x.wrong, 0),
      };
    });
}

/** Cells where pageinfer is slower than a peer by more than `margin` (pageinfer/peer p50 ratio). */
export function behind(r: BenchResults, margin = 1.1): Array<{ browser: string; model: string; variant: string; batch: number; peer: string; ratio: number; pageinfer: number; theirs: number }> {
  const out: ReturnType<typeof behind> = [];
  for (const p of r.peers) {
    for (const b of p.batches) {
      for (const [key, v] of Object.entries(b.ratios)) {
        const [who, peer] = key.split('/') as [string, string];
        if (!(v.median > margin) || who !== 'pageinfer' || peer.startsWith('pageinfer')) continue;
        out.push({ browser: p.browser, model: p.model, variant: p.variant, batch: b.batch, peer, ratio: v.median, pageinfer: b.summary.pageinfer?.p50 ?? NaN, theirs: b.summary[peer as 'ort-main']?.p50 ?? NaN });
      }
    }
  }
  return out.sort((a, b) => b.ratio - a.ratio);
}
