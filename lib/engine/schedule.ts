import type { ValueInfo } from '../tensor/types.js';
import type { Pool } from '../pool/pool.js';
import type { StatsRecorder } from '../profile/stats.js';
import type { SessionHandle } from '../protocol/index.js';
import { LatencyCurve, chooseBatching, type CurvePoint } from '../scheduler/adaptive.js';
import { analyzeBatching } from '../scheduler/batching.js';
import { Scheduler } from '../scheduler/scheduler.js';
import type { ScheduleInfo, ScheduleOptions } from '../scheduler/types.js';
import { zeroFeeds } from '../tensor/zeros.js';

const defaults = { mode: 'streaming', maxBatch: 32, maxDelayMs: 4, pipeline: 2 } as const;
/** Batch sizes measured for adaptive batching. */
const probeRows = [1, 2, 4, 8, 16, 32, 64, 128];
/** Re-choose the adaptive parameters after this many jobs. */
const retuneEvery = 64;

/** Builds the model's scheduler from its schedule options and what the model's shapes allow. */
export function buildScheduler(pool: Pool, handle: SessionHandle, options: ScheduleOptions, overrides: Record<string, number> | undefined, recorder: StatsRecorder) {
  // WebGL builds a session per shape: coalesce to the first session's shape (e.g. pad to a fixed batch of 8)
  // rather than make a shape, and a session, of every batch size that happens to coalesce.
  const fix = (infos: readonly ValueInfo[]): ValueInfo[] =>
    handle.shapeSessions ? infos.map((v) => ({ ...v, dims: v.dims && v.dims.map((d) => (typeof d === 'string' && handle.fixedDims[d] !== undefined ? handle.fixedDims[d] : d)) })) : [...infos];
  const shape = analyzeBatching(fix(handle.inputs), fix(handle.outputs), handle.ops, options.exact ?? true);
  const mode = options.mode ?? defaults.mode;
  const scheduler = new Scheduler(
    pool,
    shape,
    {
      mode,
      maxBatch: Math.max(1, options.maxBatch ?? defaults.maxBatch),
      maxDelayMs: Math.max(0, options.maxDelayMs ?? defaults.maxDelayMs),
      queueLimit: options.queueLimit ?? Infinity,
      queuePolicy: options.queuePolicy ?? 'reject',
      buckets: [...(options.buckets ?? [])].sort((a, b) => a - b),
      retries: options.retries ?? 1,
      pipeline: Math.max(1, Math.floor(options.pipeline ?? defaults.pipeline)),
    },
    recorder,
  );
  const info: Omit<ScheduleInfo, 'workers' | 'runChannel'> = {
    mode: mode === 'hybrid' && !shape.batchable ? 'streaming' : mode,
    maxBatch: scheduler.config.maxBatch,
    maxDelayMs: scheduler.config.maxDelayMs,
    pipeline: scheduler.config.pipeline,
    batchable: shape.batchable,
    reason: mode === 'hybrid' && !shape.batchable ? `hybrid falls back to streaming: ${shape.reason}` : shape.reason,
  };
  if (info.mode !== mode) scheduler.config.mode = info.mode;

  /** Measures this device's latency curve, then keeps maxBatch/maxDelayMs fitted to targetP95Ms as jobs come in. */
  const tune = async (target: ScheduleInfo) => {
    const targetP95Ms = options.targetP95Ms!;
    if (!shape.batchable) return void (target.adaptive = `not adaptive: ${shape.reason}`);
    const curve: CurvePoint[] = [];
    for (const rows of probeRows) {
      const feeds = zeroFeeds(handle.inputs, rows, overrides);
      if (!feeds) return void (target.adaptive = 'not adaptive: an input has a dim with no known size (set freeDimensionOverrides)');
      const replica = pool.replicas[0];
      const times: number[] = [];
      for (let i = 0; i < 3; i++) times.push((await replica.run(structuredClone(feeds), rows, true)).computeMs);
      const ms = times.sort((a, b) => a - b)[1];
      curve.push({ rows, ms });
      if (2 * ms > targetP95Ms) break; // larger batches can only be slower
    }
    const live = new LatencyCurve(curve);
    const apply = () => {
      const choice = chooseBatching(live.curve, targetP95Ms);
      scheduler.config.maxBatch = target.maxBatch = choice.maxBatch;
      scheduler.config.maxDelayMs = target.maxDelayMs = choice.maxDelayMs;
      target.adaptive = choice.reason;
    };
    apply();
    let jobs = 0;
    scheduler.jobObservers.push((rows, ms) => {
      live.observe(rows, ms);
      if (++jobs % retuneEvery === 0) apply();
    });
  };
  return { scheduler, info, tune };
}
