import type { Feeds, Outputs, Tensor, TensorData, ValueInfo } from '../tensor/types.js';
import { setNamed } from '../tensor/named.js';

/**
 * Ops whose result for one row depends on the other rows of the batch.
 * DynamicQuantizeLinear picks one scale for the whole tensor, so coalescing
 * requests would change each caller's numbers.
 */
const batchCoupledOps = ['DynamicQuantizeLinear'];

export interface BatchShape {
  /** Requests can be coalesced along dim 0. */
  batchable: boolean;
  /** Why (or why not), in words for model.info. */
  reason: string;
  /** dim 0 is fixed: every batch is padded to exactly this many rows. */
  fixedRows?: number;
}

export function analyzeBatching(inputs: readonly ValueInfo[], outputs: readonly ValueInfo[], ops: Record<string, number>, exact: boolean): BatchShape {
  const no = (reason: string): BatchShape => ({ batchable: false, reason });
  if (inputs.length === 0) return no('the model has no inputs');
  const firsts = [...inputs, ...outputs].map((v) => v.dims?.[0]);
  if (firsts.some((d) => d === undefined || d === null)) return no('an input or output has no declared leading (batch) dim');
  const first = firsts[0];
  if (!firsts.every((d) => d === first)) {
    return no(`inputs and outputs do not share one leading dim (${firsts.map(String).join(', ')}), so there is no batch axis to coalesce along`);
  }
  if (first === 1) return no('the batch dim is fixed at 1');
  const coupled = batchCoupledOps.filter((op) => ops[op]);
  if (coupled.length && exact) {
    return no(`${coupled.join(', ')} computes its quantization scale over the whole batch, so coalesced rows would not equal single runs (set schedule.exact = false to coalesce anyway)`);
  }
  if (typeof first === 'number') return { batchable: true, reason: `static batch dim ${first}: batches are padded to ${first} rows`, fixedRows: first };
  return { batchable: true, reason: `dynamic batch dim '${first}' shared by all inputs and outputs` };
}

type Numeric = Exclude<TensorData, string[]>;

function rowsOf(t: Tensor): number {
  return t.dims[0];
}

/** Concatenates feeds along dim 0 into fresh buffers, padding with zero rows up to `rows`. */
export function concatFeeds(list: readonly Feeds[], rows?: number): Feeds {
  const out: Feeds = {};
  for (const name of Object.keys(list[0])) {
    const parts = list.map((f) => f[name]);
    const given = parts.reduce((n, t) => n + rowsOf(t), 0);
    const total = Math.max(rows ?? given, given);
    const rowSize = parts[0].dims.slice(1).reduce((a, b) => a * b, 1);
    const first = parts[0];
    let data: TensorData;
    if (Array.isArray(first.data)) {
      data = parts.flatMap((t) => t.data as string[]).concat(new Array<string>((total - given) * rowSize).fill(''));
    } else {
      const Ctor = (first.data as Numeric).constructor as new (n: number) => Numeric;
      const buffer = new Ctor(total * rowSize);
      let offset = 0;
      for (const t of parts) {
        (buffer as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(t.data as ArrayLike<unknown>, offset);
        offset += t.data.length;
      }
      data = buffer;
    }
    setNamed(out, name, { type: first.type, data, dims: [total, ...first.dims.slice(1)] });
  }
  return out;
}

/** Splits batched outputs back into one result per request, `counts[i]` rows each, padding dropped. */
export function splitOutputs(outputs: Outputs, counts: readonly number[]): Outputs[] {
  if (counts.length === 1 && Object.values(outputs).every((t) => t.dims[0] === counts[0])) return [outputs];
  const results: Outputs[] = counts.map(() => ({}));
  for (const [name, t] of Object.entries(outputs)) {
    const rowSize = t.dims.slice(1).reduce((a, b) => a * b, 1);
    let row = 0;
    counts.forEach((n, i) => {
      const start = row * rowSize;
      const end = (row + n) * rowSize;
      // slice (a copy) rather than subarray: each caller owns its own buffer.
      setNamed(results[i], name, { type: t.type, data: t.data.slice(start, end) as TensorData, dims: [n, ...t.dims.slice(1)] });
      row += n;
    });
  }
  return results;
}

/** Rows of a request: the leading dim of its first input. */
export function requestRows(feeds: Feeds): number {
  const first = Object.values(feeds)[0];
  return first ? first.dims[0] ?? 1 : 1;
}
