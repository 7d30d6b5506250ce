import { PageInferError, TimeoutError } from '../errors/index.js';
import { Replica, type SessionConfig } from '../pool/replica.js';
import type { Feeds, Outputs } from '../tensor/types.js';
import { agreement } from './compare.js';
import { quantile } from '../profile/stats.js';
import { measure, type Measured } from './measure.js';
import { probeFeeds } from './probe.js';
import { servingPath } from './serve.js';
import { pickWinner, tieMargin } from './rank.js';
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
/** Rounds a candidate needs before it can win against one measured over more (see rank). */
const minRoundsToWin = 3;

interface Built {
  replicas: Replica[];
  config: SessionConfig;
}

interface Live extends Built, Measured {
  report: TuneCandidateReport;
  /** Set on a winner that is not the fastest but tied with it, and cheaper. */
  tiedWith?: TuneCandidateReport;
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
  /**
   * Candidates measured later, one at a time against the leader: worker pools (built once the single
   * sessions are ranked and the beaten ones released), and candidates that ran out of memory alongside the others.
   */
  const deferred: Array<{ candidate: TuneCandidate; report: TuneCandidateReport; outOfMemory: boolean }> = [];
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
    const stalls = built.replicas.flatMap((r) => r.startStalls);
    if (stalls.length) report.reason = `${stalls[0]}: built again in a fresh worker${stalls.length > 1 ? ` (${stalls.length} times)` : ''}`;
    probe ??= probeFeeds(built.replicas[0].handle.inputs, options.inputs, request.base.freeDimensionOverrides);
    const verdict: Verdict = await verify(built.replicas[0], probe, reference, options, request.signal).catch((error: Error) => {
      if (request.signal?.aborted) throw request.signal.reason;
      return { failed: error.message } as const;
    });
    report.ms = round(performance.now() - t0);
    if ('outputs' in verdict) {
      if (isReference) reference = verdict.outputs;
      Object.assign(report, verdict.agreement);
      return { report, ...built, serve: servingPath(built.replicas, request.bytes, built.config), samples: { latency1: [], latencyN: [], rowsPerSecond: [] } };
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
        report.reason = spent(budgetMs);
        continue;
      }
      // A pool multiplies the live sessions (WebKitGTK stalls building the 8th or 9th ORT instance) and its
      // idle workers disturb the others' samples: pools wait for a playoff, with the beaten candidates gone.
      if (candidate.workers > 1 && live.length > 0) {
        deferred.push({ candidate, report, outOfMemory: false });
        continue;
      }
      const ok = await attempt(candidate, report, isReference);
      if (ok) live.push(ok);
      else if (live.length > 0 && outOfMemory(report.reason)) deferred.push({ candidate, report, outOfMemory: true });
      if (isReference) deadline = performance.now() + budgetMs;
    }
    if (live.length === 0) throw new PageInferError(`No tuning candidate could run this model: ${reports.map((r) => `${r.label}: ${r.reason}`).join('; ')}`, { candidates: reports });
    // Candidates waiting for a playoff get their share of what is left of the budget.
    await measure(live, probe!, objective, scoreRows, shareOf(deadline, deferred.length + 1), request.signal);
    best = rank(live, objective, scoreRows);

    // One playoff per deferred candidate, in its share of what is left of the budget: the beaten
    // candidates are released first, and the challenger is built and measured against the leader alone.
    for (const [i, { candidate, report, outOfMemory }] of deferred.entries()) {
      if (performance.now() >= deadline) {
        report.reason = outOfMemory ? `${report.reason}; not measured: it ran out of memory alongside the other candidates, and the budget was spent before it could run alone with the leader` : spent(budgetMs);
        continue;
      }
      release(live, best);
      live = [best];
      const first = report.reason;
      const challenger = await attempt(candidate, report, false);
      if (!challenger) {
        if (outOfMemory) report.reason = `${first}; built again with only the leader alive: ${report.reason}`;
        continue;
      }
      challenger.report.reason = outOfMemory
        ? 'out of memory alongside the other candidates: built after they were released, measured against the leader'
        : `measured against the leader, ${best.report.label}`;
      // The leader keeps its samples: a playoff late in the budget may get one round, and one sample is a coin toss.
      live = [best, challenger];
      await measure(live, probe!, objective, scoreRows, shareOf(deadline, deferred.length - i), request.signal);
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
      why: explain(best.report, reports, objective, scoreRows, best.tiedWith),
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

/** The deadline of one of `parts` equal shares of the time left until `deadline`. */
function shareOf(deadline: number, parts: number): number {
  return performance.now() + Math.max(0, deadline - performance.now()) / parts;
}

function spent(budgetMs: number): string {
  return `not tried: the ${budgetMs} ms budget was spent`;
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
  const time = (l: Live) => (objective === 'latency' ? quantile(l.samples.latency1, 0.25) : 1 / quantile(l.samples.rowsPerSecond, 0.75));
  for (const l of live) {
    l.report.status = 'ok';
    l.report.latencyMs[1] = round(quantile(l.samples.latency1, 0.25));
    if (scoreRows !== 1) l.report.latencyMs[scoreRows] = round(quantile(l.samples.latencyN, 0.25));
    if (objective === 'throughput') l.report.rowsPerSecond = Math.round(quantile(l.samples.rowsPerSecond, 0.75));
    l.report.rounds = (objective === 'latency' ? l.samples.latency1 : l.samples.rowsPerSecond).map((x) => (objective === 'latency' ? round(x) : Math.round(x)));
  }
  // A late playoff may get one round: one lucky sample must not displace a leader measured over several.
  const rounds = (l: Live) => l.report.rounds!.length;
  const enough = Math.min(minRoundsToWin, Math.max(...live.map(rounds)));
  const { winner, fastest } = pickWinner(live.filter((l) => rounds(l) >= enough), time, (l) => l.report);
  winner.tiedWith = winner === fastest ? undefined : fastest.report;
  for (const l of live) if (rounds(l) < enough) l.report.reason = `${l.report.reason ? `${l.report.reason}; ` : ''}measured in ${rounds(l)} round(s) only, too few to displace ${winner.report.label}`;
  return winner;
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
  try {
    // A pool's workers are built side by side, as Pool.grow builds them.
    const opened = await Promise.allSettled(Array.from({ length: candidate.workers }, () => Replica.open(request.bytes, config, signal)));
    const replicas = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const failed = opened.find((o) => o.status === 'rejected');
    if (!failed) return { replicas, config };
    for (const r of replicas) void r.dispose();
    throw failed.reason;
  } catch (error) {
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

function explain(winner: TuneCandidateReport, all: TuneCandidateReport[], objective: 'latency' | 'throughput', rows: number, tiedWith?: TuneCandidateReport): string {
  const others = all.filter((r) => r !== winner);
  const parts = others.map((r) => {
    if (r.status === 'ok') {
      const ratio = objective === 'latency' ? r.latencyMs[1] / winner.latencyMs[1] : (winner.rowsPerSecond ?? 0) / (r.rowsPerSecond ?? 1);
      return `${r.label} ${score(r, objective)} (${ratio >= 1 ? `${ratio.toFixed(2)}× slower` : `${(1 / ratio).toFixed(2)}× faster`})`;
    }
    return `${r.label} ${r.status}: ${r.reason}`;
  });
  const at = objective === 'throughput' ? ` at batch ${rows}` : ' at batch 1';
  const head = tiedWith
    ? `${winner.label} is within ${tieMargin * 100} % of the fastest correct candidate, ${tiedWith.label}, and is cheaper (fewer threads × workers): ${score(winner, objective)}${at}`
    : `${winner.label} is the fastest correct candidate: ${score(winner, objective)}${at}`;
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
