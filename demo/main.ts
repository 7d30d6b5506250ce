import { createEngine, PageInferError, type Capabilities } from '../lib/index.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const engine = createEngine();
const fixtures = ['mlp_qdq', 'mlp_dynamic', 'mlp_qlinear', 'mlp_f32', 'conv_int8'];
const modelSelect = $<HTMLSelectElement>('model');
modelSelect.append(...fixtures.map((name) => new Option(name, name)));

engine.addEventListener('warning', (e) => {
  const { message } = (e as CustomEvent<{ message: string }>).detail;
  $('result').textContent = `warning: ${message}\n` + $('result').textContent;
});

function showCaps(caps: Capabilities): void {
  const rows: Array<[string, string]> = [
    ['WebGPU', caps.webgpu.why],
    ['wasm', caps.wasm.why],
    ['WebGL2', caps.webgl2.why],
    ['WebNN', caps.webnn.available ? 'present' : 'absent'],
    ['cross-origin isolated', String(caps.wasm.crossOriginIsolated)],
    ['reported cores', String(caps.cores)],
  ];
  $('caps').replaceChildren(...rows.flatMap(([k, v]) => [Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: v })]));
}

engine.capabilities().then(showCaps, (e) => ($('caps').textContent = `probe failed: ${e.message}`));

$('run').addEventListener('click', async () => {
  const name = modelSelect.value;
  const backend = $<HTMLSelectElement>('backend').value as 'auto';
  const progress = $<HTMLProgressElement>('progress');
  const meta = await (await fetch(`/e2e/fixtures/generated/${name}.json`)).json();
  try {
    const model = await engine.load(`/e2e/fixtures/generated/${name}.onnx`, {
      backend,
      freeDimensionOverrides: { batch: 2 },
      onProgress: (p) => (progress.value = p.total ? p.loaded / p.total : 0),
    });
    const feeds = Object.fromEntries(Object.entries(meta.example.feeds as Record<string, { type: 'float32'; dims: number[]; data: number[] }>).map(([k, t]) => [k, { ...t, data: new Float32Array(t.data) }]));
    const out = await model.run(feeds);
    const y = Object.values(out)[0];
    $('result').textContent = [
      `backend: ${model.info.backend} (${model.info.threads} thread(s))`,
      `why: ${model.info.reason}`,
      `run: ${model.stats().totalMs.p50.toFixed(2)} ms (compute ${model.stats().computeMs.p50.toFixed(2)} ms)`,
      `output dims: [${y.dims.join(', ')}]`,
      `first values: ${Array.from(y.data as Float32Array).slice(0, 6).map((v) => v.toFixed(4)).join(', ')}`,
    ].join('\n');
    await model.dispose();
  } catch (e) {
    $('result').textContent = e instanceof PageInferError ? `${e.code}: ${e.message}` : String(e);
  }
});
