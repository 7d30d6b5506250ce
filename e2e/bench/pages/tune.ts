/**
 * Autotune against the measured fastest: pageinfer tunes the model (fresh measurement, default
 * candidates), then every candidate the tuner listed is loaded as a fixed configuration and
 * measured here, interleaved in rounds, with every result checked. The gap is how much slower
 * the tuned choice is than the fastest correct configuration.
 */
import * as pageinfer from '../../../lib/index.js';
import type { TuneMeasured, TuneResult, TuneTask } from '../types.js';
import { maxAutoThreads } from '../../../lib/pool/size.js';
import { listCandidates } from '../../../lib/tune/candidates.js';
import type { TuneCandidate } from '../../../lib/tune/types.js';
import { Checker, errorText, f32, median, modelOf, outWidth, rotate, sessionTimeoutMs, sleep } from './common.js';

interface Loaded {
  m: TuneMeasured;
  model: pageinfer.Model;
  checker: Checker;
}

export async function tuneCell(task: TuneTask): Promise<TuneResult> {
  const man = await modelOf(task.model);
  const v = man.variants[task.variant];
  const objective = task.mode === 'streaming' ? 'latency' : 'throughput';
  const rows = objective === 'latency' ? 1 : task.maxBatch;
  const refInfo = man.refs[task.variant].batches[`b${rows}`];
  if (!refInfo) throw new Error(`no b${rows} reference for ${task.model}/${task.variant}`);
  const [samples, ref] = await Promise.all([f32(man.samples.url), f32(refInfo.url)]);
  const input = samples.subarray(0, rows * man.samples.rowSize);
  const dims = [rows, ...man.rowDims];
  const schedule = { mode: task.mode, maxBatch: task.maxBatch } as const;
  const result: TuneResult = {
    model: task.model,
    variant: task.variant,
    mode: task.mode,
    objective,
    threads: 0,
    winner: null,
    tuningMs: NaN,
    loadMs: NaN,
    table: '',
    measured: [],
    best: null,
    bestValue: NaN,
    winnerValue: NaN,
    gap: NaN,
    errors: [],
  };

  await sleep(task.settleMs);
  // 1. Tune, as a user would: threads 'auto', the default candidates, a fresh measurement.
  const tuner = pageinfer.createEngine({ cache: false, sessionTimeoutMs });
  let candidates: pageinfer.TuningInfo['candidates'] = [];
  let caps: pageinfer.Capabilities | null = null;
  try {
    const t0 = performance.now();
    // Real samples as probe inputs (PP-OCR's width is dynamic: the tuner cannot invent a shape).
    const probe = { [man.input]: { type: 'float32' as const, data: samples.slice(0, man.samples.rowSize), dims: [1, ...man.rowDims] } };
    const model = await tuner.load(v.url, { tune: { budgetMs: task.budgetMs, inputs: probe }, schedule });
    result.loadMs = performance.now() - t0;
    const tuning = model.info.tuning!;
    result.winner = tuning.winner;
    result.tuningMs = tuning.elapsedMs;
    result.table = tuning.table;
    result.threads = Math.max(...tuning.candidates.map((c) => c.threads));
    candidates = tuning.candidates;
  } catch (e) {
    result.errors.push(`tuning: ${errorText(e)}`);
  } finally {
    caps = await tuner.capabilities().catch(() => null); // probed during the load (cached): the reported cores
    await tuner.dispose();
  }

  // 2. Every listed candidate as a fixed configuration, loaded with tuning off; and the wasm configurations
  //    the reported cores would give, which the tuner may have left out (it sizes by the cores it measured):
  //    the fastest is looked for among all of them, not only among what the tuner chose to try.
  const unlisted = new Set<string>();
  for (const c of caps ? reportedCandidates(caps, task.mode !== 'streaming') : []) {
    if (candidates.some((t) => t.label === c.label)) continue;
    unlisted.add(c.label);
    candidates.push({ ...c, status: 'skipped', reason: 'not listed by the tuner', latencyMs: {}, ms: 0 });
  }
  const engines = new Map<number, pageinfer.Engine>();
  const engineFor = (threads: number) => {
    let e = engines.get(threads);
    if (!e) engines.set(threads, (e = pageinfer.createEngine({ cache: false, sessionTimeoutMs, wasm: { threads } })));
    return e;
  };
  const loaded: Loaded[] = [];
  try {
    for (const c of candidates) {
      const m: TuneMeasured = { label: c.label, backend: c.backend, threads: c.threads, workers: c.workers, tunerStatus: unlisted.has(c.label) ? 'unlisted' : c.status, tunerReason: c.reason, tunerMs: c.ms, tunerRounds: c.rounds, perRound: [], value: NaN, check: null };
      result.measured.push(m);
      try {
        const t0 = performance.now();
        const model = await engineFor(c.threads).load(v.url, {
          backend: c.backend,
          fallback: false,
          tune: false,
          graphOptimizationLevel: c.graphOptimizationLevel,
          schedule: { ...schedule, workers: c.workers },
        });
        m.loadMs = performance.now() - t0;
        m.wasmShared = model.info.timings.wasmShared;
        m.wasmNote = model.info.timings.wasmNote;
        loaded.push({ m, model, checker: new Checker(c.backend === 'wasm' ? man.tolerance.wasm : man.tolerance.gpu, outWidth(man, refInfo)) });
      } catch (e) {
        m.error = errorText(e);
      }
    }

    // 3. Interleaved rounds, measured the way the tuner scores: latency of one request, or rows/s with all
    //    workers busy. A sample is untimed runs (they wake a session's sleeping pool threads) and then
    //    back-to-back work for sampleMs: one run of a few ms is at the mercy of one time slice.
    const sampleMs = 60;
    const once = async (l: Loaded) => {
      const out = await l.model.run({ [man.input]: { type: 'float32', data: input.slice(), dims } });
      l.checker.check(out[man.output].data as Float32Array, ref, out[man.output].dims);
    };
    const measure = async (l: Loaded, previous: Loaded): Promise<number> => {
      // ORT's pool threads spin for a while after a run (30–120 ms on 2 cores, measured from /proc/stat),
      // and an idle multi-threaded session runs slow for tens of ms: untimed runs for that long first.
      const woken = previous === l ? 0 : performance.now() + 50 * (Math.max(previous.m.threads, l.m.threads) - 1);
      do await Promise.all(Array.from({ length: l.m.workers }, () => once(l)));
      while (performance.now() < woken);
      // A pool's throughput sample ends with a drain (2 jobs in flight per worker finishing unevenly) that grows
      // with its width: the window grows too, as the tuner's does, so that 4 workers are not judged on more tail.
      const end = performance.now() + sampleMs * (objective === 'latency' ? 1 : Math.max(1, l.m.workers / 2));
      if (objective === 'latency') {
        const times: number[] = [];
        while (times.length < 5 || performance.now() < end) {
          const t = performance.now();
          await once(l);
          times.push(performance.now() - t);
        }
        return median(times);
      }
      // Two requests in flight per worker, as the scheduler pipelines them.
      let done = 0;
      const t = performance.now();
      const lane = async () => {
        do {
          await once(l);
          done += rows;
        } while (performance.now() < end);
      };
      await Promise.all(Array.from({ length: 2 * l.m.workers }, lane));
      return (done * 1000) / (performance.now() - t);
    };
    // Warm-up: V8 tiers ORT's wasm up in the background for a while after each load.
    for (const l of loaded) for (const t = performance.now(); performance.now() - t < 300; ) await measure(l, l);
    const started = performance.now();
    let previous = loaded[loaded.length - 1];
    for (let round = 0; round < task.rounds; round++) {
      if (round > 2 && performance.now() - started > task.measureBudgetMs) break;
      for (const l of rotate(loaded, round)) {
        l.m.perRound.push(await measure(l, previous));
        previous = l;
      }
    }
  } finally {
    for (const l of loaded) {
      l.m.value = median(l.m.perRound);
      l.m.check = l.checker.result();
    }
    for (const e of engines.values()) await e.dispose();
  }

  // 4. The gap between the tuned choice and the fastest correct configuration.
  const correct = result.measured.filter((m) => !m.error && m.check && m.check.wrong === 0 && Number.isFinite(m.value));
  const faster = (a: TuneMeasured, b: TuneMeasured) => (objective === 'latency' ? a.value < b.value : a.value > b.value);
  const best = correct.reduce<TuneMeasured | null>((b, m) => (!b || faster(m, b) ? m : b), null);
  const won = result.measured.find((m) => m.label === result.winner);
  for (const m of result.measured) if (m.check?.wrong) result.errors.push(`${m.label}: ${m.check.wrong} wrong results`);
  if (best && won) {
    result.best = best.label;
    result.bestValue = best.value;
    result.winnerValue = won.value;
    result.gap = objective === 'latency' ? won.value / best.value : best.value / won.value;
  }
  return result;
}

/** The wasm candidates the tuner would list if it sized threads by the reported cores, as it did before it measured them. */
function reportedCandidates(caps: pageinfer.Capabilities, batching: boolean): TuneCandidate[] {
  const asReported = { ...caps, parallelism: { ...caps.parallelism, cores: caps.cores, measured: null } };
  return listCandidates(asReported, Math.min(caps.cores, maxAutoThreads), batching, {}, ['wasm']);
}
