import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../protocol/index.js';
import { parseProfile, summarizeOps } from './ops.js';

const node = (name: string, op: string, ts: number, dur: number): TraceEvent => ({ cat: 'Node', name: `${name}_kernel_time`, ph: 'X', ts, dur, args: { op_name: op, provider: 'CPUExecutionProvider' } });
const run = (ts: number, dur: number): TraceEvent => ({ cat: 'Session', name: 'model_run', ph: 'X', ts, dur });

describe('parseProfile', () => {
  it('reads the JSON array ORT prints line by line, with other output around it', () => {
    const lines = ['something else', '[', '{"cat" : "Session","ts" :1,"dur" :2,"name" :"model_run"},', '{"cat" : "Node","ts" :1,"dur" :1,"name" :"a_kernel_time"}', ']', 'after'];
    expect(parseProfile(lines)?.map((e) => e.name)).toEqual(['model_run', 'a_kernel_time']);
  });

  it('is null when nothing readable was printed', () => {
    expect(parseProfile([])).toBeNull();
    expect(parseProfile(['[', '{"cat": "Node",', ']'])).toBeNull();
  });
});

describe('summarizeOps', () => {
  // Warm-up run at 0 (slow), then two runs at 1000 and 2000.
  const events: TraceEvent[] = [
    run(0, 900),
    node('conv1', 'Conv', 10, 500),
    node('fc', 'MatMul', 600, 300),
    run(1000, 100),
    node('conv1', 'Conv', 1001, 40),
    node('conv2', 'Conv', 1041, 20),
    node('fc', 'MatMul', 1061, 30),
    { cat: 'Node', name: 'fc_fence_before', ts: 1060, dur: 0 },
    run(2000, 120),
    node('conv1', 'Conv', 2001, 60),
    node('conv2', 'Conv', 2061, 20),
    node('fc', 'MatMul', 2081, 30),
  ];

  it('leaves the warm-up out and gives mean ms per run by op type, slowest first', () => {
    const s = summarizeOps(events, 1, 10);
    expect(s.runs).toBe(2);
    expect(s.runMs).toBeCloseTo(0.11, 9);
    expect(s.kernelMs).toBeCloseTo(0.1, 9);
    expect(s.ops).toEqual([
      { op: 'Conv', ms: 0.07, share: 0.7, nodes: 2, provider: 'CPUExecutionProvider' },
      { op: 'MatMul', ms: 0.03, share: expect.closeTo(0.3, 9), nodes: 1, provider: 'CPUExecutionProvider' },
    ]);
  });

  it('lists the slowest nodes, as many as asked', () => {
    const s = summarizeOps(events, 1, 2);
    expect(s.nodes.map((n) => [n.node, n.ms])).toEqual([
      ['conv1', 0.05],
      ['fc', 0.03],
    ]);
  });
});
