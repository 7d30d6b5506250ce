/**
 * Candidates whose time is within this fraction of the fastest's are tied, and the cheaper one wins:
 * it leaves cores to the page, and fewer threads also lose less when requests come sparsely. Kept
 * small: the benchmark's independent measurement disagrees with the tuner's by more than this from
 * run to run (with 5 %, one cell of 24 over two runs went to a choice 1.22× slower than the fastest).
 */
export const tieMargin = 0.03;

export interface Costed {
  threads: number;
  workers: number;
}

/** Fewer cores kept busy (threads × workers); equal ones are no cheaper (a pool often outruns threads). */
function cheaper(a: Costed, b: Costed): boolean {
  return a.threads * a.workers < b.threads * b.workers;
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
