import { describe, expect, it } from 'vitest';
import { sizePool } from './size.js';

describe('sizePool', () => {
  it('auto/auto: one worker with all cores as threads, capped at 8', () => {
    expect(sizePool(2, 'auto', 'auto')).toEqual({ threads: 2, workers: 1 });
    expect(sizePool(32, 'auto', 'auto')).toEqual({ threads: 8, workers: 1 });
  });
  it('fixed threads: as many workers as fit in the cores', () => {
    expect(sizePool(2, 1, 'auto')).toEqual({ threads: 1, workers: 2 });
    expect(sizePool(8, 3, 'auto')).toEqual({ threads: 3, workers: 2 });
  });
  it('fixed workers: threads share the cores', () => {
    expect(sizePool(2, 'auto', 2)).toEqual({ threads: 1, workers: 2 });
    expect(sizePool(8, 'auto', 3)).toEqual({ threads: 2, workers: 3 });
  });
  it('both fixed: kept, with a note when they oversubscribe', () => {
    expect(sizePool(2, 2, 2)).toMatchObject({ threads: 2, workers: 2, note: expect.stringContaining('oversubscribe') });
    expect(sizePool(4, 2, 2)).toEqual({ threads: 2, workers: 2 });
  });
  it('never goes below one', () => {
    expect(sizePool(0, 'auto', 'auto')).toEqual({ threads: 1, workers: 1 });
  });
});
