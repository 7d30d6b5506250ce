import type { Capabilities, ProbedCapabilities } from './types.js';

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)): validates only with SIMD.
const simdModule = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

const limitNames = ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup'];

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms))]);
}

async function probeWebGpu(): Promise<Capabilities['webgpu']> {
  const none = { available: false, isFallbackAdapter: false, adapter: null, features: [], limits: {} };
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { ...none, why: 'navigator.gpu is missing (WebGPU not enabled in this browser)' };
  try {
    const adapter = await withDeadline(gpu.requestAdapter(), 5000, 'requestAdapter');
    if (!adapter) return { ...none, why: 'requestAdapter() returned null (no usable GPU)' };
    const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    // Older browsers put the flag on the adapter, newer ones on adapter.info.
    const isFallbackAdapter = Boolean(info?.isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter);
    const limits: Record<string, number> = {};
    for (const name of limitNames) limits[name] = Number((adapter.limits as unknown as Record<string, number>)[name]);
    const desc = [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ');
    return {
      available: true,
      isFallbackAdapter,
      adapter: { vendor: info?.vendor ?? '', architecture: info?.architecture ?? '', device: info?.device ?? '', description: info?.description ?? '' },
      features: [...adapter.features].sort(),
      limits,
      why: isFallbackAdapter ? `fallback (software) adapter: ${desc || 'unknown'}` : `GPU adapter: ${desc || 'unknown'}`,
    };
  } catch (e) {
    return { ...none, why: `requestAdapter() failed: ${(e as Error).message}` };
  }
}

function probeWasm(): Capabilities['wasm'] {
  const isolated = Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated);
  if (typeof WebAssembly !== 'object') {
    return { available: false, simd: false, threads: false, crossOriginIsolated: isolated, why: 'WebAssembly is not available' };
  }
  const simd = WebAssembly.validate(simdModule);
  let threads = false;
  if (isolated && typeof SharedArrayBuffer === 'function') {
    try {
      threads = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
    } catch {
      threads = false;
    }
  }
  const why = !simd
    ? 'WebAssembly SIMD is not supported; ORT 1.30 ships SIMD builds only'
    : threads
      ? 'SIMD and threads (cross-origin isolated)'
      : isolated
        ? 'SIMD; threads unavailable: SharedArrayBuffer is missing despite cross-origin isolation'
        : 'SIMD; single thread: the page is not cross-origin isolated (serve it with COOP/COEP headers)';
  return { available: simd, simd, threads, crossOriginIsolated: isolated, why };
}

function probeWebGl2(): Capabilities['webgl2'] {
  try {
    const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(1, 1) : null;
    const gl = canvas?.getContext('webgl2') as WebGL2RenderingContext | null | undefined;
    if (!gl) return { available: false, renderer: '', isSoftware: false, why: 'no WebGL2 context in a worker (OffscreenCanvas)' };
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    const isSoftware = /swiftshader|llvmpipe|software|softpipe/i.test(renderer);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { available: true, renderer, isSoftware, why: isSoftware ? `software renderer: ${renderer}` : `renderer: ${renderer}` };
  } catch (e) {
    return { available: false, renderer: '', isSoftware: false, why: `WebGL2 probe failed: ${(e as Error).message}` };
  }
}

export async function probeCapabilities(): Promise<ProbedCapabilities> {
  return {
    webgpu: await probeWebGpu(),
    wasm: probeWasm(),
    webgl2: probeWebGl2(),
    webnn: { available: 'ml' in navigator },
    cores: navigator.hardwareConcurrency || 1,
    userAgent: navigator.userAgent,
  };
}
