import { DisposedError, InputShapeError } from '../errors/index.js';
import type { Pool } from '../pool/pool.js';
import { profileOps, type OpProfile, type OpProfileOptions } from './op-profile.js';
import type { ModelStats, StatsRecorder } from '../profile/stats.js';
import { requestRows } from '../scheduler/batching.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { RequestOptions } from '../scheduler/types.js';
import type { Feeds, Outputs, Tensor } from '../tensor/types.js';
import { feedValidator } from '../tensor/validate.js';
import type { WorkerMemory } from '../protocol/index.js';
import { ModelStream, type StreamOptions } from './stream.js';
import type { ModelInfo, ModelProfile, PoolStats } from './types.js';
import { setNamed } from '../tensor/named.js';
import type { LoadClock } from './timeline.js';

/** A loaded model: a pool of workers with one session each, fed by a scheduler. Get one from `engine.load()`. */
export class Model {
  private disposed = false;
  /** Checks feeds against the inputs; with a fixed batch dim that the scheduler pads to, callers may send fewer rows. */
  private readonly validate: (feeds: unknown) => Feeds;

  /** @internal */
  constructor(
    private readonly scheduler: Scheduler,
    private readonly pool: Pool,
    private readonly recorder: StatsRecorder,
    readonly info: ModelInfo,
    private readonly onDispose: (model: Model) => void,
    /** The load's clock, until the first run has added its span to the timeline. */
    private clock?: LoadClock,
  ) {
    const fixed = scheduler.shape.fixedRows;
    this.validate = feedValidator(fixed ? info.inputs.map((i) => ({ ...i, dims: i.dims && ['rows', ...i.dims.slice(1)] })) : info.inputs);
  }

  /** Runs one request. In hybrid mode it may share a batch with concurrent calls; you get exactly your rows back. */
  async run(feeds: Feeds, options: RequestOptions = {}): Promise<Outputs> {
    const checked = this.check(feeds, options.transfer ?? true);
    return this.timeFirstRun(this.scheduler.submit(checked, requestRows(checked), { ...options, coalesce: this.scheduler.config.mode === 'hybrid' }));
  }

  /**
   * Runs many requests, coalesced into chunks of up to maxBatch rows when the
   * model can batch (one inference per chunk), else one by one. Results keep the input order.
   */
  async runBatch(list: readonly Feeds[], options: RequestOptions = {}): Promise<Outputs[]> {
    const checked = list.map((f) => this.check(f, options.transfer ?? true));
    return this.timeFirstRun(Promise.all(checked.map((f) => this.scheduler.submit(f, requestRows(f), { ...options, coalesce: true, flush: true }))));
  }

  /** The first request that succeeds ends the load timeline: its span goes into info.timings.timeline. */
  private timeFirstRun<T>(running: Promise<T>): Promise<T> {
    const clock = this.clock;
    if (!clock) return running;
    const start = clock.now();
    void running.then(() => {
      if (this.clock !== clock) return; // an earlier request got there first
      this.clock = undefined;
      clock.add('first-run', start, clock.now());
      this.info.timings.timeline = clock.timeline();
    }, () => {});
    return running;
  }

  /** A stateful stream pinned to one worker, carrying state outputs into the next call's inputs. */
  stream(options: StreamOptions): ModelStream {
    this.assertAlive();
    return new ModelStream(this.scheduler, this.info.inputs, options);
  }

  /** Per-request timing split (queue, transfer in, compute, transfer out), percentiles and throughput. */
  stats(): ModelStats & { pool: PoolStats } {
    return {
      ...this.recorder.summary(),
      pool: { workers: this.pool.size, queued: this.scheduler.queued, respawns: this.pool.respawns, recycles: this.pool.recycles },
    };
  }

  /** Memory of each worker: the wasm heap ORT grew to (it never shrinks: recycle or dispose to free it) and its JS heap. */
  async memory(): Promise<WorkerMemory[]> {
    return Promise.all(this.pool.replicas.map((r) => r.memory().catch(() => ({ wasmHeapBytes: null, jsHeapBytes: null }))));
  }

  /**
   * Where the time goes, op by op: `feeds` run `runs` times through an extra session of this model with
   * ORT's profiler on, in a fresh worker (the serving workers are untouched), summarized by op type and node.
   */
  async profileOps(feeds: Feeds, options: OpProfileOptions = {}): Promise<OpProfile> {
    const checked = this.check(feeds, false); // the caller keeps its arrays
    const { bytes, config } = this.pool.source;
    return profileOps(bytes, config, checked, requestRows(checked), options);
  }

  /** Stats, pool, memory and info in one plain object, ready for JSON.stringify. */
  async exportProfile(): Promise<ModelProfile> {
    return { at: new Date().toISOString(), info: this.info, stats: this.stats(), memory: await this.memory() };
  }

  resetStats(): void {
    this.recorder.reset();
  }

  /** Fails queued requests, releases every session and terminates the workers (the only way to give wasm memory back). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose(this);
    this.scheduler.close(new DisposedError('This model was disposed', {}));
    await this.pool.dispose();
  }

  private check(feeds: Feeds, transfer: boolean): Feeds {
    this.assertAlive();
    const checked = this.validate(feeds);
    const fixed = this.scheduler.shape.fixedRows;
    if (fixed && requestRows(checked) > fixed) {
      throw new InputShapeError(`This model's batch dim is fixed at ${fixed}; got ${requestRows(checked)} rows`, { fixedRows: fixed, got: requestRows(checked) });
    }
    return prepareForTransfer(checked, transfer);
  }

  private assertAlive(): void {
    if (this.disposed) throw new DisposedError('This model was disposed', {});
  }
}

/**
 * Views over part of a buffer would drag the whole buffer along (or copy it):
 * slice them. With `transfer: false`, copy everything so the caller keeps its arrays.
 */
function prepareForTransfer(feeds: Feeds, transfer: boolean): Feeds {
  const out: Feeds = {};
  for (const [name, t] of Object.entries(feeds)) {
    const data = t.data;
    const whole = ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    const copy = !Array.isArray(data) && (!transfer || !whole);
    setNamed(out, name, copy ? { ...t, data: (data as Exclude<Tensor['data'], string[]>).slice() } : t);
  }
  return out;
}
