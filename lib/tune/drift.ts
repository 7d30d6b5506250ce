import type { TuningInfo } from './types.js';

/** Single-row jobs to see before judging. */
const minJobs = 32;
/** Compute alone this many times the tuned round trip means the device changed (thermal, other load, driver). */
const factor = 3;

/**
 * Watches single-row compute times against the tuned latency. When they drift
 * far above it, `onDrift` runs once: the caller forgets the decision so the
 * next load measures again.
 */
export function driftWatcher(tuning: TuningInfo, onDrift: (message: string) => void): (rows: number, computeMs: number) => void {
  const tuned = tuning.candidates.find((c) => c.status === 'winner')?.latencyMs[1];
  let jobs = 0;
  let average = 0;
  let fired = false;
  return (rows, computeMs) => {
    if (fired || rows !== 1 || tuned === undefined) return;
    jobs++;
    average += (computeMs - average) / Math.min(jobs, minJobs); // a running mean, then a moving one
    if (jobs >= minJobs && average > factor * tuned) {
      fired = true;
      onDrift(`compute at batch 1 now averages ${average.toFixed(2)} ms against ${tuned} ms when tuned: the decision is dropped and the next load tunes again`);
    }
  };
}
