/**
 * Speed-aware mixed precision for onnxruntime-web's wasm backend (`--optimize-for wasm`).
 *
 * Why: on ORT-web wasm, int8 convolutions are slower than float (QLinearConv / ConvInteger:
 * 0.5–0.65× on the MNIST CNN, its NHWC layout transform adds Transposes), while int8
 * MatMul pays from batch ~8 on. Weight-only (int8 weights behind DequantizeLinear, folded
 * into float constants when the session is created) runs the float kernels: float speed,
 * nearly int8 size. So per op class (Conv; MatMul and Gemm) the choice is integer kernels
 * or int8 weights with float math, and it is made by measuring, not by a rule: the model
 * is run in each combination in ORT's wasm backend (the same kernels as the browser's, in
 * Node or a page) at the batch and thread count given, interleaved round by round so
 * that a busy machine slows every candidate alike. The fastest wins; within 3 % of the
 * fastest, the smaller file.
 *
 * The grain is the op class over the whole model, not each node: a node's int8 cost
 * depends on its neighbours (ORT fuses QDQ chains and places layout Transposes between
 * integer and float ops), which a whole-model run measures and a node alone would not.
 */
import { decodeModel } from '../onnx/index.js';
import type { Feeds } from '../tensor/types.js';
import { makeEvalInputs, type EvalDataOptions } from './evalinputs.js';
import { quantize, type QuantizeOptions } from './quantize.js';
import { weightCandidates } from './weightonly.js';

export interface SpeedOptions {
  /** Rows per run (the scheduler's batch); default 1. */
  batch?: number;
  /** wasm threads; default 1 (pages without cross-origin isolation get 1). */
  threads?: number;
  /** Measuring rounds per candidate (default 15; each round runs every candidate once). */
  rounds?: number;
  evalData?: EvalDataOptions;
  /** Inputs to time with (real data, already at `batch` rows); default made from the input metadata. */
  feeds?: Feeds;
}

export interface SpeedCandidate {
  /** e.g. 'Conv int8-weights, MatMul/Gemm int8'. */
  name: string;
  /** Nodes that keep float math with int8 weights in this candidate. */
  weightOnly: string[];
  bytes: number;
  /** Median ms per run. */
  medianMs: number;
}

export interface SpeedPlan {
  batch: number;
  threads: number;
  floatMs: number;
  floatBytes: number;
  candidates: SpeedCandidate[];
  chosen: SpeedCandidate;
  /** floatMs / chosen.medianMs. */
  speedup: number;
}

interface TimedSession {
  run(feeds: Feeds): Promise<number>;
  release(): Promise<void>;
}

async function timedSession(bytes: Uint8Array, threads: number): Promise<TimedSession> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  const ort = isNode ? await import('onnxruntime-web') : await import('onnxruntime-web/wasm');
  ort.env.wasm.numThreads = threads;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return {
    async run(feeds) {
      const ortFeeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
      for (const [k, t] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
      const t0 = performance.now();
      await session.run(ortFeeds);
      return performance.now() - t0;
    },
    release: () => session.release(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Every mix of integer kernels / int8-weights per op class (Conv; MatMul and Gemm): 2^classes mixes (at most 4),
 * each named as planForWasm reports it, with the nodes it keeps weight-only. A recorded choice is applied by name.
 */
export function weightMixes(floatBytes: Uint8Array, options: QuantizeOptions): Array<{ name: string; weightOnly: string[] }> {
  const model = decodeModel(floatBytes);
  const opTypes = options.opTypes ?? ['MatMul', 'Gemm', 'Conv'];
  const exclude = options.exclude ?? [];
  const classes = [
    { label: 'Conv', nodes: opTypes.includes('Conv') ? weightCandidates(model, ['Conv'], exclude) : [] },
    { label: 'MatMul/Gemm', nodes: weightCandidates(model, opTypes.filter((o) => o !== 'Conv'), exclude) },
  ].filter((c) => c.nodes.length > 0);
  const mixes: Array<{ name: string; weightOnly: string[] }> = [];
  for (let mask = 0; mask < 1 << classes.length; mask++) {
    const kept = classes.filter((_, i) => mask & (1 << i));
    const weightOnly = [...(options.weightOnly ?? []), ...kept.flatMap((c) => c.nodes)];
    mixes.push({ name: classes.map((c) => `${c.label} ${kept.includes(c) ? 'int8-weights' : 'int8'}`).join(', '), weightOnly });
  }
  return mixes;
}

/** Measures float and each mix of integer kernels / int8-weights per op class; returns the plan (what to keep weight-only). */
export async function planForWasm(floatBytes: Uint8Array, options: QuantizeOptions, speed: SpeedOptions = {}): Promise<SpeedPlan> {
  const batch = speed.batch ?? 1;
  const threads = speed.threads ?? 1;
  const rounds = speed.rounds ?? 15;
  const model = decodeModel(floatBytes);
  const feeds = speed.feeds ?? makeEvalInputs(model, { ...speed.evalData, batch, seeds: 1 }).inputs[0];
  const variants: Array<{ name: string; weightOnly: string[]; bytes: Uint8Array }> = [];
  for (const mix of weightMixes(floatBytes, options)) {
    const q = await quantize(floatBytes, { ...options, weightOnly: mix.weightOnly, onProgress: undefined });
    variants.push({ ...mix, bytes: q.bytes });
  }
  const sessions = [await timedSession(floatBytes, threads), ...(await Promise.all(variants.map((v) => timedSession(v.bytes, threads))))];
  const times: number[][] = sessions.map(() => []);
  try {
    for (const s of sessions) for (let w = 0; w < 3; w++) await s.run(feeds); // warm-up: first runs allocate and pack
    for (let r = 0; r < rounds; r++) for (let i = 0; i < sessions.length; i++) times[i].push(await sessions[i].run(feeds));
  } finally {
    for (const s of sessions) await s.release();
  }
  const floatMs = median(times[0]);
  const candidates = variants.map((v, i) => ({ name: v.name, weightOnly: v.weightOnly, bytes: v.bytes.byteLength, medianMs: median(times[i + 1]) }));
  const fastest = Math.min(...candidates.map((c) => c.medianMs));
  const chosen = candidates.filter((c) => c.medianMs <= fastest * 1.03).sort((a, b) => a.bytes - b.bytes)[0];
  return { batch, threads, floatMs, floatBytes: floatBytes.byteLength, candidates, chosen, speedup: floatMs / chosen.medianMs };
}
