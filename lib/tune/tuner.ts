import { PageInferError, TimeoutError } from '../errors/index.js';
import { Replica, type SessionConfig } from '../pool/replica.js';
import type { Feeds, Outputs, ValueInfo } from '../tensor/types.js';
import { zeroFeeds } from '../tensor/zeros.js';
import { agreement } from './compare.js';
import type { TuneCandidateReport, TuneCandidate, TuneOptions, TuningInfo } from './types.js';

export interface TuneRequest {
  bytes: Uint8Array;
  candidates: TuneCandidate[];
  base: Omit<SessionConfig, 'backend' | 'threads' | 'graphOptimizationLevel' | 'ortModuleUrl'>;
  options: TuneOptions;
  /** Rows of the batches the scheduler will form: 1 for streaming, maxBatch too for batching. */
  scoreRows: number;
  objective: 'latency' | 'throughput';
  signal?: AbortSignal;
}

export interface TuneOutcome {
  info: Omit<TuningInfo, 'key' | 'source'>;
  /** The winner's sessions, ready to serve (the pool adopts them). */
  replicas: Replica[];
  config: SessionConfig;
}

const defaultBudgetMs = 5000;

/**
 * Measures each candidate in fresh workers, within the budget, checks its
 * outputs against the wasm reference, and keeps the fastest correct one.
 */
export async function tune(request: TuneRequest): Promise<TuneOutcome> {
  const { candidates, options, objective, scoreRows } = request;
  const budgetMs = options.budgetMs ?? defaultBudgetMs;
  const minCosine = options.minCosine ?? 0.995;
  const maxRelativeError = options.maxRelativeError ?? 0.05;
  const started = performance.now();
  /** The budget counts from the end of the wasm reference, which always runs. */
  let budgetStart = started;
  const reports: TuneCandidateReport[] = [];
  let reference: Outputs | null = null;
  let probe: ((rows: number) => Feeds) | null = null;
  let best: { report: TuneCandidateReport; replicas: Replica[]; config: SessionConfig } | null = null;

  for (const candidate of candidates) {
    const isReference: boolean = reference === null && candidate.backend === 'wasm' && candidate.workers === 1 && !candidate.ortModuleUrl;
    const elapsed = performance.now() - budgetStart;
    const report: TuneCandidateReport = { ...candidate, status: 'skipped', latencyMs: {}, ms: 0 };
    reports.push(report);
    if (!isReference && elapsed >= budgetMs) {
      report.reason = `not tried: the ${budgetMs} ms budget was spent`;
      continue;
    }
    // The reference always completes; others are cut at the budget.
    const cut = new AbortController();
    const timer = isReference ? undefined : setTimeout(() => cut.abort(new TimeoutError(`ran past the ${budgetMs} ms tuning budget`, { budgetMs })), budgetMs - elapsed);
    const signal = request.signal ? AbortSignal.any([request.signal, cut.signal]) : cut.signal;
    const config: SessionConfig = {
      ...request.base,
      backend: candidate.backend,
      threads: candidate.threads,
      graphOptimizationLevel: candidate.graphOptimizationLevel,
      ortModuleUrl: candidate.ortModuleUrl,
    };
    const t0 = performance.now();
    const replicas: Replica[] = [];
    try {
      for (let i = 0; i < candidate.workers; i++) replicas.push(await Replica.open(request.bytes, config, signal));
      probe ??= probeFeeds(replicas[0].handle.inputs, options.inputs);
      const first = replicas[0];
      const outputs = (await first.run(structuredClone(probe(1)), 1, true, signal)).outputs; // a copy: runs move their inputs
      if (reference === null) reference = isReference ? outputs : null;
      if (!isReference && reference) {
        const a = agreement(reference, outputs);
        if (typeof a === 'string') throw new PageInferError(`outputs differ in shape from wasm: ${a}`);
        report.maxAbsDiff = a.maxAbsDiff;
        report.cosine = a.cosine;
        if (a.cosine < minCosine || a.maxAbsDiff > maxRelativeError * Math.max(a.scale, 1e-6)) {
          report.status = 'wrong';
          report.reason = `outputs disagree with the wasm reference (max |diff| ${fmt(a.maxAbsDiff)} on values up to ${fmt(a.scale)}, cosine ${a.cosine.toFixed(4)})`;
          continue;
        }
      }
      for (const rows of [...new Set([1, scoreRows])]) report.latencyMs[rows] = await medianLatency(first, probe(rows), rows, signal);
      if (objective === 'throughput') report.rowsPerSecond = await throughput(replicas, probe(scoreRows), scoreRows, signal);
      report.status = 'ok';
      if (!best || better(report, best.report, objective)) {
        if (best) for (const r of best.replicas) void r.dispose();
        best = { report, replicas: replicas.splice(0), config };
      }
    } catch (error) {
      report.status = 'failed';
      report.reason = (error as Error).message;
      if (isReference) reference = null;
      if (request.signal?.aborted) throw request.signal.reason;
    } finally {
      clearTimeout(timer);
      report.ms = round(performance.now() - t0);
      if (isReference) budgetStart = performance.now();
      for (const r of replicas) void r.dispose();
    }
  }
  if (!best) throw new PageInferError(`No tuning candidate could run this model: ${reports.map((r) => `${r.label}: ${r.reason}`).join('; ')}`, { candidates: reports });
  best.report.status = 'winner';
  const describe = objective === 'latency' ? 'latency of one request (batch 1)' : `throughput at batch ${scoreRows}`;
  return {
    replicas: best.replicas,
    config: best.config,
    info: {
      winner: best.report.label,
      why: explain(best.report, reports, objective, scoreRows),
      objective: describe,
      candidates: reports,
      budgetMs,
      elapsedMs: round(performance.now() - started),
      measuredAt: new Date().toISOString(),
      table: table(reports, scoreRows),
    },
  };
}

function better(a: TuneCandidateReport, b: TuneCandidateReport, objective: 'latency' | 'throughput'): boolean {
  return objective === 'latency' ? a.latencyMs[1] < b.latencyMs[1] : (a.rowsPerSecond ?? 0) > (b.rowsPerSecond ?? 0);
}

function score(r: TuneCandidateReport, objective: 'latency' | 'throughput'): string {
  return objective === 'latency' ? `${fmt(r.latencyMs[1])} ms` : `${Math.round(r.rowsPerSecond ?? 0)} rows/s`;
}

function explain(winner: TuneCandidateReport, all: TuneCandidateReport[], objective: 'latency' | 'throughput', rows: number): string {
  const others = all.filter((r) => r !== winner);
  const parts = others.map((r) => {
    if (r.status === 'ok') {
      const ratio = objective === 'latency' ? r.latencyMs[1] / winner.latencyMs[1] : (winner.rowsPerSecond ?? 0) / (r.rowsPerSecond ?? 1);
      return `${r.label} ${score(r, objective)} (${ratio.toFixed(2)}× slower)`;
    }
    return `${r.label} ${r.status}: ${r.reason}`;
  });
  const head = `${winner.label} is the fastest correct candidate: ${score(winner, objective)}${objective === 'throughput' ? ` at batch ${rows}` : ' at batch 1'}`;
  return parts.length ? `${head}; ${parts.join('; ')}` : head;
}

function table(reports: TuneCandidateReport[], rows: number): string {
  const header = ['candidate', 'status', 'b1 ms', `b${rows} ms`, 'rows/s', 'max|diff|', 'note'];
  const lines = reports.map((r) => [
    r.label,
    r.status,
    r.latencyMs[1] !== undefined ? fmt(r.latencyMs[1]) : '-',
    r.latencyMs[rows] !== undefined ? fmt(r.latencyMs[rows]) : '-',
    r.rowsPerSecond !== undefined ? String(Math.round(r.rowsPerSecond)) : '-',
    r.maxAbsDiff !== undefined ? fmt(r.maxAbsDiff) : '-',
    r.reason ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

async function medianLatency(replica: Replica, feeds: Feeds, rows: number, signal: AbortSignal): Promise<number> {
  await replica.run(structuredClone(feeds), rows, true, signal); // warm-up
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await replica.run(structuredClone(feeds), rows, true, signal);
    times.push(performance.now() - t);
  }
  return round(times.sort((a, b) => a - b)[2]);
}

/** All replicas busy at once, three rounds each: rows per second of the whole set. */
async function throughput(replicas: Replica[], feeds: Feeds, rows: number, signal: AbortSignal): Promise<number> {
  const t = performance.now();
  await Promise.all(
    replicas.map(async (r) => {
      for (let i = 0; i < 3; i++) await r.run(structuredClone(feeds), rows, true, signal);
    }),
  );
  return (replicas.length * 3 * rows * 1000) / (performance.now() - t);
}

/** Probe inputs: the caller's (for batch 1) or seeded random values; other batch sizes repeat rows. */
function probeFeeds(inputs: readonly ValueInfo[], given?: Feeds): (rows: number) => Feeds {
  const cache = new Map<number, Feeds>();
  return (rows) => {
    let feeds = cache.get(rows);
    if (feeds) return feeds;
    if (given && rows === 1) feeds = given;
    else {
      const zero = zeroFeeds(inputs, rows);
      if (!zero) throw new PageInferError('tuning needs probe inputs: an input has a dim with no known size (pass tune.inputs or freeDimensionOverrides)');
      let seed = 12345;
      for (const t of Object.values(zero)) {
        if (t.data instanceof Float32Array || t.data instanceof Float64Array) {
          const d = t.data as Float32Array;
          for (let i = 0; i < d.length; i++) d[i] = ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296) * 2 - 1;
        }
      }
      feeds = zero;
    }
    cache.set(rows, feeds);
    return feeds;
  };
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toPrecision(2);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
