/**
 * One model offered in several variants (f32, int8, …): which one serves is measured on this device,
 * as the tuner measures backends, not guessed. int8 is smaller but not always faster (ORT-web's wasm
 * QLinearConv is slower than float convolution), and a badly quantized variant can be wrong.
 *
 * The first load on a device builds each variant it may compare, times them side by side on inputs made
 * from the model's metadata, checks each against the reference (f32) variant's outputs, keeps the fastest
 * one that agrees, disposes the others and remembers the choice; later loads build only that one.
 * A reference that is not on the device is downloaded to compare only within `compareBudgetBytes`.
 */
import { InvalidModelError } from '../errors/index.js';
import type { Capabilities } from '../probe/types.js';
import type { Feeds, Outputs, Tensor, ValueInfo } from '../tensor/types.js';
import { compareOutputs } from '../tensor/compare.js';
import { seededUniform } from '../tensor/random.js';
import { quantile } from '../profile/stats.js';
import { decisionKey, sha256Hex } from '../tune/fingerprint.js';
import { recall, remember } from '../tune/store.js';
import type { Model } from './model.js';
import type { LoadOptions, VariantInfo, VariantMeasure, VariantSource } from './types.js';

/** What the variant chooser needs of the engine. */
export interface VariantHost {
  load(src: string, options: LoadOptions): Promise<Model>;
  capabilities(): Promise<Capabilities>;
  cache: { has(url: string): Promise<boolean> };
}

export const isVariantSource = (src: unknown): src is VariantSource =>
  typeof src === 'object' && src !== null && !(src instanceof URL) && !(src instanceof Blob) && !ArrayBuffer.isView(src) && !(src instanceof ArrayBuffer) && 'variants' in src;

const defaults = { compareBudgetBytes: 8 * 1024 * 1024, minCosine: 0.99 };
const rounds = 15;

export async function loadVariant(host: VariantHost, src: VariantSource, options: LoadOptions): Promise<Model> {
  const urls = Object.fromEntries(Object.entries(src.variants ?? {}).map(([name, url]) => [name, new URL(String(url), globalThis.location?.href).href]));
  const names = Object.keys(urls);
  if (names.length === 0) throw new InvalidModelError('A variant source needs at least one variant URL', { got: src.variants });
  const reference = src.reference ?? (names.includes('f32') ? 'f32' : names[0]);
  if (!urls[reference]) throw new InvalidModelError(`The reference variant '${reference}' is not among the variants (${names.join(', ')})`, { reference, variants: names });

  const key = await decisionKey(await sha256Hex(new TextEncoder().encode(JSON.stringify(Object.entries(urls).sort()))), await host.capabilities(), 'variant');
  const stored = await recall<Omit<VariantInfo, 'remembered'>>(key);
  if (stored && urls[stored.name] === stored.url) return withInfo(await host.load(stored.url, options), { ...stored, remembered: true });

  const budget = src.compareBudgetBytes ?? defaults.compareBudgetBytes;
  const skipReference = await referenceTooBig(host, urls[reference], budget, options.fetchInit);
  const compared = names.filter((n) => n !== reference || !skipReference);
  const models: Record<string, Model> = {};
  try {
    for (const name of compared) models[name] = await host.load(urls[name], options);
    const measured = await measure(models, reference in models ? reference : null, src.minCosine ?? defaults.minCosine, options.signal);
    const { name, reason } = choose(measured, reference, skipReference, budget);
    const info: VariantInfo = { name, url: urls[name], reason, remembered: false, measured };
    // Not remembered without a reference: once it is cached, a later load can compare for real.
    if (!skipReference || names.length === 1) await remember(key, { ...info, remembered: undefined });
    for (const [n, m] of Object.entries(models)) if (n !== name) await m.dispose();
    return withInfo(models[name], info);
  } catch (error) {
    await Promise.all(Object.values(models).map((m) => m.dispose().catch(() => {})));
    throw error;
  }
}

function withInfo(model: Model, variant: VariantInfo): Model {
  (model.info as { variant?: VariantInfo }).variant = variant;
  return model;
}

/** Whether the reference would have to be downloaded only to compare, and is over the budget (or of unknown size). */
async function referenceTooBig(host: VariantHost, url: string, budget: number, fetchInit?: RequestInit): Promise<string | null> {
  if (await host.cache.has(url).catch(() => false)) return null;
  if (budget <= 0) return 'compareBudgetBytes is 0';
  const size = await fetch(url, { ...fetchInit, method: 'HEAD' })
    .then((r) => Number(r.headers.get('content-length') ?? NaN))
    .catch(() => NaN);
  if (!Number.isFinite(size)) return 'its size is unknown (no Content-Length)';
  return size > budget ? `${(size / 1048576).toFixed(1)} MiB is over compareBudgetBytes (${(budget / 1048576).toFixed(1)} MiB)` : null;
}

/** Times the variants in alternating rounds on the same inputs, and compares each one's outputs to the reference's. */
async function measure(models: Record<string, Model>, reference: string | null, minCosine: number, signal?: AbortSignal): Promise<Record<string, VariantMeasure>> {
  const names = Object.keys(models);
  const feeds = makeFeeds(models[names[0]].info.inputs);
  const outputs: Record<string, Outputs> = {};
  for (const n of names) outputs[n] = await models[n].run(feeds, { transfer: false, signal }); // also the warm-up
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < rounds; i++) {
    for (const n of i % 2 ? [...names].reverse() : names) {
      const t0 = performance.now();
      await models[n].run(feeds, { transfer: false, signal });
      times[n].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(
    names.map((n) => {
      const cosine = reference === null ? null : n === reference ? 1 : agreement(outputs[reference], outputs[n]);
      return [n, { p50Ms: quantile(times[n], 0.5), cosine, ok: cosine === null || cosine >= minCosine }];
    }),
  );
}

function choose(measured: Record<string, VariantMeasure>, reference: string, skipped: string | null, budget: number): { name: string; reason: string } {
  const fig = (n: string) => `${n} ${measured[n].p50Ms.toFixed(3)} ms${measured[n].cosine !== null && n !== reference ? `, cosine ${measured[n].cosine!.toFixed(4)}` : ''}`;
  const ok = Object.keys(measured).filter((n) => measured[n].ok).sort((a, b) => measured[a].p50Ms - measured[b].p50Ms);
  const rejected = Object.keys(measured).filter((n) => !measured[n].ok);
  const name = ok[0];
  const parts = [`${name}: the fastest ${skipped ? 'variant' : `that agrees with ${reference}`} (${ok.map(fig).join('; ')})`];
  if (rejected.length) parts.push(`rejected for disagreeing with ${reference}: ${rejected.map(fig).join('; ')}`);
  if (skipped) parts.push(`${reference} was not compared: it is not cached and ${skipped} (budget ${budget} bytes), so nothing checked the others' outputs`);
  return { name, reason: parts.join('; ') };
}

/** Inputs from the model's metadata: free dims 1, floats in [0, 1), integers small (token ids, labels). Seeded. */
export function makeFeeds(inputs: readonly ValueInfo[]): Feeds {
  const next = seededUniform(12345);
  const feeds: Feeds = {};
  for (const input of inputs) {
    const dims = (input.dims ?? [1]).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    feeds[input.name] = { type: input.type, dims, data: fill(input, n, next) } as Tensor;
  }
  return feeds;
}

function fill(input: ValueInfo, n: number, next: () => number): Tensor['data'] {
  const ints = (max: number) => Array.from({ length: n }, () => Math.floor(next() * max));
  switch (input.type) {
    case 'float32':
      return Float32Array.from({ length: n }, next);
    case 'float64':
      return Float64Array.from({ length: n }, next);
    case 'int64':
      return BigInt64Array.from(ints(10), BigInt);
    case 'int32':
      return Int32Array.from(ints(10));
    case 'uint8':
      return Uint8Array.from(ints(256));
    case 'int8':
      return Int8Array.from(ints(256), (v) => v - 128);
    case 'bool':
      return Uint8Array.from(ints(2));
    default:
      throw new InvalidModelError(`Variants cannot be compared: no test values for input '${input.name}' of type ${input.type}`, { input: input.name, type: input.type });
  }
}

/** Least agreement over the outputs: cosine similarity for numbers, the share of equal elements for integers. */
export function agreement(reference: Outputs, other: Outputs): number {
  let least = 1;
  for (const [name, ref] of Object.entries(reference)) {
    const got = other[name];
    if (!got || got.data.length !== ref.data.length) return 0;
    if (/^float/.test(ref.type)) {
      least = Math.min(least, compareOutputs([reference], [other], [name])[0].cosine);
      continue;
    }
    const a = Array.from(ref.data as ArrayLike<number | bigint>, Number);
    const b = Array.from(got.data as ArrayLike<number | bigint>, Number);
    least = Math.min(least, a.filter((v, i) => v === b[i]).length / Math.max(1, a.length));
  }
  return least;
}
