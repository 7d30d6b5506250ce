/**
 * The int8 artefacts the demo and the bench serve on wasm: which op classes run integer
 * kernels and which keep int8 weights with float math, chosen by measuring (lib/quantize/speed.ts)
 * at each batch the app runs, then checked by the accuracy guard on natural inputs.
 *
 * The guard only checks here (maxExcluded 0): its per-node search costs one evaluation per
 * node (10 minutes for PP-OCR rec on a loaded 2-core machine), too slow for `npm run models`;
 * the manifest and the demo's model card say whether the target was met.
 *
 * The choice is measured once and recorded in mix-choices.json (checked in), so that `npm run models`
 * builds the same files on every machine, quickly: timing every mix of three models took ~6 minutes
 * on a loaded 2-core machine, and a loaded machine's timings are noisy enough to flip a choice.
 * `npm run models -- --force --remeasure` (or PAGEINFER_REMEASURE=1) times them again and rewrites it.
 *
 * Choice: the candidate whose WORST speed ratio to float over the batches is best (int8
 * must never be slower than float at any batch), within 3 % the smaller file. Rounds are
 * few (this runs inside `npm run models`, and only when a quantizer source or model changed).
 */
import { guardedQuantize, type GuardReport, type QuantizeOptions, type QuantizeResult } from '../../lib/quantize/index.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { planForWasm, weightMixes, type SpeedPlan } from '../../lib/quantize/speed.js';
import type { Feeds } from '../../lib/tensor/types.js';

export interface MixFigures {
  batches: number[];
  /** Per candidate: float ms / int8 ms at each batch (ORT-web wasm in Node, 1 thread, medians). */
  candidates: Array<{ name: string; bytes: number; speedup: number[] }>;
  chosen: string;
  /** The chosen candidate's float/int8 speed ratio at each batch. */
  speedup: number[];
}

export interface GuardFigures {
  met: boolean;
  target: string;
  /** Per output: cosine to float on the evaluation inputs, after the guard. */
  cosine: Record<string, number>;
  keptFloat: string[];
  keptWeightOnly: string[];
  evalInputs: string;
}

export interface MixResult {
  q: QuantizeResult & { guard: GuardReport };
  mix: MixFigures;
  guard: GuardFigures;
}

const choicesFile = new URL('./mix-choices.json', import.meta.url);
const remeasure = () => process.argv.includes('--remeasure') || process.env.PAGEINFER_REMEASURE === '1';
const recordedChoices = (): Record<string, MixFigures> => (existsSync(choicesFile) ? JSON.parse(readFileSync(choicesFile, 'utf8')) : {});

export async function quantizeForWasm(
  float: Uint8Array,
  options: QuantizeOptions,
  timing: { file: string; batches: number[]; feeds: (batch: number) => Feeds; rounds?: number },
  evaluation: { inputs: Feeds[]; note: string; compare?: string[] },
): Promise<MixResult> {
  const base: QuantizeOptions = { ...options, weightOnlyForm: 'cast' };
  const recorded = remeasure() ? undefined : recordedChoices()[timing.file];
  const mixes = weightMixes(float, base);
  const replay = recorded && mixes.find((m) => m.name === recorded.chosen);
  const mix = replay ? { ...recorded, chosenWeightOnly: replay.weightOnly } : await measureMixes(float, base, timing);
  if (!replay) writeFileSync(choicesFile, JSON.stringify({ ...recordedChoices(), [timing.file]: { ...mix, chosenWeightOnly: undefined } }, null, 1) + '\n');
  const chosen = { weightOnly: mix.chosenWeightOnly };
  const q = await guardedQuantize(float, { ...base, weightOnly: chosen.weightOnly, evalInputs: evaluation.inputs, compare: evaluation.compare, target: { minCosine: 0.99 }, maxExcluded: 0 });
  const g = q.guard;
  return {
    q,
    mix: { batches: mix.batches, candidates: mix.candidates, chosen: mix.chosen, speedup: mix.speedup },
    guard: {
      met: g.met,
      target: evaluation.compare ? `cosine >= 0.99 on ${evaluation.compare.join(', ')}` : 'cosine >= 0.99 per output',
      cosine: Object.fromEntries(g.final.outputs.map((o) => [o.output, Number(o.cosine.toFixed(5))])),
      keptFloat: g.excluded.filter((e) => e.keptAs === 'float').map((e) => e.node),
      keptWeightOnly: g.excluded.filter((e) => e.keptAs === 'weight-only').map((e) => e.node),
      evalInputs: evaluation.note,
    },
  };
}

/** Times every mix at each batch (ORT-web wasm in Node, one thread) and picks the best worst-case speed-up. */
async function measureMixes(float: Uint8Array, base: QuantizeOptions, timing: { batches: number[]; feeds: (batch: number) => Feeds; rounds?: number }): Promise<MixFigures & { chosenWeightOnly: string[] }> {
  const plans: SpeedPlan[] = [];
  for (const batch of timing.batches) plans.push(await planForWasm(float, base, { batch, feeds: timing.feeds(batch), rounds: timing.rounds ?? 6 }));
  const candidates = plans[0].candidates.map((c, i) => ({ name: c.name, bytes: c.bytes, weightOnly: c.weightOnly, speedup: plans.map((p) => p.floatMs / p.candidates[i].medianMs) }));
  const worst = (c: (typeof candidates)[number]) => Math.min(...c.speedup);
  const best = Math.max(...candidates.map(worst));
  const chosen = candidates.filter((c) => worst(c) >= best * 0.97).sort((a, b) => a.bytes - b.bytes)[0];
  const round = (xs: number[]) => xs.map((x) => Number(x.toFixed(3)));
  return {
    batches: timing.batches,
    candidates: candidates.map(({ name, bytes, speedup }) => ({ name, bytes, speedup: round(speedup) })),
    chosen: chosen.name,
    speedup: round(chosen.speedup),
    chosenWeightOnly: chosen.weightOnly,
  };
}
