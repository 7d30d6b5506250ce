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
import { planForWasm, type SpeedPlan } from '../quantize/speed.js';
import type { EvalDataOptions } from '../quantize/evalinputs.js';

export const usage = `Usage:
  pageinfer quantize <in.onnx> <out.onnx> [options]
      --mode dynamic|static|weight-only   default dynamic
      --format qdq|qoperator       static only, default qdq
      --calibration <dir|file>     static: sample inputs (.json or .npy, or a folder of them)
      --method minmax|percentile|entropy   calibration method, default minmax
      --percentile <p>             for --method percentile, default 99.999
      --per-channel                per-channel weight scales everywhere (default: Conv only)
      --per-tensor                 one scale per weight, Conv included
      --no-fold-bn                 keep BatchNormalization (default: folded into the Conv before it)
      --weight-type int8|uint8     default int8
      --activation-type uint8|int8 static only, default uint8
      --asymmetric                 asymmetric weights (default symmetric)
      --op-types Conv,MatMul,Gemm  op types to quantize
      --exclude <names>            comma-separated node names to keep in float
      --weight-only <names>        comma-separated node names: int8 weights, float math
      --target <spec>              accuracy guard target, default cosine=0.99 (every output), e.g. cosine=0.999,maxabs=0.05
      --eval <dir|file>            guard inputs (default: the calibration inputs, else made from the model's inputs)
      --eval-kind auto|image|audio|tokens|normal   what made guard inputs look like, default auto
      --eval-range <lo,hi>         image inputs' value range, default 0,1
      --eval-shape <name=d,d,..>   dims of made inputs (symbolic dims), e.g. x=1,3,48,320; several: a;b
      --seeds <n>                  how many made input sets, default 4
      --vocab <n>                  token ids for --eval-kind tokens, default 1000
      --sample-rate <n>            integer scalar inputs for --eval-kind audio, default 16000
      --keep-as auto|float|weight-only   how the guard keeps sensitive nodes, default auto (weight-only, then float)
      --optimize-for wasm          measure in ORT-web's wasm backend and keep int8 weights with float math
                                   where integer kernels are slower (per op class: Conv, MatMul/Gemm)
      --batch <n>                  rows per run for --optimize-for, default 1
      --threads <n>                wasm threads for --optimize-for, default 1
      --weight-only-form cast|dequantize   how int8-weights nodes store weights, default cast (folded by ORT
                                   at session creation: float speed; dequantize runs DequantizeLinear each call)
      --strict                     exit 1 (and write nothing) when the guard cannot meet the target
      --no-guard                   skip the accuracy guard (it runs by default)
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
  'per-tensor': { type: 'boolean' },
  'no-fold-bn': { type: 'boolean' },
  'eval-kind': { type: 'string' },
  'eval-range': { type: 'string' },
  'eval-shape': { type: 'string' },
  seeds: { type: 'string' },
  vocab: { type: 'string' },
  'sample-rate': { type: 'string' },
  strict: { type: 'boolean' },
  'weight-only-form': { type: 'string' },
  'optimize-for': { type: 'string' },
  batch: { type: 'string' },
  threads: { type: 'string' },
  'no-guard': { type: 'boolean' },
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

function parseShapes(spec: string | undefined): Record<string, number[]> | undefined {
  if (!spec) return undefined;
  const shapes: Record<string, number[]> = {};
  for (const part of spec.split(';').filter(Boolean)) {
    const [name, dims] = part.split('=');
    const list = (dims ?? '').split(',').map(Number);
    if (!name || !dims || list.some((d) => !Number.isInteger(d) || d < 0)) throw new UsageError(`--eval-shape takes name=d,d,... (e.g. x=1,3,48,320), got '${part}'`);
    shapes[name] = list;
  }
  return shapes;
}

function parseRange(spec: string | undefined): [number, number] | undefined {
  if (!spec) return undefined;
  const [lo, hi] = spec.split(',').map(Number);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo >= hi) throw new UsageError(`--eval-range takes lo,hi with lo < hi, got '${spec}'`);
  return [lo, hi];
}

const num = (x: number, digits = 4) => (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(2) : x.toFixed(digits));

/** The guard's table: per output before → after, nodes kept and why. */
export function guardTable(g: GuardReport): string[] {
  const lines: string[] = [];
  const t = g.target;
  const aim = [t.minCosine !== undefined ? `cosine >= ${t.minCosine}` : '', t.maxAbs !== undefined ? `max-abs <= ${t.maxAbs}` : '', t.maxMetricDrop !== undefined ? `metric drop <= ${t.maxMetricDrop}` : ''].filter(Boolean).join(', ');
  lines.push(`guard: target ${aim || '(none)'} ${g.met ? 'met' : 'NOT met'}${g.evalKind ? ` on ${g.evalKind}-like inputs made from the model's input metadata` : ' on the given inputs'}; ${g.excluded.length} node(s) kept`);
  lines.push(`  ${'output'.padEnd(30)}  cosine before → after   rel L2 before → after   max-abs before → after`);
  g.final.outputs.forEach((o, i) => {
    const b = g.initial.outputs[i];
    const miss = t.minCosine !== undefined && o.cosine < t.minCosine ? '  < target' : '';
    lines.push(`  ${o.output.padEnd(30).slice(0, 30)}  ${num(b.cosine, 5)} → ${num(o.cosine, 5)}       ${num(b.relL2)} → ${num(o.relL2)}        ${num(b.maxAbs)} → ${num(o.maxAbs)}${miss}`);
  });
  for (const e of g.excluded) lines.push(`  kept ${e.keptAs === 'float' ? 'float' : 'float math, int8 weights'}: ${e.node} (${e.op}): ${e.reason}`);
  return lines;
}

function positive(name: string, value: string | undefined): number | undefined {
  const n = number(name, value);
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new UsageError(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

/** What --optimize-for measured and chose. */
export function speedTable(p: SpeedPlan): string[] {
  const lines = [`speed (ORT-web wasm in this process, batch ${p.batch}, ${p.threads} thread(s), median ms per run): float ${p.floatMs.toFixed(3)} ms, ${mb(p.floatBytes)}`];
  for (const c of p.candidates) lines.push(`  ${c === p.chosen ? '→' : ' '} ${c.name.padEnd(44)} ${c.medianMs.toFixed(3)} ms (${(p.floatMs / c.medianMs).toFixed(2)}× float speed), ${mb(c.bytes)} (${(p.floatBytes / c.bytes).toFixed(2)}× smaller)`);
  lines.push(`  predicted speed-up over float: ${p.speedup.toFixed(2)}× at batch ${p.batch} (noisy on a busy machine: measure in the browser to be sure)`);
  return lines;
}

/** Returns the exit code: 1 with --strict when the guard missed its target. */
async function runQuantize(args: string[], v: Values, out: (s: string) => void): Promise<number> {
  const [inPath, outPath] = args;
  if (!inPath || !outPath) throw new UsageError('quantize needs <in.onnx> <out.onnx>');
  if (v['no-guard'] && (v.strict || v.target || v.eval)) throw new UsageError('--no-guard cannot be combined with --strict, --target or --eval');
  if (v['per-channel'] && v['per-tensor']) throw new UsageError('--per-channel and --per-tensor exclude each other');
  let bytes = await readModel(inPath);
  const bar = progressBar();
  const sparsity = number('prune', v.prune);
  if (sparsity !== undefined) bytes = (await prune(bytes, { sparsity })).bytes;
  const mode = oneOf('mode', v.mode, ['dynamic', 'static', 'weight-only'] as const) ?? 'dynamic';
  const calibration = v.calibration ? await feedsFor(v.calibration, bytes) : undefined;
  if (mode === 'static' && !calibration) throw new UsageError('--mode static needs --calibration <dir|file>');
  const seeds = positive('seeds', v.seeds);
  const opts: QuantizeOptions = {
    mode,
    format: oneOf('format', v.format, ['qdq', 'qoperator'] as const),
    weightType: oneOf('weight-type', v['weight-type'], ['int8', 'uint8'] as const),
    activationType: oneOf('activation-type', v['activation-type'], ['int8', 'uint8'] as const),
    perChannel: v['per-channel'] ? true : v['per-tensor'] ? false : 'conv',
    foldBatchNorm: !v['no-fold-bn'],
    weightOnlyForm: oneOf('weight-only-form', v['weight-only-form'], ['cast', 'dequantize'] as const) ?? 'cast',
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
  let plan: SpeedPlan | undefined;
  const evalData: EvalDataOptions = {
    kind: oneOf('eval-kind', v['eval-kind'], ['auto', 'image', 'audio', 'tokens', 'normal'] as const),
    range: parseRange(v['eval-range']),
    shapes: parseShapes(v['eval-shape']),
    seeds,
    vocab: number('vocab', v.vocab),
    sampleRate: number('sample-rate', v['sample-rate']),
  };
  try {
    if (oneOf('optimize-for', v['optimize-for'], ['wasm'] as const)) {
      bar.update('measure', 0, 1);
      plan = await planForWasm(bytes, opts, { batch: positive('batch', v.batch), threads: positive('threads', v.threads), evalData });
      opts.weightOnly = plan.chosen.weightOnly;
    }
    result = v['no-guard']
      ? await quantize(bytes, opts)
      : await guardedQuantize(bytes, {
          ...opts,
          evalInputs: v.eval ? await feedsFor(v.eval, bytes) : calibration,
          evalData,
          target: v.target ? parseTarget(v.target) : undefined,
          keepAs: oneOf('keep-as', v['keep-as'], ['auto', 'float', 'weight-only'] as const),
          compare: v.compare?.split(',').filter(Boolean),
        });
  } finally {
    bar.end();
  }
  const strictFail = v.strict === true && result.guard?.met === false;
  // --strict: a model that misses the target is not written, so a build step cannot ship it by accident.
  if (!strictFail) await writeAtomic(outPath, result.bytes);
  const r = result.report;
  if (v.json) {
    out(JSON.stringify({ ...r, guard: result.guard, written: !strictFail }, null, 2));
    return strictFail ? 1 : 0;
  }
  out(`${r.mode}${r.format ? ` ${r.format}` : ''}: ${r.quantized.length} nodes quantized, ${r.weightOnly.length} weight-only, ${r.skipped.length} kept float, opset ${r.opset.from}→${r.opset.to}${r.folded.length ? `, ${r.folded.length} BatchNorm folded into Conv` : ''}`);
  out(`size ${mb(r.sizeBefore)} → ${mb(r.sizeAfter)} (${(r.sizeBefore / r.sizeAfter).toFixed(2)}× smaller) → ${strictFail ? '(not written: --strict)' : outPath}`);
  for (const s of r.weightOnly) out(`  weight-only: ${s.node} (${s.op}): ${s.detail}`);
  for (const s of r.skipped) out(`  float: ${s.node} (${s.op}): ${s.detail}`);
  if (plan) for (const line of speedTable(plan)) out(line);
  if (result.guard) for (const line of guardTable(result.guard)) out(line);
  else out('guard: off (--no-guard): the int8 model was not compared with the float one');
  if (strictFail) out(`pageinfer: --strict: the target was not met; nothing written to ${outPath}`);
  return strictFail ? 1 : 0;
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
    if (command === 'quantize') return await runQuantize(rest, values, out);
    if (command === 'prune') await runPrune(rest, values, out);
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
