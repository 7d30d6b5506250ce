import { describe, expect, it } from 'vitest';
import { pickWinner, tieMargin } from './rank.js';

const c = (label: string, ms: number, threads: number, workers = 1) => ({ label, ms, threads, workers });
const pick = (items: ReturnType<typeof c>[]) => {
  const { winner, fastest } = pickWinner(items, (x) => x.ms, (x) => x);
  return [winner.label, fastest.label];
};

describe('pickWinner', () => {
  it('takes the fastest when no cheaper candidate is within the margin', () => {
    expect(pick([c('1t', 0.74, 1), c('2t', 0.6, 2)])).toEqual(['2t', '2t']);
  });
  it('takes the cheapest of the candidates tied with the fastest', () => {
    expect(pick([c('2t', 0.29, 2), c('1t', 0.28 * (1 + tieMargin * 0.9), 1), c('4t', 0.28, 4), c('1t, past the margin', 0.28 * (1 + tieMargin * 1.1), 1)])).toEqual(['1t', '4t']);
  });
  it('counts the cores a candidate keeps busy, and keeps the fastest among equally cheap ones', () => {
    expect(pick([c('2 workers', 1.0, 1, 2), c('2 threads', 1.01, 2, 1)])).toEqual(['2 workers', '2 workers']);
    expect(pick([c('4 workers', 1.0, 1, 4), c('2 workers', 1.02, 1, 2)])).toEqual(['2 workers', '4 workers']);
  });
  it('never picks an unmeasured candidate', () => {
    expect(pick([c('1t', NaN, 1), c('2t', 0.5, 2)])).toEqual(['2t', '2t']);
  });
});
