import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

const cnn = new URL('../../scripts/mnist/mnist-cnn.onnx', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'pageinfer-cli-'));

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('pageinfer CLI', () => {
  it('quantize writes a smaller model and inspect recognises it', async () => {
    const out = join(dir, 'q.onnx');
    const r = await cli('quantize', cnn, out, '--mode', 'dynamic', '--per-channel');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/4 nodes quantized/);
    const i = await cli('inspect', out, '--json');
    expect(JSON.parse(i.out)).toMatchObject({ quantized: true, format: 'dynamic' });
  });

  it('static quantization reads calibration JSON and applies an accuracy target', async () => {
    const sample = { input: { dims: [1, 1, 28, 28], data: Array.from({ length: 784 }, (_, k) => ((k * 37) % 100) / 100) } };
    writeFileSync(join(dir, 'cal.json'), JSON.stringify([sample, sample]));
    const r = await cli('quantize', cnn, join(dir, 's.onnx'), '--mode', 'static', '--format', 'qoperator', '--calibration', join(dir, 'cal.json'), '--target', 'cosine=0.99');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/guard: target cosine >= 0\.99 met on the given inputs/);
  });

  it('--weight-only keeps named nodes with int8 weights and float math', async () => {
    const out = join(dir, 'w.onnx');
    const r = await cli('quantize', cnn, out, '--per-channel', '--weight-only', 'conv1,conv2');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 nodes quantized, 2 weight-only, 0 kept float, opset 13→13/);
    expect(r.out).toMatch(/weight-only: conv1 \(Conv\): weight-only int8 per-channel \(float math\)/);
  });

  it('prune reports sparsity and gzip sizes', async () => {
    const r = await cli('prune', cnn, join(dir, 'p.onnx'), '--sparsity', '0.5');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sparsity 50\.0 %/);
  });

  it('not ONNX → InvalidModelError, nothing written', async () => {
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'hello, this is not a model');
    const out = join(dir, 'never.onnx');
    const r = await cli('quantize', bad, out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/InvalidModelError/);
    expect(existsSync(out)).toBe(false);
  });

  it('truncated model → InvalidModelError', async () => {
    const bytes = readFileSync(cnn);
    for (const cut of [100, Math.floor(bytes.length / 2), bytes.length - 10]) {
      const truncated = join(dir, `trunc${cut}.onnx`);
      writeFileSync(truncated, bytes.subarray(0, cut));
      const r = await cli('inspect', truncated);
      expect(r.code, `cut at ${cut}`).toBe(1);
      expect(r.err).toMatch(/InvalidModelError/);
    }
  });

  it('unsupported op type → UnsupportedOpError', async () => {
    const r = await cli('quantize', cnn, join(dir, 'x.onnx'), '--op-types', 'LSTM');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/UnsupportedOpError: Cannot quantize op type LSTM/);
  });

  it('unwritable output → FileAccessError and no temp file left', async () => {
    const r = await cli('quantize', cnn, join(dir, 'missing-dir', 'q.onnx'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FileAccessError: Cannot write .*no such file or directory/);
    const r2 = await cli('quantize', cnn, dir);
    expect(r2.err).toMatch(/FileAccessError: Cannot write .*is a directory/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('missing input file and bad options are reported clearly', async () => {
    expect((await cli('inspect', join(dir, 'nope.onnx'))).err).toMatch(/Cannot read .*no such file/);
    const r = await cli('quantize', cnn, join(dir, 'y.onnx'), '--mode', 'fast');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--mode must be one of dynamic, static/);
    expect((await cli('quantize', cnn, join(dir, 'y.onnx'), '--mode', 'static')).err).toMatch(/needs --calibration/);
  });
});
