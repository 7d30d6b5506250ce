import { describe, expect, it } from 'vitest';
import { DeviceLostError, OutOfMemoryError, WorkerCrashedError } from '../errors/index.js';
import type { Pool } from '../pool/pool.js';
import type { Replica } from '../pool/replica.js';
import { StatsRecorder } from '../profile/stats.js';
import type { Feeds } from '../tensor/types.js';
import { Scheduler } from './scheduler.js';

/** A one-worker pool whose runs answer in turn from `answers` (an Error rejects). */
function fakePool(answers: Array<Error | number>) {
  const calls: number[] = [];
  const replica = {
    async run(feeds: Feeds) {
      calls.push((feeds.x.data as Float32Array)[0]);
      const next = answers.shift();
      if (next === undefined) throw new Error('no answer left');
      if (next instanceof Error) throw next;
      return { outputs: { y: { type: 'float32' as const, data: new Float32Array([next]), dims: [1, 1] } }, computeMs: 1, receivedAt: 0 };
    },
  } as unknown as Replica;
  const pool = { replicas: [replica], pick: () => replica, isIdle: () => true, afterJob: () => {} } as unknown as Pool;
  return { pool, calls };
}

function scheduler(pool: Pool): Scheduler {
  const config = { mode: 'streaming' as const, maxBatch: 8, maxDelayMs: 0, queueLimit: Infinity, queuePolicy: 'reject' as const, buckets: [], retries: 1, pipeline: 1 };
  return new Scheduler(pool, { batchable: false, reason: 'test' }, config, new StatsRecorder());
}

const feeds = (): Feeds => ({ x: { type: 'float32', data: new Float32Array([7]), dims: [1, 1] } });
const lost = () => new DeviceLostError('The WebGPU device was lost (unknown)', { reason: 'unknown', message: '' });

describe('Scheduler: a lost device is retried like a crash', () => {
  it('retries a request whose worker lost its device, once, and returns the retry’s result', async () => {
    const { pool, calls } = fakePool([lost(), 42]);
    const out = await scheduler(pool).submit(feeds(), 1, { transfer: false });
    expect(Array.from(out.y.data as Float32Array)).toEqual([42]);
    expect(calls).toEqual([7, 7]);
  });

  it('a second loss rejects with DeviceLostError (its class kept), saying it was retried', async () => {
    const { pool } = fakePool([lost(), lost(), 1]);
    const error = await scheduler(pool).submit(feeds(), 1, { transfer: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceLostError);
    expect(error).toMatchObject({ code: 'DEVICE_LOST', details: { retries: 1, inputsMoved: false, reason: 'unknown' } });
  });

  it('inputs transferred to the lost worker cannot be retried: DeviceLostError at once', async () => {
    const { pool, calls } = fakePool([lost(), 1]);
    const data = new Float32Array([7]);
    const submitted = scheduler(pool).submit({ x: { type: 'float32', data, dims: [1, 1] } }, 1, { transfer: true });
    structuredClone(data.buffer, { transfer: [data.buffer] }); // as posting it would
    const error = await submitted.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEVICE_LOST', details: { inputsMoved: true } });
    expect(calls).toHaveLength(1);
  });

  it('out of memory is not retried: the same allocation would fail again', async () => {
    const { pool, calls } = fakePool([new OutOfMemoryError('Out of memory running a wasm session', { stage: 'run' }), 1]);
    const error = await scheduler(pool).submit(feeds(), 1, { transfer: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect(calls).toHaveLength(1);
  });

  it('a crash is still retried as before', async () => {
    const { pool } = fakePool([new WorkerCrashedError('gone', {}), 5]);
    const out = await scheduler(pool).submit(feeds(), 1, { transfer: false });
    expect(Array.from(out.y.data as Float32Array)).toEqual([5]);
  });
});
