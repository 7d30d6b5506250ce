import { threadsOn, type BackendName } from '../backend/types.js';
import { DeviceLostError, type PageInferError } from '../errors/index.js';
import { Replica, type SessionConfig } from './replica.js';

export interface RecycleOptions {
  /** Replace a worker after this many runs. */
  afterRuns?: number;
  /** Replace a worker after this many input+output bytes went through it. */
  afterBytes?: number;
}

export interface PoolEvents {
  /** A replica became available (new, replaced, or finished a job). */
  onAvailable(): void;
  /** Every replica is gone and none could be rebuilt. */
  onEmpty(reason: string, cause: Error): void;
  onWarning(message: string): void;
  /** The pool's workers now build on `backend` (the device of the one before was lost and none came back). */
  onBackendChanged?(backend: BackendName, message: string): void;
}

/**
 * N workers with one session each. Crashed workers are rebuilt from the model
 * bytes the pool keeps; workers can be recycled, since wasm memory never shrinks.
 */
export class Pool {
  readonly replicas: Replica[];
  private readonly rebuilding = new Set<Promise<void>>();
  private disposed = false;
  respawns = 0;
  recycles = 0;

  constructor(
    first: Replica,
    private readonly bytes: Uint8Array,
    private config: SessionConfig,
    private readonly recycle: RecycleOptions,
    private readonly events: PoolEvents,
    /** Backends to rebuild on, in order, when the GPU device is lost and no worker can be built on the current one. */
    private readonly fallbacks: readonly BackendName[] = [],
  ) {
    this.replicas = [];
    this.add(first);
  }

  /**
   * A worker that dies idle is replaced too: nothing else would notice it before the next request
   * waited for it for ever. (A replica the pool let go of is no longer in `replicas`: replace ignores it.)
   */
  private add(...replicas: Replica[]): void {
    for (const r of replicas) {
      this.replicas.push(r);
      this.watch(r);
    }
  }

  /** Replaces `r` when its worker dies. A pool that never replaces anything overrides this to keep no listener. */
  protected watch(r: Replica): void {
    r.onDeath((error) => this.replace(r, 'crashed', error));
  }

  /** What each replica is built from: a profiling replica is built from the same. */
  get source(): { bytes: Uint8Array; config: SessionConfig } {
    return { bytes: this.bytes, config: this.config };
  }

  /** Takes in replicas built elsewhere (the tuner's winner) with the same config. */
  adopt(replicas: readonly Replica[]): void {
    this.add(...replicas);
  }

  /** Adds replicas up to `size`, in parallel; a replica that fails to build only shrinks the pool. */
  async grow(size: number, signal?: AbortSignal): Promise<void> {
    const missing = Math.max(0, size - this.replicas.length);
    const built = await Promise.allSettled(Array.from({ length: missing }, () => Replica.open(this.bytes, this.config, signal)));
    for (const r of built) {
      if (r.status === 'fulfilled') this.add(r.value);
      else this.events.onWarning(`a pool worker could not be built (${(r.reason as Error).message}); running with ${this.replicas.length}`);
    }
    if (signal?.aborted) throw signal.reason;
  }

  get size(): number {
    return this.replicas.length;
  }

  /**
   * The replica with the least outstanding work among those with fewer than
   * `depth` jobs in flight, skipping `exclude`. depth > 1 pipelines: the next
   * job already waits in the worker when the current one ends, so the worker
   * does not idle through the round trip to the page.
   */
  pick(depth = 1, exclude?: ReadonlySet<Replica>): Replica | undefined {
    let best: Replica | undefined;
    for (const r of this.replicas) {
      if (!r.alive || r.retiring || r.inflight >= depth || exclude?.has(r)) continue;
      // Least outstanding work first; among equals, the one that ran least, to spread wear.
      if (!best || r.outstandingRows < best.outstandingRows || (r.outstandingRows === best.outstandingRows && r.runs < best.runs)) best = r;
    }
    return best;
  }

  /** True when `replica` is still in the pool, alive and has nothing in flight. */
  isIdle(replica: Replica): boolean {
    return this.replicas.includes(replica) && replica.alive && replica.inflight === 0;
  }

  /** Called after each job: a worker past its limits takes no new work and is replaced once its last job is back. */
  afterJob(replica: Replica): void {
    const { afterRuns, afterBytes } = this.recycle;
    if ((afterRuns !== undefined && replica.runs >= afterRuns) || (afterBytes !== undefined && replica.bytes >= afterBytes)) replica.retiring = true;
    if (replica.retiring && replica.inflight === 0) {
      this.recycles++;
      this.replace(replica, 'recycled');
    } else {
      this.events.onAvailable();
    }
  }

  /** Swaps a dead or worn replica for a fresh one; the old one is disposed. */
  replace(old: Replica, why: 'crashed' | 'recycled', cause?: PageInferError): void {
    const index = this.replicas.indexOf(old);
    if (index < 0 || this.disposed) return;
    this.replicas.splice(index, 1);
    if (why === 'crashed') this.respawns++;
    void old.dispose();
    const job = (cause instanceof DeviceLostError ? this.rebuildAfterDeviceLoss(cause) : this.rebuild(why)).then(
      (fresh) => {
        if (this.disposed) return void fresh.dispose();
        this.add(fresh);
        this.events.onAvailable();
      },
      (error: Error) => {
        this.events.onWarning(`a ${why} worker could not be rebuilt: ${error.message}`);
        if (this.replicas.length === 0 && this.rebuilding.size <= 1) this.events.onEmpty(`no worker left: ${error.message}`, error);
      },
    );
    this.rebuilding.add(job);
    void job.finally(() => this.rebuilding.delete(job));
  }

  /**
   * A fresh replica of the pool's config; a multi-threaded build that fails or hangs (past its deadline) is
   * tried once more with one thread, as the first load does, so that one stuck build cannot end the model.
   */
  private async rebuild(why: 'crashed' | 'recycled'): Promise<Replica> {
    try {
      const fresh = await Replica.open(this.bytes, this.config);
      if (fresh.startStalls.length) this.events.onWarning(`a ${why} worker's replacement was built again in a fresh worker: ${fresh.startStalls.join('; ')}`);
      return fresh;
    } catch (error) {
      if (this.config.threads === 1 || this.disposed) throw error;
      this.events.onWarning(`a ${why} worker could not be rebuilt with ${this.config.threads} threads (${(error as Error).message}); rebuilding it with 1 thread`);
      return Replica.open(this.bytes, { ...this.config, threads: 1 });
    }
  }

  /**
   * A worker whose GPU device was lost is rebuilt on WebGPU where an adapter comes back (a fresh worker
   * gets a fresh device), else on the next backend of the load's plan, and the pool keeps to that one.
   */
  private async rebuildAfterDeviceLoss(lost: DeviceLostError): Promise<Replica> {
    const failures: string[] = [];
    const tried = this.config.backend;
    try {
      return await this.rebuild('crashed');
    } catch (error) {
      if (this.disposed) throw error;
      failures.push(`${tried}: ${(error as Error).message}`);
    }
    for (const backend of this.fallbacks.filter((b) => b !== tried)) {
      const config: SessionConfig = { ...this.config, backend, threads: threadsOn(backend, this.config.threads) };
      try {
        const fresh = await Replica.open(this.bytes, config);
        if (this.config.backend === tried) {
          this.config = config; // later rebuilds too: the lost device's backend failed to come back
          this.events.onBackendChanged?.(backend, `${backend} after the ${tried} device was lost (${lost.message}) and ${failures.join('; ')}`);
        }
        return fresh;
      } catch (error) {
        if (this.disposed) throw error;
        failures.push(`${backend}: ${(error as Error).message}`);
      }
    }
    throw new DeviceLostError(`${lost.message}; no worker could be rebuilt (${failures.join('; ')})`, { ...lost.details, failures });
  }

  /** True while a replacement worker is being built. */
  get recovering(): boolean {
    return this.rebuilding.size > 0;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all(this.replicas.splice(0).map((r) => r.dispose()));
  }
}
