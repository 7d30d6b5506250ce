import { ProfileUnavailableError } from '../errors/index.js';
import { Replica, type SessionConfig } from '../pool/replica.js';
import type { Feeds } from '../tensor/types.js';
import type { TraceEvent } from '../protocol/index.js';
import { summarizeOps, type OpSummary } from '../profile/ops.js';

export interface OpProfileOptions {
  /** Runs to time, after one warm-up run (default 10). */
  runs?: number;
  /** Slowest nodes to list (default 10). */
  top?: number;
  signal?: AbortSignal;
}

export interface OpProfile extends OpSummary {
  backend: SessionConfig['backend'];
  threads: number;
  /** ORT's trace events (Chrome trace format: load them in chrome://tracing or Perfetto). */
  events: TraceEvent[];
}

const warmupRuns = 1;

/**
 * ORT prints its profile on stdout a line per event, which the worker reads back: the time that takes grows with
 * the events (nodes × runs), and with how busy the page is. A fixed 10 s ran out for the demo's PP-OCRv4 rec
 * int8 (882 nodes × 11 runs) on a busy machine; 10 s plus 2 ms an event leaves that profile 29 s.
 */
export function endProfilingDeadlineMs(nodes: number, runs: number): number {
  return 10_000 + 2 * nodes * runs;
}

/**
 * Builds one more session of the model, with ORT's profiler on, in a fresh worker (profiling slows
 * every run, so serving sessions never have it), runs `feeds` through it and summarizes the ops.
 */
export async function profileOps(bytes: Uint8Array, config: SessionConfig, feeds: Feeds, rows: number, options: OpProfileOptions = {}): Promise<OpProfile> {
  if (config.backend === 'webgl') throw new ProfileUnavailableError("ORT's WebGL backend has no per-op profiler that pageinfer can read", { backend: config.backend });
  const runs = Math.max(1, Math.floor(options.runs ?? 10));
  const replica = await Replica.open(bytes, { ...config, enableProfiling: true }, options.signal);
  try {
    for (let i = 0; i < warmupRuns + runs; i++) await replica.run(structuredClone(feeds), rows, true, options.signal);
    const nodes = Object.values(replica.handle.ops).reduce((n, c) => n + c, 0);
    const expected = nodes * (warmupRuns + runs);
    const what = `ending ORT's profile (about ${expected} trace events: ${nodes} nodes × ${warmupRuns + runs} runs; fewer runs, or a quieter page, make it quicker)`;
    const events = await replica.endProfiling(endProfilingDeadlineMs(nodes, warmupRuns + runs), what);
    return { backend: config.backend, threads: config.threads, ...summarizeOps(events, warmupRuns, options.top ?? 10), events };
  } finally {
    await replica.dispose();
  }
}
