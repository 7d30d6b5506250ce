#!/usr/bin/env node
/**
 * pageinfer CLI: quantize, prune and inspect ONNX models.
 *   pageinfer quantize in.onnx out.onnx [--mode dynamic|static|weight-only] [--format qdq|qoperator] ...
 *   pageinfer prune in.onnx out.onnx --sparsity 0.5 [--scope global|layer]
 *   pageinfer inspect model.onnx [--json]
 * Run `pageinfer help` for every option.
 */
import { parseArgs } from 'node:util';
import { PageInferError } from '../errors/index.js';
import { decodeModel, graphInputs } from '../onnx/index.js';
import { prune } from '../prune/index.js';
import { describeModel } from '../quantize/describe.js';
import { guardedQuantize, quantize, type GuardReport, type GuardTarget, type QuantizeOptions, type QuantizeResult } from '../quantize/index.js';
import { QuantizeError } from '../errors/index.js';
import { validateModel } from '../quantize/validate.js';
import type { Feeds } from '../tensor/types.js';
import { loadFeeds, readBytes, writeAtomic } from './io.js';
import { progressBar } from './progress.js';

export const usage = `Usage:
  pageinfer quantize <in.onnx> <out.onnx> [options]
      --mode dynamic|static|weight-only   default dynamic
      --format qdq|qoperator       static only, default qdq
      --calibration <dir|file>     static: sample inputs (.json or .npy, or a folder of them)
      --method minmax|percentile|entropy   calibration method, default minmax
      --percentile <p>             for --method percentile, default 99.999
      --per-channel                per-channel weight scales
      --weight-type int8|uint8     default int8
      --activation-type uint8|int8 static only, default uint8
      --asymmetric                 asymmetric weights (default symmetric)
      --op-types Conv,MatMul,Gemm  op types to quantize
      --exclude <names>            comma-separated node names to keep in float
      --weight-only <names>        comma-separated node names: int8 weights, float math
      --target <spec>              accuracy guard, e.g. cosine=0.999,maxabs=0.05
      --eval <dir|file>            inputs for --target (default: the calibration inputs)
      --keep-as float|weight-only  how the guard keeps sensitive nodes, default float
      --compare <tensors>          guard: compare these tensors (e.g. pre-Softmax logits), not the outputs
      --prune <sparsity>           magnitude-prune weights first (0..1)
      --json                       print the report as JSON
  pageinfer prune <in.onnx> <out.onnx> --sparsity <s> [--scope global|layer] [--min-elements n] [--json]
  pageinfer inspect <model.onnx> [--json]`;

class UsageError extends QuantizeError {}

const options = {
  mode: { type: 'string' },
  format: { type: 'string' },
  calibration: { type: 'string' },
  method: { type: 'string' },
  percentile: { type: 'string' },
  'per-channel': { type: 'boolean' },
  'weight-type': { type: 'string' },
  'activation-type': { type: 'string' },
  asymmetric: { type: 'boolean' },
  'op-types': { type: 'string' },
  exclude: { type: 'string' },
  'weight-only': { type: 'string' },
  'keep-as': { type: 'string' },
  compare: { type: 'string' },
  target: { type: 'string' },
  eval: { type: 'string' },
  prune: { type: 'string' },
  sparsity: { type: 'string' },
  scope: { type: 'string' },
  'min-elements': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`);
  return n;
}

function parseTarget(spec: string): GuardTarget {
  const target: GuardTarget = {};
  for (const part of spec.split(',')) {
    const [key, raw] = part.split('=');
    const value = number('target', raw);
    if (key === 'cosine') target.minCosine = value;
    else if (key === 'maxabs') target.maxAbs = value;
    else throw new UsageError(`--target understands cosine=<min> and maxabs=<max>, got '${part}'`);
  }
  return target;
}

/** Reads and checks a model file; a bad file fails here, before any work. */
async function readModel(path: string): Promise<Uint8Array> {
  const bytes = await readBytes(path);
  validateModel(decodeModel(bytes));
  return bytes;
}

async function feedsFor(path: string, model: Uint8Array): Promise<Feeds[]> {
  const inputs = graphInputs(decodeModel(model));
  const feeds = await loadFeeds(path, inputs[0]?.name ?? 'input');
  if (feeds.length === 0) throw new UsageError(`No sample inputs found in '${path}'`);
  return feeds;
}

const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;

async function runQuantize(args: string[], v: Values, out: (s: string) => void): Promise<void> {
  const [inPath, outPath] = args;
  if (!inPath || !outPath) throw new UsageError('quantize needs <in.onnx> <out.onnx>');
  let bytes = await readModel(inPath);
  const bar = progressBar();
  const sparsity = number('prune', v.prune);
  if (sparsity !== undefined) bytes = (await prune(bytes, { sparsity })).bytes;
  const mode = oneOf('mode', v.mode, ['dynamic', 'static', 'weight-only'] as const) ?? 'dynamic';
  const calibration = v.calibration ? await feedsFor(v.calibration, bytes) : undefined;
  if (mode === 'static' && !calibration) throw new UsageError('--mode static needs --calibration <dir|file>');
  const opts: QuantizeOptions = {
    mode,
    format: oneOf('format', v.format, ['qdq', 'qoperator'] as const),
    weightType: oneOf('weight-type', v['weight-type'], ['int8', 'uint8'] as const),
    activationType: oneOf('activation-type', v['activation-type'], ['int8', 'uint8'] as const),
    perChannel: v['per-channel'] ?? false,
    symmetricWeights: !v.asymmetric,
    opTypes: v['op-types']?.split(','),
    exclude: v.exclude?.split(',').filter(Boolean),
    weightOnly: v['weight-only']?.split(',').filter(Boolean),
    calibration: calibration && {
      inputs: calibration,
      method: oneOf('method', v.method, ['minmax', 'percentile', 'entropy'] as const),
      percentile: number('percentile', v.percentile),
    },
    onProgress: (p) => bar.update(p.stage, p.done, p.total),
  };
  let result: QuantizeResult & { guard?: GuardReport };
  try {
    if (v.target) {
      const evalInputs = v.eval ? await feedsFor(v.eval, bytes) : calibration;
      if (!evalInputs) throw new UsageError('--target needs --eval <dir|file> (or --calibration)');
      result = await guardedQuantize(bytes, {
        ...opts,
        evalInputs,
        target: parseTarget(v.target),
        keepAs: oneOf('keep-as', v['keep-as'], ['float', 'weight-only'] as const),
        compare: v.compare?.split(',').filter(Boolean),
      });
    } else {
      result = await quantize(bytes, opts);
    }
  } finally {
    bar.end();
  }
  await writeAtomic(outPath, result.bytes);
  const r = result.report;
  if (v.json) {
    out(JSON.stringify({ ...r, guard: result.guard }, null, 2));
    return;
  }
  out(`${r.mode}${r.format ? ` ${r.format}` : ''}: ${r.quantized.length} nodes quantized, ${r.weightOnly.length} weight-only, ${r.skipped.length} kept float, opset ${r.opset.from}→${r.opset.to}`);
  out(`size ${mb(r.sizeBefore)} → ${mb(r.sizeAfter)} (${(r.sizeBefore / r.sizeAfter).toFixed(2)}× smaller) → ${outPath}`);
  for (const s of r.weightOnly) out(`  weight-only: ${s.node} (${s.op}): ${s.detail}`);
  for (const s of r.skipped) out(`  float: ${s.node} (${s.op}): ${s.detail}`);
  if (result.guard) {
    const g = result.guard;
    out(`guard: target ${g.met ? 'met' : 'NOT met'}; ${g.excluded.length} node(s) kept ${v['keep-as'] === 'weight-only' ? 'weight-only' : 'float'}`);
    for (const e of g.excluded) out(`  ${e.keptAs}: ${e.node} (${e.op}): ${e.reason}`);
    for (const o of g.final.outputs) out(`  output ${o.output}: cosine ${o.cosine.toFixed(6)}, max-abs ${o.maxAbs.toPrecision(3)}`);
  }
}

async function runPrune(args: string[], v: Values, out: (s: string) => void): Promise<void> {
  const [inPath, outPath] = args;
  if (!inPath || !outPath) throw new UsageError('prune needs <in.onnx> <out.onnx>');
  const sparsity = number('sparsity', v.sparsity);
  if (sparsity === undefined) throw new UsageError('prune needs --sparsity <0..1>');
  const bytes = await readModel(inPath);
  const { bytes: pruned, report } = await prune(bytes, {
    sparsity,
    scope: oneOf('scope', v.scope, ['global', 'layer'] as const),
    minElements: number('min-elements', v['min-elements']),
  });
  await writeAtomic(outPath, pruned);
  if (v.json) return out(JSON.stringify(report, null, 2));
  out(`sparsity ${(report.sparsity * 100).toFixed(1)} % over ${report.layers.length} weights`);
  out(`size ${mb(report.sizeBefore)} → ${mb(report.sizeAfter)}; gzip ${mb(report.gzipBefore)} → ${mb(report.gzipAfter)} → ${outPath}`);
}

async function runInspect(args: string[], v: Values, out: (s: string) => void): Promise<void> {
  if (!args[0]) throw new UsageError('inspect needs <model.onnx>');
  const bytes = await readModel(args[0]);
  const d = describeModel(decodeModel(bytes), bytes.byteLength);
  if (v.json) return out(JSON.stringify(d, null, 2));
  const io = (list: typeof d.inputs) => list.map((x) => `${x.name}: ${x.type}[${(x.dims ?? []).map((n) => n ?? '?').join(', ')}]`).join('; ');
  out(`${args[0]}: ${mb(d.size)}, IR ${d.irVersion}, opset ${d.opset}, ${d.producer || 'unknown producer'}`);
  out(`quantized: ${d.quantized ? `yes (${d.format})` : 'no'}`);
  out(`weights: ${Object.entries(d.weightBytes).map(([t, n]) => `${t} ${mb(n)}`).join(', ')}`);
  out(`inputs: ${io(d.inputs)}`);
  out(`outputs: ${io(d.outputs)}`);
  out(`ops: ${Object.entries(d.ops).sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op}×${n}`).join(' ')}`);
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function main(argv: string[], out = (s: string) => console.log(s), err = (s: string) => console.error(s)): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    const [command, ...rest] = positionals;
    if (values.help || !command || command === 'help') {
      out(usage);
      return command || values.help ? 0 : 2;
    }
    if (command === 'quantize') await runQuantize(rest, values, out);
    else if (command === 'prune') await runPrune(rest, values, out);
    else if (command === 'inspect') await runInspect(rest, values, out);
    else throw new UsageError(`Unknown command '${command}' (quantize, prune, inspect)`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`pageinfer: ${(e as Error).message}\n\n${usage}`);
      return 2;
    }
    if (e instanceof PageInferError) {
      err(`pageinfer: ${e.name}: ${e.message}`);
      return 1;
    }
    err(`pageinfer: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}
