/** The benchmark's arithmetic and report on a small synthetic results file (no browser). */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Check, LatencySummary, PeerBatchResult } from '../types.js';
import { writeReports } from './report.js';
import type { BenchResults } from './results.js';
import { backendRows, behind, cacheRows, concurrencyGoals, geomean, headlines, int8Rows, median, overheadRows, sustainedRows } from './summary.js';
import { tuneRows, tuneScore } from './tune-summary.js';

const ok = (n: number): Check => ({ results: n, wrong: 0, maxAbs: 0, limit: 1e-3, argmaxAgree: 1 });
const lat = (p50: number, min = p50 / 2): LatencySummary => ({ n: 10, p50, p95: p50 * 2, mean: p50, min, max: p50 * 3 });

function batch(b: number, mine: number, main: number, proxy: number): PeerBatchResult {
  return {
    batch: b,
    itersPerRound: 2,
    samples: { pageinfer: [mine, mine], 'ort-main': [main, main], 'ort-proxy': [proxy, proxy] },
    summary: { pageinfer: lat(mine), 'ort-main': lat(main), 'ort-proxy': lat(proxy) },
    throughput: {},
    check: { pageinfer: ok(4), 'ort-main': ok(4), 'ort-proxy': { ...ok(4), wrong: b === 8 ? 1 : 0 } },
    ratios: { 'pageinfer/ort-main': { perRound: [mine / main], median: mine / main }, 'pageinfer/ort-proxy': { perRound: [mine / proxy], median: mine / proxy } },
    pageinferStats: { queueMs: 0, transferInMs: 0.1, computeMs: mine - 0.3, transferOutMs: 0.1, totalMs: mine },
  };
}

function results(): BenchResults {
  const variant = (key: string, precision: 'f32' | 'int8', bytes: number) => ({ key, precision, format: precision === 'f32' ? 'f32' : 'QOperator (QLinearMatMul)', source: 'test', url: `/${key}.onnx`, path: `${key}.onnx`, bytes, sha256: key, ops: {} });
  return {
    schema: 1,
    id: 'test-full',
    preset: 'full',
    command: 'tsx e2e/bench/run.ts',
    startedAt: '2026-11-29T00:00:00.000Z',
    finishedAt: '2026-11-29T00:10:00.000Z',
    durationS: 600,
    plan: { threads: 1 },
    machine: { platform: 'linux', release: '6', arch: 'x64', cpuModel: 'cpu', cores: 2, memGiB: 24, node: 'v20', loadavgStart: [1, 1, 1], loadavgEnd: [1, 1, 1] },
    versions: { ort: '1.30.0' },
    models: {
      mlp: {
        key: 'mlp',
        label: 'MLP',
        input: 'x',
        output: 'y',
        batchDim: 'batch',
        rowDims: [4],
        samples: { url: '', count: 2, rowSize: 4, labels: [] },
        variants: { f32: variant('f32', 'f32', 400), qlinear: variant('qlinear', 'int8', 100) },
        refs: {},
        tolerance: { wasm: { atol: 0, rtol: 0 }, gpu: { atol: 0, rtol: 0 } },
        referenceChecks: ['f32: ok </script><b>'],
      },
    },
    browsers: [{ name: 'chromium', via: 'test', version: '1', flags: [], env: {}, headless: true, durationS: 1, errors: [], logs: [] }],
    peers: [
      { browser: 'chromium', model: 'mlp', variant: 'f32', threads: 1, loads: [], errors: [], batches: [batch(1, 2, 1, 1.6), batch(8, 8, 8, 10)] },
      { browser: 'chromium', model: 'mlp', variant: 'qlinear', threads: 1, loads: [], errors: [], batches: [batch(1, 2, 1, 2), batch(8, 2, 2, 4)] },
    ],
    precision: [],
    concurrency: [
      {
        browser: 'chromium',
        model: 'mlp',
        variant: 'qlinear',
        requests: 64,
        maxBatch: 16,
        maxDelayMs: 4,
        configs: [
          { name: 'sequential', mode: 'streaming', workers: 1, sequential: true },
          { name: 'hybrid', mode: 'hybrid', workers: 1, sequential: false },
        ],
        runs: [],
        summary: {
          sequential: { throughput: 100, p50: 1, p95: 2, meanBatchSize: 1, computeP50: 1, check: ok(64) },
          hybrid: { throughput: 500, p50: 5, p95: 9, meanBatchSize: 16, computeP50: 2, check: ok(64) },
        },
        ratios: { 'hybrid/sequential': { perRound: [4, 6], median: 5 }, 'hybrid-2w/hybrid': { perRound: [1.8], median: 1.8 } },
        errors: [],
      },
    ],
    sustained: [
      {
        browser: 'chromium',
        model: 'mlp',
        variant: 'f32',
        batch: 32,
        frameIntervalMs: 10,
        longTaskSupported: true,
        check: {},
        errors: [],
        slots: [
          { who: 'idle', round: 0, durationMs: 1000, inferences: 0, frames: 100, droppedFrames: 0, maxFrameGapMs: 10, longTasks: 0, longTaskMs: 0, stalls: 0, stallMs: 0 },
          { who: 'ort-main', round: 0, durationMs: 1000, inferences: 10, frames: 50, droppedFrames: 50, maxFrameGapMs: 100, longTasks: 5, longTaskMs: 500, stalls: 5, stallMs: 450 },
          { who: 'pageinfer', round: 0, durationMs: 1000, inferences: 10, frames: 99, droppedFrames: 1, maxFrameGapMs: 20, longTasks: 0, longTaskMs: 0, stalls: 0, stallMs: 0 },
        ],
      },
    ],
    backends: [
      { browser: 'chromium', model: 'mlp', variant: 'qlinear', requested: 'webgl', backend: null, batch: 1, loadMs: NaN, samples: [], summary: null, check: null, error: { code: 'MODEL_LOAD_FAILED', message: 'webgl cannot run this model: no kernels for QLinearMatMul' } },
      { browser: 'chromium', model: 'mlp', variant: 'f32', requested: 'webgpu', backend: 'webgpu', batch: 1, loadMs: 900, samples: [300], summary: lat(300), check: { ...ok(2), wrong: 2, maxAbs: 9.5 } },
    ],
    memory: [],
    cache: [
      { browser: 'chromium', model: 'mlp', variant: 'f32', bytes: 12e6, mbitPerSecond: 50, downloads: { cold: 1, warm: 0 }, cold: { phase: 'cold', firstResultMs: 3000, loadMs: 2900, downloadMs: 2000, createMs: 500, runMs: 1, progressPhases: [], correct: true, cacheEntries: 1, warnings: [] }, warm: { phase: 'warm', firstResultMs: 600, loadMs: 590, downloadMs: 100, createMs: 450, runMs: 1, progressPhases: [], correct: true, cacheEntries: 1, warnings: [] } },
    ],
    tune: [tuneCell('latency', 'wasm 1 thread', 'wasm 2 threads', 1.05), tuneCell('throughput', 'wasm 2 threads', 'wasm 2 workers × 1 thread', 1.25)],
  };
}

function tuneCell(objective: 'latency' | 'throughput', winner: string, best: string, gap: number) {
  const m = (label: string) => ({ label, backend: 'wasm', threads: 1, workers: 1, tunerStatus: label === winner ? 'winner' : 'ok', tunerMs: 100, perRound: [1], value: 1, check: ok(3) });
  return {
    browser: 'chromium' as const,
    model: 'mlp' as const,
    variant: 'qlinear',
    mode: objective === 'latency' ? ('streaming' as const) : ('hybrid' as const),
    objective,
    threads: 2,
    winner,
    tuningMs: 800,
    loadMs: 900,
    table: '',
    measured: [m(winner), m(best), { ...m('webgl'), error: 'no kernels' }],
    best,
    bestValue: 1,
    winnerValue: gap,
    gap,
    errors: [],
  };
}

describe('bench summary', () => {
  it('geomean and median ignore what is not a finite positive number', () => {
    expect(geomean([1, 4, NaN, 0])).toBeCloseTo(2);
    expect(median([3, 1, NaN, 2])).toBe(2);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(Number.isNaN(geomean([]))).toBe(true);
  });

  it('pairs every cell with its peers and counts wrong results', () => {
    const rows = overheadRows(results());
    expect(rows).toHaveLength(4);
    const f32b1 = rows.find((r) => r.variant === 'f32' && r.batch === 1)!;
    expect(f32b1.vsMain).toBe(2);
    expect(f32b1.vsProxy).toBeCloseTo(1.25);
    expect(f32b1.overheadMs).toBeCloseTo(0.3);
    expect(rows.find((r) => r.variant === 'f32' && r.batch === 8)!.wrong).toBe(1);
  });

  it('int8 speed-up is f32 p50 over int8 p50, same browser and batch', () => {
    const rows = int8Rows(results());
    expect(rows.map((r) => [r.batch, r.speedup])).toEqual([
      [1, 1],
      [8, 4],
    ]);
    expect(rows[0].sizeRatio).toBe(4);
  });

  it('concurrency goals, sustained rows and cache speed-ups', () => {
    const [g] = concurrencyGoals(results());
    expect(g.hybridVsSequential).toBe(5);
    expect(g.hybridGoal).toBe(true);
    expect(g.p95Bound).toBe(8); // maxDelay 4 + 2 × compute 2
    expect(g.p95Goal).toBe(false); // p95 9 > 8
    expect(g.workersGoal).toBe(true);
    const s = sustainedRows(results());
    expect(s.find((x) => x.who === 'ort-main')!.droppedPct).toBeCloseTo(50);
    expect(s.find((x) => x.who === 'ort-main')!.longTaskMsPerS).toBe(500);
    const [c] = cacheRows(results());
    expect(c.speedup).toBe(5);
    expect(c.coldBytesMs / c.warmBytesMs).toBe(20);
  });

  it('autotune cells: the gap to the fastest correct configuration, within 10 % or not', () => {
    const rows = tuneRows(results());
    expect(rows.map((x) => [x.objective, x.within10, x.candidates])).toEqual([
      ['latency', true, 2],
      ['throughput', false, 2],
    ]);
    expect(tuneScore(rows)).toEqual({ within: 1, of: 2 });
    expect(tuneScore(rows, 'firefox')).toEqual({ within: 0, of: 0 });
  });

  it('a typed refusal is not a failure, a wrong GPU result is', () => {
    const rows = backendRows(results());
    expect(rows.find((r) => r.backend === 'webgl')!.refused).toBe(true);
    expect(rows.find((r) => r.backend === 'webgpu')!.verdict).toMatch(/^WRONG/);
  });

  it('headlines and "behind" list per browser', () => {
    const [h] = headlines(results());
    expect(h.overheadB1VsMain).toBeCloseTo(2);
    expect(h.int8SpeedupByBatch).toEqual({ 1: 1, 8: 4 });
    expect(h.longTasksPageinfer).toBe(0);
    expect(h.longTasksOrtMain).toBe(5);
    expect(behind(results())[0]).toMatchObject({ peer: 'ort-main', ratio: 2 });
  });

  it('writes a self-contained HTML report and the Markdown summary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    const md = join(dir, 'BENCHMARKS.md');
    const written = writeReports(results(), { outDir: dir, markdown: md });
    expect(written).toContain(md);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('window.CHARTS = ');
    expect(html).not.toContain('</script><b>'); // data cannot end the script early
    expect(html).not.toMatch(/<script[^>]+src=/); // nothing fetched: self-contained
    const text = readFileSync(md, 'utf8');
    expect(text).toMatch(/## Headlines/);
    expect(text).toMatch(/\| chromium \| 2\.00× \|/);
    expect(text).toContain(`\`${dir}/report.html\``); // the folder it wrote to, not always bench-results
  });
});
