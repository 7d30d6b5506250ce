/**
 * 64 concurrent single-row requests: sequential, streaming and hybrid through pageinfer on 1 and
 * 2 workers, and the same burst through hand-written raw-ORT workers (the machine's ceiling).
 */
import * as pageinfer from '../../../lib/index.js';
import { outOfMemory } from '../../../lib/tune/tuner.js';
import type { ConcurrencyResult, ConcurrencyRun, ConcurrencyTask } from '../types.js';
import { Checker, bytesOf, errorText, f32, median, modelOf, quantile, rotate, sessionTimeoutMs, sleep } from './common.js';
import { RawPool } from './raw-workers.js';

/** A burst takes 5–50 ms; one that has not finished after this is stuck. */
const burstLimitMs = 20_000;

export async function concurrency(task: ConcurrencyTask): Promise<ConcurrencyResult> {
  const man = await modelOf(task.model);
  const v = man.variants[task.variant];
  const samples = await f32(man.samples.url);
  const single = man.refs[task.variant].single;
  if (!single) throw new Error(`no per-sample references for ${task.model}/${task.variant}`);
  const singleRef = await f32(single.url);
  const outRow = singleRef.length / man.samples.count;
  const rowSize = man.samples.rowSize;
  const result: ConcurrencyResult = { model: task.model, variant: task.variant, requests: task.requests, maxBatch: task.maxBatch, maxDelayMs: task.maxDelayMs, configs: [], runs: [], summary: {}, ratios: {}, errors: [] };
  const engine = pageinfer.createEngine({ wasm: { threads: 1 }, cache: false, sessionTimeoutMs });
  const models = new Map<string, pageinfer.Model>();
  const raws = new Map<string, RawPool>();
  const checkers = new Map<string, Checker>();
  try {
    for (const c of task.configs) {
      const t0 = performance.now();
      try {
        if (c.raw) {
          const bytes = await bytesOf(v.url);
          raws.set(c.name, await retryOutOfMemory(() => RawPool.open(bytes, c.workers)));
          checkers.set(c.name, new Checker(man.tolerance.wasm, outRow));
          result.configs.push({ ...c, loadMs: performance.now() - t0 });
          continue;
        }
        // Configs that differ only in how requests are sent (sequential vs streaming) share one loaded model.
        const twin = task.configs.find((o) => o !== c && models.has(o.name) && o.mode === c.mode && o.workers === c.workers);
        const m = twin
          ? models.get(twin.name)!
          : await retryOutOfMemory(() => engine.load(v.url, { backend: 'wasm', fallback: false, schedule: { mode: c.mode, workers: c.workers, maxBatch: task.maxBatch, maxDelayMs: task.maxDelayMs } }));
        models.set(c.name, m);
        checkers.set(c.name, new Checker(man.tolerance.wasm, outRow));
        result.configs.push({ ...c, schedule: m.info.schedule, loadMs: twin ? undefined : performance.now() - t0 });
      } catch (e) {
        result.configs.push({ ...c, error: errorText(e) });
        result.errors.push(`${c.name}: ${errorText(e)}`);
      }
    }
    /** One single-row input per request, cycling through the samples (fresh buffers: runs transfer them). */
    const burstInputs = () => Array.from({ length: task.requests }, (_, i) => samples.slice((i % man.samples.count) * rowSize, ((i % man.samples.count) + 1) * rowSize));
    const check = (chk: Checker, outs: Float32Array[]) =>
      outs.forEach((o, i) => {
        const j = i % man.samples.count;
        chk.check(o, singleRef.subarray(j * outRow, (j + 1) * outRow));
      });
    /** A burst that never ends fails the task with what was left, instead of hanging the runner's call. */
    const watchdog = <T,>(name: string, work: Promise<T>, state: () => string): Promise<T> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stuck = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${name}: a burst of ${task.requests} requests did not finish in ${burstLimitMs} ms (${state()})`)), burstLimitMs)));
      return Promise.race([work, stuck]).finally(() => clearTimeout(timer));
    };
    const rawBurst = async (name: string): Promise<ConcurrencyRun> => {
      const inputs = burstInputs();
      const start = performance.now();
      const pending = raws.get(name)!.burst(man.input, inputs, man.rowDims, task.maxBatch);
      const { outputs, doneAt } = await watchdog(name, pending, () => 'hand-written raw ORT pool');
      const wallMs = performance.now() - start;
      check(checkers.get(name)!, outputs);
      const latencies = doneAt.map((t) => Math.round((t - start) * 1000) / 1000);
      return { config: name, wallMs, throughput: (task.requests * 1000) / wallMs, latencies, meanBatchSize: Math.min(task.maxBatch, task.requests), computeP50: NaN };
    };
    const burst = async (name: string, sequential: boolean): Promise<ConcurrencyRun> => {
      if (raws.has(name)) return rawBurst(name);
      const m = models.get(name)!;
      const chk = checkers.get(name)!;
      m.resetStats();
      const inputs = burstInputs();
      const latencies: number[] = new Array(task.requests);
      let back = 0;
      const one = async (i: number) => {
        const t0 = performance.now();
        const out = await m.run({ [man.input]: { type: 'float32', data: inputs[i], dims: [1, ...man.rowDims] } });
        latencies[i] = performance.now() - t0;
        back++;
        return out[man.output].data as Float32Array;
      };
      const start = performance.now();
      const outs: Float32Array[] = [];
      const all = async () => {
        if (sequential) for (let i = 0; i < task.requests; i++) outs.push(await one(i));
        else outs.push(...(await Promise.all(inputs.map((_, i) => one(i)))));
      };
      await watchdog(name, all(), () => `${back} results back; ${JSON.stringify(m.stats().pool)}`);
      const wallMs = performance.now() - start;
      check(chk, outs);
      const st = m.stats();
      return { config: name, wallMs, throughput: (task.requests * 1000) / wallMs, latencies: latencies.map((x) => Math.round(x * 1000) / 1000), meanBatchSize: st.meanBatchSize, computeP50: st.computeMs.p50 };
    };
    /** Bursts of one config in one round, as one sample: every latency counts. */
    const merge = (name: string, runs: ConcurrencyRun[]): ConcurrencyRun => {
      const wallMs = runs.reduce((t, r) => t + r.wallMs, 0);
      return {
        config: name,
        wallMs,
        bursts: runs.length,
        throughput: (runs.length * task.requests * 1000) / wallMs,
        latencies: runs.flatMap((r) => r.latencies),
        meanBatchSize: median(runs.map((r) => r.meanBatchSize)),
        computeP50: median(runs.map((r) => r.computeP50)),
      };
    };
    const live = task.configs.filter((c) => models.has(c.name) || raws.has(c.name));
    // Warm-up until the CPU settles: right after a load, V8 is still tiering up ORT's wasm in the
    // background (seconds, on every worker), which would land in the first rounds' timings.
    const warmStart = performance.now();
    for (let k = 0; k < 3 || performance.now() - warmStart < task.warmupMs; k++) for (const c of live) await burst(c.name, c.sequential);
    const started = performance.now();
    // A round interleaves the configs burst by burst (`cycles` times), so that the configs it compares
    // ran within a few ms of each other: this 2-core VM's speed changes from one tenth of a second to the next.
    for (let round = 0; round < task.rounds; round++) {
      if (round > 0 && performance.now() - started > task.budgetMs) break;
      const bursts = new Map<string, ConcurrencyRun[]>(live.map((c) => [c.name, []]));
      for (let k = 0; k < task.cycles; k++) for (const c of rotate(live, round + k)) bursts.get(c.name)!.push(await burst(c.name, c.sequential));
      for (const c of live) result.runs.push(merge(c.name, bursts.get(c.name)!));
    }
    for (const c of live) {
      const runs = result.runs.filter((r) => r.config === c.name);
      const lat = runs.flatMap((r) => r.latencies);
      result.summary[c.name] = {
        throughput: median(runs.map((r) => r.throughput)),
        p50: quantile(lat, 0.5),
        p95: quantile(lat, 0.95),
        meanBatchSize: median(runs.map((r) => r.meanBatchSize)),
        computeP50: median(runs.map((r) => r.computeP50)),
        check: checkers.get(c.name)!.result(),
      };
      if (checkers.get(c.name)!.wrong) result.errors.push(`${c.name}: ${checkers.get(c.name)!.wrong} wrong results: ${checkers.get(c.name)!.firstError}`);
    }
    const rounds = Math.max(0, ...live.map((c) => result.runs.filter((r) => r.config === c.name).length));
    const thr = (name: string, k: number) => result.runs.filter((r) => r.config === name)[k]?.throughput;
    const pair = (a: string, b: string) => {
      const has = (n: string) => models.has(n) || raws.has(n);
      if (!has(a) || !has(b)) return;
      const per: number[] = [];
      for (let k = 0; k < rounds; k++) {
        const x = thr(a, k);
        const y = thr(b, k);
        if (x && y) per.push(x / y);
      }
      result.ratios[`${a}/${b}`] = { perRound: per, median: median(per) };
    };
    for (const c of live) if (c.name !== 'sequential') pair(c.name, 'sequential');
    pair('streaming-2w', 'streaming');
    pair('hybrid-2w', 'hybrid');
    pair('hybrid', 'streaming');
    pair('raw-2w', 'raw-1w'); // what this machine allows a second worker
    pair('hybrid-2w', 'raw-2w'); // pageinfer's cost over hand-written batching on raw ORT workers
    pair('hybrid', 'raw-1w');
  } finally {
    for (const r of raws.values()) r.dispose();
    await engine.dispose();
  }
  return result;
}

/**
 * WebKitGTK refuses about the 9th live ORT instance, and this task loads 9; the previous page's may
 * not be collected yet (one full run failed the raw 2-worker pool so): one more try after a pause.
 */
async function retryOutOfMemory<T>(open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    if (!outOfMemory(errorText(e))) throw e;
    await sleep(2000);
    return open();
  }
}
