/** quantize(): one entry for every form (see index.ts for which to pick), validated before and after. */
import { decodeModel, encodeModel, type ModelProto } from '../onnx/index.js';
import type { Feeds } from '../tensor/types.js';
import type { CalibrationMethod, Range } from './calibrate.js';
import { quantizeDynamic, type RewriteResult } from './dynamic.js';
import { QuantizeError, UnsupportedOpError } from '../errors/index.js';
import { validateModel } from './validate.js';
import type { PerChannel, QType } from './params.js';
import { foldBatchNorm } from './fold.js';
import { ortSession, type SessionFactory } from './runner.js';
import { calibrateFor, quantizeStatic } from './static.js';
import { defaultOpset, ensureOpset, opsetBlocker } from './opset.js';
import { quantizeWeightsOnly, weightCandidates, weightOnlyOpset, type WeightOnlyForm } from './weightonly.js';
import type { NodeReport } from './rewrite.js';

export const quantizableOps = ['MatMul', 'Gemm', 'Conv'] as const;

export interface Progress {
  stage: 'calibrate' | 'quantize' | 'evaluate';
  done: number;
  total: number;
}

export interface QuantizeOptions {
  /** 'weight-only': every selected node gets int8 weights and keeps float math (see `weightOnly`). */
  mode?: 'dynamic' | 'static' | 'weight-only';
  /** Static only. */
  format?: 'qdq' | 'qoperator';
  weightType?: QType;
  /** Static only; dynamic activations are always uint8 (DynamicQuantizeLinear). */
  activationType?: QType;
  /** Per-channel weight scales: true, false, or 'conv' (default: Conv per channel, MatMul/Gemm per tensor). */
  perChannel?: PerChannel;
  /** Fold BatchNormalization into the Conv before it first (default true; see fold.ts). */
  foldBatchNorm?: boolean;
  /** Symmetric weights (zero point 0 for int8, 128 for uint8). Default true. */
  symmetricWeights?: boolean;
  symmetricActivations?: boolean;
  /** Op types to quantize; default MatMul, Gemm, Conv. */
  opTypes?: readonly string[];
  /** Node names (or their first output names) to keep in float. */
  exclude?: readonly string[];
  /**
   * Node names (or first output names) whose weights are stored int8 but whose math
   * stays float (DequantizeLinear on the weight only; see weightonly.ts): nearly the
   * size of full int8, the accuracy of float activations. Per-channel needs opset 13.
   */
  weightOnly?: readonly string[];
  /**
   * How weight-only nodes store their weights: 'dequantize' (DequantizeLinear, the
   * default; ORT runs it on every call) or 'cast' (Cast·scale, which ORT folds into a
   * float constant at session creation: float speed). See weightonly.ts.
   */
  weightOnlyForm?: WeightOnlyForm;
  /** Static: sample inputs for activation ranges. */
  calibration?: { inputs: readonly Feeds[]; method?: CalibrationMethod; percentile?: number };
  /** Static: ranges from an earlier calibration (skips running the model). */
  ranges?: ReadonlyMap<string, Range>;
  session?: SessionFactory;
  onProgress?: (p: Progress) => void;
}

export interface QuantizeReport extends RewriteResult {
  /** Nodes with int8 weights and float math (options.weightOnly). */
  weightOnly: NodeReport[];
  /** BatchNormalizations folded into Convs ('conv ← bn'). */
  folded: string[];
  mode: 'dynamic' | 'static' | 'weight-only';
  format?: 'qdq' | 'qoperator';
  sizeBefore: number;
  sizeAfter: number;
}

export interface QuantizeResult {
  bytes: Uint8Array;
  model: ModelProto;
  report: QuantizeReport;
  /** Static: the activation ranges used, reusable through `options.ranges`. */
  ranges?: ReadonlyMap<string, Range>;
}

/** Quantizes a model (bytes or a decoded ModelProto, which is left untouched). */
export async function quantize(input: Uint8Array | ModelProto, options: QuantizeOptions = {}): Promise<QuantizeResult> {
  const source = input instanceof Uint8Array ? input : encodeModel(input);
  const model = decodeModel(source);
  validateModel(model);
  // Before anything names nodes: an unnamed Conv is labelled by its output, which folding changes.
  const folded = options.foldBatchNorm === false ? [] : foldBatchNorm(model).folded;
  const opTypes = options.opTypes ?? quantizableOps;
  const unknown = opTypes.filter((op) => !(quantizableOps as readonly string[]).includes(op));
  if (unknown.length) throw new UnsupportedOpError(`Cannot quantize op type ${unknown.join(', ')}; supported: ${quantizableOps.join(', ')}`, { op: unknown[0] });
  const mode = options.mode ?? 'dynamic';
  const weightOnly = new Set(options.weightOnly ?? []);
  if (mode === 'weight-only') for (const n of weightCandidates(model, opTypes, options.exclude ?? [])) weightOnly.add(n);
  const sel = { opTypes, exclude: new Set([...(options.exclude ?? []), ...weightOnly]) };
  const weightType = options.weightType ?? 'int8';
  const perChannel = options.perChannel ?? 'conv';
  const symmetricWeights = options.symmetricWeights ?? true;
  const opsetBefore = defaultOpset(model);
  // Weight-only uses DequantizeLinear (per-channel: opset 13). A model whose opset cannot be
  // raised that far (Resize changed meaning at 13) gets the Cast·scale form (weightonly.ts).
  if (weightOnly.size > 0 && options.weightOnlyForm !== 'cast' && !opsetBlocker(model, weightOnlyOpset(perChannel))) ensureOpset(model, weightOnlyOpset(perChannel));
  let result: RewriteResult;
  let ranges: ReadonlyMap<string, Range> | undefined;
  if (mode === 'dynamic') {
    options.onProgress?.({ stage: 'quantize', done: 0, total: 1 });
    result = quantizeDynamic(model, { ...sel, weightType, perChannel, symmetric: symmetricWeights });
  } else if (mode === 'static') {
    ranges = options.ranges;
    if (!ranges) {
      if (!options.calibration?.inputs.length) throw new QuantizeError('Static quantization needs calibration inputs (or precomputed ranges)', {});
      const cal = options.calibration;
      ranges = await calibrateFor(model, sel, {
        ...cal,
        session: options.session ?? ortSession,
        onProgress: (done, total) => options.onProgress?.({ stage: 'calibrate', done, total }),
      });
    }
    options.onProgress?.({ stage: 'quantize', done: 0, total: 1 });
    result = quantizeStatic(model, {
      ...sel,
      format: options.format ?? 'qdq',
      weightType,
      activationType: options.activationType ?? 'uint8',
      perChannel,
      symmetricWeights,
      symmetricActivations: options.symmetricActivations ?? false,
    }, ranges);
  } else if (mode === 'weight-only') {
    options.onProgress?.({ stage: 'quantize', done: 0, total: 1 });
    result = { quantized: [], skipped: [], opset: { from: opsetBefore, to: defaultOpset(model) } };
  } else {
    throw new QuantizeError(`Unknown mode '${String(mode)}' (use dynamic, static or weight-only)`, { mode });
  }
  const wo = quantizeWeightsOnly(model, { nodes: weightOnly, weightType, perChannel, symmetric: symmetricWeights, form: options.weightOnlyForm });
  const kept = new Set(wo.done.map((n) => n.node));
  result = {
    ...result,
    opset: { from: opsetBefore, to: defaultOpset(model) },
    skipped: [...result.skipped.filter((n) => !kept.has(n.node)), ...wo.skipped],
  };
  const bytes = encodeModel(model);
  options.onProgress?.({ stage: 'quantize', done: 1, total: 1 });
  const report: QuantizeReport = { ...result, weightOnly: wo.done, folded, mode, format: mode === 'static' ? (options.format ?? 'qdq') : undefined, sizeBefore: source.byteLength, sizeAfter: bytes.byteLength };
  return { bytes, model, report, ranges };
}
