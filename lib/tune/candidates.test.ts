import { describe, expect, it } from 'vitest';
import type { Capabilities } from '../probe/types.js';
import { listCandidates, threadLadder } from './candidates.js';

const caps = (cores: number): Capabilities => ({
  webgpu: { available: false, isFallbackAdapter: false, adapter: null, features: [], limits: {}, why: 'navigator.gpu is missing' },
  wasm: { available: true, simd: true, threads: true, crossOriginIsolated: true, why: 'SIMD' },
  webgl2: { available: false, renderer: '', isSoftware: false, why: 'none' },
  webnn: { available: false },
  cores,
  userAgent: 'test',
  parallelism: { cores, reported: cores, measured: null, workers: 0, why: 'test' },
});

describe('listCandidates', () => {
  it('puts single-thread wasm first: the reference, which never hangs', () => {
    const list = listCandidates(caps(4), 4, false, {}, ['wasm', 'webgpu', 'webgl']);
    expect(list.map((c) => c.label)).toEqual(['wasm 1 thread', 'wasm 2 threads', 'wasm 4 threads']);
  });

  it('adds worker pools only for batching schedules', () => {
    const list = listCandidates(caps(4), 4, true, {}, ['wasm']);
    expect(list.filter((c) => c.workers > 1).map((c) => [c.workers, c.threads])).toEqual([
      [2, 1],
      [4, 1],
    ]);
  });

  it('without threads (no cross-origin isolation) one thread, and pools of one-thread workers when batching', () => {
    expect(listCandidates(caps(2), 1, false, {}, ['wasm']).map((c) => c.label)).toEqual(['wasm 1 thread']);
    expect(listCandidates(caps(2), 1, true, {}, ['wasm']).map((c) => c.label)).toEqual(['wasm 1 thread', 'wasm 2 workers × 1 thread']);
  });

  it('sizes threads by the measured cores and pools by the reported ones (WebKitGTK: 4 reported, 2 measured)', () => {
    const webkit: Capabilities = { ...caps(4), parallelism: { cores: 2, reported: 4, measured: 2.0, workers: 4, why: 'test' } };
    expect(listCandidates(webkit, 2, true, {}, ['wasm']).map((c) => c.label)).toEqual(['wasm 1 thread', 'wasm 2 threads', 'wasm 2 workers × 1 thread', 'wasm 4 workers × 1 thread']);
  });

  it('a core count the engine was told bounds pools too', () => {
    const told: Capabilities = { ...caps(8), parallelism: { cores: 2, reported: 8, measured: null, workers: 0, why: 'told' } };
    expect(listCandidates(told, 2, true, {}, ['wasm']).filter((c) => c.workers > 1).map((c) => c.workers)).toEqual([2]);
  });
});

describe('threadLadder', () => {
  it('is 1, half and all, without repeats', () => {
    expect(threadLadder(1)).toEqual([1]);
    expect(threadLadder(2)).toEqual([1, 2]);
    expect(threadLadder(8)).toEqual([1, 4, 8]);
  });
});
