/**
 * A worker started ahead of the model (issue 19): its ORT is imported, its wasm compiled and its
 * runtime started while the page downloads or reads the model's bytes, or before any model is known
 * (engine.prewarm). The first session of a load is then built in it, if its configuration fits.
 */
import { ortEntryUrls } from '../backend/entries.js';
import type { RuntimeMarks } from '../protocol/index.js';
import { WorkerHost } from '../worker/host.js';
import { isThreadStartStall, threadStartWatch } from './thread-watch.js';
import { keepModules, modulesForWorker } from '../worker/wasm-share.js';
import type { BackendName } from '../backend/types.js';
import type { WorkerFactory } from '../worker/spawn.js';

/** What a prepared worker is prepared for: a session config (replica.ts) must match it to use the worker. */
export interface WarmKey {
  backend: BackendName;
  threads: number;
  wasmPaths?: string | Record<string, string>;
  ortModuleUrl?: string;
  createWorker?: WorkerFactory;
}

export class WarmWorker {
  private readonly host: WorkerHost;
  private taken = false;
  /** Why ORT could not be started here, when it could not. */
  private failure: unknown;
  /** ORT's start marks once the worker is ready; null when it failed or ran past its deadline (the worker is then gone). */
  readonly ready: Promise<RuntimeMarks | null>;

  constructor(
    readonly key: WarmKey,
    timeoutMs: number,
  ) {
    this.host = new WorkerHost(key.createWorker);
    const what = `starting ORT (${key.backend}, ${key.threads} thread(s)) ahead of the model`;
    const request = {
      backend: key.backend,
      threads: key.threads,
      wasmPaths: key.wasmPaths,
      ortModuleUrl: key.ortModuleUrl,
      ortEntryUrl: ortEntryUrls()[key.backend],
      wasmModules: modulesForWorker(),
    };
    // A multi-threaded start can stall for good (see thread-watch.ts): given up at the same deadline as in Replica.open.
    const stall = threadStartWatch({ threads: key.threads, timeoutMs });
    this.ready = this.host
      .call((api) => api.prepare(request, stall.onStage), { timeoutMs, what, signal: stall.signal })
      .then(async (prepared) => {
        keepModules(prepared.compiledModules);
        await this.host.call(() => this.host.watching, { timeoutMs, what }); // see Replica.open: its death must be noticed
        return prepared.marks;
      })
      .finally(() => stall.stop())
      .catch((error: unknown) => {
        this.failure = stall.signal.aborted ? stall.signal.reason : error;
        // Not the model's failure: the load builds its session in a fresh worker, as without a prepared one.
        this.host.terminate('its ORT could not be started ahead of the model');
        return null;
      });
  }

  /** Whether a session of `config` may be built in this worker (not yet taken, alive, same ORT setup). */
  fits(config: WarmKey): boolean {
    return !this.taken && this.host.alive && this.sameSetup(config);
  }

  private sameSetup(config: WarmKey): boolean {
    const k = this.key;
    return (
      k.backend === config.backend &&
      k.threads === config.threads &&
      k.ortModuleUrl === config.ortModuleUrl &&
      k.createWorker === config.createWorker &&
      JSON.stringify(k.wasmPaths) === JSON.stringify(config.wasmPaths)
    );
  }

  /**
   * The prepared worker, once ready, for a session of `config`; undefined when it does not fit or is not
   * usable. Throws the TimeoutError of a thread-start stall (see thread-watch.ts) when its threads stalled:
   * Replica.open counts it as one of the stalls it allows, as if it had been its own worker.
   */
  async take(config: WarmKey): Promise<{ host: WorkerHost; marks: RuntimeMarks } | undefined> {
    if (this.taken || !this.sameSetup(config)) return undefined;
    const marks = await this.ready;
    if (!marks && isThreadStartStall(this.failure) && !this.taken) {
      this.taken = true;
      throw this.failure;
    }
    if (!marks || !this.fits(config)) return undefined;
    this.taken = true;
    return { host: this.host, marks };
  }

  /** Ends the worker unless a session took it. */
  dispose(): void {
    if (!this.taken) {
      this.taken = true;
      this.host.terminate('prepared worker not needed');
    }
  }
}
