/** What every benchmark task shares: prepared data, statistics, result checks, small helpers. */
import type { Check, LatencySummary, Manifest, ModelKey, ModelManifest, Tolerance } from '../types.js';
import { percentile } from '../../../lib/profile/stats.js';

// ---- data ----------------------------------------------------------------

let manifestP: Promise<Manifest> | null = null;
export const manifest = () => (manifestP ??= fetch('/bench-results/data/manifest.json', { cache: 'no-store' }).then((r) => r.json() as Promise<Manifest>));
export async function modelOf(key: ModelKey): Promise<ModelManifest> {
  const m = (await manifest()).models[key];
  if (!m) throw new Error(`model ${key} was not prepared`);
  return m;
}
const f32Cache = new Map<string, Promise<Float32Array>>();
export function f32(url: string): Promise<Float32Array> {
  let p = f32Cache.get(url);
  if (!p) {
    p = fetch(url).then(async (r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return new Float32Array(await r.arrayBuffer());
    });
    f32Cache.set(url, p);
  }
  return p;
}
export async function bytesOf(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// ---- statistics and checks -----------------------------------------------

export const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
/** Nearest-rank quantile q ∈ [0, 1], as the library reports p95; NaN, not 0, for no samples (the report shows a gap). */
export const quantile = (xs: readonly number[], q: number) => (xs.length ? percentile(sorted(xs), q * 100) : NaN);
export const median = (xs: readonly number[]) => {
  if (!xs.length) return NaN;
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export function summarize(xs: readonly number[]): LatencySummary {
  const s = sorted(xs);
  return { n: s.length, p50: median(s), p95: quantile(s, 0.95), mean: s.reduce((a, b) => a + b, 0) / (s.length || 1), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

export class Checker {
  results = 0;
  wrong = 0;
  maxAbs = 0;
  limit = 0;
  vectors = 0;
  agree = 0;
  firstError = '';
  constructor(
    private readonly tol: Tolerance,
    private readonly width: number,
  ) {}

  check(out: ArrayLike<number>, ref: ArrayLike<number>, outDims?: readonly number[]): boolean {
    this.results++;
    let refMax = 0;
    for (let i = 0; i < ref.length; i++) refMax = Math.max(refMax, Math.abs(ref[i]));
    const limit = this.tol.atol + this.tol.rtol * refMax;
    this.limit = Math.max(this.limit, limit);
    let worst = out.length === ref.length ? 0 : Infinity;
    const n = Math.min(out.length, ref.length);
    for (let i = 0; i < n; i++) {
      const d = Math.abs(out[i] - ref[i]);
      if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    }
    for (let v = 0; v + this.width <= n; v += this.width) {
      this.vectors++;
      let a = v;
      let b = v;
      for (let c = v + 1; c < v + this.width; c++) {
        if (out[c] > out[a]) a = c;
        if (ref[c] > ref[b]) b = c;
      }
      if (a === b) this.agree++;
    }
    this.maxAbs = Math.max(this.maxAbs, worst);
    const ok = worst <= limit;
    if (!ok) {
      this.wrong++;
      this.firstError ||= `max |Δ| ${worst} > ${limit.toExponential(2)} (length ${out.length} vs ${ref.length}${outDims ? `, dims ${outDims.join('×')}` : ''})`;
    }
    return ok;
  }

  result(): Check {
    return { results: this.results, wrong: this.wrong, maxAbs: this.maxAbs, limit: this.limit, argmaxAgree: this.vectors ? this.agree / this.vectors : NaN };
  }
}

export const errorText = (e: unknown) => (e instanceof Error ? `${e.name}${(e as { code?: string }).code ? ` ${(e as { code?: string }).code}` : ''}: ${e.message}` : String(e));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A new task (not a microtask, and without setTimeout's 4 ms clamp): rendering may happen before it. */
export const yieldTask = () =>
  new Promise<void>((resolve) => {
    const c = new MessageChannel();
    c.port1.onmessage = () => {
      c.port1.close();
      resolve();
    };
    c.port2.postMessage(null);
  });
export const rotate = <T>(xs: readonly T[], k: number) => xs.map((_, i) => xs[(i + k) % xs.length]);


/**
 * pageinfer's default session deadline is 30 s; on a busy small machine WebKitGTK can take longer to
 * compile ORT's wasm and build a session. The benchmark waits 120 s, records the time, and the report
 * flags sessions that would have missed the default deadline.
 */
export const sessionTimeoutMs = 120_000;

/** Width of one output vector (for argmax agreement). */
export const outWidth = (man: ModelManifest, ref: { dims: number[] }) => ref.dims[ref.dims.length - 1] ?? man.samples.rowSize;
