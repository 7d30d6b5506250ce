// An app as a user writes it: `import ... from 'pageinfer'`, bundled by Vite for production.
import { createEngine } from 'pageinfer';

interface Example {
  example: { feeds: Record<string, { dims: number[]; data: number[] }> };
}

const meta = (await (await fetch('./mlp_f32.json')).json()) as Example;
const x = meta.example.feeds.x;
const engine = createEngine();
const model = await engine.load(new URL('./mlp_f32.onnx', location.href).href);
const out = await model.run({ x: { type: 'float32', data: new Float32Array(x.data), dims: x.dims } });
document.getElementById('out')!.textContent = JSON.stringify({ backend: model.info.backend, threads: model.info.threads, y: Array.from(out.y.data as Float32Array) });
