/**
 * What static quantization works from: the options, the plan (which nodes, which activations),
 * the activations' scale/zero-point initializers, and the context the two rewriters (qdq.ts,
 * qoperator.ts) share. Kept apart from static.ts so the rewriters import it, not their caller.
 */
import type { NodeProto, ModelProto } from '../onnx/index.js';
import type { Range } from './calibrate.js';
import { gemmBiasProblem } from './dynamic.js';
import { scopeOf, walkGraphs, findConstant, type Scope } from './graph.js';
import { paramsFor, type PerChannel, type QType } from './params.js';
import { nodeLabel, skipReason, weightOf, type Candidate, type GraphRewriter, type NodeReport, type Selection } from './rewrite.js';

export interface StaticOptions extends Selection {
  format: 'qdq' | 'qoperator';
  weightType: QType;
  activationType: QType;
  perChannel: PerChannel;
  symmetricWeights: boolean;
  symmetricActivations: boolean;
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
