import type { Pin, Scheduler } from '../scheduler/scheduler.js';
import type { RequestOptions } from '../scheduler/types.js';
import type { Feeds, Outputs, ValueInfo } from '../tensor/types.js';
import { requestRows } from '../scheduler/batching.js';
import { feedValidator } from '../tensor/validate.js';

export interface StreamOptions {
  /** Output name → input name: each call's output feeds the next call's input (e.g. { stateN: 'state' }). */
  carry: Record<string, string>;
  /** The carried inputs for the first call (e.g. a zero state). */
  initial: Feeds;
}

/**
 * Calls of a stateful model, in order, on one worker. The state travels with
 * the stream on the page, so if the worker dies the stream goes on elsewhere.
 */
export class ModelStream {
  private state: Feeds;
  private readonly pin: Pin = { replica: null };
  private chain: Promise<unknown> = Promise.resolve();
  private readonly validate: (feeds: unknown) => Feeds;

  /** @internal */
  constructor(
    private readonly scheduler: Scheduler,
    inputs: readonly ValueInfo[],
    private readonly options: StreamOptions,
  ) {
    this.state = { ...options.initial };
    this.validate = feedValidator(inputs);
  }

  /** Runs one step with `feeds` plus the carried state; steps run in call order. */
  run(feeds: Feeds, options: Omit<RequestOptions, 'transfer'> = {}): Promise<Outputs> {
    const step = this.chain.then(async () => {
      const all = this.validate({ ...feeds, ...this.state });
      // The state stays ours: copy rather than move, so a crashed step can be retried.
      const out = await this.scheduler.submit(all, requestRows(all), { ...options, transfer: false, pin: this.pin });
      for (const [output, input] of Object.entries(this.options.carry)) {
        if (out[output]) this.state = { ...this.state, [input]: out[output] };
      }
      return out;
    });
    this.chain = step.catch(() => {});
    return step;
  }

  /** Back to the initial state (or a new one). */
  reset(initial: Feeds = this.options.initial): void {
    this.state = { ...initial };
  }
}
