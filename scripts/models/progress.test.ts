import { describe, expect, it } from 'vitest';
import { buildIntro, buildProgress, verboseRequested } from './progress.js';

describe('model build progress', () => {
  it('prints a numbered line as each model starts and one as it finishes, with its time; figures only when verbose', async () => {
    for (const verbose of [false, true]) {
      const lines: string[] = [];
      const progress = buildProgress((l) => lines.push(l), verbose);
      progress.expect(2);
      const out = await progress.model('a.onnx', async () => (progress.detail('a: accuracy 97 %'), 7), (n) => `${n} KB`);
      await progress.model('b.onnx', async () => undefined);
      expect(out).toBe(7);
      expect(lines.filter((l) => l.includes('accuracy'))).toHaveLength(verbose ? 1 : 0);
      const steps = lines.filter((l) => !l.includes('accuracy'));
      expect(steps[0]).toBe('1/2 a.onnx …');
      expect(steps[1]).toMatch(/^1\/2 a\.onnx done in \d+\.\d s, 7 KB$/);
      expect(steps[2]).toBe('2/2 b.onnx …');
      expect(steps[3]).toMatch(/^2\/2 b\.onnx done in \d+\.\d s$/);
    }
  });

  it('says why it builds, about how long it takes, and that later runs reuse the models', () => {
    const first = buildIntro([{ name: 'mnist', why: 'missing' }, { name: 'ppocr', why: 'missing' }], 'models/', true);
    expect(first).toBe("First run: building the demo's models into models/. This takes a minute or two; later runs reuse the models until their sources change.");
    const changed = buildIntro([{ name: 'ppocr', why: { changed: 'scripts/ocr/page.ts' }, lastMs: 48_000 }], 'models/', false);
    expect(changed).toContain('Rebuilding the ppocr models in models/: scripts/ocr/page.ts changed since they were built');
    expect(changed).toContain('The last build took 48 s');
    expect(buildIntro([{ name: 'mnist', why: 'missing', lastMs: 3000 }], 'models/', false)).toMatch(/^Building the mnist models missing from models\//);
  });

  it('is verbose with --verbose or PAGEINFER_VERBOSE set, except to 0 or nothing', () => {
    expect(verboseRequested(true, undefined)).toBe(true);
    expect(verboseRequested(undefined, '1')).toBe(true);
    expect(verboseRequested(undefined, '0')).toBe(false);
    expect(verboseRequested(undefined, '')).toBe(false);
    expect(verboseRequested(undefined, undefined)).toBe(false);
  });
});
