/**
 * model.stream() on a real stateful model: Silero VAD v5 (LSTM state carried
 * between calls), on a clip made by scripts/audio/make-vad-clip.ts: silence,
 * espeak-ng speech, silence. Plus white noise and a pure tone, made here.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { openHarness } from './helpers.js';

const vadUrl = '/node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx';
const clip = JSON.parse(readFileSync(new URL('./fixtures/audio/vad-clip.json', import.meta.url), 'utf8')) as { rate: number; speechStart: number; speechEnd: number };

test('a VAD stream scores speech frames high and silence, noise and a tone low', async ({ page }) => {
  test.setTimeout(120_000);
  await openHarness(page);
  const r = await page.evaluate(async ([url]) => {
    const { pageinfer, harness } = window;
    const wav = new Uint8Array(await (await fetch('/e2e/fixtures/audio/vad-clip.wav')).arrayBuffer());
    const pcm = new Int16Array(wav.buffer.slice(44));
    const speechClip = Float32Array.from(pcm, (v) => v / 32768);
    const rand = harness.random(3);
    const noise = Float32Array.from({ length: 16000 * 2 }, () => (rand() * 2 - 1) * 0.05);
    const tone = Float32Array.from({ length: 16000 * 2 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / 16000));

    const engine = pageinfer.createEngine();
    const model = await engine.load(url, { schedule: { workers: 2 } });
    const score = async (audio: Float32Array) => {
      const stream = model.stream({ carry: { stateN: 'state' }, initial: { state: { type: 'float32', data: new Float32Array(2 * 128), dims: [2, 1, 128] } } });
      const probs: number[] = [];
      // 512 new samples a frame, with the previous 64 in front as context.
      for (let start = 0; start + 512 <= audio.length; start += 512) {
        const frame = new Float32Array(576);
        frame.set(audio.subarray(Math.max(0, start - 64), start), 64 - Math.min(64, start));
        frame.set(audio.subarray(start, start + 512), 64);
        const out = await stream.run({
          input: { type: 'float32', data: frame, dims: [1, 576] },
          sr: { type: 'int64', data: BigInt64Array.of(16000n), dims: [] },
        });
        probs.push((out.output.data as Float32Array)[0]);
      }
      return probs;
    };
    // Two streams at once, on a pool of two workers: their states must not mix.
    const [speech, speechAgain] = await Promise.all([score(speechClip), score(speechClip)]);
    const result = { speech, speechAgain, noise: await score(noise), tone: await score(tone) };
    await engine.dispose();
    return result;
  }, [vadUrl] as const);

  const frameSeconds = 512 / clip.rate;
  const at = (i: number) => (i + 0.5) * frameSeconds;
  // Silence: well clear of the speech edges.
  const silence = r.speech.filter((_, i) => at(i) < clip.speechStart - 0.1 || at(i) > clip.speechEnd + 0.3);
  const voiced = r.speech.filter((_, i) => at(i) > clip.speechStart + 0.1 && at(i) < clip.speechEnd - 0.1);
  const share = (xs: number[], f: (x: number) => boolean) => xs.filter(f).length / xs.length;

  expect(silence.length).toBeGreaterThan(20);
  expect(share(silence, (p) => p < 0.1)).toBeGreaterThanOrEqual(0.95);
  // Speech has gaps between words; most of it must still score high.
  expect(share(voiced, (p) => p > 0.5)).toBeGreaterThanOrEqual(0.6);
  expect(Math.max(...voiced)).toBeGreaterThan(0.9);
  expect(share(r.noise, (p) => p < 0.2)).toBeGreaterThanOrEqual(0.9);
  expect(share(r.tone, (p) => p < 0.2)).toBeGreaterThanOrEqual(0.9);
  // The same audio through two concurrent streams gives the same scores: state stayed per stream.
  r.speech.forEach((p, i) => expect(Math.abs(p - r.speechAgain[i])).toBeLessThan(1e-5));
  test.info().annotations.push({
    type: 'scores',
    description: `speech>0.5: ${(share(voiced, (p) => p > 0.5) * 100).toFixed(0)}%, silence<0.1: ${(share(silence, (p) => p < 0.1) * 100).toFixed(0)}%`,
  });
});
