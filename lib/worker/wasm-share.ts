/**
 * One compile of ORT's wasm per page instead of one per worker. ORT's glue
 * instantiates its .wasm with `WebAssembly.instantiateStreaming`; the worker
 * wraps that before ORT loads: given a compiled module for the same URL (sent
 * by the page), it instantiates that instead of compiling 12–28 MB again, and
 * it hands modules it did compile back to the page for the next worker.
 * Workers then also share V8's tiered-up code, so a new worker is fast at once.
 */
import type { SharedModule } from '../protocol/index.js';
import { epochNow } from '../probe/clock.js';

/**
 * Worker-side state lives on the worker's global, once: if a bundler ever
 * evaluates this module twice in one worker, the wrapper installed by one copy
 * and the bookkeeping read by the other still agree.
 */
interface WorkerState {
  known: Map<string, WebAssembly.Module>;
  compiledHere: SharedModule[];
  /** ORT instantiations in this worker that used a module compiled elsewhere. */
  reused: number;
  /** The last streaming compile error. */
  lastError: string;
  installed: boolean;
  /** Told of the next load's steps, once: see watchNextWasmLoad. */
  watch?: WasmLoadWatch;
  /** Epoch ms of the last load's start (fetch) and of its module in hand (compiled or reused): the load timeline. */
  lastLoad?: { start: number; end: number };
}
const stateKey = Symbol.for('pageinfer.wasm-share');
const state: WorkerState = ((globalThis as Record<symbol, WorkerState>)[stateKey] ??= { known: new Map(), compiledHere: [], reused: 0, lastError: '', installed: false });

/** Whether this browser can post a WebAssembly.Module between page and worker (feature-tested once). */
export const canShareModules: boolean = (() => {
  try {
    // The smallest valid module: the magic number and version.
    const tiny = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    return structuredClone(tiny) instanceof WebAssembly.Module;
  } catch {
    return false;
  }
})();

/** Worker side, before ORT loads: route ORT's instantiateStreaming through the shared modules. */
export function shareWasmModules(): void {
  if (state.installed || !canShareModules || typeof WebAssembly.instantiateStreaming !== 'function') return;
  state.installed = true;
  (WebAssembly as { instantiateStreaming: typeof WebAssembly.instantiateStreaming }).instantiateStreaming = async (source, imports) => {
    const watch = state.watch;
    state.watch = undefined;
    watch?.fetching();
    const start = epochNow();
    const response = await source;
    let module = state.known.get(response.url);
    if (module) {
      state.reused++;
      void response.body?.cancel(); // already compiled: the bytes are not needed
    } else {
      try {
        module = await WebAssembly.compileStreaming(response);
      } catch (e) {
        state.lastError = `${(e as Error)?.name}: ${(e as Error)?.message}`;
        throw e; // the glue then instantiates from an ArrayBuffer: unshared, still correct
      }
      if (response.url) {
        state.known.set(response.url, module);
        state.compiledHere.push({ url: response.url, module });
      }
    }
    state.lastLoad = { start, end: epochNow() };
    watch?.instantiating();
    return { module, instance: await WebAssembly.instantiate(module, imports) };
  };
}

export interface WasmLoadWatch {
  /** ORT asked for its wasm: it is being fetched and compiled (or taken from the page's modules). */
  fetching(): void;
  /** The module is ready and is being instantiated. */
  instantiating(): void;
}

/** Worker side: `watch` hears the steps of ORT's next wasm load (undefined: none); false where loads cannot be watched. */
export function watchNextWasmLoad(watch: WasmLoadWatch | undefined): boolean {
  state.watch = watch;
  return state.installed;
}

/** Worker side: when ORT's last wasm load started and had its module (epoch ms); undefined where loads cannot be watched. */
export function lastWasmLoad(): { start: number; end: number } | undefined {
  return state.lastLoad;
}

/** Worker side: modules the page already has. */
export function adoptModules(modules: readonly SharedModule[] = []): void {
  for (const m of modules) if (!state.known.has(m.url)) state.known.set(m.url, m.module);
}

/** Worker side: modules compiled in this worker since the last call (for the page to keep), how many were reused, and why none could be shared. */
export function takeCompiledModules(): { compiled: SharedModule[]; reused: number; note?: string } {
  const note = !canShareModules
    ? 'this browser cannot post a WebAssembly.Module to a worker'
    : state.lastError
      ? `streaming compile failed (${state.lastError}); the glue compiled from an ArrayBuffer`
      : undefined;
  return { compiled: state.compiledHere.splice(0), reused: state.reused, note };
}

/** Page side: every module a worker compiled, by URL, handed to the workers that come after. */
const pageModules = new Map<string, WebAssembly.Module>();

export function modulesForWorker(): SharedModule[] {
  return canShareModules ? [...pageModules].map(([url, module]) => ({ url, module })) : [];
}

export function keepModules(modules: readonly SharedModule[] = []): void {
  for (const m of modules) pageModules.set(m.url, m.module);
}
