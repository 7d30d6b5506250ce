/** The benchmark's command line: presets and narrowing (no browser). */
import { describe, expect, it } from 'vitest';
import { parseArgs } from './plan.js';

describe('bench command line', () => {
  it('presets and narrowing', () => {
    const quick = parseArgs(['--quick']).plan;
    expect(quick.preset).toBe('quick');
    expect(quick.browsers).toEqual(['chromium']);
    expect(quick.suites).not.toContain('cachebench');
    const narrowed = parseArgs(['--browsers', 'firefox,webkit', '--models', 'mnist', '--batches', '1,4']).plan;
    expect(narrowed.browsers).toEqual(['firefox', 'webkit']);
    expect(narrowed.models).toEqual(['mnist']);
    expect(narrowed.batches.mnist).toEqual([1, 4]);
    expect(narrowed.concurrency.cells.every((c) => c.model === 'mnist')).toBe(true);
    expect(() => parseArgs(['--browsers', 'safari'])).toThrow(/Unknown browsers/);
    expect(() => parseArgs(['--frobnicate'])).toThrow(/Unknown option/);
  });
});
