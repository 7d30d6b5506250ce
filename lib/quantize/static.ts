/**
 * Static quantization: activation ranges come from calibration, weights are
 * quantized ahead of time. Two output forms:
 *   qdq       — QuantizeLinear/DequantizeLinear pairs around float ops; ORT fuses
 *               them into integer kernels on wasm, and WebGPU keeps them on the GPU.
 *   qoperator — QLinearConv/QLinearMatMul with explicit QuantizeLinear/DequantizeLinear
 *               only where float ops need the values (fastest on wasm).
 * Only nodes of the main graph are quantized: calibration cannot observe tensors
 * inside If/Loop bodies.
 */
import type { ModelProto, NodeProto } from '../onnx/index.js';
import type { Feeds } from '../tensor/types.js';
import { QuantizeError } from '../errors/index.js';
import { calibrate, type CalibrationOptions, type Range } from './calibrate.js';
import { gemmBiasProblem, type RewriteResult } from './dynamic.js';
import { NameAllocator, removeUnused, scopeOf, walkGraphs, findConstant, type Scope } from './graph.js';
import { ensureOpset } from './opset.js';
import { paramsFor, type QType } from './params.js';
import { rewriteQdq } from './qdq.js';
import { rewriteQOperator } from './qoperator.js';
import { GraphRewriter, nodeLabel, skipReason, weightOf, type Candidate, type NodeReport, type Selection } from './rewrite.js';
import type { SessionFactory } from './runner.js';

export interface StaticOptions extends Selection {
  format: 'qdq' | 'qoperator';
  weightType: QType;
  activationType: QType;
  perChannel: boolean;
  symmetricWeights: boolean;
  symmetricActivations: boolean;
}

export interface CalibrationInput extends CalibrationOptions {
  inputs: readonly Feeds[];
  session: SessionFactory;
  onProgress?: (done: number, total: number) => void;
}

export interface Plan {
  candidates: Map<NodeProto, Candidate['weight']>;
  /** Activation tensors whose ranges are needed. */
  tensors: string[];
  skipped: NodeReport[];
}

/** Picks the nodes to quantize and the activations to calibrate. */
export function planStatic(model: ModelProto, sel: Selection): Plan {
  const graph = model.graph!;
  const scope = scopeOf(graph);
  const candidates = new Map<NodeProto, Candidate['weight']>();
  const tensors = new Set<string>();
  const skipped: NodeReport[] = [];
  for (const node of graph.node ?? []) {
    const why = skipReason(node, sel);
    const weight = why ?? gemmBiasProblem(node, scope) ?? (findConstant(scope, node.input![0]) ? 'input is a constant' : weightOf(node, scope));
    if (typeof weight === 'string') {
      if (sel.opTypes.includes(node.opType!)) skipped.push({ node: nodeLabel(node), op: node.opType!, detail: weight });
      continue;
    }
    candidates.set(node, weight);
    tensors.add(node.input![0]);
    tensors.add(node.output![0]);
  }
  walkGraphs(graph, (g) => {
    if (g === graph) return;
    for (const node of g.node ?? []) {
      if (sel.opTypes.includes(node.opType!)) skipped.push({ node: nodeLabel(node), op: node.opType!, detail: 'inside a subgraph (calibration cannot see it)' });
    }
  });
  return { candidates, tensors: [...tensors], skipped };
}

/** Calibrates every tensor that quantizing `model` with no exclusions would need. */
export async function calibrateFor(model: ModelProto, sel: Selection, cal: CalibrationInput): Promise<Map<string, Range>> {
  const plan = planStatic(model, { ...sel, exclude: new Set() });
  return calibrate({ model, tensors: plan.tensors, inputs: cal.inputs, session: cal.session, options: cal, onProgress: cal.onProgress });
}

/** Scale and zero-point initializers per activation tensor, made once per graph. */
export class ActivationParams {
  private readonly made = new Map<string, { scale: string; zeroPoint: string; s: number; z: number }>();

  constructor(
    private readonly rw: GraphRewriter,
    private readonly ranges: ReadonlyMap<string, Range>,
    private readonly opts: StaticOptions,
  ) {}

  get(tensor: string, widen = 0): { scale: string; zeroPoint: string; s: number; z: number } {
    const key = widen ? `${tensor}#${widen}` : tensor;
    let p = this.made.get(key);
    if (!p) {
      const r = this.ranges.get(tensor) ?? { min: 0, max: 0 };
      const { scale, zeroPoint } = paramsFor(r.min - widen, r.max + widen, this.opts.activationType, this.opts.symmetricActivations);
      p = {
        scale: this.rw.constant(`${tensor}_scale`, 'float32', [], [scale]),
        zeroPoint: this.rw.constant(`${tensor}_zero_point`, this.opts.activationType, [], [zeroPoint]),
        s: scale,
        z: zeroPoint,
      };
      this.made.set(key, p);
    }
    return p;
  }
}

export interface StaticContext {
  rw: GraphRewriter;
  scope: Scope;
  act: ActivationParams;
  plan: Plan;
  opts: StaticOptions;
  graphOutputs: ReadonlySet<string>;
}

/** Quantizes `model` in place with the given activation ranges (see calibrateFor). */
export function quantizeStatic(model: ModelProto, opts: StaticOptions, ranges: ReadonlyMap<string, Range>): RewriteResult {
  // QDQ's per-channel DequantizeLinear needs the axis attribute of opset 13; QLinear* ops are opset 10.
  const opset = ensureOpset(model, opts.format === 'qdq' && opts.perChannel ? 13 : 10);
  const plan = planStatic(model, opts);
  for (const t of plan.tensors) {
    if (!ranges.has(t)) throw new QuantizeError(`No calibrated range for tensor '${t}'`, { tensor: t });
  }
  const names = new NameAllocator(model);
  const created = new Set<NodeProto>();
  const graph = model.graph!;
  const rw = new GraphRewriter(graph, scopeOf(graph), names, created);
  const ctx: StaticContext = {
    rw,
    scope: rw.scope,
    act: new ActivationParams(rw, ranges, opts),
    plan,
    opts,
    graphOutputs: new Set((graph.output ?? []).map((o) => o.name!)),
  };
  const quantized = opts.format === 'qdq' ? rewriteQdq(ctx) : rewriteQOperator(ctx);
  rw.commit();
  removeUnused(model, created);
  return { quantized, skipped: plan.skipped, opset };
}
