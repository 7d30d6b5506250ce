/// <reference types="vite/client" />
/**
 * The benchmark page. The runner (e2e/bench/run.ts) opens it in each browser and calls
 * `window.bench.<task>(arg)`; every task returns plain JSON with raw samples.
 *
 * Peers, on the same page, the same model bytes and the same inputs:
 *   pageinfer  — the library from source: a module worker per model, inputs transferred.
 *   ort-main   — raw onnxruntime-web (wasm entry) on the main thread: what people write without pageinfer.
 *   ort-proxy  — raw onnxruntime-web with env.wasm.proxy = true: ORT's own worker. A second
 *                instance of the same ORT module (loaded under another URL), since `proxy`
 *                is fixed when ORT first initialises.
 * All three run the same ORT build (ort.wasm.bundle.min.mjs → ort-wasm-simd-threaded.wasm)
 * with the same thread count and graph optimization level.
 */
import * as pageinfer from '../../../lib/index.js';
import * as ortMain from 'onnxruntime-web/wasm';
import ortModuleUrl from 'onnxruntime-web/wasm?url';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { tfjsAvailable, tfjsRunner } from './tfjs-peer.js';
import { tuneCell } from './tune.js';
import { concurrency } from './concurrency.js';
import { modelOf, f32, bytesOf, median, summarize, Checker, errorText, sleep, yieldTask, rotate, sessionTimeoutMs, outWidth } from './common.js';
import { tfjs } from 'virtual:bench-tfjs';
import type {
  BackendsResult,
  BackendsTask,
  CacheResult,
  CacheTask,
  MemoryResult,
  MemoryTask,
  ModelKey,
  ModelManifest,
  PageInfo,
  PeerBatchResult,
  PeerName,
  PeersOutput,
  PeersResult,
  PeersTask,
  PrecisionRatio,
  SustainedResult,
  SustainedSlot,
  SustainedTask,
} from '../types.js';
import { pageinferPeers } from '../types.js';

type Ort = typeof ortMain;
const isPageinfer = (peer: PeerName): peer is (typeof pageinferPeers)[number] => (pageinferPeers as readonly string[]).includes(peer);

// ---- peers -----------------------------------------------------------------

interface Output {
  data: Float32Array;
  dims: readonly number[];
}

interface Runner {
  peer: PeerName;
  /** `x` may be taken (transferred) by the runner: pass a copy. */
  run(x: Float32Array, dims: number[]): Promise<Output>;
  dispose(): Promise<void>;
  model?: pageinfer.Model;
}


let ortProxy: Promise<Ort> | null = null;
/** A second, independent instance of the same ORT module: its own env, so its own `proxy` setting. */
function ortProxyModule(): Promise<Ort> {
  ortProxy ??= import(/* @vite-ignore */ `${ortModuleUrl}${ortModuleUrl.includes('?') ? '&' : '?'}instance=proxy`) as Promise<Ort>;
  return ortProxy;
}

async function ortRunner(peer: 'ort-main' | 'ort-proxy', man: ModelManifest, url: string, threads: number): Promise<Runner> {
  const ort = peer === 'ort-main' ? ortMain : await ortProxyModule();
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = peer === 'ort-proxy';
  // The same .wasm file pageinfer's worker loads (in a build, the second ORT instance is an unprocessed copy).
  ort.env.wasm.wasmPaths = { wasm: new URL(ortWasmUrl, location.href).href };
  ort.env.logLevel = 'error';
  const bytes = await bytesOf(url);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return {
    peer,
    async run(x, dims) {
      const out = await session.run({ [man.input]: new ort.Tensor('float32', x, dims) });
      const t = out[man.output];
      return { data: t.data as Float32Array, dims: t.dims };
    },
    dispose: () => session.release(),
  };
}

async function pageinferRunner(man: ModelManifest, url: string, threads: number, load: pageinfer.LoadOptions = {}, peer: (typeof pageinferPeers)[number] = 'pageinfer'): Promise<Runner & { engine: pageinfer.Engine }> {
  const runChannel = peer === 'pageinfer-message' ? false : peer === 'pageinfer-spin' ? { spinMs: 0.5 } : undefined;
  const engine = pageinfer.createEngine({ wasm: { threads }, cache: false, sessionTimeoutMs, runChannel });
  const model = await engine.load(url, { backend: 'wasm', fallback: false, ...load, schedule: { workers: 1, ...load.schedule } });
  return {
    peer,
    engine,
    model,
    async run(x, dims) {
      const out = await model.run({ [man.input]: { type: 'float32', data: x, dims } });
      const t = out[man.output];
      return { data: t.data as Float32Array, dims: t.dims };
    },
    dispose: () => engine.dispose(),
  };
}

async function openPeer(peer: PeerName, man: ModelManifest, url: string, threads: number): Promise<Runner & { note?: string }> {
  if (peer === 'tfjs-wasm' || peer === 'tfjs-webgl') {
    const r = await tfjsRunner(peer, await bytesOf(url), threads);
    return { peer, run: r.run, dispose: r.dispose, note: `TF.js ${tfjs?.version ?? '?'} on its ${r.backend} backend, ${threads} thread(s)` };
  }
  return isPageinfer(peer) ? pageinferRunner(man, url, threads, {}, peer) : ortRunner(peer, man, url, threads);
}

/** TF.js takes part only where it runs the same network: the MNIST CNN in float. */
const peerApplies = (peer: PeerName, model: ModelKey, variant: string) => !peer.startsWith('tfjs') || (model === 'mnist' && variant === 'f32');


/**
 * Every variant of the model × every peer is loaded first, then, per batch size, all of them
 * run in rounds in a rotating order, so that both comparisons — pageinfer against each peer,
 * and int8 against f32 — are made between runs taken at the same time.
 */
async function peers(task: PeersTask): Promise<PeersOutput> {
  const man = await modelOf(task.model);
  const samples = await f32(man.samples.url);
  const rowSize = man.samples.rowSize;
  const results = new Map<string, PeersResult>();
  interface Slot {
    variant: string;
    runner: Runner;
  }
  const slots: Slot[] = [];
  const b1Check = async (variant: string, peer: PeerName, out: Output, res: PeersResult) => {
    const b1 = man.refs[variant].batches.b1;
    if (!b1) return;
    const c = new Checker(man.tolerance.wasm, outWidth(man, b1));
    if (!c.check(out.data, await f32(b1.url), out.dims)) res.errors.push(`${peer}: first result wrong: ${c.firstError}`);
  };
  for (const [k, variant] of task.variants.entries()) {
    const v = man.variants[variant];
    if (!v) throw new Error(`no variant ${variant} of ${task.model}`);
    const res: PeersResult = { model: task.model, variant, threads: task.threads, loads: [], batches: [], errors: [] };
    results.set(variant, res);
    const here = task.peers.filter((p) => peerApplies(p, task.model, variant));
    for (const [order, peer] of rotate(here, k).entries()) {
      const t0 = performance.now();
      try {
        const r = await openPeer(peer, man, v.url, task.threads);
        const loadMs = performance.now() - t0;
        const t1 = performance.now();
        const out = await r.run(samples.slice(0, rowSize), [1, ...man.rowDims]);
        const firstRunMs = performance.now() - t1;
        await b1Check(variant, peer, out, res);
        const info = r.model?.info;
        res.loads.push({
          peer,
          order,
          loadMs,
          firstRunMs,
          note: r.note,
          info: info && { backend: info.backend, threads: info.threads, workers: info.schedule.workers, reason: info.reason, createMs: info.timings.createMs },
        });
        slots.push({ variant, runner: r });
      } catch (e) {
        res.loads.push({ peer, order, loadMs: performance.now() - t0, firstRunMs: NaN, error: errorText(e) });
        res.errors.push(`${peer}: load failed: ${errorText(e)}`);
      }
    }
  }
  const precision: PrecisionRatio[] = [];
  try {
    for (const batch of task.batches) {
      const dims = [batch, ...man.rowDims];
      const input = samples.subarray(0, batch * rowSize);
      const live = slots.filter((s) => man.refs[s.variant].batches[`b${batch}`]);
      const refs = new Map<string, Float32Array>();
      for (const s of live) refs.set(s.variant, await f32(man.refs[s.variant].batches[`b${batch}`].url));
      const checkers = new Map(live.map((s) => [s, new Checker(man.tolerance.wasm, outWidth(man, man.refs[s.variant].batches[`b${batch}`]))]));
      const runOnce = async (s: Slot) => {
        const x = input.slice();
        const t0 = performance.now();
        const out = await s.runner.run(x, dims);
        const dt = performance.now() - t0;
        checkers.get(s)!.check(out.data, refs.get(s.variant)!, out.dims);
        return dt;
      };
      // Warm-up: 2 runs each (1 when a run is slow); the faster one estimates the cost of a run.
      let total = 0;
      for (const s of live) {
        let best = Infinity;
        for (let i = 0; i < 2 && !(i === 1 && best > 250); i++) best = Math.min(best, await runOnce(s));
        total += best;
      }
      const rounds = task.rounds;
      const iters = Math.max(task.minIters, Math.min(task.maxIters, Math.floor(task.budgetMs / (rounds * Math.max(total, 0.05)))));
      for (const s of live) s.runner.model?.resetStats();
      const perRound = new Map<Slot, number[][]>(live.map((s) => [s, []]));
      for (let round = 0; round < rounds; round++) {
        for (const s of rotate(live, round)) {
          const times: number[] = [];
          for (let i = 0; i < iters; i++) times.push(await runOnce(s));
          perRound.get(s)!.push(times);
        }
      }
      const slotOf = (variant: string, peer: PeerName) => live.find((s) => s.variant === variant && s.runner.peer === peer);
      for (const variant of task.variants) {
        const res = results.get(variant)!;
        const mine = live.filter((s) => s.variant === variant);
        if (!mine.length) {
          if (!man.refs[variant]?.batches[`b${batch}`]) res.errors.push(`no reference for batch ${batch}`);
          continue;
        }
        const out: PeerBatchResult = { batch, itersPerRound: iters, samples: {}, summary: {}, throughput: {}, check: {}, ratios: {} };
        for (const s of mine) {
          const all = perRound.get(s)!.flat();
          const p = s.runner.peer;
          out.samples[p] = all.map((x) => Math.round(x * 1000) / 1000);
          out.summary[p] = summarize(all);
          out.throughput[p] = (batch * 1000) / median(all);
          const c = checkers.get(s)!;
          out.check[p] = c.result();
          if (c.wrong) res.errors.push(`${p} b${batch}: ${c.wrong} wrong results: ${c.firstError}`);
        }
        for (const name of pageinferPeers) {
          const pi = slotOf(variant, name);
          if (!pi) continue;
          for (const s of mine) {
            if (s === pi) continue;
            const ratios = perRound.get(pi)!.map((m, r) => median(m) / median(perRound.get(s)![r]));
            out.ratios[`${name}/${s.runner.peer}`] = { perRound: ratios, median: median(ratios) };
          }
          const st = pi.runner.model!.stats();
          const split = { queueMs: st.queueMs.p50, transferInMs: st.transferInMs.p50, computeMs: st.computeMs.p50, transferOutMs: st.transferOutMs.p50, totalMs: st.totalMs.p50 };
          if (name === 'pageinfer') out.pageinferStats = split;
          else (out.pageinferStatsByPeer ??= {})[name] = split;
        }
        res.batches.push(out);
        // int8 against f32, peer by peer, round by round.
        if (man.variants[variant].precision === 'int8') {
          const f32Key = task.variants.find((x) => man.variants[x]?.precision === 'f32');
          for (const s of mine) {
            const base = f32Key && slotOf(f32Key, s.runner.peer);
            if (!base) continue;
            const ratios = perRound.get(base)!.map((m, r) => median(m) / median(perRound.get(s)![r]));
            precision.push({ model: task.model, variant, batch, peer: s.runner.peer, perRound: ratios, median: median(ratios) });
          }
        }
      }
    }
  } finally {
    for (const s of slots) await s.runner.dispose().catch(() => undefined);
  }
  return { results: task.variants.map((v) => results.get(v)!).filter(Boolean), precision };
}

// ---- sustained inference: long tasks and dropped frames ---------------------

const longTaskSupported = typeof PerformanceObserver !== 'undefined' && (PerformanceObserver.supportedEntryTypes ?? []).includes('longtask');

interface Recorder {
  stop(): { frames: number[]; longTasks: number[]; gaps: number[] };
}

function record(): Recorder {
  const frames: number[] = [];
  const longTasks: number[] = [];
  const gaps: number[] = [];
  let running = true;
  const spinner = document.getElementById('spinner')!;
  const tick = (t: number) => {
    frames.push(t);
    spinner.style.transform = `translateX(${(t / 4) % 300}px) rotate(${(t / 8) % 360}deg)`;
    if (running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  let obs: PerformanceObserver | null = null;
  if (longTaskSupported) {
    obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push(e.duration);
    });
    obs.observe({ type: 'longtask' });
  }
  // A 10 ms heartbeat: any gap well past 10 ms is the main thread being busy (every browser).
  let last = performance.now();
  const beat = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 10);
  return {
    stop() {
      running = false;
      clearInterval(beat);
      if (obs) {
        for (const e of obs.takeRecords()) longTasks.push(e.duration);
        obs.disconnect();
      }
      return { frames, longTasks, gaps };
    },
  };
}

async function sustained(task: SustainedTask): Promise<SustainedResult> {
  const man = await modelOf(task.model);
  const v = man.variants[task.variant];
  const samples = await f32(man.samples.url);
  const refInfo = man.refs[task.variant].batches[`b${task.batch}`];
  const ref = await f32(refInfo.url);
  const input = samples.subarray(0, task.batch * man.samples.rowSize);
  const dims = [task.batch, ...man.rowDims];
  const result: SustainedResult = { model: task.model, variant: task.variant, batch: task.batch, frameIntervalMs: NaN, longTaskSupported, slots: [], check: {}, errors: [] };
  const runners: Runner[] = [];
  for (const p of task.peers) {
    try {
      const r = await openPeer(p, man, v.url, task.threads);
      await r.run(input.slice(), dims);
      runners.push(r);
    } catch (e) {
      result.errors.push(`${p}: ${errorText(e)}`);
    }
  }
  const checkers = new Map(runners.map((r) => [r.peer, new Checker(man.tolerance.wasm, outWidth(man, refInfo))]));
  type Who = Runner | 'idle';
  const order: Who[] = ['idle', ...runners];
  const raw: Array<{ who: Who; round: number; durationMs: number; inferences: number; rec: ReturnType<Recorder['stop']> }> = [];
  try {
    // Let the page settle after the loads (GC, worker start-up), then one unrecorded idle slot.
    await sleep(500);
    record().stop();
    await sleep(Math.min(1000, task.slotMs));
    for (let round = 0; round < task.rounds; round++) {
      for (const who of rotate(order, round)) {
        const rec = record();
        const t0 = performance.now();
        let n = 0;
        if (who === 'idle') await sleep(task.slotMs);
        else {
          // Back to back, but a polite loop: it yields a task between runs, as an app would,
          // so the page can render whenever inference leaves the main thread free.
          while (performance.now() - t0 < task.slotMs) {
            const out = await who.run(input.slice(), dims);
            n++;
            checkers.get(who.peer)!.check(out.data, ref, out.dims);
            await yieldTask();
          }
        }
        const durationMs = performance.now() - t0;
        await new Promise((r) => requestAnimationFrame(() => r(null))); // the frame after the last run counts too
        raw.push({ who, round, durationMs, inferences: n, rec: rec.stop() });
        await sleep(150);
      }
    }
  } finally {
    for (const r of runners) await r.dispose().catch(() => undefined);
  }
  const idleDeltas = raw.filter((s) => s.who === 'idle').flatMap((s) => s.rec.frames.slice(1).map((t, i) => t - s.rec.frames[i]));
  const interval = median(idleDeltas) || 1000 / 60;
  result.frameIntervalMs = interval;
  for (const s of raw) {
    const deltas = s.rec.frames.slice(1).map((t, i) => t - s.rec.frames[i]);
    const dropped = deltas.reduce((n, d) => n + Math.max(0, Math.round(d / interval) - 1), 0);
    const stalls = s.rec.gaps.filter((g) => g > 50);
    const slot: SustainedSlot = {
      who: s.who === 'idle' ? 'idle' : s.who.peer,
      round: s.round,
      durationMs: s.durationMs,
      inferences: s.inferences,
      frames: s.rec.frames.length,
      droppedFrames: dropped,
      maxFrameGapMs: Math.max(0, ...deltas),
      longTasks: longTaskSupported ? s.rec.longTasks.length : null,
      longTaskMs: longTaskSupported ? s.rec.longTasks.reduce((a, b) => a + b, 0) : null,
      stalls: stalls.length,
      stallMs: stalls.reduce((a, b) => a + b, 0),
    };
    result.slots.push(slot);
  }
  for (const [p, c] of checkers) {
    result.check[p] = c.result();
    if (c.wrong) result.errors.push(`${p}: ${c.wrong} wrong results: ${c.firstError}`);
  }
  return result;
}

// ---- memory ------------------------------------------------------------------

interface UAMemory {
  bytes: number;
  breakdown: Array<{ bytes: number; types: string[]; attribution: Array<{ scope: string }> }>;
}

async function measure(): Promise<{ uaBytes: number | null; breakdown: Record<string, number>; jsHeapBytes: number | null; api: string }> {
  const perf = performance as Performance & { measureUserAgentSpecificMemory?: () => Promise<UAMemory>; memory?: { usedJSHeapSize: number } };
  const jsHeapBytes = perf.memory?.usedJSHeapSize ?? null;
  if (!perf.measureUserAgentSpecificMemory || !crossOriginIsolated) return { uaBytes: null, breakdown: {}, jsHeapBytes, api: jsHeapBytes === null ? 'none' : 'performance.memory' };
  // Eager with --enable-blink-features=ForceEagerMeasureMemory; otherwise it can wait for a GC for many seconds.
  const m = await Promise.race([perf.measureUserAgentSpecificMemory(), sleep(20_000).then(() => null)]);
  if (!m) return { uaBytes: null, breakdown: {}, jsHeapBytes, api: 'measureUserAgentSpecificMemory timed out (20 s)' };
  const breakdown: Record<string, number> = {};
  for (const b of m.breakdown) {
    const scope = b.attribution.map((a) => a.scope).join('+') || 'shared';
    const key = `${scope}${b.types.length ? ` (${b.types.join('+')})` : ''}`;
    breakdown[key] = (breakdown[key] ?? 0) + b.bytes;
  }
  return { uaBytes: m.bytes, breakdown, jsHeapBytes, api: 'measureUserAgentSpecificMemory' };
}

async function memory(task: MemoryTask): Promise<MemoryResult> {
  const man = await modelOf(task.model);
  const v = man.variants[task.variant];
  const samples = await f32(man.samples.url);
  const base = { model: task.model, variant: task.variant, peer: task.peer };
  let runner: Runner | null = null;
  try {
    if (task.peer !== 'baseline') {
      runner = await openPeer(task.peer, man, v.url, task.threads);
      const input = samples.subarray(0, task.batch * man.samples.rowSize);
      for (let i = 0; i < task.runs; i++) await runner.run(input.slice(), [task.batch, ...man.rowDims]);
    }
    return { ...base, ...(await measure()) };
  } catch (e) {
    return { ...base, uaBytes: null, breakdown: {}, jsHeapBytes: null, api: 'error', error: errorText(e) };
  } finally {
    await runner?.dispose().catch(() => undefined);
  }
}

// ---- cache: cold (throttled network) vs warm (IndexedDB) ---------------------

/** What a warm first result cannot beat (issue 19): the bytes read through the cache, then a load of the same bytes from memory and its first run. */
async function warmFloor(task: CacheTask, input: string, row: Float32Array, dims: number[]): Promise<CacheResult['floor']> {
  const reader = pageinfer.createEngine({ wasm: { threads: task.threads }, sessionTimeoutMs });
  const t0 = performance.now();
  const bytes = await reader.cache.fetch(task.url, { cache: 'cache-only' });
  const readMs = performance.now() - t0;
  await reader.dispose();
  const engine = pageinfer.createEngine({ wasm: { threads: task.threads }, cache: false, sessionTimeoutMs });
  try {
    const t1 = performance.now();
    const model = await engine.load(bytes, { backend: 'wasm', fallback: false });
    const t2 = performance.now();
    await model.run({ [input]: { type: 'float32', data: row, dims } });
    return { readMs, memoryLoadMs: t2 - t1, memoryRunMs: performance.now() - t2 };
  } finally {
    await engine.dispose();
  }
}

async function cache(task: CacheTask): Promise<CacheResult> {
  const man = await modelOf(task.model);
  const samples = await f32(man.samples.url);
  const refInfo = man.refs[task.variant].batches.b1;
  const ref = await f32(refInfo.url);
  const engine = pageinfer.createEngine({ wasm: { threads: task.threads }, sessionTimeoutMs });
  const phases = new Set<string>();
  const warnings: string[] = [];
  engine.addEventListener('warning', (e) => warnings.push(`${(e as CustomEvent<pageinfer.WarningDetail>).detail.code}: ${(e as CustomEvent<pageinfer.WarningDetail>).detail.message}`));
  try {
    if (task.phase === 'cold') await engine.cache.clear();
    const t0 = performance.now();
    const model = await engine.load(task.url, { backend: 'wasm', fallback: false, onProgress: (p) => phases.add(p.phase) });
    const t1 = performance.now();
    const out = await model.run({ [man.input]: { type: 'float32', data: samples.slice(0, man.samples.rowSize), dims: [1, ...man.rowDims] } });
    const t2 = performance.now();
    const c = new Checker(man.tolerance.wasm, outWidth(man, refInfo));
    const correct = c.check(out[man.output].data as Float32Array, ref);
    const entries = (await engine.cache.list()).length;
    await sleep(0); // the first run's span is added just after its result
    const { timeline, prepared } = model.info.timings;
    const origin = model.info.origin;
    const floor = task.phase === 'warm' ? await warmFloor(task, man.input, samples.slice(0, man.samples.rowSize), [1, ...man.rowDims]) : undefined;
    return {
      timeline: timeline.map((s) => ({ ...s })),
      origin: { from: `${origin.from}${prepared ? '' : ' (ORT not prepared)'}`, bytes: origin.bytes },
      floor,
      phase: task.phase,
      firstResultMs: t2 - t0,
      loadMs: t1 - t0,
      downloadMs: model.info.timings.downloadMs,
      createMs: model.info.timings.createMs,
      runMs: t2 - t1,
      progressPhases: [...phases],
      correct,
      cacheEntries: entries,
      warnings,
    };
  } catch (e) {
    return { phase: task.phase, firstResultMs: NaN, loadMs: NaN, downloadMs: NaN, createMs: NaN, runMs: NaN, progressPhases: [...phases], correct: false, cacheEntries: 0, warnings, error: errorText(e) };
  } finally {
    await engine.dispose();
  }
}

// ---- other backends (pageinfer only) ------------------------------------------

async function backends(task: BackendsTask): Promise<BackendsResult> {
  const man = await modelOf(task.model);
  const v = man.variants[task.variant];
  const samples = await f32(man.samples.url);
  const refInfo = man.refs[task.variant].batches[`b${task.batch}`];
  const ref = await f32(refInfo.url);
  const engine = pageinfer.createEngine({ wasm: { threads: task.threads }, cache: false, sessionTimeoutMs });
  const result: BackendsResult = { model: task.model, variant: task.variant, requested: task.backend, backend: null, batch: task.batch, loadMs: NaN, samples: [], summary: null, check: null };
  try {
    if (task.backend === 'webgpu') {
      const caps = await engine.capabilities();
      const a = caps.webgpu.adapter;
      result.adapter = a ? `${a.vendor} ${a.architecture} ${a.device} ${a.description}`.trim() + (caps.webgpu.isFallbackAdapter ? ' (fallback adapter)' : '') : caps.webgpu.why;
    } else if (task.backend === 'webgl') {
      const caps = await engine.capabilities();
      result.adapter = caps.webgl2.renderer || caps.webgl2.why;
    }
    const t0 = performance.now();
    const model = await engine.load(v.url, {
      backend: task.backend,
      fallback: false,
      freeDimensionOverrides: task.backend === 'webgl' && man.batchDim ? { [man.batchDim]: task.batch } : undefined,
    });
    result.loadMs = performance.now() - t0;
    result.backend = model.info.backend;
    const tol = task.backend === 'wasm' ? man.tolerance.wasm : man.tolerance.gpu;
    const c = new Checker(tol, outWidth(man, refInfo));
    const input = samples.subarray(0, task.batch * man.samples.rowSize);
    const dims = [task.batch, ...man.rowDims];
    const started = performance.now();
    for (let i = 0; i < task.iters + 1; i++) {
      if (i > 1 && performance.now() - started > task.budgetMs) break;
      const x = input.slice();
      const t1 = performance.now();
      const out = await model.run({ [man.input]: { type: 'float32', data: x, dims } });
      const dt = performance.now() - t1;
      if (i > 0) result.samples.push(Math.round(dt * 1000) / 1000); // the first run warms up
      c.check(out[man.output].data as Float32Array, ref, out[man.output].dims);
    }
    result.summary = summarize(result.samples);
    result.check = c.result();
  } catch (e) {
    const err = e as { code?: string; message?: string };
    result.error = { code: err?.code ?? (e instanceof Error ? e.name : 'ERROR'), message: err?.message ?? String(e) };
  } finally {
    await engine.dispose();
  }
  return result;
}

// ---- info ------------------------------------------------------------------------

async function info(): Promise<PageInfo> {
  const engine = pageinfer.createEngine();
  try {
    const caps = await engine.capabilities();
    const perf = performance as Performance & { measureUserAgentSpecificMemory?: unknown };
    return {
      userAgent: navigator.userAgent,
      hardwareConcurrency: navigator.hardwareConcurrency,
      crossOriginIsolated,
      sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
      ortVersion: ortMain.env.versions.web ?? ortMain.env.versions.common,
      capabilities: caps,
      parallelism: caps.parallelism,
      longTaskSupported,
      tfjs: tfjsAvailable() ? tfjs!.version : null,
      measureMemory: typeof perf.measureUserAgentSpecificMemory === 'function' && crossOriginIsolated,
      deviceMemory: (navigator as Navigator & { deviceMemory?: number }).deviceMemory ?? null,
    };
  } finally {
    await engine.dispose();
  }
}

const bench = { info, peers, concurrency, sustained, memory, cache, backends, tune: tuneCell };
declare global {
  interface Window {
    bench: typeof bench;
    benchReady: boolean;
  }
}
window.bench = bench;
window.benchReady = true;
document.getElementById('status')!.textContent = 'ready';
