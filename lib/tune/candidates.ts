import { assess } from '../backend/choose.js';
import type { Capabilities } from '../probe/types.js';
import type { BackendName } from '../backend/types.js';
import type { TuneCandidate, TuneOptions } from './types.js';

/**
 * Configurations worth measuring on this device. Single-thread wasm comes
 * first: it is the numerics reference for all the others, and the one build
 * that never hangs (WebKit can hang building multi-threaded sessions), so the
 * reference, which is exempt from the budget, cannot stall tuning.
 */
export function listCandidates(
  caps: Capabilities,
  threads: number,
  batching: boolean,
  options: TuneOptions,
  allowed: readonly BackendName[],
  /** Backends the caller named: a software WebGPU adapter is measured when asked for by name. */
  requested: readonly BackendName[] = [],
): TuneCandidate[] {
  const all = options.candidates === 'all';
  const list: TuneCandidate[] = [];
  const add = (c: Omit<TuneCandidate, 'label' | 'graphOptimizationLevel'> & { graphOptimizationLevel?: 'all' | 'basic' }) => {
    const level = c.graphOptimizationLevel ?? 'all';
    const label = `${c.backend}${c.workers > 1 ? ` ${c.workers} workers ×` : ''}${c.backend === 'webgl' ? '' : ` ${c.threads} thread${c.threads > 1 ? 's' : ''}`}${level === 'all' ? '' : ` (opt ${level})`}`;
    list.push({ ...c, graphOptimizationLevel: level, label });
  };
  const usable = (b: BackendName) => allowed.includes(b) && assess(b, caps, all || requested.includes(b)).available;

  if (usable('wasm')) {
    // Reported cores can exceed real ones (WebKitGTK reports 4 on 2): measure half as well as all.
    for (const t of threadLadder(threads)) add({ backend: 'wasm', threads: t, workers: 1 });
    // More workers only pay when requests arrive together (batching modes). Their widths go by the reported
    // cores even where fewer were measured: surplus threads spin and fight over the cores (4 threads on 2 cores
    // ran 3× slower than 2 in WebKitGTK), but surplus workers idle while their requests cross to the page and
    // back, and 4 one-thread workers there measured as fast as 2, or faster. They need no SharedArrayBuffer.
    const poolCores = caps.parallelism.measured === null ? caps.parallelism.cores : caps.cores;
    if (batching) for (const w of threadLadder(Math.min(poolCores, 4)).filter((w) => w > 1)) add({ backend: 'wasm', threads: 1, workers: w });
    if (all) add({ backend: 'wasm', threads, workers: 1, graphOptimizationLevel: 'basic' });
  }
  if (usable('webgpu')) add({ backend: 'webgpu', threads, workers: 1 });
  if (usable('webgl')) add({ backend: 'webgl', threads: 1, workers: 1 });
  for (const extra of options.extra ?? []) {
    list.push({ threads, workers: 1, graphOptimizationLevel: 'all', ...extra });
  }
  return list;
}

/** 1, half of n and n (deduplicated, ascending). */
export function threadLadder(n: number): number[] {
  return [...new Set([1, Math.ceil(n / 2), n])].filter((t) => t >= 1 && t <= n);
}
