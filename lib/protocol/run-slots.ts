/**
 * The shared-memory run channel's layout (issue 17): one SharedArrayBuffer per worker, a few slots
 * for the runs in flight. The page copies a request's inputs into a free slot and rings the doorbell;
 * the worker copies them out, runs, writes the outputs back into the slot and wakes the page. A
 * round trip then costs two Atomics wake-ups instead of two structured-clone messages.
 *
 *   Int32 words [0, 16): word 0 the doorbell (the page adds 1 per request), word 1 + i the state of slot i,
 *   word 15 set once the page has closed the channel.
 *   Slots from byte 64, `slotBytes` each. A slot: a Float64 header (sequence, session, compute ms,
 *   received at, tensor count), a table of tensors (name index, type, rank, byte offset, byte length,
 *   dims), then their bytes, each 8-byte aligned.
 *
 * Names travel as indexes into the session's input or output list (both sides know it). Anything the
 * layout cannot carry (strings, names outside the lists, too many tensors or dims, too many bytes)
 * makes `encode` return how many bytes it needed, and the caller falls back to messages.
 */
import { setNamed } from '../tensor/named.js';
import type { Tensor, TensorData, TensorType } from '../tensor/types.js';

export const slotCount = 4;
/** Slot size a channel starts with: a batch-1 image or audio frame fits; bigger requests grow it. */
export const initialSlotBytes = 64 * 1024;

export const SlotState = {
  free: 0,
  /** The page wrote a request. */
  request: 1,
  /** The worker took it. */
  running: 2,
  /** The outputs are in the slot. */
  done: 3,
  /** The reply went as a message (an error, or outputs that did not fit). */
  byMessage: 4,
} as const;

export const doorbellWord = 0;
/** Set by the page when it stops using a channel (it made a bigger one): the worker stops watching it. */
export const closedWord = 15;
export const stateWord = (slot: number) => 1 + slot;
const controlBytes = 64;
const maxTensors = 16;
const maxRank = 8;
const entryWords = 5 + maxRank;
const headerWords = 5;
const tableBytes = (headerWords + maxTensors * entryWords) * 8;

const types: readonly Exclude<TensorType, 'string'>[] = ['float32', 'float16', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool'];
const constructors: Record<Exclude<TensorType, 'string'>, new (buffer: ArrayBuffer, offset: number, length: number) => Exclude<TensorData, string[]>> = {
  float32: Float32Array,
  float16: Uint16Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

export function channelBytes(slotBytes: number): number {
  return controlBytes + slotCount * slotBytes;
}

/** The views of one channel, made once per side. */
export interface RunChannelViews {
  readonly buffer: SharedArrayBuffer;
  readonly control: Int32Array;
  readonly slotBytes: number;
}

export function channelViews(buffer: SharedArrayBuffer): RunChannelViews {
  return { buffer, control: new Int32Array(buffer, 0, controlBytes / 4), slotBytes: (buffer.byteLength - controlBytes) / slotCount };
}

export interface SlotHeader {
  sequence: number;
  sessionId: number;
  computeMs: number;
  receivedAt: number;
}

/**
 * Writes `tensors` into `slot`. Returns 0 when written, else the slot size they would need
 * (Infinity when the layout cannot carry them at all).
 */
export function encode(views: RunChannelViews, slot: number, header: SlotHeader, tensors: Record<string, Tensor>, names: readonly string[]): number {
  const entries = Object.entries(tensors);
  if (entries.length > maxTensors) return Infinity;
  let end = tableBytes;
  const indexes: number[] = [];
  for (const [name, t] of entries) {
    const index = names.indexOf(name);
    if (t.type === 'string' || Array.isArray(t.data) || t.dims.length > maxRank || index < 0) return Infinity;
    indexes.push(index);
    end = align(end) + t.data.byteLength;
  }
  if (end > views.slotBytes) return end;
  const base = controlBytes + slot * views.slotBytes;
  const table = new Float64Array(views.buffer, base, tableBytes / 8);
  table[0] = header.sequence;
  table[1] = header.sessionId;
  table[2] = header.computeMs;
  table[3] = header.receivedAt;
  table[4] = entries.length;
  let offset = tableBytes;
  entries.forEach(([, t], k) => {
    const data = t.data as Exclude<TensorData, string[]>;
    offset = align(offset);
    const e = headerWords + k * entryWords;
    table[e] = indexes[k]!;
    table[e + 1] = types.indexOf(t.type as Exclude<TensorType, 'string'>);
    table[e + 2] = t.dims.length;
    table[e + 3] = offset;
    table[e + 4] = data.byteLength;
    t.dims.forEach((d, j) => (table[e + 5 + j] = d));
    new Uint8Array(views.buffer, base + offset, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    offset += data.byteLength;
  });
  return 0;
}

/** A slot's header: which session, and in which order the page wrote its requests. */
export function headerOf(views: RunChannelViews, slot: number): SlotHeader {
  const table = new Float64Array(views.buffer, controlBytes + slot * views.slotBytes, headerWords);
  return { sequence: table[0]!, sessionId: table[1]!, computeMs: table[2]!, receivedAt: table[3]! };
}

/** Reads a slot's tensors back, each copied out into an array of its own (the slot is reused). */
export function decode(views: RunChannelViews, slot: number, names: readonly string[]): Record<string, Tensor> {
  const base = controlBytes + slot * views.slotBytes;
  const table = new Float64Array(views.buffer, base, tableBytes / 8);
  const tensors: Record<string, Tensor> = {};
  for (let k = 0; k < table[4]!; k++) {
    const e = headerWords + k * entryWords;
    const name = names[table[e]!];
    if (name === undefined) throw new RangeError(`run slot names tensor #${table[e]} of ${names.length}`);
    const type = types[table[e + 1]!]!;
    const rank = table[e + 2]!;
    const bytes = table[e + 4]!;
    const copy = new ArrayBuffer(bytes);
    new Uint8Array(copy).set(new Uint8Array(views.buffer, base + table[e + 3]!, bytes));
    const View = constructors[type];
    const data = new View(copy, 0, bytes / (View as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT);
    setNamed(tensors, name, { type, data, dims: [...table.subarray(e + 5, e + 5 + rank)] });
  }
  return tensors;
}

function align(n: number): number {
  return (n + 7) & ~7;
}

type WaitAsync = (array: Int32Array, index: number, value: number, timeout?: number) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

/** `Atomics.waitAsync` where this thread has it (Chromium, Firefox ESR 153; not every WebKit). */
export const waitAsync: WaitAsync | undefined = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync?.bind(Atomics);

/** Waits while `array[index]` still reads `value`; resolves at once when it no longer does. */
export async function waitChange(array: Int32Array, index: number, value: number): Promise<void> {
  const w = waitAsync!(array, index, value);
  if (w.async) await w.value;
}
