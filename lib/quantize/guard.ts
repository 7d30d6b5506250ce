/**
 * Accuracy guard: quantize, compare against the float model on evaluation
 * inputs, and if a target is missed, keep the most sensitive nodes in float,
 * one at a time, until it is met. Sensitivity of a node is the error of the
 * model with only that node quantized.
 */
import { encodeModel, type ModelProto } from '../onnx/index.js';
import type { Feeds, Outputs } from '../tensor/types.js';
import { quantize, type QuantizeOptions, type QuantizeResult } from './index.js';
import { ortSession, runAll } from './runner.js';

export interface OutputComparison {
  output: string;
  /** Cosine similarity of all values over all evaluation inputs. */
  cosine: number;
  maxAbs: number;
}

/** Compares outputs output by output, pooling all evaluation inputs. */
export function compareOutputs(reference: readonly Outputs[], actual: readonly Outputs[]): OutputComparison[] {
  const names = Object.keys(reference[0] ?? {});
  return names.map((output) => {
    let dot = 0, na = 0, nb = 0, maxAbs = 0;
    reference.forEach((ref, k) => {
      const a = ref[output].data as ArrayLike<number>;
      const b = actual[k][output].data as ArrayLike<number>;
      for (let i = 0; i < a.length; i++) {
        const x = Number(a[i]);
        const y = Number(b[i]);
        dot += x * y;
        na += x * x;
        nb += y * y;
        maxAbs = Math.max(maxAbs, Math.abs(x - y));
      }
    });
    const cosine = na === 0 && nb === 0 ? 1 : dot / (Math.sqrt(na) * Math.sqrt(nb) || 1);
    return { output, cosine, maxAbs };
  });
}

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

export interface GuardOptions extends QuantizeOptions {
  evalInputs: readonly Feeds[];
  target: GuardTarget;
  /** Stop after keeping this many nodes in float (default: all candidates). */
  maxExcluded?: number;
}

export interface Evaluation {
  outputs: OutputComparison[];
  metric?: number;
  met: boolean;
}

export interface ExcludedNode {
  node: string;
  op: string;
  /** The error with only this node quantized. */
  alone: Evaluation;
  /** The whole model's result once this node (and earlier ones) stayed float. */
  after: Evaluation;
  reason: string;
}

export interface GuardReport {
  floatMetric?: number;
  initial: Evaluation;
  final: Evaluation;
  excluded: ExcludedNode[];
  met: boolean;
}

export async function guardedQuantize(input: Uint8Array | ModelProto, options: GuardOptions): Promise<QuantizeResult & { guard: GuardReport }> {
  const bytes = input instanceof Uint8Array ? input : encodeModel(input);
  const session = options.session ?? ortSession;
  const { target } = options;
  const reference = await runAll(session, bytes, options.evalInputs);
  const floatMetric = target.metric?.(reference);
  const evaluate = async (q: QuantizeResult): Promise<Evaluation> => {
    const out = await runAll(session, q.bytes, options.evalInputs);
    const outputs = compareOutputs(reference, out);
    const metric = target.metric?.(out);
    const met =
      outputs.every((o) => (target.minCosine === undefined || o.cosine >= target.minCosine) && (target.maxAbs === undefined || o.maxAbs <= target.maxAbs)) &&
      (metric === undefined || floatMetric === undefined || target.maxMetricDrop === undefined || floatMetric - metric <= target.maxMetricDrop);
    return { outputs, metric, met };
  };
  // Calibrate once; every trial below reuses the ranges.
  let best = await quantize(bytes, options);
  const ranges = best.ranges;
  const trial = (exclude: string[]) => quantize(bytes, { ...options, ranges, exclude, onProgress: undefined });
  const initial = await evaluate(best);
  const excluded: ExcludedNode[] = [];
  let current = initial;
  if (!initial.met) {
    const base = [...(options.exclude ?? [])];
    const nodes = best.report.quantized;
    const sensitivity: { node: string; op: string; alone: Evaluation; score: number }[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const others = nodes.filter((_, j) => j !== i).map((n) => n.node);
      const alone = await evaluate(await trial([...base, ...others]));
      sensitivity.push({ node: nodes[i].node, op: nodes[i].op, alone, score: errorScore(alone, floatMetric) });
      options.onProgress?.({ stage: 'evaluate', done: i + 1, total: nodes.length });
    }
    sensitivity.sort((a, b) => b.score - a.score);
    const limit = options.maxExcluded ?? sensitivity.length;
    for (const s of sensitivity.slice(0, limit)) {
      base.push(s.node);
      const q = await trial(base);
      const before = current;
      current = await evaluate(q);
      best = q;
      excluded.push({ node: s.node, op: s.op, alone: s.alone, after: current, reason: describe(s.alone, before, current, floatMetric) });
      if (current.met) break;
    }
  }
  return { ...best, guard: { floatMetric, initial, final: current, excluded, met: current.met } };
}

/** Larger is worse: metric drop when a metric is given, else the worst cosine gap and max-abs. */
function errorScore(e: Evaluation, floatMetric: number | undefined): number {
  if (e.metric !== undefined && floatMetric !== undefined) return floatMetric - e.metric + 1e-6 * worstGap(e);
  return worstGap(e);
}

function worstGap(e: Evaluation): number {
  return Math.max(...e.outputs.map((o) => 1 - o.cosine)) + 1e-9 * Math.max(...e.outputs.map((o) => o.maxAbs));
}

function describe(alone: Evaluation, before: Evaluation, after: Evaluation, floatMetric: number | undefined): string {
  const cos = (e: Evaluation) => Math.min(...e.outputs.map((o) => o.cosine)).toFixed(5);
  const abs = (e: Evaluation) => Math.max(...e.outputs.map((o) => o.maxAbs)).toPrecision(3);
  const metric = (e: Evaluation) => (e.metric !== undefined ? `, metric ${e.metric.toFixed(4)}${floatMetric !== undefined ? ` (float ${floatMetric.toFixed(4)})` : ''}` : '');
  return `most sensitive left: quantized alone it gives cosine ${cos(alone)}, max-abs ${abs(alone)}${metric(alone)}; keeping it float moved the model from cosine ${cos(before)} to ${cos(after)}, max-abs ${abs(before)} to ${abs(after)}${metric(after)}`;
}

