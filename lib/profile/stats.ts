/** One finished request, split into where its time went (milliseconds). */
export interface RequestSample {
  /** Waiting in the queue until its batch left for a worker. */
  queueMs: number;
  /** Page → worker: posting the batch until the worker started on it. */
  transferInMs: number;
  /** Inside session.run. */
  computeMs: number;
  /** Worker → page: from the end of session.run until outputs were in hand. */
  transferOutMs: number;
  /** run() call to result. */
  totalMs: number;
  /** Rows in the batch this request rode in (1 when not coalesced). */
  batchSize: number;
  /** Wall-clock time the request finished (performance.now()). */
  at: number;
}

export interface Distribution {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

export interface ModelStats {
  requests: number;
  errors: number;
  /** Requests per second over the window of kept samples. */
  throughput: number;
  meanBatchSize: number;
  totalMs: Distribution;
  queueMs: Distribution;
  transferInMs: Distribution;
  computeMs: Distribution;
  transferOutMs: Distribution;
}

/** Quantile q ∈ [0, 1] of unsorted samples, interpolated between closest ranks (for the few samples of a tuning round); NaN for none. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
}

/** Nearest-rank percentile of a sorted array (p50/p95/p99 of request timings); 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sorted.length ? sum / sorted.length : 0,
    max: sorted.length ? sorted[sorted.length - 1] : 0,
  };
}

/** Keeps the latest `capacity` samples (a ring), so memory stays bounded on long-running pages. */
export class StatsRecorder {
  private samples: RequestSample[] = [];
  private next = 0;
  private count = 0;
  private errors = 0;

  constructor(private readonly capacity = 4096) {}

  record(sample: RequestSample): void {
    this.count++;
    if (this.samples.length < this.capacity) this.samples.push(sample);
    else this.samples[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
  }

  recordError(): void {
    this.errors++;
  }

  reset(): void {
    this.samples = [];
    this.next = 0;
    this.count = 0;
    this.errors = 0;
  }

  summary(): ModelStats {
    const s = this.samples;
    const pick = (k: keyof RequestSample) => distribution(s.map((x) => x[k]));
    let first = Infinity;
    let last = -Infinity;
    for (const x of s) {
      first = Math.min(first, x.at - x.totalMs);
      last = Math.max(last, x.at);
    }
    const spanS = (last - first) / 1000;
    return {
      requests: this.count,
      errors: this.errors,
      throughput: s.length && spanS > 0 ? s.length / spanS : 0,
      meanBatchSize: s.length ? s.reduce((a, x) => a + x.batchSize, 0) / s.length : 0,
      totalMs: pick('totalMs'),
      queueMs: pick('queueMs'),
      transferInMs: pick('transferInMs'),
      computeMs: pick('computeMs'),
      transferOutMs: pick('transferOutMs'),
    };
  }
}
