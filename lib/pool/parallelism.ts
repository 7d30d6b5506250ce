import { epochNow } from '../probe/clock.js';
import { maxAutoThreads } from './size.js';
import { WorkerHost } from '../worker/host.js';
import type { WorkerFactory } from '../worker/spawn.js';
import type { Parallelism } from '../probe/types.js';

/** One timed window of spinning, alone or side by side. */
const windowMs = 20;
/** Each worker spins this long, untimed, before the windows. */
const warmupMs = 30;
/** Alone / side-by-side pairs; the best of each counts (interference only ever slows a window down). */
const pairs = 2;
/** Below this share of the reported cores, the measurement is believed over the report. */
const trustShare = 0.6;

/**
 * How many cores the workers really get. `navigator.hardwareConcurrency` can be wrong (WebKitGTK
 * reports 4 on 2 cores, and ORT at 4 threads there runs 4× slower than at 2): `workers` workers
 * spin side by side, and their summed speed over one worker's alone is the parallelism measured.
 */
export async function measureParallelism(workers: number, createWorker?: WorkerFactory): Promise<number> {
  const hosts = Array.from({ length: workers }, () => new WorkerHost(createWorker));
  try {
    const call = <T>(h: WorkerHost, fn: (api: WorkerHost['api']) => Promise<T>) => h.call(fn, { what: 'parallelism probe', timeoutMs: 5000 });
    // Every worker started, and its spin loop compiled: a window timed while the JIT still works on it runs slow,
    // and a slow window alone reads as parallelism (Firefox measured 2.8–3.5 on 2 cores so).
    await Promise.all(hosts.map((h) => call(h, (api) => api.spin(0, warmupMs))));
    let alone = 0;
    let together = 0;
    const spinAlone = async () => (alone = Math.max(alone, await call(hosts[0], (api) => api.spin(epochNow() + 2, windowMs))));
    for (let i = 0; i < pairs; i++) {
      await spinAlone();
      // A common window a few ms ahead, so that the workers spin at once although the messages arrive one
      // by one. Work is counted over that window: a worker that started late did less, it did not go faster.
      const startAt = epochNow() + 5 + 2 * workers;
      const runs = await Promise.all(hosts.map((h) => call(h, (api) => api.spin(startAt, windowMs))));
      together = Math.max(together, runs.reduce((sum, chunks) => sum + chunks, 0));
    }
    // Once more alone, last: the JIT can take longer than the warm-up to make a worker's loop fast, and a window
    // alone timed before that (with the side-by-side ones after it) reads as more cores than there are.
    await spinAlone();
    if (!(alone > 0)) throw new Error('one worker alone counted no work');
    return together / alone;
  } finally {
    for (const h of hosts) h.terminate('parallelism probe done');
  }
}

/**
 * The cores to size threads and workers by. A measurement well below the report wins (rounded,
 * at least 2: a busy moment must not collapse a multi-core device to 1); else the report stands,
 * as all-core clocks and other tabs make any measurement read a little low.
 */
export function effectiveCores(reported: number, measured: number | null): Pick<Parallelism, 'cores' | 'why'> {
  if (measured === null || !Number.isFinite(measured)) return { cores: reported, why: `${reported} cores reported (not measured)` };
  const m = measured.toFixed(1);
  if (measured >= trustShare * Math.min(reported, maxAutoThreads)) return { cores: reported, why: `${reported} cores reported; ${m} measured side by side, so the report stands` };
  const cores = Math.min(reported, Math.max(2, Math.round(measured)));
  return { cores, why: `${reported} cores reported, but ${Math.min(reported, maxAutoThreads)} workers spinning side by side ran only ${m}× as fast as one: sized for ${cores}` };
}

const measured = new Map<number, Promise<Parallelism>>();

/** Cores taken without a measurement: the report, or a count the engine was told. */
export function unmeasured(reported: number, why: string, cores = reported): Parallelism {
  return { cores, reported, measured: null, workers: 0, why };
}

/**
 * The device's parallelism, measured once per page (it is the device's, not an engine's). Taken as
 * reported, without a probe: 2 cores or fewer (no room for a thread count wrong enough to matter), and
 * pages without SharedArrayBuffer (wasm runs 1 thread; pools go by the report anyway, see listCandidates).
 */
export function parallelismOf(reported: number, threadsPossible: boolean, createWorker?: WorkerFactory): Promise<Parallelism> {
  if (!threadsPossible) return Promise.resolve(unmeasured(reported, `${reported} cores reported (not measured: without SharedArrayBuffer wasm runs 1 thread)`));
  if (reported <= 2) return Promise.resolve(unmeasured(reported, effectiveCores(reported, null).why));
  let p = measured.get(reported);
  if (!p) {
    const workers = Math.min(reported, maxAutoThreads);
    p = measureParallelism(workers, createWorker).then(
      (value): Parallelism => ({ reported, measured: Math.round(value * 100) / 100, workers, ...effectiveCores(reported, value) }),
      (error: Error) => ({ ...unmeasured(reported, `${reported} cores reported; the parallelism probe failed (${error.message})`), workers }),
    );
    measured.set(reported, p);
  }
  return p;
}
