/**
 * The engine panel's per-op profile: pick a loaded model, and `model.profileOps()` runs made-up
 * inputs through an extra session with ORT's profiler on; the slowest op types and nodes are listed,
 * and ORT's trace can be saved for Perfetto.
 */
import type { Feeds, Model, OpProfile, ValueInfo } from '../lib/index.js';
import { $, errorText, formatMs, h } from './dom.js';
import { state } from './state.js';

/** Random float inputs of the model's shapes (the demo's models take floats): symbolic dims are 1 for the batch, 64 elsewhere (OCR widths, image sides). */
export function madeUpFeeds(inputs: readonly ValueInfo[]): Feeds {
  const feeds: Feeds = {};
  for (const input of inputs) {
    const dims = (input.dims ?? [1]).map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : 64));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => Math.random());
    feeds[input.name] = { type: 'float32', data, dims };
  }
  return feeds;
}

export function setupOps(): void {
  const select = $<HTMLSelectElement>('ops-model');
  const button = $<HTMLButtonElement>('ops-run');
  const out = $('ops-result');
  const ready = () => state.loads.filter((r) => r.status === 'ready' && r.model);

  state.addEventListener('change', () => {
    const loads = ready();
    const keys = loads.map((r) => String(r.key)).join(',');
    if (select.dataset.keys === keys) return;
    select.dataset.keys = keys;
    const chosen = select.value;
    select.replaceChildren(...loads.map((r) => new Option(`${r.entry.label} (${r.owner})`, String(r.key))));
    if (loads.some((r) => String(r.key) === chosen)) select.value = chosen;
    button.disabled = loads.length === 0;
  });

  button.addEventListener('click', async () => {
    const record = ready().find((r) => String(r.key) === select.value);
    if (!record) return;
    const model = record.model as Model;
    button.disabled = true;
    out.dataset.state = 'running';
    out.replaceChildren(h('p', { className: 'muted' }, 'Profiling 50 runs in an extra worker…'));
    try {
      const p = await model.profileOps(madeUpFeeds(model.info.inputs), { runs: 50, top: 5 });
      out.replaceChildren(...render(p));
      out.dataset.state = 'done';
    } catch (e) {
      out.replaceChildren(h('p', { className: 'error' }, errorText(e)));
      out.dataset.state = 'failed';
    } finally {
      button.disabled = false;
    }
  });
}

function render(p: OpProfile): Node[] {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const table = (head: string[], rows: string[][]) =>
    h('table', { className: 'ops' }, h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))), h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
  const trace = new Blob([JSON.stringify(p.events)], { type: 'application/json' });
  return [
    h('p', {}, `${p.backend}, ${p.threads} thread(s): ${formatMs(p.runMs)} a run with the profiler on, ${formatMs(p.kernelMs)} of it in kernels (${p.runs} runs).`),
    table(['op', 'ms a run', 'share', 'nodes'], p.ops.map((o) => [o.op, o.ms.toFixed(3), pct(o.share), String(o.nodes)])),
    table(['slowest node', 'op', 'ms a run'], p.nodes.map((n) => [n.node, n.op, n.ms.toFixed(3)])),
    h('a', { href: URL.createObjectURL(trace), download: 'ort-trace.json' }, 'Save ORT\u2019s trace (open it in Perfetto)'),
  ];
}
