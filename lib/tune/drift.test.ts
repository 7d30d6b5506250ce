import { describe, expect, it } from 'vitest';
import { driftWatcher } from './drift.js';
import type { TuningInfo } from './types.js';

const tuning = { candidates: [{ status: 'winner', latencyMs: { 1: 1 } }] } as unknown as TuningInfo;

describe('driftWatcher', () => {
  it('fires once when single-row compute stays far above the tuned latency', () => {
    const messages: string[] = [];
    const watch = driftWatcher(tuning, (m) => messages.push(m));
    for (let i = 0; i < 31; i++) watch(1, 10);
    expect(messages).toHaveLength(0); // not before enough jobs
    for (let i = 0; i < 40; i++) watch(1, 10);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/10\.00 ms against 1 ms/);
  });

  it('stays quiet near the tuned figure and ignores batched jobs', () => {
    const messages: string[] = [];
    const watch = driftWatcher(tuning, (m) => messages.push(m));
    for (let i = 0; i < 100; i++) watch(1, 0.8 + (i % 5) * 0.3);
    for (let i = 0; i < 100; i++) watch(32, 50);
    expect(messages).toHaveLength(0);
  });
});
