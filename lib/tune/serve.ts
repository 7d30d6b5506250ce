import { Pool } from '../pool/pool.js';
import type { Replica, SessionConfig } from '../pool/replica.js';
import { StatsRecorder } from '../profile/stats.js';
import { Scheduler } from '../scheduler/scheduler.js';
import type { Feeds } from '../tensor/types.js';
import { feedValidator } from '../tensor/validate.js';

/** Sends one request the way `model.run` does. */
export type Serve = (feeds: Feeds, rows: number) => Promise<unknown>;

/**
 * A pool that leaves a crashed worker where it is: the tuner reports the failure, it does not rebuild.
 * It keeps no death listener either: the winning replicas go on serving in the model's own pool, and a
 * listener would keep this pool alive as long as they live.
 */
class TuningPool extends Pool {
  override replace(): void {}
  protected override watch(): void {}
}

/**
 * The page path a request takes in a loaded model — input checks, the scheduler's queue and dispatch,
 * stats — over a candidate's workers. The tuner times samples through it rather than calling the
 * session directly: that page work costs some configurations more than others (in Firefox, 1 thread
 * more than 2, by enough to flip a near-tie at batch 1), and requests will pay it once served.
 */
export function servingPath(replicas: readonly Replica[], bytes: Uint8Array, config: SessionConfig): Serve {
  let scheduler: Scheduler | null = null;
  const pool = new TuningPool(replicas[0], bytes, config, {}, { onAvailable: () => scheduler?.onAvailable(), onEmpty: () => {}, onWarning: () => {} });
  pool.adopt(replicas.slice(1));
  scheduler = new Scheduler(
    pool,
    { batchable: false, reason: 'tuning: one request at a time' },
    { mode: 'streaming', maxBatch: 1, maxDelayMs: 0, queueLimit: Infinity, queuePolicy: 'reject', buckets: [], retries: 0, pipeline: 2 },
    new StatsRecorder(),
  );
  const validate = feedValidator(replicas[0].handle.inputs);
  const s = scheduler;
  return (feeds, rows) => s.submit(validate(feeds), rows);
}
