/**
 * Builds e2e/fixtures/audio/vad-clip.wav: 1 s of silence, a spoken sentence
 * (Debian's espeak-ng), 1 s of silence, as 16 kHz mono 16-bit PCM, plus a
 * JSON with where the speech is. Committed; rerun to regenerate:
 *   npx tsx scripts/audio/make-vad-clip.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rate = 16_000;
const sentence = 'The quick brown fox jumps over the lazy dog, and then it runs far away.';

function readWav(bytes: Buffer): { rate: number; samples: Float32Array } {
  let offset = 12;
  let sampleRate = 0;
  while (offset < bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    if (id === 'fmt ') sampleRate = bytes.readUInt32LE(offset + 12);
    // espeak-ng writes 0xFFFFFFFF as the data size when streaming: take the rest of the file.
    if (id === 'data') {
      const end = Math.min(bytes.length, offset + 8 + size);
      const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset + offset + 8, bytes.byteOffset + end - ((end - offset - 8) % 2)));
      return { rate: sampleRate, samples: Float32Array.from(pcm, (v) => v / 32768) };
    }
    offset += 8 + size;
  }
  throw new Error('no data chunk');
}

function resample(samples: Float32Array, from: number, to: number): Float32Array {
  const out = new Float32Array(Math.floor((samples.length * to) / from));
  for (let i = 0; i < out.length; i++) {
    const x = (i * from) / to;
    const j = Math.floor(x);
    const f = x - j;
    out[i] = (samples[j] ?? 0) * (1 - f) + (samples[j + 1] ?? 0) * f;
  }
  return out;
}

function writeWav(samples: Float32Array): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32767))), i * 2));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

const dir = mkdtempSync(join(tmpdir(), 'vad-'));
const raw = join(dir, 'speech.wav');
execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', raw, sentence]);
const speech = readWav(readFileSync(raw));
const voiced = resample(speech.samples, speech.rate, rate);
const clip = new Float32Array(rate + voiced.length + rate);
clip.set(voiced, rate);
const out = new URL('../../e2e/fixtures/audio/', import.meta.url);
writeFileSync(new URL('vad-clip.wav', out), writeWav(clip));
writeFileSync(
  new URL('vad-clip.json', out),
  JSON.stringify({ rate, speechStart: 1, speechEnd: (rate + voiced.length) / rate, seconds: clip.length / rate, sentence }, null, 2) + '\n',
);
console.log(`vad-clip.wav: ${(clip.length / rate).toFixed(2)} s, speech 1.00–${((rate + voiced.length) / rate).toFixed(2)} s`);
