import { PageInferError, TimeoutError } from '../errors/index.js';
import { Replica, type SessionConfig } from '../pool/replica.js';
import type { Feeds, Outputs } from '../tensor/types.js';
import { agreement } from './compare.js';
import { measure, quantile, type Measured } from './measure.js';
import { probeFeeds } from './probe.js';
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

interface Built {
  replicas: Replica[];
  config: SessionConfig;
}

interface Live extends Built, Measured {
  report: TuneCandidateReport;
}

/**
 * Builds each candidate in fresh workers (one failure cannot poison the next)
 * and checks its outputs against the wasm reference; then warms the correct
 * ones up and measures them in interleaved rounds, within the budget, and
 * keeps the fastest.
 */
export async function tune(request: TuneRequest): Promise<TuneOutcome> {
  const { candidates, options, objective, scoreRows } = request;
  const budgetMs = options.budgetMs ?? defaultBudgetMs;
  const started = performance.now();
  /** The budget counts from the end of the wasm reference, which always completes. */
  let deadline = Infinity;
  const reports: TuneCandidateReport[] = [];
  let live: Live[] = [];
  /** Candidates that ran out of memory while the others were alive: each gets a playoff against the leader. */
  const deferred: Array<{ candidate: TuneCandidate; report: TuneCandidateReport }> = [];
  let reference: Outputs | null = null;
  let probe: ((rows: number) => Feeds) | null = null;

  /** Builds and verifies one candidate; null (its report says why) when it fails or is wrong. */
  const attempt = async (candidate: TuneCandidate, report: TuneCandidateReport, isReference: boolean): Promise<Live | null> => {
    const t0 = performance.now();
    const built: Built | null = await build(request, candidate, budgetMs, isReference ? undefined : deadline).catch((error: Error) => {
      if (request.signal?.aborted) throw request.signal.reason;
      report.status = 'failed';
      report.reason = error.message;
      return null;
    });
    report.ms = round(performance.now() - t0);
    if (!built) return null;
    probe ??= probeFeeds(built.replicas[0].handle.inputs, options.inputs, request.base.freeDimensionOverrides);
    const verdict: Verdict = await verify(built.replicas[0], probe, reference, options, request.signal).catch((error: Error) => {
      if (request.signal?.aborted) throw request.signal.reason;
      return { failed: error.message } as const;
    });
    report.ms = round(performance.now() - t0);
    if ('outputs' in verdict) {
      if (isReference) reference = verdict.outputs;
      Object.assign(report, verdict.agreement);
      return { report, ...built, samples: freshSamples() };
    }
    report.status = 'failed' in verdict ? 'failed' : 'wrong';
    report.reason = 'failed' in verdict ? verdict.failed : verdict.wrong;
    Object.assign(report, 'agreement' in verdict ? verdict.agreement : {});
    release([built]);
    return null;
  };

  let best: Live;
  try {
    for (const candidate of candidates) {
      const isReference: boolean = reference === null && candidate.backend === 'wasm' && candidate.workers === 1 && !candidate.ortModuleUrl;
      const report: TuneCandidateReport = { ...candidate, status: 'skipped', latencyMs: {}, ms: 0 };
      reports.push(report);
      if (!isReference && performance.now() >= deadline) {
        report.reason = `not tried: the ${budgetMs} ms budget was spent`;
        continue;
      }
      const ok = await attempt(candidate, report, isReference);
      if (ok) live.push(ok);
      else if (live.length > 0 && outOfMemory(report.reason)) deferred.push({ candidate, report });
      if (isReference) deadline = performance.now() + budgetMs;
    }
    if (live.length === 0) throw new PageInferError(`No tuning candidate could run this model: ${reports.map((r) => `${r.label}: ${r.reason}`).join('; ')}`, { candidates: reports });
    // Candidates waiting for a playoff get their share of what is left of the budget.
    const mainDeadline = deferred.length ? performance.now() + Math.max(0, deadline - performance.now()) / (deferred.length + 1) : deadline;
    await measure(live, probe!, objective, scoreRows, mainDeadline, request.signal);
    best = rank(live, objective, scoreRows);

    // Many sessions at once can exhaust the browser's wasm memory (WebKitGTK: about 8 ORT instances):
    // release the beaten candidates and measure the one that did not fit against the leader.
    for (const { candidate, report } of deferred) {
      if (performance.now() >= deadline) {
        report.reason += `; not measured: it ran out of memory alongside the other candidates, and the budget was spent before it could run alone with the leader`;
        continue;
      }
      release(live, best);
      live = [best];
      const first = report.reason;
      const challenger = await attempt(candidate, report, false);
      if (!challenger) {
        report.reason = `${first}; built again with only the leader alive: ${report.reason}`;
        continue;
      }
      challenger.report.reason = 'out of memory alongside the other candidates: built after they were released, measured against the leader';
      best.samples = freshSamples();
      live = [best, challenger];
      await measure(live, probe!, objective, scoreRows, deadline, request.signal);
      best = rank(live, objective, scoreRows);
    }
  } catch (error) {
    release(live);
    throw error;
  }

  release(live, best);
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

/** Ends the sessions of `built` candidates, all but `keep`. */
function release(built: readonly Built[], keep?: Built): void {
  for (const b of built) if (b !== keep) for (const r of b.replicas) void r.dispose();
}

function freshSamples(): Live['samples'] {
  return { latency1: [], latencyN: [], rowsPerSecond: [] };
}

/** A build that failed for want of memory (WebKit, Chromium and Firefox word it differently). */
export function outOfMemory(reason: string | undefined): boolean {
  return /out of memory|could not allocate memory|allocation failed/i.test(reason ?? '');
}

/**
 * The candidates' figures from their samples, and the fastest. Interference (the browser tiering
 * ORT's wasm up in the background, other candidates' threads, other work) only ever adds time,
 * and hits multi-threaded candidates hardest: rank by the lower quartile of the timings (upper,
 * of rows/s). Ranked on unrounded figures, so near-ties are decided by what was measured.
 */
function rank(live: Live[], objective: 'latency' | 'throughput', scoreRows: number): Live {
  const speed = (l: Live) => (objective === 'latency' ? -quantile(l.samples.latency1, 0.25) : quantile(l.samples.rowsPerSecond, 0.75));
  for (const l of live) {
    l.report.status = 'ok';
    l.report.latencyMs[1] = round(quantile(l.samples.latency1, 0.25));
    if (scoreRows !== 1) l.report.latencyMs[scoreRows] = round(quantile(l.samples.latencyN, 0.25));
    if (objective === 'throughput') l.report.rowsPerSecond = Math.round(quantile(l.samples.rowsPerSecond, 0.75));
  }
  return live.reduce((b, l) => (speed(l) > speed(b) ? l : b));
}

/** The candidate's sessions in fresh workers; building past `deadline` is cut (the workers are killed). */
async function build(request: TuneRequest, candidate: TuneCandidate, budgetMs: number, deadline: number | undefined): Promise<Built> {
  const config: SessionConfig = {
    ...request.base,
    backend: candidate.backend,
    threads: candidate.threads,
    graphOptimizationLevel: candidate.graphOptimizationLevel,
    ortModuleUrl: candidate.ortModuleUrl,
  };
  const cut = new AbortController();
  const left = deadline === undefined ? undefined : Math.max(0, deadline - performance.now());
  const timer = left === undefined ? undefined : setTimeout(() => cut.abort(new TimeoutError(`ran past the ${budgetMs} ms tuning budget`, { budgetMs })), left);
  const signal = request.signal ? AbortSignal.any([request.signal, cut.signal]) : cut.signal;
  const replicas: Replica[] = [];
  try {
    for (let i = 0; i < candidate.workers; i++) replicas.push(await Replica.open(request.bytes, config, signal));
    return { replicas, config };
  } catch (error) {
    for (const r of replicas) void r.dispose();
    throw cut.signal.aborted && !request.signal?.aborted ? cut.signal.reason : error; // the caller reports its message
  } finally {
    clearTimeout(timer);
  }
}

type Verdict =
  | { outputs: Outputs; agreement: { maxAbsDiff?: number; cosine?: number } }
  | { wrong: string; agreement: { maxAbsDiff: number; cosine: number } }
  | { failed: string };

/** Runs the probe; outputs that disagree with the reference (cosine, relative max |diff|) are wrong. */
async function verify(replica: Replica, probe: (rows: number) => Feeds, reference: Outputs | null, options: TuneOptions, signal?: AbortSignal): Promise<Verdict> {
  const minCosine = options.minCosine ?? 0.995;
  const maxRelativeError = options.maxRelativeError ?? 0.05;
  const outputs = (await replica.run(structuredClone(probe(1)), 1, true, signal)).outputs; // a copy: runs move their inputs
  if (!reference) return { outputs, agreement: {} };
  const a = agreement(reference, outputs);
  if (typeof a === 'string') return { failed: `outputs differ in shape from wasm: ${a}` };
  const figures = { maxAbsDiff: a.maxAbsDiff, cosine: a.cosine };
  if (a.cosine < minCosine || a.maxAbsDiff > maxRelativeError * Math.max(a.scale, 1e-6)) {
    return { wrong: `outputs disagree with the wasm reference (max |diff| ${fmt(a.maxAbsDiff)} on values up to ${fmt(a.scale)}, cosine ${a.cosine.toFixed(4)})`, agreement: figures };
  }
  return { outputs, agreement: figures };
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

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toPrecision(2);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
