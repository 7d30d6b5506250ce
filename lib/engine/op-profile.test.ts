import { describe, expect, it } from 'vitest';
import { endProfilingDeadlineMs } from './op-profile.js';

describe('endProfiling deadline', () => {
  it('grows with the trace events a profile prints (nodes × runs), from 10 s', () => {
    expect(endProfilingDeadlineMs(20, 11)).toBe(10_440); // MNIST CNN int8
    expect(endProfilingDeadlineMs(882, 11)).toBe(29_404); // PP-OCRv4 rec int8: past the old fixed 10 s
    expect(endProfilingDeadlineMs(882, 4)).toBeLessThan(endProfilingDeadlineMs(882, 11));
  });
});
