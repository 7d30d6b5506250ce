import * as Comlink from 'comlink';
import { DeviceLostError, TimeoutError, WorkerCrashedError, WorkerLoadError, reviveError, toAbortError, type PageInferError } from '../errors/index.js';
import { isDeviceLostNotice, isRunReply, isSlotReply, registerErrorTransfer, workerReadyMessage, type RunReply, type RunRequest, type RunResult, type WorkerApi } from '../protocol/index.js';
import { initialSlotBytes } from '../protocol/run-slots.js';
import type { Feeds } from '../tensor/types.js';
import { diagnoseWorkerLoad } from './diagnose.js';
import { epochNow } from '../probe/clock.js';
import { pendingRun, settle, type PendingRun } from './pending-run.js';
import { RunChannel, runChannelSupported, type RunNames } from './run-channel.js';
import { defaultWorkerFactory, spawnWorker, type WorkerFactory } from './spawn.js';

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** What the call does, for error messages. */
  what: string;
}

/**
 * The page's handle on one worker: calls race the worker's death, an abort and
 * a deadline, so no caller waits forever on a worker that will never answer.
 */
export class WorkerHost {
  readonly api: Comlink.Remote<WorkerApi>;
  private readonly worker: Worker;
  /** The calls not yet settled: the worker's death rejects them all. */
  private readonly pending = new Set<(error: PageInferError) => void>();
  /** Runs sent and not yet answered, oldest first (replies come in request order; see RunRequest). */
  private readonly runs: PendingRun[] = [];
  private dead: PageInferError | null = null;
  private deathListeners: Array<(error: PageInferError) => void> = [];
  /** The shared-memory run channel, where one is open; channels being retired (a bigger one replaced them). */
  private channel: RunChannel | null = null;
  private retired: RunChannel[] = [];
  private channelSpinMs = 0;
  private growing = false;
  /** Sessions that run through the channel, and their input and output names. */
  private readonly runNames = new Map<number, RunNames>();
  /** The worker's script URL, as created (for diagnosing a script that did not load). */
  readonly url: string | undefined;
  /** Set once the worker's module graph has run (its ready message). */
  private loaded = false;
  /** Epoch ms (probe/clock.ts) when the worker was created and when its ready message came: the load timeline. */
  readonly spawnedAt = epochNow();
  readyAt: number | undefined;
  /** A load failure is being diagnosed: its WorkerLoadError, not a crash, is what callers get. */
  private loadFailing = false;
  /**
   * Resolves once the page watches the worker's life lock. A worker that dies
   * before that is noticed by nothing (terminate fires no event): callers must
   * not hand it work until then (Replica.open waits for it).
   */
  readonly watching: Promise<void>;
  private watched!: () => void;

  constructor(factory: WorkerFactory = defaultWorkerFactory) {
    registerErrorTransfer();
    this.watching = new Promise<void>((resolve) => (this.watched = resolve));
    const spawned = spawnWorker(factory);
    this.worker = spawned.worker;
    this.url = spawned.url;
    const onReady = (e: MessageEvent) => {
      if (e.data !== workerReadyMessage) return;
      this.loaded = true;
      this.readyAt = epochNow();
      this.worker.removeEventListener('message', onReady);
    };
    this.worker.addEventListener('message', onReady);
    this.worker.addEventListener('message', (e: MessageEvent) => {
      if (isRunReply(e.data)) this.answer(e.data);
      else if (isSlotReply(e.data)) this.answerSlot(e.data);
      else if (isDeviceLostNotice(e.data)) this.deviceLost(e.data.pageinferDeviceLost);
    });
    this.worker.addEventListener('error', (e) => {
      e.preventDefault();
      if (this.loaded) this.markDead(`uncaught error in worker: ${e.message || 'no message given'}`);
      else void this.failLoad(e.message);
    });
    this.worker.addEventListener('messageerror', () => this.markDead('a message from the worker could not be deserialized'));
    this.api = Comlink.wrap<WorkerApi>(this.worker);
    this.watchLife();
  }

  private watchLife(): void {
    if (typeof navigator === 'undefined' || !navigator.locks) return this.watched();
    const name = `pageinfer-worker-${crypto.randomUUID()}`;
    this.api
      .holdLifeLock(name)
      .then(async (held) => {
        if (!held) return this.watched();
        // Queued behind the worker's hold: granted exactly when the worker is gone.
        const gone = navigator.locks.request(name, () => {
          if (!this.loadFailing) this.markDead('the worker stopped (terminated, crashed or out of memory)');
        });
        this.watched();
        await gone;
      })
      .catch(() => this.watched());
  }

  get alive(): boolean {
    return this.dead === null;
  }

  /** Calls `listener` once when the worker dies, however it dies, busy or idle. */
  onDeath(listener: (error: PageInferError) => void): void {
    if (this.dead) listener(this.dead);
    else this.deathListeners.push(listener);
  }

  /**
   * Runs `fn` against the worker's API, settled by whichever comes first: its answer, the
   * worker's death, an abort or the deadline. Each call is a set entry removed when it settles:
   * nothing waits on a promise that lives as long as the worker, so a settled call leaves
   * nothing behind (a `Promise.race` against one kept every call's reaction, and so its result,
   * until the worker died: ~125 B a request in Chromium, whole results in V8 elsewhere).
   */
  call<T>(fn: (api: Comlink.Remote<WorkerApi>) => Promise<T>, { signal, timeoutMs, what }: CallOptions): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    if (signal?.aborted) return Promise.reject(toAbortError(signal.reason));
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = () => {
        this.pending.delete(fail);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: unknown) => {
        settle();
        reject(error);
      };
      const onAbort = () => fail(toAbortError(signal!.reason));
      this.pending.add(fail);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => fail(new TimeoutError(`${what} took longer than ${timeoutMs} ms`, { timeoutMs, what })), timeoutMs);
      }
      fn(this.api).then((value) => {
        settle();
        resolve(value);
      }, fail);
    });
  }

  /**
   * Opens a shared-memory run channel to the worker (see ../protocol/run-slots.ts), where the page is
   * cross-origin isolated and both threads have Atomics.waitAsync; false where runs stay on messages.
   */
  async openRunChannel(spinMs: number, timeoutMs: number): Promise<boolean> {
    if (!runChannelSupported() || this.channel) return this.channel !== null;
    const channel = new RunChannel(1, initialSlotBytes);
    const attached = await this.call((api) => api.attachRunChannel(channel.buffer, channel.generation, spinMs), { what: 'opening the run channel', timeoutMs });
    if (attached) {
      this.channel = channel;
      this.channelSpinMs = spinMs;
    }
    return attached;
  }

  get hasRunChannel(): boolean {
    return this.channel !== null;
  }

  /** Runs of session `sessionId` go through the run channel, when one is open. */
  useRunChannel(sessionId: number, names: RunNames): void {
    this.runNames.set(sessionId, names);
  }

  /**
   * Runs a session: through the run channel where one is open and the request fits it (a request too
   * big for its slots goes by message, and makes the page open a bigger channel), else by message.
   */
  run(sessionId: number, feeds: Feeds, transfer: Transferable[], signal?: AbortSignal): Promise<RunResult> {
    const names = this.channel && !this.dead ? this.runNames.get(sessionId) : undefined;
    if (names && !signal?.aborted) {
      const sent = this.channel!.send(sessionId, feeds, names, signal);
      if (typeof sent !== 'number') return sent;
      this.grow(sent);
    }
    return this.runByMessage(sessionId, feeds, transfer, signal);
  }

  /**
   * Opens a bigger channel for requests (or replies) of `needBytes` a slot; the old one serves until the
   * worker has the new one, then closes when its runs are back. Past `maxSlotBytes` requests stay on
   * messages: copying them in and out of shared memory costs more than transferring them.
   */
  private grow(needBytes: number): void {
    const current = this.channel;
    if (!current || this.growing || needBytes <= current.slotBytes || needBytes > maxSlotBytes) return;
    this.growing = true;
    const bigger = new RunChannel(current.generation + 1, Math.min(maxSlotBytes, 2 ** Math.ceil(Math.log2(needBytes))));
    this.call((api) => api.attachRunChannel(bigger.buffer, bigger.generation, this.channelSpinMs), { what: 'growing the run channel', timeoutMs: 10_000 })
      .then((attached) => {
        if (!attached || this.channel !== current) return;
        this.channel = bigger;
        current.close();
        this.retired = this.retired.filter((c) => !c.idle).concat(current);
      })
      .catch(() => {}) // the worker died: its calls all fail anyway
      .finally(() => (this.growing = false));
  }

  private answerSlot(reply: Parameters<RunChannel['answer']>[0]): void {
    const channel = this.channel?.generation === reply.generation ? this.channel : this.retired.find((c) => c.generation === reply.generation);
    channel?.answer(reply);
    if ('needBytes' in reply) this.grow(reply.needBytes);
  }

  /**
   * Runs a session on one plain message (no Comlink). An abort settles the caller at once;
   * its slot stays queued until the worker's reply, which is then dropped, so later
   * replies still meet their own requests.
   */
  private runByMessage(sessionId: number, feeds: Feeds, transfer: Transferable[], signal?: AbortSignal): Promise<RunResult> {
    if (this.dead) return Promise.reject(this.dead);
    if (signal?.aborted) return Promise.reject(toAbortError(signal.reason));
    return new Promise<RunResult>((resolve, reject) => {
      this.runs.push(pendingRun(resolve, reject, signal, {}));
      this.worker.postMessage({ pageinferRun: sessionId, feeds } satisfies RunRequest, transfer);
    });
  }

  private answer(reply: RunReply): void {
    const slot = this.runs.shift();
    if (!slot) return;
    if (reply.pageinferRun === 'ok') settle(slot, null, reply.result);
    else settle(slot, reviveError(reply.error));
  }

  /** Kills the worker; pending and later calls reject with WorkerCrashedError. */
  terminate(reason = 'worker terminated'): void {
    this.worker.terminate();
    if (!this.loadFailing) this.markDead(reason);
  }

  /**
   * The worker's GPU device is lost: none of its sessions can run again (ORT keeps the dead device for
   * the worker's life). Replies to runs that ended before the loss came first, in order, and were
   * delivered; everything still in flight fails with DeviceLostError, and the worker is given up.
   */
  private deviceLost(info: { reason: string; message: string }): void {
    this.worker.terminate();
    this.die(new DeviceLostError(`The WebGPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''}); its worker was given up`, { ...info }));
  }

  private markDead(reason: string): void {
    this.die(new WorkerCrashedError(`pageinfer worker died: ${reason}`, { reason }));
  }

  private die(error: PageInferError): void {
    if (this.dead) return;
    this.dead = error;
    for (const fail of [...this.pending]) fail(error);
    for (const slot of this.runs.splice(0)) settle(slot, error);
    for (const channel of [this.channel, ...this.retired]) channel?.fail(error);
    for (const listener of this.deathListeners.splice(0)) listener(error);
    this.watched(); // nothing to watch any more
  }

  /** The script never ran: find out why (a few seconds at most) and fail every call with that. */
  private async failLoad(browserMessage: string): Promise<void> {
    if (this.dead) return;
    this.loadFailing = true;
    this.worker.terminate();
    const d = await diagnoseWorkerLoad(this.url, browserMessage);
    this.die(
      new WorkerLoadError(`pageinfer's worker could not load from ${this.url ?? 'a custom createWorker'} (${d.cause}): ${d.detail}. ${d.hint}`, {
        url: this.url,
        cause: d.cause,
        detail: d.detail,
        browserMessage: browserMessage || undefined,
        status: d.status,
        contentType: d.contentType,
        hint: d.hint,
      }),
    );
  }
}

/** The biggest run channel slot: 1 MiB (see WorkerHost.grow). */
const maxSlotBytes = 1 << 20;
