/**
 * Per-op profiles from ORT's own profiler. Its wasm build has no file system: the profile it would
 * write to a file comes out on stdout, a JSON array of Chrome trace events one line at a time, which
 * the worker takes (see ../worker/stdout.ts). Pure functions: parsing and summarizing those events.
 */
import type { TraceEvent } from '../protocol/index.js';

export interface OpTime {
  /** The op type, e.g. QLinearConv. */
  op: string;
  /** Mean ms per run, over all nodes of this op. */
  ms: number;
  /** Of the kernels' total time. */
  share: number;
  nodes: number;
  provider: string;
}

export interface NodeTime {
  node: string;
  op: string;
  ms: number;
  share: number;
  provider: string;
  inputShapes?: unknown;
}

export interface OpSummary {
  /** Runs summarized (after the warm-up). */
  runs: number;
  /** Mean ms of one run inside ORT (its model_run event). */
  runMs: number;
  /** Mean ms of the kernels in one run; the rest of runMs is ORT's own work between them. */
  kernelMs: number;
  /** Op types by time, slowest first. */
  ops: OpTime[];
  /** The slowest nodes. */
  nodes: NodeTime[];
}

/** The events in what ORT printed: the JSON array, whatever else the worker printed meanwhile left out. */
export function parseProfile(lines: readonly string[]): TraceEvent[] | null {
  const start = lines.findIndex((l) => l.trimStart().startsWith('['));
  let end = lines.length - 1;
  while (end >= 0 && !lines[end].trimEnd().endsWith(']')) end--;
  if (start < 0 || end < start) return null;
  try {
    const parsed: unknown = JSON.parse(lines.slice(start, end + 1).join('\n'));
    return Array.isArray(parsed) ? (parsed as TraceEvent[]) : null;
  } catch {
    return null;
  }
}

/** Per-op and per-node means over the runs after the first `warmup`, from node events inside those runs. */
export function summarizeOps(events: readonly TraceEvent[], warmup: number, top: number): OpSummary {
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts).slice(warmup);
  const inKept = (e: TraceEvent) => runs.some((r) => e.ts >= r.ts && e.ts <= r.ts + r.dur);
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && inKept(e));
  const n = Math.max(1, runs.length);
  const total = kernels.reduce((t, e) => t + e.dur, 0);
  const share = (us: number) => (total > 0 ? us / total : 0);
  const ms = (us: number) => us / n / 1000;

  const byNode = new Map<string, { op: string; provider: string; us: number; inputShapes?: unknown }>();
  for (const e of kernels) {
    const node = e.name.slice(0, -'_kernel_time'.length);
    const entry = byNode.get(node) ?? { op: e.args?.op_name ?? '?', provider: e.args?.provider ?? '?', us: 0, inputShapes: e.args?.input_type_shape };
    entry.us += e.dur;
    byNode.set(node, entry);
  }
  const byOp = new Map<string, { us: number; nodes: number; provider: string }>();
  for (const v of byNode.values()) {
    const entry = byOp.get(v.op) ?? { us: 0, nodes: 0, provider: v.provider };
    entry.us += v.us;
    entry.nodes++;
    byOp.set(v.op, entry);
  }
  return {
    runs: runs.length,
    runMs: ms(runs.reduce((t, r) => t + r.dur, 0)),
    kernelMs: ms(total),
    ops: [...byOp].map(([op, v]) => ({ op, ms: ms(v.us), share: share(v.us), nodes: v.nodes, provider: v.provider })).sort((a, b) => b.ms - a.ms),
    nodes: [...byNode]
      .map(([node, v]) => ({ node, op: v.op, ms: ms(v.us), share: share(v.us), provider: v.provider, inputShapes: v.inputShapes }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}
