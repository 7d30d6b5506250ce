/**
 * Accuracy guard: quantize, compare against the float model on evaluation inputs
 * (made from the input metadata when none are given), and if the target (default:
 * cosine >= 0.99 per output) is missed, keep the most sensitive nodes with float math
 * (int8 weights) or fully float: the fewest, found by bisection over the sensitivity
 * order. Sensitivity of a node is the error of the model with only that node quantized.
 */
import { decodeModel, encodeModel, type ModelProto } from '../onnx/index.js';
import { exposeTensors } from './calibrate.js';
import { QuantizeError } from '../errors/index.js';
import type { Feeds, Outputs } from '../tensor/types.js';
import { compareOutputs, type OutputComparison } from '../tensor/compare.js';
import { quantize, type QuantizeOptions, type QuantizeResult } from './quantize.js';
import { ortSession, runAll } from './runner.js';
import { makeEvalInputs, type EvalDataOptions } from './evalinputs.js';

export { compareOutputs, type OutputComparison } from '../tensor/compare.js';

export interface GuardTarget {
  /** Every output's cosine similarity must reach this. */
  minCosine?: number;
  /** Every output's max-abs difference must stay within this. */
  maxAbs?: number;
  /** Task metric, higher is better (e.g. accuracy from outputs and labels). */
  metric?: (outputs: readonly Outputs[]) => number;
  /** Largest allowed drop of `metric` from the float model's score. */
  maxMetricDrop?: number;
}

/** What the guard aims for when no target is given: every output's cosine to float ≥ 0.99. */
export const defaultTarget: GuardTarget = { minCosine: 0.99 };

export interface GuardOptions extends QuantizeOptions {
  /** Default: made from the model's input metadata (see evalinputs.ts and `evalData`). */
  evalInputs?: readonly Feeds[];
  /** How to make evaluation inputs when `evalInputs` is not given. */
  evalData?: EvalDataOptions;
  /** Default `defaultTarget`. */
  target?: GuardTarget;
  /** Stop after keeping this many nodes in float (default: all candidates). */
  maxExcluded?: number;
  /**
   * How a sensitive node is kept: 'float' (weights and math float), 'weight-only' (int8
   * weights, float math: the file stays nearly as small) or 'auto' (default): weight-only
   * first, and when every candidate is weight-only and the target is still missed, the
   * most sensitive of them go on to full float, one at a time.
   */
  keepAs?: 'float' | 'weight-only' | 'auto';
  /**
   * Tensors to compare instead of the graph outputs, e.g. the logits before a final
   * Softmax, whose saturated probabilities make cosine jump on a single ambiguous frame.
   * They are exposed as extra outputs of the evaluated copies only; `metric` still sees the graph outputs too.
   */
  compare?: readonly string[];
}

export interface Evaluation {
  outputs: OutputComparison[];
  metric?: number;
  met: boolean;
}

export interface ExcludedNode {
  node: string;
  op: string;
  /** 'float', or 'weight-only' (int8 weights, float math) with `keepAs: 'weight-only'`. */
  keptAs: 'float' | 'weight-only';
  /** The error with only this node quantized. */
  alone: Evaluation;
  /** The whole model's result with every kept node kept. */
  after: Evaluation;
  reason: string;
}

export interface GuardReport {
  floatMetric?: number;
  initial: Evaluation;
  final: Evaluation;
  excluded: ExcludedNode[];
  met: boolean;
  target: GuardTarget;
  /** The kind of evaluation data the guard made, when none was given. */
  evalKind?: string;
}

export async function guardedQuantize(input: Uint8Array | ModelProto, options: GuardOptions = {}): Promise<QuantizeResult & { guard: GuardReport }> {
  const bytes = input instanceof Uint8Array ? input : encodeModel(input);
  const session = options.session ?? ortSession;
  const target = options.target ?? defaultTarget;
  const compare = options.compare?.length ? options.compare : undefined;
  const floatModel = decodeModel(bytes);
  const made = options.evalInputs ? undefined : makeEvalInputs(floatModel, options.evalData);
  const evalInputs = options.evalInputs ?? made!.inputs;
  if (!evalInputs.length) throw new QuantizeError('The accuracy guard needs at least one evaluation input', {});
  const graphOutputs = (model: ModelProto) => (model.graph?.output ?? []).map((o) => o.name!);
  const run = (model: ModelProto, modelBytes: Uint8Array) => {
    if (!compare) return runAll(session, modelBytes, evalInputs);
    const produced = new Set((model.graph?.node ?? []).flatMap((n) => n.output ?? []));
    const missing = compare.filter((t) => !produced.has(t));
    if (missing.length) {
      throw new QuantizeError(`Cannot compare '${missing[0]}': no node of the ${model === floatModel ? 'float' : 'quantized'} model produces it (a tensor between two integer ops is folded away; compare one that a float node reads)`, { tensor: missing[0] });
    }
    return runAll(session, exposeTensors(model, compare), evalInputs, [...new Set([...graphOutputs(model), ...compare])]);
  };
  const reference = await run(floatModel, bytes);
  const floatMetric = target.metric?.(reference);
  const evaluate = async (q: QuantizeResult): Promise<Evaluation> => {
    const out = await run(q.model, q.bytes);
    const outputs = compareOutputs(reference, out, compare);
    const metric = target.metric?.(out);
    const met =
      outputs.every((o) => (target.minCosine === undefined || o.cosine >= target.minCosine) && (target.maxAbs === undefined || o.maxAbs <= target.maxAbs)) &&
      (metric === undefined || floatMetric === undefined || target.maxMetricDrop === undefined || floatMetric - metric <= target.maxMetricDrop);
    return { outputs, metric, met };
  };
  // Calibrate once; every trial below reuses the ranges.
  let best = await quantize(bytes, options);
  const ranges = best.ranges;
  const keepAs = options.keepAs ?? 'auto';
  const own = new Set(options.exclude ?? []);
  // Nodes kept so far, as weight-only (int8 weights, float math) or float.
  const trial = (asWeightOnly: string[], asFloat: string[]) =>
    quantize(bytes, {
      ...options,
      ranges,
      exclude: [...own, ...asFloat, ...asWeightOnly],
      weightOnly: [...(options.weightOnly ?? []), ...asWeightOnly.filter((n) => !own.has(n))],
      onProgress: undefined,
    });
  const initial = await evaluate(best);
  const excluded: ExcludedNode[] = [];
  let current = initial;
  // maxExcluded 0: check only (no per-node sensitivity pass, which costs one evaluation per node).
  if (!initial.met && (options.maxExcluded ?? Infinity) > 0) {
    const nodes = best.report.quantized;
    const sensitivity: { node: string; op: string; alone: Evaluation; score: number }[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const others = nodes.filter((_, j) => j !== i).map((n) => n.node);
      const alone = await evaluate(await quantize(bytes, { ...options, ranges, exclude: [...own, ...others], onProgress: undefined }));
      sensitivity.push({ node: nodes[i].node, op: nodes[i].op, alone, score: errorScore(alone, floatMetric) });
      options.onProgress?.({ stage: 'evaluate', done: i + 1, total: nodes.length });
    }
    sensitivity.sort((a, b) => b.score - a.score);
    const limit = Math.min(options.maxExcluded ?? sensitivity.length, sensitivity.length);
    const order = sensitivity.slice(0, limit);
    // Keeping more of the most sensitive nodes brings the model closer to float, so the
    // fewest that meet the target are found by bisection over that order: log2(n) trials
    // instead of one per node (a trial is a whole quantize + evaluation).
    const smallest = async (make: (k: number) => Promise<QuantizeResult>): Promise<{ k: number; q: QuantizeResult; e: Evaluation } | { k: -1; q: QuantizeResult; e: Evaluation }> => {
      const all = await make(limit);
      const allE = await evaluate(all);
      if (!allE.met) return { k: -1, q: all, e: allE };
      let lo = 1, hi = limit, found = { k: limit, q: all, e: allE };
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const q = await make(mid);
        const e = await evaluate(q);
        if (e.met) { hi = mid; found = { k: mid, q, e }; } else lo = mid + 1;
      }
      return found;
    };
    const names = (k: number) => order.slice(0, k).map((s) => s.node);
    const record = (kept: Array<{ s: (typeof order)[number]; as: 'float' | 'weight-only' }>, q: QuantizeResult, e: Evaluation, note: string) => {
      best = q;
      current = e;
      excluded.length = 0;
      for (const { s, as } of kept) excluded.push({ node: s.node, op: s.op, keptAs: as, alone: s.alone, after: e, reason: `${describeAlone(s.alone, floatMetric)}; ${note}` });
    };
    const firstAs = keepAs === 'float' ? 'float' : 'weight-only';
    const first = await smallest((k) => (firstAs === 'float' ? trial([], names(k)) : trial(names(k), [])));
    if (first.k > 0) {
      record(order.slice(0, first.k).map((s) => ({ s, as: firstAs })), first.q, first.e, `the ${first.k} most sensitive node(s) kept ${firstAs === 'float' ? 'float' : 'with float math'} are the fewest that meet the target`);
    } else if (keepAs === 'auto') {
      // Float activations everywhere were not enough: some weights do not survive int8.
      const second = await smallest((k) => trial(names(limit).slice(k), names(k)));
      if (second.k > 0) {
        record([...order.slice(0, second.k).map((s) => ({ s, as: 'float' as const })), ...order.slice(second.k).map((s) => ({ s, as: 'weight-only' as const }))], second.q, second.e, `float math everywhere was not enough; the ${second.k} most sensitive kept fully float are the fewest that meet the target`);
      } else if (errorScore(first.e, floatMetric) < errorScore(initial, floatMetric)) {
        // Unreachable even fully float (the error is elsewhere, e.g. nodes the options keep
        // weight-only): keeping candidates float would cost size for nothing. Float math
        // everywhere, at nearly the int8 size, was the closest.
        record(order.map((s) => ({ s, as: 'weight-only' as const })), first.q, first.e, 'the target is not met even with every candidate float; float math everywhere came closest');
      }
    } else if (errorScore(first.e, floatMetric) < errorScore(initial, floatMetric)) {
      record(order.map((s) => ({ s, as: firstAs })), first.q, first.e, `the target is not met even with every candidate kept ${firstAs === 'float' ? 'float' : 'with float math'}; that came closest`);
    }
  }
  return { ...best, guard: { floatMetric, initial, final: current, excluded, met: current.met, target, evalKind: made?.kind } };
}

/** Larger is worse: metric drop when a metric is given, else the worst cosine gap and max-abs. */
function errorScore(e: Evaluation, floatMetric: number | undefined): number {
  if (e.metric !== undefined && floatMetric !== undefined) return floatMetric - e.metric + 1e-6 * worstGap(e);
  return worstGap(e);
}

function worstGap(e: Evaluation): number {
  return Math.max(...e.outputs.map((o) => 1 - o.cosine)) + 1e-9 * Math.max(...e.outputs.map((o) => o.maxAbs));
}

function describeAlone(alone: Evaluation, floatMetric: number | undefined): string {
  const cos = Math.min(...alone.outputs.map((o) => o.cosine)).toFixed(5);
  const abs = Math.max(...alone.outputs.map((o) => o.maxAbs)).toPrecision(3);
  const metric = alone.metric !== undefined ? `, metric ${alone.metric.toFixed(4)}${floatMetric !== undefined ? ` (float ${floatMetric.toFixed(4)})` : ''}` : '';
  return `quantized alone it gives cosine ${cos}, max-abs ${abs}${metric}`;
}

