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

  it('without threads there is one wasm candidate', () => {
    expect(listCandidates(caps(2), 1, true, {}, ['wasm']).map((c) => c.label)).toEqual(['wasm 1 thread']);
  });
});

describe('threadLadder', () => {
  it('is 1, half and all, without repeats', () => {
    expect(threadLadder(1)).toEqual([1]);
    expect(threadLadder(2)).toEqual([1, 2]);
    expect(threadLadder(8)).toEqual([1, 4, 8]);
  });
});
