import * as Comlink from 'comlink';
import { DisposedError } from '../errors/index.js';
import { transferablesOf, type SessionHandle } from '../protocol/index.js';
import type { Feeds, Outputs, Tensor } from '../tensor/types.js';
import { validateFeeds } from '../tensor/validate.js';
import type { WorkerHost } from '../worker/host.js';
import type { ModelInfo, RunOptions } from './types.js';

export interface RunTiming {
  /** Inside ORT's session.run, in the worker. */
  computeMs: number;
  /** From run() to outputs in hand on this thread: compute plus the worker round trip. */
  totalMs: number;
}

/** A model loaded in its own worker. Get one from `engine.load()`. */
export class Model {
  private disposed = false;
  private timing: RunTiming | null = null;

  /** @internal */
  constructor(
    private readonly host: WorkerHost,
    private readonly handle: SessionHandle,
    readonly info: ModelInfo,
    private readonly onDispose: (model: Model) => void,
  ) {}

  /** Timing of the latest completed run, or null before the first. */
  get lastRun(): RunTiming | null {
    return this.timing;
  }

  async run(feeds: Feeds, options: RunOptions = {}): Promise<Outputs> {
    if (this.disposed) throw new DisposedError('This model was disposed', {});
    const started = performance.now();
    const checked = validateFeeds(feeds, this.info.inputs);
    const moving = prepareForTransfer(checked, options.transfer ?? true);
    const result = await this.host.call((api) => api.run(this.handle.id, Comlink.transfer(moving, transferablesOf(moving))), {
      signal: options.signal,
      what: 'run',
    });
    this.timing = { computeMs: result.computeMs, totalMs: performance.now() - started };
    return result.outputs;
  }

  /** Releases the session and its worker (the only way to give wasm memory back). */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.onDispose(this);
    if (this.host.alive) {
      await this.host.call((api) => api.release(this.handle.id), { what: 'release', timeoutMs: 2000 }).catch(() => {});
    }
    this.host.terminate('model disposed');
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
    out[name] = copy ? { ...t, data: (data as Exclude<Tensor['data'], string[]>).slice() } : t;
  }
  return out;
}
