import { describe, expect, it } from 'vitest';
import { distribution, percentile, StatsRecorder } from '../profile/stats.js';
import { chooseBatching, LatencyCurve } from './adaptive.js';
import { analyzeBatching, concatFeeds, splitOutputs } from './batching.js';
import { PriorityList } from './queue.js';

describe('PriorityList', () => {
  it('orders by priority, then arrival', () => {
    const list = new PriorityList<{ priority: number; seq: number }>();
    const items = [
      { priority: 0, seq: 0 },
      { priority: 5, seq: 1 },
      { priority: 0, seq: 2 },
      { priority: 1, seq: 3 },
      { priority: 5, seq: 4 },
    ];
    for (const i of items) list.insert(i);
    expect([...list].map((i) => i.seq)).toEqual([1, 4, 3, 0, 2]);
    list.remove(items[3]);
    expect(list.shift()?.seq).toBe(1);
    expect(list.length).toBe(3);
  });
});

describe('analyzeBatching', () => {
  const x = { name: 'x', type: 'float32' as const, dims: ['batch', 4] as Array<string | number> };
  const y = { name: 'y', type: 'float32' as const, dims: ['batch', 2] as Array<string | number> };
  it('batches along a shared symbolic leading dim', () => {
    expect(analyzeBatching([x], [y], {}, true)).toMatchObject({ batchable: true });
  });
  it('refuses a batch-coupled op unless exact is off', () => {
    expect(analyzeBatching([x], [y], { DynamicQuantizeLinear: 1 }, true)).toMatchObject({ batchable: false, reason: expect.stringContaining('DynamicQuantizeLinear') });
    expect(analyzeBatching([x], [y], { DynamicQuantizeLinear: 1 }, false).batchable).toBe(true);
  });
  it('refuses mismatched leading dims, a fixed 1, and unknown shapes', () => {
    expect(analyzeBatching([x], [{ ...y, dims: ['n', 2] }], {}, true).batchable).toBe(false);
    expect(analyzeBatching([{ ...x, dims: [1, 4] }], [{ ...y, dims: [1, 2] }], {}, true).batchable).toBe(false);
    expect(analyzeBatching([{ ...x, dims: null }], [y], {}, true).batchable).toBe(false);
  });
  it('a fixed leading dim > 1 pads batches to it', () => {
    expect(analyzeBatching([{ ...x, dims: [8, 4] }], [{ ...y, dims: [8, 2] }], {}, true)).toMatchObject({ batchable: true, fixedRows: 8 });
  });
});

describe('concatFeeds / splitOutputs', () => {
  it('round-trips rows, with zero padding dropped on the way back', () => {
    const a = { x: { type: 'float32' as const, data: Float32Array.of(1, 2, 3, 4), dims: [2, 2] } };
    const b = { x: { type: 'float32' as const, data: Float32Array.of(5, 6), dims: [1, 2] } };
    const joined = concatFeeds([a, b], 4);
    expect(joined.x.dims).toEqual([4, 2]);
    expect([...(joined.x.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6, 0, 0]);
    const parts = splitOutputs({ y: joined.x }, [2, 1]);
    expect(parts.map((p) => [...(p.y.data as Float32Array)])).toEqual([[1, 2, 3, 4], [5, 6]]);
    expect(parts[1].y.dims).toEqual([1, 2]);
    expect(a.x.data.length).toBe(4); // inputs untouched
  });
});

describe('adaptive batching', () => {
  const curve = [
    { rows: 1, ms: 0.5 },
    { rows: 8, ms: 1 },
    { rows: 32, ms: 3 },
    { rows: 64, ms: 8 },
  ];
  it('takes the best throughput whose 2 × compute fits the target, and gives the rest to maxDelay', () => {
    const c = chooseBatching(curve, 10);
    expect(c.maxBatch).toBe(32); // 64 would need 16 ms > 10
    expect(c.maxDelayMs).toBe(2); // (10 - 2 × 3) / 2
  });
  it('falls back to the smallest batch without waiting when nothing fits', () => {
    expect(chooseBatching(curve, 0.5)).toMatchObject({ maxBatch: 1, maxDelayMs: 0 });
  });
  it('updates its curve from observed jobs', () => {
    const live = new LatencyCurve(curve, 0.5);
    live.observe(32, 13);
    expect(live.curve.find((p) => p.rows === 32)!.ms).toBe(8);
    expect(chooseBatching(live.curve, 10).maxBatch).toBe(8);
  });
});

describe('stats', () => {
  it('nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(distribution([3, 1, 2])).toMatchObject({ p50: 2, max: 3, mean: 2 });
  });
  it('keeps a bounded window and counts all requests', () => {
    const rec = new StatsRecorder(2);
    for (let i = 0; i < 5; i++) rec.record({ queueMs: i, transferInMs: 0, computeMs: 1, transferOutMs: 0, totalMs: 1 + i, batchSize: 1, at: 1000 + i * 10 });
    const s = rec.summary();
    expect(s.requests).toBe(5);
    expect(s.queueMs.max).toBe(4);
    expect(s.queueMs.p50).toBe(3);
  });
});
