/**
 * Candidates whose time is within this fraction of the fastest's are tied: run to run, the noise of
 * a busy machine is about that large, and the cheaper candidate then wins. It leaves cores to the
 * page, and fewer threads also lose less when requests come sparsely.
 */
export const tieMargin = 0.05;

export interface Costed {
  threads: number;
  workers: number;
}

/** Cores kept busy first, then workers (each holds a copy of the model). */
function cheaper(a: Costed, b: Costed): boolean {
  const ca = a.threads * a.workers;
  const cb = b.threads * b.workers;
  return ca !== cb ? ca < cb : a.workers < b.workers;
}

/**
 * The fastest by `time` (ms per request or per row; lower is better; NaN counts as never),
 * and the winner: the cheapest of those tied with it.
 */
export function pickWinner<T>(items: readonly T[], time: (t: T) => number, costOf: (t: T) => Costed): { winner: T; fastest: T } {
  const t = (x: T) => (Number.isFinite(time(x)) ? time(x) : Infinity);
  const fastest = items.reduce((b, x) => (t(x) < t(b) ? x : b));
  const tied = items.filter((x) => t(x) <= t(fastest) * (1 + tieMargin));
  const winner = tied.reduce((b, x) => (cheaper(costOf(x), costOf(b)) ? x : b), fastest);
  return { winner, fastest };
}
