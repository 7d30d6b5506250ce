import { describe, expect, it } from 'vitest';
import type { Capabilities } from '../probe/types.js';
import { planBackends, resolveThreads } from './choose.js';

function caps(over: { gpu?: 'real' | 'fallback' | 'none'; threads?: boolean; isolated?: boolean; webgl?: boolean; cores?: number } = {}): Capabilities {
  const gpu = over.gpu ?? 'none';
  return {
    webgpu: {
      available: gpu !== 'none',
      isFallbackAdapter: gpu === 'fallback',
      adapter: gpu === 'none' ? null : { vendor: gpu === 'real' ? 'nvidia' : 'google', architecture: '', device: '', description: gpu === 'fallback' ? 'swiftshader' : '' },
      features: [],
      limits: {},
      why: gpu === 'none' ? 'navigator.gpu is missing' : gpu === 'fallback' ? 'fallback (software) adapter: google swiftshader' : 'GPU adapter: nvidia',
    },
    wasm: { available: true, simd: true, threads: over.threads ?? true, crossOriginIsolated: over.isolated ?? true, why: 'SIMD' },
    webgl2: { available: over.webgl ?? true, renderer: 'x', isSoftware: false, why: 'renderer: x' },
    webnn: { available: false },
    cores: over.cores ?? 2,
    userAgent: 'test',
    parallelism: { cores: over.cores ?? 2, reported: over.cores ?? 2, measured: null, workers: 0, why: 'test' },
  };
}

describe('planBackends', () => {
  it('auto puts a real GPU first, then wasm, then webgl', () => {
    expect(planBackends(caps({ gpu: 'real' }), 'auto').order).toEqual(['webgpu', 'wasm', 'webgl']);
  });

  it('auto counts a fallback adapter as no GPU and says why', () => {
    const plan = planBackends(caps({ gpu: 'fallback' }), 'auto');
    expect(plan.order).toEqual(['wasm', 'webgl']);
    const gpu = plan.candidates.find((c) => c.backend === 'webgpu')!;
    expect(gpu.available).toBe(false);
    expect(gpu.why).toMatch(/fallback.*counted as no GPU/);
    expect(plan.reason).toMatch(/^auto: wasm first/);
  });

  it('a forced webgpu runs on a fallback adapter, with the others as fallbacks', () => {
    expect(planBackends(caps({ gpu: 'fallback' }), 'webgpu').order).toEqual(['webgpu', 'wasm', 'webgl']);
  });

  it('a forced backend without fallback is tried alone', () => {
    expect(planBackends(caps({ gpu: 'real' }), 'webgl', false).order).toEqual(['webgl']);
  });

  it('a list is tried as given, unavailable entries skipped with the reason', () => {
    const plan = planBackends(caps({ gpu: 'none' }), ['webgpu', 'webgl']);
    expect(plan.order).toEqual(['webgl']);
    expect(plan.reason).toMatch(/skipped webgpu \(navigator.gpu is missing\)/);
  });

  it('an impossible request has an empty order and a reason naming every backend', () => {
    const plan = planBackends(caps({ gpu: 'none', webgl: false }), ['webgpu', 'webgl']);
    expect(plan.order).toEqual([]);
    expect(plan.reason).toMatch(/no usable backend/);
  });
});

describe('resolveThreads', () => {
  it('keeps the wanted threads when isolated', () => {
    expect(resolveThreads(2, caps({ cores: 2 }))).toEqual({ threads: 2 });
  });
  it('falls back to one thread with a warning that names COOP/COEP', () => {
    const r = resolveThreads(4, caps({ threads: false, isolated: false }));
    expect(r.threads).toBe(1);
    expect(r.warning).toMatch(/Cross-Origin-Opener-Policy/);
  });
  it('one thread needs no isolation and gives no warning', () => {
    expect(resolveThreads(1, caps({ threads: false, isolated: false }))).toEqual({ threads: 1 });
  });
});
