/**
 * Read text: a typed line rendered to a canvas (or a dropped / pasted image),
 * read by PP-OCRv4: detection then recognition per box, or recognition of the
 * whole image as one line. float ↔ int8 toggle, and a side-by-side comparison.
 */
import type { Model } from '../lib/index.js';
import { $, debounce, errorText, formatBytes, formatMs, h, labelCells } from './dom.js';
import { models, model as findModel, ppocrKeysUrl, type ModelEntry, type Precision } from './models.js';
import { contentBox, crop, ctcGreedy, detBoxes, detInput, grow, lineBreaks, outline, recInput, type Box, type Rgba } from './ocr-core.js';
import { state } from './state.js';

const owner = 'Read text';
const FONT_PX = 32;
const FONT = `${FONT_PX}px "DejaVu Sans", "Helvetica Neue", Arial, sans-serif`;
const MAX_IMAGE_SIDE = 960;

interface Pipeline {
  precision: Precision;
  rec: ModelEntry;
  det: ModelEntry | null;
  loaded: Promise<{ rec: Model; det: Model | null }> | null;
  loadMs: number | null;
  last: { text: string; detMs: number; recMs: number; totalMs: number; boxes: number } | null;
  totals: number[];
}

type Mode = 'detrec' | 'rec';

export function setupOcr(): { read(): Promise<string>; loadDefault(): Promise<void>; reset(): Promise<void> } {
  const input = $<HTMLInputElement>('ocr-text');
  const canvas = $<HTMLCanvasElement>('ocr-canvas');
  const output = $('ocr-output');
  const status = $('ocr-status');
  const note = $('ocr-note');
  const fileInput = $<HTMLInputElement>('ocr-file');
  const drop = $('ocr-drop');
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;

  const keys = fetch(ppocrKeysUrl)
    .then((r) => r.text())
    .then((t) => t.split('\n').map((l) => l.replace(/\r$/, '')));

  const pipelines: Record<Precision, Pipeline | null> = { int8: null, float: null };
  /** Picks the files: on a GPU, int8 means the QDQ builds. Only for pipelines not loaded. */
  function choose(gpu: boolean): void {
    for (const precision of ['int8', 'float'] as const) {
      const rec = findModel('rec', precision, gpu);
      if (!rec) continue;
      const det = findModel('det', precision, gpu) ?? findModel('det', 'float') ?? null;
      const p = pipelines[precision];
      if (p?.loaded) continue;
      if (p && p.rec.id === rec.id && p.det?.id === det?.id) continue;
      pipelines[precision] = { precision, rec, det, loaded: null, loadMs: null, last: null, totals: [] };
    }
  }
  choose(false);
  const precisionInputs = document.querySelectorAll<HTMLInputElement>('input[name="ocr-precision"]');
  for (const r of precisionInputs) {
    if (!pipelines[r.value as Precision]) {
      r.disabled = true;
      r.closest('label')?.classList.add('disabled');
    }
  }
  const precision = (): Precision => {
    const checked = [...precisionInputs].find((r) => r.checked && !r.disabled);
    return (checked?.value as Precision) ?? (pipelines.int8 ? 'int8' : 'float');
  };
  if (!pipelines.int8) [...precisionInputs].find((r) => r.value === 'float')!.checked = true;
  const mode = (): Mode => (document.querySelector<HTMLInputElement>('input[name="ocr-mode"]:checked')?.value as Mode) ?? 'detrec';

  note.replaceChildren(...notes());

  // The image being read: typed text, or a user's image.
  let image: ImageData | null = null;
  let imageIsTyped = true;

  function renderTyped(): void {
    const text = input.value.trim() || ' ';
    ctx.font = FONT;
    const width = Math.min(4096, Math.ceil(ctx.measureText(text).width) + 48);
    canvas.width = width;
    canvas.height = 96;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = '#000';
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    ctx.fillText(text, 24, canvas.height / 2);
    image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    imageIsTyped = true;
    canvas.setAttribute('aria-label', `The text "${text}" drawn as an image`);
  }

  async function showImage(blob: Blob): Promise<void> {
    const bitmap = await createImageBitmap(blob);
    const scale = Math.min(1, MAX_IMAGE_SIDE / Math.max(bitmap.width, bitmap.height));
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    imageIsTyped = false;
    canvas.setAttribute('aria-label', 'Your image');
    void read();
  }

  function drawBoxes(boxes: Box[]): void {
    if (!image) return;
    ctx.putImageData(image, 0, 0);
    ctx.strokeStyle = '#d0344a';
    ctx.lineWidth = 2;
    for (const b of boxes) {
      const o = outline(b, canvas.width, canvas.height);
      ctx.strokeRect(o.x + 1, o.y + 1, o.w - 2, o.h - 2);
    }
  }

  function load(p: Pipeline): Promise<{ rec: Model; det: Model | null }> {
    p.loaded ??= (async () => {
      const t0 = performance.now();
      const [rec, det] = await Promise.all([state.load(p.rec, owner), p.det ? state.load(p.det, owner) : Promise.resolve(null)]);
      p.loadMs = performance.now() - t0;
      renderCompare();
      return { rec, det };
    })();
    p.loaded.catch(() => (p.loaded = null));
    return p.loaded;
  }

  /** Reads the current image with one pipeline. */
  async function readWith(p: Pipeline, currentMode: Mode): Promise<{ text: string; boxes: Box[] }> {
    const [{ rec, det }, keyList] = await Promise.all([load(p), keys]);
    if (!image) renderTyped();
    const img = image!;
    const t0 = performance.now();
    let boxes: Box[] = [];
    const whole = contentBox(img);
    let lines: Rgba[] = whole ? [crop(img, grow(whole))] : [];
    let detMs = 0;
    if (currentMode === 'detrec' && det) {
      const { tensor, scaleX, scaleY } = detInput(img);
      const d0 = performance.now();
      const out = await det.run({ [det.info.inputs[0].name]: tensor });
      detMs = performance.now() - d0;
      state.recordLatency(p.det!.label, detMs);
      const map = Object.values(out)[0];
      boxes = detBoxes(map.data as Float32Array, map.dims, scaleX, scaleY);
      lines = boxes.map((b) => crop(img, grow(b)));
    }
    const r0 = performance.now();
    const texts = await Promise.all(
      lines.map(async (line) => {
        const s0 = performance.now();
        const out = await rec.run({ [rec.info.inputs[0].name]: recInput(line) });
        state.recordLatency(p.rec.label, performance.now() - s0);
        const t = Object.values(out)[0];
        return ctcGreedy(t.data as Float32Array, t.dims, keyList).text.trim();
      }),
    );
    const recMs = performance.now() - r0;
    const breaks = lineBreaks(boxes);
    const text = texts.reduce((s, t, i) => (i === 0 ? t : s + (breaks[i] ? '\n' : ' ') + t), '');
    const totalMs = performance.now() - t0;
    p.last = { text, detMs, recMs, totalMs, boxes: boxes.length };
    p.totals.push(totalMs);
    return { text, boxes };
  }

  let current: Promise<string> | null = null;
  let next: Promise<string> | null = null;

  /** Reads with the selected precision; calls made during a read share one follow-up read of the latest input. */
  function read(): Promise<string> {
    if (!current) {
      current = readOnce().finally(() => (current = null));
      return current;
    }
    next ??= current.then(() => {
      next = null;
      return read();
    });
    return next;
  }

  async function readOnce(): Promise<string> {
    const p = pipelines[precision()]!;
    if (imageIsTyped) renderTyped();
    status.textContent = `Reading with ${p.rec.label}${mode() === 'detrec' && p.det ? ` and ${p.det.label}` : ''}…`;
    output.dataset.state = 'reading';
    try {
      const { text, boxes } = await readWith(p, mode());
      drawBoxes(boxes);
      output.textContent = text || '(no text found)';
      output.dataset.state = 'done';
      output.dataset.text = text;
      const l = p.last!;
      status.textContent =
        mode() === 'detrec' && p.det
          ? `${p.precision}: ${boxes.length} box${boxes.length === 1 ? '' : 'es'}, detection ${formatMs(l.detMs)}, recognition ${formatMs(l.recMs)}, total ${formatMs(l.totalMs)}.`
          : `${p.precision}: recognition of the whole image as one line, ${formatMs(l.recMs)}.`;
      renderCompare();
      return text;
    } catch (e) {
      output.dataset.state = 'error';
      status.textContent = `OCR failed: ${errorText(e)}`;
      return '';
    }
  }

  async function compare(): Promise<void> {
    const button = $<HTMLButtonElement>('ocr-compare-run');
    button.disabled = true;
    try {
      if (imageIsTyped) renderTyped();
      for (const p of [pipelines.float, pipelines.int8]) if (p) await readWith(p, mode());
      renderCompare();
    } catch (e) {
      status.textContent = `Comparison failed: ${errorText(e)}`;
    } finally {
      button.disabled = false;
    }
  }

  // Sizes are known before loading: from the build manifest, else the server says them.
  const sizes = new Map<string, number>();
  for (const m of models.values()) if (m.bytes) sizes.set(m.id, m.bytes);
  void Promise.all(
    [...models.values()]
      .filter((m) => m.task !== 'mnist' && !m.bytes)
      .map(async (m) => {
        const r = await fetch(m.url, { method: 'HEAD' });
        const n = Number(r.headers.get('content-length'));
        if (r.ok && n > 0) sizes.set(m.id, n);
      }),
  ).then(renderCompare, () => {});

  function renderCompare(): void {
    const table = $<HTMLTableElement>('ocr-compare');
    const body = $('ocr-compare-body');
    const cell = (text: string, cls = 'num') => h('td', { className: cls }, text);
    const median = (v: number[]) => (v.length ? [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)] : NaN);
    body.replaceChildren(
      ...(['float', 'int8'] as const).map((precision) => {
        const p = pipelines[precision];
        if (!p) return h('tr', {}, h('th', { scope: 'row' }, precision), h('td', { colSpan: 5, className: 'muted' }, 'not built: run npx tsx scripts/models/build.ts'));
        const recSize = sizes.get(p.rec.id);
        const detSize = p.det ? sizes.get(p.det.id) : undefined;
        const row = h(
          'tr',
          { attrs: { 'data-precision': precision } },
          h('th', { scope: 'row' }, p.rec.variant === 'qdq' ? 'int8 (QDQ)' : precision),
          h(
            'td',
            { className: 'num sizes' },
            h('span', {}, recSize ? `rec ${formatBytes(recSize)}` : 'rec …'),
            h('span', {}, p.det ? (detSize ? `det ${formatBytes(detSize)}${p.det.precision !== precision ? ' (float)' : ''}` : 'det …') : 'no det'),
          ),
          cell(p.loadMs === null ? '–' : formatMs(p.loadMs)),
          cell(p.last ? formatMs(p.last.totalMs) : '–'),
          cell(p.totals.length ? formatMs(median(p.totals)) : '–'),
          h('td', { className: 'text' }, p.last ? p.last.text || '(nothing)' : '–'),
        );
        return labelCells(table, row);
      }),
    );
  }

  function notes(): Node[] {
    const out: Node[] = [];
    const int8 = pipelines.int8;
    if (!int8) out.push(h('p', {}, 'No int8 PP-OCR build in models/ yet (npx tsx scripts/models/build.ts): only the float model can run.'));
    else if (int8.det?.precision === 'int8') out.push(h('p', {}, 'Detection and recognition both run int8 in the int8 row.'));
    else if (int8.det) out.push(h('p', {}, 'There is no int8 detection model: detection runs the float model in both rows; the toggle switches the recognition model.'));
    else out.push(h('p', {}, 'No detection model: each image is read as a single line.'));
    if (int8?.rec.quality) out.push(h('p', {}, `${int8.rec.label}: ${int8.rec.quality} (measured by the build script).`));
    if (int8?.det?.precision === 'int8' && int8.det.quality) out.push(h('p', {}, `${int8.det.label}: ${int8.det.quality} (measured by the build script).`));
    return out;
  }

  // Events --------------------------------------------------------------------
  const readSoon = debounce(() => void read(), 350);
  input.addEventListener('input', () => {
    imageIsTyped = true;
    renderTyped();
    readSoon();
  });
  $('ocr-form').addEventListener('submit', (e) => {
    e.preventDefault();
    imageIsTyped = true;
    void read();
  });
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name="ocr-precision"], input[name="ocr-mode"]')) r.addEventListener('change', () => void read());
  $('ocr-compare-run').addEventListener('click', () => void compare());
  fileInput.addEventListener('change', () => {
    const f = fileInput.files?.[0];
    if (f) void showImage(f).catch((e) => (status.textContent = `Could not open the image: ${errorText(e)}`));
  });
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = [...(e.dataTransfer?.files ?? [])].find((x) => x.type.startsWith('image/'));
    if (f) void showImage(f).catch((err) => (status.textContent = `Could not open the image: ${errorText(err)}`));
  });
  document.addEventListener('paste', (e) => {
    const f = [...(e.clipboardData?.files ?? [])].find((x) => x.type.startsWith('image/'));
    if (f) void showImage(f).catch((err) => (status.textContent = `Could not open the image: ${errorText(err)}`));
  });

  renderTyped();
  renderCompare();
  status.textContent = 'The OCR models load when you scroll here or start typing.';
  let started = false;

  return {
    read,
    /** Drops the loaded models (e.g. after a backend change) and loads the selected ones again. */
    async reset() {
      for (const p of [pipelines.int8, pipelines.float]) {
        if (!p?.loaded) continue;
        const loaded = p.loaded;
        p.loaded = null;
        p.loadMs = null;
        const { rec, det } = await loaded.catch(() => ({ rec: null, det: null }));
        await Promise.all([state.dispose(rec), state.dispose(det)]);
      }
      if (started) await this.loadDefault();
    },
    async loadDefault() {
      started = true;
      choose(await state.gpu());
      note.replaceChildren(...notes());
      renderCompare();
      const p = pipelines[precision()]!;
      status.textContent = `Loading ${p.rec.label}${p.det ? ` and ${p.det.label}` : ''}…`;
      try {
        await load(p);
        status.textContent = 'Ready. Type a line, or drop or paste an image.';
        $('ocr-section').dataset.ready = 'true';
        await read();
      } catch (e) {
        status.textContent = `Could not load the OCR models: ${errorText(e)}`;
      }
    },
  };
}
