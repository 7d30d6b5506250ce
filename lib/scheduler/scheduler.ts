import { DeviceLostError, PageInferError, QueueFullError, WorkerCrashedError, toAbortError } from '../errors/index.js';
import type { Pool } from '../pool/pool.js';
import type { Replica } from '../pool/replica.js';
import type { StatsRecorder } from '../profile/stats.js';
import { epochNow } from '../probe/clock.js';
import type { Feeds, Outputs } from '../tensor/types.js';
import { concatFeeds, splitOutputs, type BatchShape } from './batching.js';
import { PriorityList } from './queue.js';
import type { RequestOptions, ScheduleMode } from './types.js';

/** A stream's claim on one worker; re-pointed when that worker is replaced. */
export interface Pin {
  replica: Replica | null;
}

interface Request {
  feeds: Feeds;
  rows: number;
  priority: number;
  seq: number;
  enqueuedAt: number;
  transfer: boolean;
  /** May join others in one batch. */
  coalesce: boolean;
  /** Go now, without waiting maxDelayMs for company (runBatch). */
  flush: boolean;
  pin?: Pin;
  retries: number;
  settled: boolean;
  /** Sent to a worker and not yet back in the queue. */
  dispatched: boolean;
  resolve(outputs: Outputs): void;
  reject(error: unknown): void;
}

export interface SchedulerConfig {
  mode: ScheduleMode;
  maxBatch: number;
  maxDelayMs: number;
  queueLimit: number;
  queuePolicy: 'reject' | 'wait';
  buckets: number[];
  retries: number;
  /** Jobs in flight per worker: > 1 queues the next job in a busy worker (full batches and single requests only). */
  pipeline: number;
}

export interface SubmitOptions extends RequestOptions {
  coalesce?: boolean;
  flush?: boolean;
  pin?: Pin;
}

/**
 * Queues requests and hands them to free workers: alone (streaming) or
 * coalesced along the batch dim (hybrid, runBatch), by priority, with
 * cancellation, backpressure and one retry after a worker crash.
 */
export class Scheduler {
  private readonly pending = new PriorityList<Request>();
  private readonly waiting: Array<() => void> = [];
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pumpQueued = false;
  /** Places promised to woken waiters that have not enqueued yet. */
  private reserved = 0;
  private closed: PageInferError | null = null;
  /** Told (rows, computeMs) after each job: adaptive batching and tuning drift watch these. */
  readonly jobObservers: Array<(rows: number, computeMs: number) => void> = [];

  constructor(
    private readonly pool: Pool,
    readonly shape: BatchShape,
    readonly config: SchedulerConfig,
    private readonly stats: StatsRecorder,
  ) {}

  get queued(): number {
    return this.pending.length;
  }

  async submit(feeds: Feeds, rows: number, options: SubmitOptions = {}): Promise<Outputs> {
    const { signal } = options;
    if (this.closed) throw this.closed;
    if (signal?.aborted) throw toAbortError(signal.reason);
    // Admission is synchronous while there is room, so a burst of calls cannot overshoot the limit.
    const waited = this.pending.length + this.reserved >= this.config.queueLimit;
    if (waited) await this.admit(signal);
    return new Promise<Outputs>((resolve, reject) => {
      if (waited) this.reserved--; // the place reserved for us becomes our place in the queue
      const onAbort = () => {
        if (request.settled) return;
        this.pending.remove(request); // queued: gone; running: its result is dropped
        settle(() => reject(toAbortError(signal!.reason)));
        this.stats.recordError();
        this.freeSlot();
      };
      const settle = (fn: () => void) => {
        request.settled = true;
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const request: Request = {
        feeds,
        rows,
        priority: options.priority ?? 0,
        seq: this.seq++,
        enqueuedAt: epochNow(),
        transfer: options.transfer ?? true,
        coalesce: options.coalesce ?? false,
        flush: options.flush ?? false,
        pin: options.pin,
        retries: 0,
        settled: false,
        dispatched: false,
        resolve: (out) => settle(() => resolve(out)),
        reject: (error) => settle(() => reject(error)),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Nothing queued and a worker idle: it starts now, without a trip through the pump. A request that
      // waits for company (coalesce) or for its stream's worker (pin) goes through the queue.
      const idle = !this.pending.length && !request.coalesce && !request.pin ? this.pool.pick(1) : undefined;
      if (idle) return this.dispatch([request], idle);
      this.pending.insert(request);
      this.schedulePump();
    });
  }

  /** Fails everything queued and refuses new work. */
  close(error: PageInferError): void {
    this.closed = error;
    for (const r of this.pending) r.reject(error);
    while (this.pending.shift());
    for (const wake of this.waiting.splice(0)) wake();
    if (this.timer) clearTimeout(this.timer);
  }

  /** Runs dispatch soon; a microtask, so a burst of synchronous submits is seen whole. */
  schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Waits for (or refuses) a place in a full queue. A woken waiter holds a reserved place until it enqueues. */
  private async admit(signal?: AbortSignal): Promise<void> {
    const { queueLimit, queuePolicy } = this.config;
    if (queuePolicy === 'reject') {
      this.stats.recordError();
      throw new QueueFullError(`The request queue is full (${queueLimit} waiting)`, { limit: queueLimit });
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(wake), 1);
        reject(toAbortError(signal!.reason));
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        this.reserved++;
        resolve();
      };
      this.waiting.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    if (this.closed) {
      this.reserved--;
      throw this.closed;
    }
  }

  private freeSlot(): void {
    if (this.pending.length + this.reserved < this.config.queueLimit) this.waiting.shift()?.();
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // Workers a waiting stream step is pinned to: later requests must not keep them busy.
    const held = new Set<Replica>();
    // By index, without copying the queue: a dispatch removes requests from it, so the walk starts over
    // (a dispatch needs a free worker: that happens a few times a pump at most).
    for (let i = 0; i < this.pending.length; ) {
      const step = this.consider(this.pending.at(i)!, held);
      if (step === 'stop') break;
      i = step === 'dispatched' ? 0 : i + 1;
    }
  }

  /** Dispatches `head` (and the rows it takes along) if it can go now; 'stop' when nothing after it can. */
  private consider(head: Request, held: Set<Replica>): 'dispatched' | 'next' | 'stop' {
    if (head.settled || head.dispatched) return 'next';
    if (head.pin) {
      const replica = this.pinnedReplica(head.pin, held);
      if (replica && this.pool.isIdle(replica)) {
        this.dispatch([head], replica);
        return 'dispatched';
      }
      if (replica) held.add(replica);
      return 'next'; // its worker is busy; others may still go
    }
    const batch = this.groupFrom(head);
    if (!batch) return 'stop'; // waiting for company until the timer fires
    // A batch that could still grow goes only to an idle worker: queued in a busy one, it could take no one else.
    const replica = this.pool.pick(1, held) ?? (batch.full ? this.pool.pick(this.config.pipeline, held) : undefined);
    if (!replica) return 'stop'; // no free worker: wait for one (onAvailable pumps again)
    this.dispatch(batch.group, replica);
    return 'dispatched';
  }

  /** The worker a stream is pinned to; (re)pinned to an idle one when it has none or its worker was replaced. */
  private pinnedReplica(pin: Pin, held: ReadonlySet<Replica>): Replica | null {
    if (pin.replica && !this.pool.replicas.includes(pin.replica)) pin.replica = null;
    if (!pin.replica) pin.replica = this.pool.pick(1, held) ?? null;
    return pin.replica;
  }

  /**
   * The requests to send with `head` (full: no more rows fit), or null when
   * hybrid should wait longer for company.
   */
  private groupFrom(head: Request): { group: Request[]; full: boolean } | null {
    if (!head.coalesce || !this.shape.batchable) return { group: [head], full: true };
    const cap = this.shape.fixedRows ?? this.config.maxBatch;
    const group = [head];
    let rows = head.rows;
    for (const r of this.pending) {
      if (r === head || r.settled || r.dispatched || !r.coalesce || r.pin) continue;
      if (rows + r.rows > cap) continue; // too big for what is left: a later, smaller one may fit
      group.push(r);
      rows += r.rows;
      if (rows === cap) break;
    }
    const full = rows >= cap;
    const waited = epochNow() - head.enqueuedAt;
    if (full || head.flush || waited >= this.config.maxDelayMs) return { group, full };
    this.timer = setTimeout(() => this.pump(), Math.max(0, this.config.maxDelayMs - waited));
    return null;
  }

  /** Rows to pad a batch of `rows` to: the fixed batch dim, or the next bucket. */
  private paddedRows(rows: number): number | undefined {
    if (this.shape.fixedRows) return this.shape.fixedRows;
    return this.config.buckets.find((b) => b >= rows);
  }

  private dispatch(group: Request[], replica: Replica): void {
    for (const r of group) {
      this.pending.remove(r);
      r.dispatched = true;
    }
    for (let i = 0; i < group.length; i++) this.freeSlot();
    const counts = group.map((r) => r.rows);
    const rows = counts.reduce((a, b) => a + b, 0);
    const pad = this.paddedRows(rows);
    const single = group.length === 1 && (pad === undefined || pad === rows);
    // A coalesced batch is a fresh buffer, so requests keep their inputs and can be retried.
    const feeds = single ? group[0].feeds : concatFeeds(group.map((r) => r.feeds), pad);
    const transfer = single ? group[0].transfer : true;
    const sent = epochNow();

    replica.run(feeds, pad ?? rows, transfer).then(
      (result) => {
        for (const observe of this.jobObservers) observe(pad ?? rows, result.computeMs);
        const parts = single ? [result.outputs] : splitOutputs(result.outputs, counts);
        const end = epochNow();
        group.forEach((r, i) => {
          if (r.settled) return;
          this.stats.record({
            queueMs: sent - r.enqueuedAt,
            transferInMs: Math.max(0, result.receivedAt - sent),
            computeMs: result.computeMs,
            transferOutMs: Math.max(0, end - result.receivedAt - result.computeMs),
            totalMs: end - r.enqueuedAt,
            batchSize: pad ?? rows,
            at: performance.now(),
          });
          r.resolve(parts[i]);
        });
        this.pool.afterJob(replica);
      },
      (error: unknown) => {
        if (error instanceof WorkerCrashedError || error instanceof DeviceLostError) {
          // The pool has already replaced the worker: it hears of every death first (Pool.add). A lost GPU
          // device is a death too: the worker is given up, and rebuilt on a fresh device or another backend.
          for (const r of group) this.retryOrFail(r, error, single && transfer && moved(feeds)); // the shared run channel copies, never moves
        } else {
          for (const r of group) if (!r.settled) (this.stats.recordError(), r.reject(error));
          this.pool.afterJob(replica);
        }
        this.schedulePump();
      },
    );
  }

  private retryOrFail(r: Request, error: WorkerCrashedError | DeviceLostError, inputsMoved: boolean): void {
    if (r.settled) return;
    if (!inputsMoved && r.retries < this.config.retries) {
      r.retries++;
      r.dispatched = false;
      this.pending.insert(r); // keeps its priority and place in line
      return;
    }
    this.stats.recordError();
    const why = inputsMoved ? 'its inputs were transferred to the dead worker (run with transfer: false to allow a retry)' : `retried ${r.retries} time(s)`;
    const Cls = error instanceof DeviceLostError ? DeviceLostError : WorkerCrashedError;
    r.reject(new Cls(`${error.message}; request not retried: ${why}`, { ...error.details, retries: r.retries, inputsMoved }));
  }

  /** Pool events land here. */
  onAvailable(): void {
    this.schedulePump();
  }
}

/** Some input's buffer went to the worker (transferred: it reads 0 bytes now). */
function moved(feeds: Feeds): boolean {
  return Object.values(feeds).some((t) => ArrayBuffer.isView(t.data) && t.data.byteLength === 0 && t.dims.every((d) => d > 0));
}
