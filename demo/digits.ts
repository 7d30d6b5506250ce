/**
 * Draw a digit: pointer (mouse, pen, touch) strokes on a canvas; the MNIST
 * model predicts while you draw. Only one request is in flight at a time: new
 * ink while it runs marks the drawing dirty, and the latest drawing runs next.
 */
import type { Model } from '../lib/index.js';
import { $, errorText, formatMs, h } from './dom.js';
import { exampleStrokes, inkFromRgba, softmax, toMnist, topK } from './digits-core.js';
import { preferred } from './models.js';
import { state } from './state.js';

const SIZE = 280; // canvas pixels; the CSS size follows the layout
const owner = 'Draw a digit';

export function setupDigits(): { ready: Promise<void>; reload(): Promise<void> } {
  const canvas = $<HTMLCanvasElement>('digit-canvas');
  const preview = $<HTMLCanvasElement>('digit-preview');
  const status = $('digit-status');
  const result = $('digit-result');
  const latency = $('digit-latency');
  const summaryEl = $('digit-summary');
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const pctx = preview.getContext('2d')!;
  canvas.width = canvas.height = SIZE;
  preview.width = preview.height = 28;

  let entry = preferred('mnist');
  const describe = () => ($('digit-model').textContent = `${entry.label} (${entry.source}${entry.quality ? `; ${entry.quality}` : ''})`);
  describe();
  let model: Model | null = null;
  let running = false;
  let dirty = false;
  let predictions = 0;

  async function open(): Promise<void> {
    entry = preferred('mnist', await state.gpu());
    describe();
    status.textContent = `Loading ${entry.label}…`;
    delete canvas.dataset.ready;
    try {
      // Tuned on its first load on this device (cheap for a small model), the decision reused afterwards.
      model = await state.load(entry, owner, { schedule: { mode: 'streaming' } }, 'first-load');
      const t = model.info.tuning;
      const tuned = t ? (t.source === 'measured' ? ' (autotuned on this load)' : ` (autotuned ${new Date(t.measuredAt).toLocaleString()}, reused)`) : '';
      status.textContent = `Ready: ${model.info.backend}, ${model.info.threads} thread${model.info.threads > 1 ? 's' : ''}${tuned}. Draw a digit.`;
      canvas.dataset.ready = 'true';
      if (hasInk()) void predict();
    } catch (e) {
      status.textContent = `Could not load the model: ${errorText(e)}`;
    }
  }
  const ready = open();

  // Drawing ----------------------------------------------------------------
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  const lineWidth = () => SIZE * 0.075;
  let last: [number, number] | null = null;
  let inked = false;
  const hasInk = () => inked;

  const toCanvas = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * SIZE, ((e.clientY - r.top) / r.height) * SIZE];
  };
  const segment = (a: [number, number], b: [number, number]) => {
    ctx.strokeStyle = '#111';
    ctx.lineWidth = lineWidth();
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
    inked = true;
  };

  canvas.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    canvas.setPointerCapture(e.pointerId);
    last = toCanvas(e);
    segment(last, last);
    e.preventDefault();
    void predict();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = toCanvas(e);
    segment(last, p);
    last = p;
    void predict();
  });
  const end = () => {
    if (!last) return;
    last = null;
    void predict();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);

  const clear = () => {
    ctx.clearRect(0, 0, SIZE, SIZE);
    pctx.clearRect(0, 0, 28, 28);
    inked = false;
    result.replaceChildren(h('li', { className: 'muted' }, 'Nothing drawn yet.'));
    delete result.dataset.top;
    latency.textContent = '';
  };
  $('digit-clear').addEventListener('click', clear);
  // Examples for keyboard users: drawn stroke by stroke, predicting as they go.
  const exampleSelect = $<HTMLSelectElement>('digit-example');
  for (let d = 0; d <= 9; d++) exampleSelect.append(new Option(String(d), String(d)));
  $('digit-draw-example').addEventListener('click', async () => {
    clear();
    canvas.dataset.drawing = 'true';
    for (const stroke of exampleStrokes(Number(exampleSelect.value))) {
      let prev: [number, number] | null = null;
      for (const [x, y] of stroke) {
        const p: [number, number] = [x * SIZE, y * SIZE];
        segment(prev ?? p, p);
        prev = p;
        void predict();
        await new Promise((r) => setTimeout(r, 12));
      }
    }
    delete canvas.dataset.drawing;
    void predict();
  });

  // Prediction -------------------------------------------------------------
  async function predict(): Promise<void> {
    const m = model;
    if (!m || !inked) return;
    if (running) {
      dirty = true;
      return;
    }
    running = true;
    canvas.dataset.busy = 'true';
    try {
      do {
        dirty = false;
        const pixels = toMnist(inkFromRgba(ctx.getImageData(0, 0, SIZE, SIZE).data, SIZE, SIZE));
        if (!pixels) break;
        drawPreview(pixels);
        const inputName = m.info.inputs[0].name;
        const t0 = performance.now();
        const out = await m.run({ [inputName]: { type: 'float32', data: pixels, dims: [1, 1, 28, 28] } });
        const ms = performance.now() - t0;
        state.recordLatency(entry.label, ms);
        predictions++;
        if (!inked) break; // cleared meanwhile
        const logits = Object.values(out)[0].data as Float32Array;
        showTop(m, topK(softmax(logits), 3), ms);
      } while (dirty && inked && model === m);
    } catch (e) {
      status.textContent = `Prediction failed: ${errorText(e)}`;
    } finally {
      running = false;
      delete canvas.dataset.busy;
    }
  }

  function showTop(m: Model, top: Array<{ label: number; p: number }>, ms: number): void {
    result.replaceChildren(
      ...top.map(({ label, p }, i) =>
        h(
          'li',
          { className: i === 0 ? 'best' : '' },
          h('span', { className: 'digit' }, String(label)),
          h('span', { className: 'bar', attrs: { 'aria-hidden': 'true' } }, h('span', { attrs: { style: `width:${(p * 100).toFixed(1)}%` } })),
          h('span', { className: 'num' }, `${(p * 100).toFixed(1)} %`),
        ),
      ),
    );
    if (result.dataset.top !== String(top[0].label)) summaryEl.textContent = `Prediction: ${top[0].label}, ${(top[0].p * 100).toFixed(0)} percent.`;
    result.dataset.top = String(top[0].label);
    const s = m.stats();
    latency.textContent =
      `This prediction: ${formatMs(ms)} round trip. Over ${predictions} predictions: ` +
      `p50 ${formatMs(s.totalMs.p50)}, p95 ${formatMs(s.totalMs.p95)} (compute p50 ${formatMs(s.computeMs.p50)}).`;
  }

  function drawPreview(pixels: Float32Array): void {
    const img = pctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = 255 - Math.round(pixels[i] * 255);
      img.data.set([v, v, v, 255], i * 4);
    }
    pctx.putImageData(img, 0, 0);
  }

  clear();
  return {
    ready,
    async reload() {
      const old = model;
      model = null;
      await state.dispose(old);
      await open();
    },
  };
}
