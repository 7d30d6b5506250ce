/**
 * Batching playground: N concurrent requests to the MNIST model, round after
 * round for a few seconds, under streaming or hybrid (dynamic micro-batching)
 * scheduling; throughput and p50/p95 are charted live from model.stats().
 */
import type { Model, ScheduleOptions } from '../lib/index.js';
import { LiveChart } from './charts.js';
import { $, errorText, formatMs, h, labelCells } from './dom.js';
import { preferred } from './models.js';
import { state } from './state.js';

const owner = 'Batching playground';

interface Config {
  n: number;
  mode: 'streaming' | 'hybrid';
  maxBatch: number;
  maxDelayMs: number;
  workers: 'auto' | number;
  exact: boolean;
  seconds: number;
}

export function setupPlayground(): { run(): Promise<void>; reset(): Promise<void> } {
  const form = $<HTMLFormElement>('pg-form');
  const runButton = $<HTMLButtonElement>('pg-run');
  const stopButton = $<HTMLButtonElement>('pg-stop');
  const status = $('pg-status');
  const summary = $('pg-summary');
  const results = $('pg-results-body');
  const chart = new LiveChart($<HTMLCanvasElement>('pg-chart'));
  let entry = preferred('mnist');
  $('pg-model').textContent = entry.label;

  // Range inputs show their value next to them.
  for (const id of ['pg-max-batch', 'pg-max-delay', 'pg-seconds']) {
    const el = $<HTMLInputElement>(id);
    const out = $<HTMLOutputElement>(`${id}-value`);
    const show = () => (out.value = el.value);
    el.addEventListener('input', show);
    show();
  }
  const syncMode = () => {
    const hybrid = config().mode === 'hybrid';
    for (const id of ['pg-max-batch', 'pg-max-delay']) $<HTMLInputElement>(id).disabled = !hybrid;
  };
  for (const r of form.querySelectorAll<HTMLInputElement>('input[name="pg-mode"]')) r.addEventListener('change', syncMode);

  function config(): Config {
    const num = (id: string) => Number($<HTMLInputElement>(id).value);
    const workers = $<HTMLSelectElement>('pg-workers').value;
    return {
      n: num('pg-n'),
      mode: (form.querySelector<HTMLInputElement>('input[name="pg-mode"]:checked')?.value ?? 'streaming') as Config['mode'],
      maxBatch: num('pg-max-batch'),
      maxDelayMs: num('pg-max-delay'),
      workers: workers === 'auto' ? 'auto' : Number(workers),
      exact: !$<HTMLInputElement>('pg-inexact').checked,
      seconds: num('pg-seconds'),
    };
  }
  syncMode();

  let model: Model | null = null;
  let modelKey = '';
  let stop: AbortController | null = null;

  async function modelFor(c: Config): Promise<Model> {
    const schedule: ScheduleOptions = { mode: c.mode, maxBatch: c.maxBatch, maxDelayMs: c.maxDelayMs, workers: c.workers, exact: c.exact };
    const key = JSON.stringify(schedule);
    if (model && key === modelKey) return model;
    const old = model;
    model = null;
    await state.dispose(old);
    entry = preferred('mnist', await state.gpu());
    $('pg-model').textContent = entry.label;
    status.textContent = `Loading ${entry.label} with schedule ${c.mode}${c.mode === 'hybrid' ? `, maxBatch ${c.maxBatch}, maxDelay ${c.maxDelayMs} ms` : ''}…`;
    // Not tuned: the playground runs exactly the schedule and workers you set.
    model = await state.load(entry, owner, { schedule }, 'never');
    modelKey = key;
    return model;
  }

  async function run(): Promise<void> {
    const c = config();
    runButton.disabled = true;
    stopButton.disabled = false;
    stop = new AbortController();
    const { signal } = stop;
    summary.dataset.state = 'running';
    try {
      const m = await modelFor(c);
      const s = m.info.schedule;
      status.textContent =
        `${s.mode}${s.mode === 'hybrid' ? ` (maxBatch ${s.maxBatch}, maxDelay ${s.maxDelayMs} ms)` : ''}, ${s.workers} worker${s.workers > 1 ? 's' : ''} × ${m.info.threads} thread${m.info.threads > 1 ? 's' : ''} on ${m.info.backend}. ` +
        (s.mode !== c.mode ? `Asked for ${c.mode}: ${s.reason}.` : `Batching: ${s.reason}.`);
      m.resetStats();
      chart.reset();
      const name = m.info.inputs[0].name;
      const label = `${entry.label} (playground)`;
      const started = performance.now();
      let lastT = 0;
      let lastRequests = 0;
      const sample = () => {
        const st = m.stats();
        const t = (performance.now() - started) / 1000;
        const rate = t > lastT ? (st.requests - lastRequests) / (t - lastT) : 0;
        lastT = t;
        lastRequests = st.requests;
        chart.push({ t, throughput: rate, p50: st.totalMs.p50, p95: st.totalMs.p95 });
      };
      const timer = setInterval(sample, 250);
      let rounds = 0;
      try {
        while (!signal.aborted && (rounds === 0 || performance.now() - started < c.seconds * 1000)) {
          rounds++;
          await Promise.all(
            Array.from({ length: c.n }, async () => {
              const data = new Float32Array(784);
              for (let i = 0; i < data.length; i++) data[i] = Math.random() < 0.2 ? Math.random() : 0;
              const t0 = performance.now();
              await m.run({ [name]: { type: 'float32', data, dims: [1, 1, 28, 28] } });
              state.recordLatency(label, performance.now() - t0);
            }),
          );
        }
      } finally {
        clearInterval(timer);
      }
      sample();
      const st = m.stats();
      const elapsed = (performance.now() - started) / 1000;
      const throughput = st.requests / elapsed;
      summary.textContent =
        `${s.mode}, N = ${c.n}: ${st.requests} requests in ${elapsed.toFixed(2)} s, ${throughput.toFixed(0)} req/s, ` +
        `p50 ${formatMs(st.totalMs.p50)}, p95 ${formatMs(st.totalMs.p95)}, mean batch ${st.meanBatchSize.toFixed(1)}.`;
      summary.dataset.state = 'done';
      summary.dataset.mode = s.mode;
      const cell = (t: string) => h('td', { className: 'num' }, t);
      const row = h(
        'tr',
        { attrs: { 'data-mode': s.mode } },
        h('th', { scope: 'row' }, s.mode),
        cell(String(c.n)),
        cell(s.mode === 'hybrid' ? `${s.maxBatch} / ${s.maxDelayMs} ms` : '–'),
        cell(throughput.toFixed(0)),
        cell(formatMs(st.totalMs.p50)),
        cell(formatMs(st.totalMs.p95)),
        cell(st.meanBatchSize.toFixed(1)),
        cell(`${formatMs(st.queueMs.p50)} / ${formatMs(st.computeMs.p50)}`),
      );
      results.prepend(labelCells($<HTMLTableElement>('pg-results'), row));
    } catch (e) {
      summary.dataset.state = 'error';
      status.textContent = `Playground failed: ${errorText(e)}`;
    } finally {
      runButton.disabled = false;
      stopButton.disabled = true;
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void run();
  });
  stopButton.addEventListener('click', () => stop?.abort());
  return {
    run,
    /** Drops the loaded model (e.g. after a backend change); the next run loads it again. */
    async reset() {
      stop?.abort();
      const old = model;
      model = null;
      modelKey = '';
      await state.dispose(old);
    },
  };
}
