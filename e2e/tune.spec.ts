import { expect, test } from '@playwright/test';
import { expectClose, fixture, fixtureUrl, openHarness } from './helpers.js';

const qdq = fixture('mlp_qdq');

// ORT's default entry: its JSEP WebGPU returns wrong results for uint8 QDQ models (microsoft/onnxruntime#32578).
const jsepEntry = '/node_modules/onnxruntime-web/dist/ort.bundle.min.mjs';

test.describe('autotune', () => {
  test.beforeEach(async ({ page }) => openHarness(page));

  test('the numerics guard rejects a wrong-result candidate, and a failing candidate does not stop the others', async ({ page }) => {
    test.setTimeout(120_000);
    const tuning = await page.evaluate(
      async ([url, jsep]) => {
        const engine = window.pageinfer.createEngine();
        const model = await engine.load(url, {
          tune: { candidates: 'all', budgetMs: 90_000, extra: [{ backend: 'webgpu', label: 'webgpu JSEP (default entry)', ortModuleUrl: jsep }] },
        });
        const result = model.info.tuning!;
        await engine.dispose();
        return result;
      },
      [fixtureUrl('mlp_qdq'), jsepEntry] as const,
    );
    const by = (label: string) => tuning.candidates.find((c) => c.label === label)!;
    const jsep = by('webgpu JSEP (default entry)');
    expect(jsep.status, tuning.table).toBe('wrong');
    expect(jsep.reason).toMatch(/disagree with the wasm reference/);
    expect(jsep.maxAbsDiff).toBeGreaterThan(0.5);
    // WebGL has no int8 kernels: it fails at session creation, and the candidates after it still run.
    const webgl = tuning.candidates.findIndex((c) => c.backend === 'webgl');
    expect(tuning.candidates[webgl]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/no kernels/) });
    expect(tuning.candidates.slice(webgl + 1).some((c) => c.status !== 'skipped' && c.status !== 'failed')).toBe(true);
    // The native WebGPU EP is correct here (slow, on SwiftShader).
    const native = tuning.candidates.find((c) => c.backend === 'webgpu' && !c.ortModuleUrl)!;
    expect(['ok', 'winner']).toContain(native.status);
    expect(native.maxAbsDiff).toBeLessThan(0.05);
    expect(tuning.candidates.filter((c) => c.status === 'winner')).toHaveLength(1);
    expect(tuning.table).toContain('wrong');
    test.info().annotations.push({ type: 'tuning table', description: tuning.table });
  });

  test('a candidate that runs out of memory alongside the others is built again alone with the leader and measured against it', async ({ page }) => {
    const tuning = await page.evaluate(
      async ([url, oomOnce, feeds]) => {
        await caches.delete('pageinfer-test-oom-once');
        const engine = window.pageinfer.createEngine();
        const model = await engine.load(url, { tune: { budgetMs: 30_000, extra: [{ backend: 'wasm', label: 'wasm, out of memory at first', ortModuleUrl: oomOnce }] } });
        const result = model.info.tuning!;
        const out = await model.run(window.harness.feedsOf(feeds));
        await engine.dispose();
        return { ...result, y: window.harness.toJson(out.y) };
      },
      [fixtureUrl('mlp_qdq'), '/e2e/pages/oom-once-ort.ts', qdq.example.feeds] as const,
    );
    const oom = tuning.candidates.find((c) => c.label === 'wasm, out of memory at first')!;
    expect(['ok', 'winner'], tuning.table).toContain(oom.status);
    expect(oom.reason).toMatch(/out of memory alongside the other candidates: built after they were released/);
    expect(oom.latencyMs[1]).toBeGreaterThan(0);
    expect(oom.maxAbsDiff).toBeLessThan(0.05); // checked against the reference like every other candidate
    expect(tuning.candidates.filter((c) => c.status === 'winner')).toHaveLength(1);
    expectClose({ y: tuning.y }, qdq.example.expected, qdq.atol); // and the winner serves the model
  });

  test('the decision persists across a reload and is reused without tuning', async ({ page }) => {
    const first = await page.evaluate(async ([url]) => {
      const engine = window.pageinfer.createEngine();
      const model = await engine.load(url, { tune: true });
      const result = { tuning: model.info.tuning!, backend: model.info.backend, threads: model.info.threads };
      await engine.dispose();
      return result;
    }, [fixtureUrl('mlp_qlinear')] as const);
    expect(first.tuning.source).toBe('measured');
    expect(first.tuning.candidates.filter((c) => c.status !== 'skipped').length).toBeGreaterThanOrEqual(2);

    await page.reload();
    await page.waitForFunction(() => window.harnessReady === true);
    const second = await page.evaluate(async ([url]) => {
      const engine = window.pageinfer.createEngine();
      const t = performance.now();
      const model = await engine.load(url);
      const result = { tuning: model.info.tuning, backend: model.info.backend, threads: model.info.threads, ms: performance.now() - t, attempts: model.info.attempts.length };
      await engine.dispose();
      return result;
    }, [fixtureUrl('mlp_qlinear')] as const);
    expect(second.tuning?.source).toBe('reused');
    expect(second.tuning?.key).toBe(first.tuning.key);
    expect(second.tuning?.winner).toBe(first.tuning.winner);
    expect(second.backend).toBe(first.backend);
    expect(second.threads).toBe(first.threads);
    expect(second.attempts).toBe(1); // one session built: no candidates tried again
  });

  test('a worker pool is built after the single sessions are ranked, and measured against the leader', async ({ page }) => {
    const { tuning, workers } = await page.evaluate(async ([url]) => {
      const engine = window.pageinfer.createEngine({ wasm: { threads: 2 } });
      const model = await engine.load(url, { tune: { budgetMs: 30_000 }, backend: 'wasm', schedule: { mode: 'hybrid', maxBatch: 8 } });
      const result = { tuning: model.info.tuning!, workers: model.stats().pool.workers };
      await engine.dispose();
      return result;
    }, [fixtureUrl('mlp_qdq')] as const);
    const pool = tuning.candidates.find((c) => c.workers > 1)!;
    const singles = tuning.candidates.filter((c) => c.workers === 1);
    expect(singles.length, tuning.table).toBeGreaterThan(1);
    expect(['ok', 'winner'], tuning.table).toContain(pool.status);
    // Its opponent is the leader of the single sessions, named in its reason.
    const against = /^measured against the leader, ([^;]+)/.exec(pool.reason ?? '')?.[1];
    expect(singles.map((c) => c.label), tuning.table).toContain(against);
    expect(pool.rowsPerSecond).toBeGreaterThan(0);
    expect(pool.maxAbsDiff).toBeLessThan(0.05); // checked against the reference like the others
    // The winner serves the model with as many workers as it was measured with.
    const winner = tuning.candidates.find((c) => c.status === 'winner')!;
    expect(workers).toBe(winner.workers);
    expect(tuning.why).toContain(winner.label);
    expect([against, pool.label]).toContain(winner.label);
  });

  test('the budget is respected: candidates past it are skipped or cut', async ({ page }) => {
    const tuning = await page.evaluate(async ([url]) => {
      const engine = window.pageinfer.createEngine();
      const model = await engine.load(url, { tune: { candidates: 'all', budgetMs: 200 } });
      const result = model.info.tuning!;
      await engine.dispose();
      return result;
    }, [fixtureUrl('mlp_f32')] as const);
    const reference = tuning.candidates[0];
    expect(reference.backend).toBe('wasm');
    const others = tuning.candidates.slice(1);
    expect(others.some((c) => c.status === 'skipped' || /budget/.test(c.reason ?? ''))).toBe(true);
    // Only the wasm reference may run past the budget; the rest stop at it (plus teardown slack).
    expect(tuning.elapsedMs - reference.ms).toBeLessThanOrEqual(tuning.budgetMs + 1000);
  });
});
