// The app every cell of the install matrix serves: what a user writes after `npm install pageinfer`.
// It loads the mlp_f32 fixture, runs its example input and reports what happened to the test.
import { createEngine } from 'pageinfer';

async function run() {
  const started = performance.now();
  const meta = await (await fetch('./mlp_f32.json')).json();
  const engine = createEngine();
  const warnings = [];
  engine.addEventListener('warning', (e) => warnings.push(e.detail.code));
  const model = await engine.load(new URL('./mlp_f32.onnx', location.href).href);
  const x = meta.example.feeds.x;
  const out = await model.run({ x: { type: 'float32', data: new Float32Array(x.data), dims: x.dims } });
  const y = Array.from(out.y.data);
  const expected = meta.example.expected.y.data;
  const maxAbsDiff = Math.max(...y.map((v, i) => Math.abs(v - expected[i])));
  const result = { backend: model.info.backend, threads: model.info.threads, maxAbsDiff, atol: meta.atol, warnings, crossOriginIsolated, ms: Math.round(performance.now() - started) };
  await engine.dispose();
  return result;
}

const result = run().then(
  (value) => ({ ok: true, value }),
  (e) => ({ ok: false, error: { name: e?.name, code: e?.code, message: e?.message, details: e?.details } }),
);
result.then((r) => (document.getElementById('out').textContent = JSON.stringify(r)));
window.bench = { result: () => result };
window.benchReady = true;
