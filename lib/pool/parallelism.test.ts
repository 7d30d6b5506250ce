import { describe, expect, it } from 'vitest';
import { effectiveCores } from './parallelism.js';

describe('effectiveCores', () => {
  it('keeps the report when nothing (or nothing usable) was measured', () => {
    expect(effectiveCores(2, null).cores).toBe(2);
    expect(effectiveCores(4, Number.NaN).cores).toBe(4);
  });

  it('believes a measurement well below the report (WebKitGTK: 4 reported on 2 cores)', () => {
    const r = effectiveCores(4, 1.95);
    expect(r.cores).toBe(2);
    expect(r.why).toMatch(/4 cores reported, but 4 workers .* 1\.9× as fast as one: sized for 2/);
  });

  it('keeps the report when the measurement reads only a little low (all-core clocks, other tabs)', () => {
    expect(effectiveCores(4, 2.6).cores).toBe(4);
    expect(effectiveCores(16, 6.5).cores).toBe(16); // 8 workers measured: 6.5 of 8
  });

  it('never sizes a multi-core report below 2 cores: a busy moment is not a single-core device', () => {
    expect(effectiveCores(8, 0.9).cores).toBe(2);
    expect(effectiveCores(3, 1.1).cores).toBe(2);
  });

  it('never raises the report', () => {
    expect(effectiveCores(4, 2.4).cores).toBe(4);
    expect(effectiveCores(6, 3.4).cores).toBe(3);
  });
});
