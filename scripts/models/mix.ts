/**
 * The int8 artefacts the demo and the bench serve on wasm: which op classes run integer
 * kernels and which keep int8 weights with float math, chosen by measuring (lib/quantize/speed.ts)
 * at each batch the app runs, then checked by the accuracy guard on natural inputs.
 *
 * The guard only checks here (maxExcluded 0): its per-node search costs one evaluation per
 * node (10 minutes for PP-OCR rec on a loaded 2-core machine), too slow for `npm run models`;
 * the manifest and the demo's model card say whether the target was met.
 *
 * Choice: the candidate whose WORST speed ratio to float over the batches is best (int8
 * must never be slower than float at any batch), within 3 % the smaller file. Rounds are
 * few (this runs inside `npm run models`, and only when a quantizer source or model changed).
 */
import { guardedQuantize, type GuardReport, type QuantizeOptions, type QuantizeResult } from '../../lib/quantize/index.js';
import { planForWasm, type SpeedPlan } from '../../lib/quantize/speed.js';
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

export async function quantizeForWasm(
  float: Uint8Array,
  options: QuantizeOptions,
  timing: { batches: number[]; feeds: (batch: number) => Feeds; rounds?: number },
  evaluation: { inputs: Feeds[]; note: string; compare?: string[] },
): Promise<MixResult> {
  const base: QuantizeOptions = { ...options, weightOnlyForm: 'cast' };
  const plans: SpeedPlan[] = [];
  for (const batch of timing.batches) plans.push(await planForWasm(float, base, { batch, feeds: timing.feeds(batch), rounds: timing.rounds ?? 6 }));
  const candidates = plans[0].candidates.map((c, i) => ({ name: c.name, bytes: c.bytes, weightOnly: c.weightOnly, speedup: plans.map((p) => p.floatMs / p.candidates[i].medianMs) }));
  const worst = (c: (typeof candidates)[number]) => Math.min(...c.speedup);
  const best = Math.max(...candidates.map(worst));
  const chosen = candidates.filter((c) => worst(c) >= best * 0.97).sort((a, b) => a.bytes - b.bytes)[0];
  const q = await guardedQuantize(float, { ...base, weightOnly: chosen.weightOnly, evalInputs: evaluation.inputs, compare: evaluation.compare, target: { minCosine: 0.99 }, maxExcluded: 0 });
  const g = q.guard;
  return {
    q,
    mix: {
      batches: timing.batches,
      candidates: candidates.map(({ name, bytes, speedup }) => ({ name, bytes, speedup: speedup.map((s) => Number(s.toFixed(3))) })),
      chosen: chosen.name,
      speedup: chosen.speedup.map((s) => Number(s.toFixed(3))),
    },
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
