/**
 * What the sections share: one engine, the loads in flight or done (with their
 * progress), and a log of request latencies for the engine panel's histogram.
 * Sections report here; the panel listens to `change` events.
 */
import { createEngine, type BackendPreference, type LoadOptions, type LoadProgress, type Model, type WarningDetail } from '../lib/index.js';
import type { ModelEntry } from './models.js';

/**
 * 'first-load': a model is tuned the first time it loads on this device, and the
 * stored decision is reused afterwards. Loads that must not tune pass `tune: false`.
 */
export const engine = createEngine({ tune: 'first-load' });

export type LoadStatus = 'loading' | 'ready' | 'failed' | 'disposed';

export interface LoadRecord {
  key: number;
  entry: ModelEntry;
  /** Who asked for it: 'Draw a digit', 'Read text', 'Batching playground'. */
  owner: string;
  status: LoadStatus;
  /** Latest progress per phase. */
  phases: Partial<Record<LoadProgress['phase'], { loaded: number; total: number }>>;
  /** 'network' when bytes were downloaded, 'cache' when read from IndexedDB. */
  from: 'network' | 'cache' | null;
  model: Model | null;
  error: string | null;
  startedAt: number;
  ms: number | null;
}

export interface LatencySample {
  label: string;
  ms: number;
}

class DemoState extends EventTarget {
  readonly loads: LoadRecord[] = [];
  readonly warnings: WarningDetail[] = [];
  readonly latencies: LatencySample[] = [];
  backend: BackendPreference = 'auto';
  /** Autotune (once per model and device) every load that does not say otherwise; off: only the digit model tunes. */
  tuneAll = false;
  private nextKey = 1;
  private pending = false;

  /** Coalesces updates into one `change` event per frame. */
  changed(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.dispatchEvent(new Event('change'));
    });
  }

  /**
   * Loads a model for a section. `tune`: 'first-load' tunes the first load on this device and reuses the decision;
   * 'never' runs exactly as configured; 'setting' follows the panel's checkbox. A backend picked in the panel
   * (not auto) is never tuned away from: the point of picking one is to see it run.
   */
  async load(entry: ModelEntry, owner: string, options: LoadOptions = {}, tune: 'first-load' | 'never' | 'setting' = 'setting'): Promise<Model> {
    const record: LoadRecord = {
      key: this.nextKey++,
      entry,
      owner,
      status: 'loading',
      phases: {},
      from: null,
      model: null,
      error: null,
      startedAt: performance.now(),
      ms: null,
    };
    // Keep the list short: drop finished records of the same owner and model.
    for (let i = this.loads.length - 1; i >= 0; i--) {
      const old = this.loads[i];
      if (old.owner === owner && old.entry.id === entry.id && old.status !== 'loading' && old.status !== 'ready') this.loads.splice(i, 1);
    }
    this.loads.push(record);
    this.changed();
    try {
      const model = await engine.load(entry.url, {
        backend: this.backend,
        ...options,
        // undefined: the engine's 'first-load' rule (tune once, then reuse); false: neither tune nor reuse.
        tune: this.backend === 'auto' && (tune === 'first-load' || (tune === 'setting' && this.tuneAll)) ? undefined : false,
        onProgress: (p) => {
          record.phases[p.phase] = { loaded: p.loaded, total: p.total };
          if (p.phase === 'download') record.from = 'network';
          if (p.phase === 'cache-read') record.from = 'cache';
          this.changed();
          options.onProgress?.(p);
        },
      });
      record.model = model;
      record.status = 'ready';
      return model;
    } catch (e) {
      record.status = 'failed';
      record.error = e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e);
      throw e;
    } finally {
      record.ms = performance.now() - record.startedAt;
      this.changed();
    }
  }

  async dispose(model: Model | null): Promise<void> {
    if (!model) return;
    const record = this.loads.find((r) => r.model === model);
    await model.dispose();
    if (record) {
      this.loads.splice(this.loads.indexOf(record), 1);
      this.changed();
    }
  }

  /** Whether new loads will run on a GPU: then int8 models load as QDQ files, which WebGPU keeps on the GPU. */
  async gpu(): Promise<boolean> {
    const caps = await engine.capabilities().catch(() => null);
    if (!caps?.webgpu.available) return false;
    const b = this.backend;
    return b === 'webgpu' || (Array.isArray(b) && b[0] === 'webgpu') || (b === 'auto' && !caps.webgpu.isFallbackAdapter);
  }

  recordLatency(label: string, ms: number): void {
    this.latencies.push({ label, ms });
    if (this.latencies.length > 20_000) this.latencies.splice(0, this.latencies.length - 20_000);
    this.changed();
  }
}

export const state = new DemoState();

engine.addEventListener('warning', (e) => {
  state.warnings.push((e as CustomEvent<WarningDetail>).detail);
  state.changed();
});
