/**
 * The autotune suite in figures: per cell, the tuned choice against the fastest correct
 * configuration measured independently, and the tuning time. Pure functions (unit-tested).
 */
import type { BenchResults } from './results.js';

export interface TuneRow {
  browser: string;
  model: string;
  variant: string;
  objective: 'latency' | 'throughput';
  winner: string;
  best: string;
  winnerValue: number;
  bestValue: number;
  /** Tuned / fastest (latency) or fastest / tuned (throughput): 1 = the tuner picked the fastest. */
  gap: number;
  /** Goal: within 10 % of the fastest correct configuration. */
  within10: boolean;
  tuningMs: number;
  /** The tuner's candidates measured here without error. */
  candidates: number;
  /** Configurations the reported cores give that the tuner did not list, measured here too. */
  unlisted: number;
  error?: string;
}

export function tuneRows(r: BenchResults): TuneRow[] {
  return (r.tune ?? []).map((t) => ({
    browser: t.browser,
    model: t.model,
    variant: t.variant,
    objective: t.objective,
    winner: t.winner ?? '–',
    best: t.best ?? '–',
    winnerValue: t.winnerValue,
    bestValue: t.bestValue,
    gap: t.gap,
    within10: Number.isFinite(t.gap) && t.gap <= 1.1,
    tuningMs: t.tuningMs,
    candidates: t.measured.filter((m) => !m.error && m.tunerStatus !== 'unlisted').length,
    unlisted: t.measured.filter((m) => !m.error && m.tunerStatus === 'unlisted').length,
    error: t.errors.length ? t.errors.join('; ') : undefined,
  }));
}

/** Cells within 10 %, of all cells that produced a comparison; per browser. */
export function tuneScore(rows: readonly TuneRow[], browser?: string): { within: number; of: number } {
  const mine = rows.filter((x) => (browser === undefined || x.browser === browser) && Number.isFinite(x.gap));
  return { within: mine.filter((x) => x.within10).length, of: mine.length };
}
