import type { Capabilities } from '../probe/types.js';
import { allBackends, type BackendName } from './types.js';

export type BackendPreference = 'auto' | BackendName | readonly BackendName[];

export interface BackendCandidate {
  backend: BackendName;
  /** Usable on this device for this request (before trying to build a session). */
  available: boolean;
  why: string;
}

export interface BackendPlan {
  /** Backends to try, in order. */
  order: BackendName[];
  candidates: BackendCandidate[];
  /** One line on why the first in `order` comes first. */
  reason: string;
}

/** Whether a backend can be tried, and why; `forced` lets a software WebGPU adapter through. */
export function assess(backend: BackendName, caps: Capabilities, forced: boolean): BackendCandidate {
  switch (backend) {
    case 'webgpu': {
      const g = caps.webgpu;
      if (!g.available) return { backend, available: false, why: g.why };
      if (g.isFallbackAdapter && !forced) {
        return { backend, available: false, why: `${g.why}; counted as no GPU (software WebGPU is far slower than wasm) unless webgpu is requested explicitly` };
      }
      return { backend, available: true, why: g.why };
    }
    case 'wasm':
      return { backend, available: caps.wasm.available, why: caps.wasm.why };
    case 'webgl':
      return { backend, available: caps.webgl2.available, why: `${caps.webgl2.why}; WebGL needs static shapes and has no int8 ops` };
  }
}

/**
 * Orders the backends to try. `auto`: a real GPU first, then wasm, then WebGL
 * as the last resort. A named backend is tried first, then (when `fallback`)
 * the auto order; a list is tried as given.
 */
export function planBackends(caps: Capabilities, preference: BackendPreference, fallback = true): BackendPlan {
  const requested: readonly BackendName[] = preference === 'auto' ? [] : typeof preference === 'string' ? [preference] : preference;
  const forced = new Set(requested);
  const candidates = allBackends.map((b) => assess(b, caps, forced.has(b)));
  const usable = (b: BackendName) => candidates.find((c) => c.backend === b)!.available;

  const autoOrder = allBackends.filter(usable);
  let order: BackendName[];
  if (requested.length === 0) order = autoOrder;
  else if (typeof preference === 'string' && fallback) order = [...new Set([...requested.filter(usable), ...autoOrder])];
  else order = requested.filter(usable);

  const first = order[0];
  const head = preference === 'auto' ? 'auto' : `requested ${requested.join(', ')}`;
  const reason = first
    ? `${head}: ${first} first (${candidates.find((c) => c.backend === first)!.why})` +
      skippedNote(requested, candidates)
    : `${head}: no usable backend (${candidates.map((c) => `${c.backend}: ${c.why}`).join('; ')})`;
  return { order, candidates, reason };
}

function skippedNote(requested: readonly BackendName[], candidates: BackendCandidate[]): string {
  const skipped = candidates.filter((c) => requested.includes(c.backend) && !c.available);
  return skipped.length ? `; skipped ${skipped.map((c) => `${c.backend} (${c.why})`).join(', ')}` : '';
}

export type ThreadSetting = 'auto' | number;

/**
 * wasm threads need cross-origin isolation: without it, one thread and a
 * warning that says why. The reported core count can be wrong (WebKitGTK says
 * 4 on 2 cores), which is why session creation has a deadline and retries
 * with one thread.
 */
export function resolveThreads(wanted: number, caps: Capabilities): { threads: number; warning?: string } {
  if (wanted > 1 && !caps.wasm.threads) {
    const why = caps.wasm.crossOriginIsolated
      ? 'SharedArrayBuffer is unavailable'
      : 'the page is not cross-origin isolated; serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp';
    return { threads: 1, warning: `wasm runs on 1 thread instead of ${wanted}: ${why}` };
  }
  return { threads: wanted };
}
