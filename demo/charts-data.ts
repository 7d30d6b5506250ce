/** Data shaping for the charts, kept apart from Chart.js so that it can be unit-tested without a DOM. */

/** Bin edges in ms: 5 per decade from 0.1 ms to 100 s, so fast and slow models share one axis. */
const edges = Array.from({ length: 31 }, (_, k) => 10 ** (-1 + k / 5));

function edgeLabel(ms: number): string {
  return ms < 1 ? ms.toFixed(2) : ms < 10 ? ms.toFixed(1) : ms < 1000 ? ms.toFixed(0) : `${(ms / 1000).toFixed(1)}s`;
}

/** Counts per log-spaced bin, trimmed to the bins that are used. */
export function histogram(values: readonly number[]): { labels: string[]; counts: number[] } {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    let i = 0;
    while (i < edges.length && v >= edges[i]) i++;
    counts[i]++;
  }
  const first = counts.findIndex((c) => c > 0);
  if (first < 0) return { labels: [], counts: [] };
  let last = counts.length - 1;
  while (counts[last] === 0) last--;
  const labels = [];
  for (let i = first; i <= last; i++) {
    const lo = i === 0 ? 0 : edges[i - 1];
    labels.push(i === edges.length ? `≥ ${edgeLabel(lo)}` : `${edgeLabel(lo)}–${edgeLabel(edges[i])}`);
  }
  return { labels, counts: counts.slice(first, last + 1) };
}
