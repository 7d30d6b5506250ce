import type { Replica } from '../pool/replica.js';
import { quantile } from '../profile/stats.js';
import type { Feeds } from '../tensor/types.js';
import type { Serve } from './serve.js';

/** Samples of one candidate, one per round. */
export interface Samples {
  latency1: number[];
  latencyN: number[];
  rowsPerSecond: number[];
}

export interface Measured {
  replicas: Replica[];
  /** Requests as a loaded model sends them (see servingPath): the latency samples go through it. */
  serve: Serve;
  samples: Samples;
  /** Warmed up by an earlier measure() (a playoff's leader): not warmed again. */
  warm?: boolean;
}

/** Each candidate runs this long before it is timed: V8 tiers ORT's wasm up in the background for a while after a load. */
const warmupMs = 200;
/** Measurement rounds, interleaved across candidates so that drift on a busy machine hits them all alike. */
const maxRounds = 7;
/**
 * One sample is this much back-to-back work, not one run: a run of a few ms is at the mercy of
 * one time slice of a busy machine, and a multi-threaded session whose pool threads went to
 * sleep while other candidates ran needs a few runs to wake them.
 */
const sampleMs = 25;
/**
 * Untimed work before a sample, per extra thread. ORT's pool threads spin-wait after a run (its global
 * thread pool has no switch to stop that) and keep cores busy for a while: measured from /proc/stat
 * after a burst on 2 cores, about 30 ms for 2 threads in Chromium and Firefox, 60 ms in WebKitGTK,
 * and 120 ms at full load for 4 threads there; the candidate timed next must not pay for it. And a
 * multi-threaded session that sat idle runs slow for tens of ms, not one run (in Chromium, 2 threads:
 * 2.0 ms against 0.5 over a whole 25 ms window), until its threads are spread over the cores again.
 */
const spinMs = 50;

/**
 * Warm-up, then rounds in a rotating order. Each sample starts with untimed requests (they wake
 * the candidate's threads while the previous candidate's stop spinning). The objective's figure
 * is then timed over `sampleMs` of back-to-back work: the median latency at batch 1, of requests
 * sent through the serving path as `model.run` sends them, or rows/s with every worker kept busy;
 * the other figures (shown, not ranked) over a few requests. At least one round runs; more while
 * the budget lasts.
 */
export async function measure(live: Measured[], probe: (rows: number) => Feeds, objective: 'latency' | 'throughput', rows: number, deadline: number, signal?: AbortSignal): Promise<void> {
  const run = (replica: Replica, n: number) => replica.run(structuredClone(probe(n)), n, true, signal);
  /** One request through the serving path, timed. */
  const served = async (l: Measured, n: number) => {
    const t = performance.now();
    await l.serve(structuredClone(probe(n)), n);
    return performance.now() - t;
  };
  /** Median request time: over a window of back-to-back requests for the objective's figure, else over `min` requests. */
  const latency = async (l: Measured, n: number, min: number, windowed: boolean) => {
    const times: number[] = [];
    const end = windowed ? Math.min(deadline, performance.now() + sampleMs) : 0;
    while (times.length < min || performance.now() < end) times.push(await served(l, n));
    return quantile(times, 0.5);
  };
  // Every worker of a candidate warms up: each tiers its own copy of the code up.
  for (const l of live.filter((m) => !m.warm)) {
    l.warm = true;
    const until = Math.min(deadline, performance.now() + warmupMs);
    for (let i = 0; i < 2 || performance.now() < until; i++) await Promise.all(l.replicas.map((r) => run(r, i % 2 ? rows : 1)));
  }
  let previous = live[live.length - 1];
  for (let k = 0; k < maxRounds && (k === 0 || performance.now() < deadline); k++) {
    for (let c = 0; c < live.length; c++) {
      const l = live[(c + k) % live.length];
      // Untimed, while the previous candidate's threads stop spinning and this one's wake up and spread over the cores.
      const woken = previous === l ? 0 : performance.now() + spinMs * (Math.max(threadsOf(previous), threadsOf(l)) - 1);
      do await served(l, 1);
      while (performance.now() < woken);
      previous = l;
      l.samples.latency1.push(await latency(l, 1, 3, objective === 'latency'));
      if (rows !== 1) l.samples.latencyN.push(await latency(l, rows, 1, false));
      if (objective === 'throughput') {
        // Two sample lengths at least, more for a pool: its workers finish their last jobs at different times, and that tail counts.
        const end = Math.min(deadline, performance.now() + sampleMs * Math.max(2, l.replicas.length));
        l.samples.rowsPerSecond.push(await throughput(l.replicas, probe(rows), rows, end, signal));
      }
    }
  }
}

function threadsOf(m: Measured): number {
  return Math.max(...m.replicas.map((r) => r.handle.threads));
}

/**
 * Rows per second of the whole set with every replica kept busy until `end`:
 * two jobs in flight each, pipelined as the scheduler does (after one untimed job each).
 */
async function throughput(replicas: Replica[], feeds: Feeds, rows: number, end: number, signal?: AbortSignal): Promise<number> {
  const run = (r: Replica) => r.run(structuredClone(feeds), rows, true, signal);
  await Promise.all(replicas.map(run));
  let done = 0;
  const t = performance.now();
  // At least two jobs a lane, so that the drain at the end is a small part of the sample.
  const lane = async (r: Replica) => {
    for (let i = 0; i < 2 || performance.now() < end; i++) {
      await run(r);
      done += rows;
    }
  };
  await Promise.all(replicas.flatMap((r) => [lane(r), lane(r)]));
  return (done * 1000) / (performance.now() - t);
}
