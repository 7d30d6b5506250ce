/** Compute time of one batch of `rows` on this device. */
export interface CurvePoint {
  rows: number;
  ms: number;
}

export interface BatchingChoice {
  maxBatch: number;
  maxDelayMs: number;
  reason: string;
}

/**
 * Picks the batch size with the best throughput whose worst case still meets
 * the target. A request's latency is bounded by maxDelay (waiting for company)
 * plus up to two batch compute times (the batch ahead of it, then its own), so
 * we need 2·t(b) ≤ target and give the rest of the budget to maxDelay.
 */
export function chooseBatching(curve: readonly CurvePoint[], targetP95Ms: number): BatchingChoice {
  const fitting = curve.filter((p) => 2 * p.ms <= targetP95Ms);
  if (fitting.length === 0) {
    const smallest = [...curve].sort((a, b) => a.rows - b.rows)[0];
    return {
      maxBatch: smallest?.rows ?? 1,
      maxDelayMs: 0,
      reason: `no batch size meets ${targetP95Ms} ms here (batch ${smallest?.rows} takes ${smallest?.ms.toFixed(2)} ms): no waiting, smallest batches`,
    };
  }
  const best = fitting.reduce((a, b) => (b.rows / b.ms > a.rows / a.ms ? b : a));
  const maxDelayMs = Math.max(0, (targetP95Ms - 2 * best.ms) / 2);
  return {
    maxBatch: best.rows,
    maxDelayMs: round(maxDelayMs),
    reason: `batch ${best.rows} gives the best throughput (${round(best.rows / best.ms)} rows/ms, ${round(best.ms)} ms a batch) within p95 ≤ ${targetP95Ms} ms; maxDelay ${round(maxDelayMs)} ms`,
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Running estimate of compute time per batch size, from observed jobs (exponential moving average). */
export class LatencyCurve {
  private readonly points = new Map<number, number>();

  constructor(initial: readonly CurvePoint[] = [], private readonly alpha = 0.2) {
    for (const p of initial) this.points.set(p.rows, p.ms);
  }

  observe(rows: number, ms: number): void {
    const prev = this.points.get(rows);
    this.points.set(rows, prev === undefined ? ms : prev + this.alpha * (ms - prev));
  }

  get curve(): CurvePoint[] {
    return [...this.points].map(([rows, ms]) => ({ rows, ms })).sort((a, b) => a.rows - b.rows);
  }
}
