/**
 * The engine panel: what this device can do, which backend each model runs on
 * and why, load progress, the model cache, warnings, and a latency histogram.
 * Re-rendered on the shared state's `change` events (at most once a frame).
 */
import type { BackendPreference, CacheEntryInfo, CacheUsage, Capabilities } from '../lib/index.js';
import { HistogramChart } from './charts.js';
import { $, debounce, errorText, formatBytes, formatMs, h } from './dom.js';
import { labelForUrl } from './models.js';
import { waterfall } from './waterfall.js';
import { engine, state, type LoadRecord } from './state.js';

export function setupPanel(onSettingsChange: () => void): { refreshCache(): Promise<void> } {
  const summary = $('panel-summary');
  const histogram = new HistogramChart($<HTMLCanvasElement>('hist-chart'));
  const histSelect = $<HTMLSelectElement>('hist-model');
  let histChoice = '';

  // Capabilities ---------------------------------------------------------------
  engine.capabilities().then(showCaps, (e) => $('caps').replaceChildren(h('dd', {}, `probe failed: ${errorText(e)}`)));

  /** "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)" → "SwiftShader Device (Subzero)". */
  function shortRenderer(r: string): string {
    let name = r;
    const angle = /^ANGLE \((.*)\)$/.exec(r);
    if (angle) {
      // The second top-level field is the device.
      const fields: string[] = [];
      let depth = 0;
      let cur = '';
      for (const ch of angle[1]) {
        if (ch === ',' && depth === 0) {
          fields.push(cur.trim());
          cur = '';
          continue;
        }
        if (ch === '(') depth++;
        if (ch === ')') depth--;
        cur += ch;
      }
      fields.push(cur.trim());
      name = fields[1] ?? fields[0];
      name = name.replace(/^(Vulkan|OpenGL( ES)?|Metal) [\d.]+ \((.*)\)$/, '$3').replace(/\s*\(0x[0-9a-f]+\)/gi, '');
    }
    return name.length > 48 ? `${name.slice(0, 47)}…` : name;
  }

  function showCaps(c: Capabilities): void {
    const yes = (b: boolean) => (b ? 'yes' : 'no');
    const gpu = c.webgpu.available
      ? `${[c.webgpu.adapter?.vendor, c.webgpu.adapter?.architecture, c.webgpu.adapter?.device || c.webgpu.adapter?.description].filter(Boolean).join(' ') || 'adapter'}${c.webgpu.isFallbackAdapter ? ' — a fallback (software) adapter' : ''}`
      : `none (${c.webgpu.why})`;
    const rows: Array<[string, string]> = [
      ['WebGPU', gpu],
      ['WASM SIMD', yes(c.wasm.simd)],
      ['WASM threads', `${yes(c.wasm.threads)}${c.wasm.threads ? '' : ` (${c.wasm.why})`}`],
      ['cross-origin isolated', yes(c.wasm.crossOriginIsolated)],
      ['WebGL2', c.webgl2.available ? `${shortRenderer(c.webgl2.renderer)}${c.webgl2.isSoftware ? ' (software)' : ''}` : 'no'],
      ['WebNN', c.webnn.available ? 'present (not used by pageinfer)' : 'no'],
      ['cores', c.parallelism.cores === c.cores ? String(c.cores) : `${c.parallelism.cores} (${c.cores} reported)`],
    ];
    $('caps').replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    $('caps').title = `Cores: ${c.parallelism.why}\nWebGL2 renderer: ${c.webgl2.renderer}\nUser agent: ${c.userAgent}`;
    $('caps').dataset.ready = 'true';
  }

  // Backend preference and autotuning -------------------------------------------------
  const backendSelect = $<HTMLSelectElement>('backend-pref');
  backendSelect.addEventListener('change', () => {
    state.backend = backendSelect.value as BackendPreference;
    onSettingsChange();
  });
  const tuneAll = $<HTMLInputElement>('tune-all');
  tuneAll.checked = state.tuneAll;
  tuneAll.addEventListener('change', () => {
    state.tuneAll = tuneAll.checked;
    onSettingsChange();
  });

  // Loads and backend reasoning --------------------------------------------------------
  let loadsSig = '';
  let backendsSig = '';
  function renderLoads(): void {
    const active = state.loads.filter((r) => r.status !== 'disposed');
    // Rebuild only what changed: progress to the percent, and the set of ready models (so open <details> stay open).
    const sig = active
      .map((r) => `${r.key}:${r.status}:${r.from}:${Object.entries(r.phases).map(([k, p]) => `${k}${p.total ? Math.floor((100 * p.loaded) / p.total) : 0}`).join('/')}`)
      .join(',');
    if (sig !== loadsSig) {
      loadsSig = sig;
      $('loads').replaceChildren(...(active.length ? active.map(loadItem) : [h('li', { className: 'muted' }, 'No model loaded yet.')]));
    }
    const ready = active.filter((r) => r.status === 'ready' && r.model);
    const bsig = ready.map((r) => `${r.key}:${r.model!.info.tuning?.stale ?? ''}`).join(',');
    if (bsig !== backendsSig) {
      backendsSig = bsig;
      $('backends').replaceChildren(...(ready.length ? ready.map(backendItem) : [h('p', { className: 'muted' }, 'Waiting for the first model…')]));
    }
    const loading = active.filter((r) => r.status === 'loading');
    const backendsInUse = [...new Set(ready.map((r) => r.model!.info.backend))];
    summary.textContent = [
      backendsInUse.length ? `backend: ${backendsInUse.join(', ')}` : 'backend: –',
      loading.length ? `loading ${loading.length} model${loading.length > 1 ? 's' : ''}…` : `${ready.length} model${ready.length === 1 ? '' : 's'} ready`,
    ].join(' · ');
  }

  function loadItem(r: LoadRecord): HTMLElement {
    const bar = (label: string, phase: keyof LoadRecord['phases']) => {
      const p = r.phases[phase];
      if (!p) return null;
      const done = p.total > 0 && p.loaded >= p.total;
      const progress = h('progress', { max: p.total || 1, attrs: { 'aria-label': `${r.entry.label}: ${label}` } });
      // Compile reports only its start and end: indeterminate in between.
      if (phase !== 'compile' || done) progress.value = p.loaded;
      return h('div', { className: 'phase' }, h('span', {}, label), progress, h('span', { className: 'num' }, phase === 'compile' ? (done ? 'done' : '…') : `${formatBytes(p.loaded)} / ${formatBytes(p.total)}`));
    };
    const bytes = r.phases.download?.total ?? r.phases['cache-read']?.total;
    const size = bytes ? ` ${formatBytes(bytes)}` : '';
    const from = r.from === 'network' ? `downloaded${size}` : r.from === 'cache' ? `${size.trim()} from cache` : '';
    const status = r.status === 'loading' ? 'loading' : r.status === 'ready' ? `ready in ${formatMs(r.ms ?? 0)}` : r.status === 'failed' ? `failed: ${r.error}` : r.status;
    return h(
      'li',
      { attrs: { 'data-model': r.entry.id, 'data-owner': r.owner, 'data-status': r.status, 'data-from': r.from ?? '' } },
      h('div', { className: 'load-head' }, h('strong', {}, r.entry.label), h('span', { className: 'muted' }, ` ${r.owner}`), h('span', { className: 'load-state' }, [from, status].filter(Boolean).join(', '))),
      // Bars while loading; once done, one line is enough.
      ...(r.status === 'loading'
        ? [bar('download', 'download'), bar('cache read', 'cache-read'), bar('verify', 'verify'), bar('compile', 'compile')]
        : []),
    );
  }

  function backendItem(r: LoadRecord): HTMLElement {
    const info = r.model!.info;
    const attempts = info.attempts.map((a) => `${a.backend} × ${a.threads} thread${a.threads > 1 ? 's' : ''}: ${a.ok ? 'ok' : `failed (${a.error?.code})`} in ${formatMs(a.ms)}`);
    const t = info.tuning;
    const tuning = t
      ? [
          h(
            'p',
            {},
            h('span', { className: 'muted' }, 'Autotune: '),
            t.source === 'measured' ? `measured now, in ${formatMs(t.elapsedMs)} (budget ${formatMs(t.budgetMs)}); ` : `a stored decision from ${new Date(t.measuredAt).toLocaleString()}, reused; `,
            `score: ${t.objective}.${t.stale ? ' Stale: observed latency drifted, the next load measures again.' : ''}`,
          ),
          h(
            'div',
            { className: 'table-wrap' },
            h(
              'table',
              { className: 'tuning' },
              h('caption', {}, 'Autotune candidates'),
              h('thead', {}, h('tr', {}, ...['candidate', 'verdict', 'batch 1', 'rows/s', 'max |diff|', 'note'].map((c) => h('th', { scope: 'col' }, c)))),
              h(
                'tbody',
                {},
                ...t.candidates.map((c) =>
                  h(
                    'tr',
                    { className: c.status === 'winner' ? 'winner' : '' },
                    h('th', { scope: 'row' }, c.label),
                    h('td', {}, c.status),
                    h('td', { className: 'num' }, c.latencyMs[1] !== undefined ? formatMs(c.latencyMs[1]) : '–'),
                    h('td', { className: 'num' }, c.rowsPerSecond !== undefined ? String(Math.round(c.rowsPerSecond)) : '–'),
                    h('td', { className: 'num' }, c.maxAbsDiff !== undefined ? c.maxAbsDiff.toPrecision(2) : '–'),
                    h('td', { className: 'why' }, c.reason ?? ''),
                  ),
                ),
              ),
            ),
          ),
        ]
      : [h('p', {}, h('span', { className: 'muted' }, 'Autotune: '), 'not tuned; the backend follows fixed rules (a real GPU first, a software adapter counts as none, then WASM SIMD, then WebGL).')];
    const candidateRows = info.candidates.map((c) =>
      h('tr', {}, h('th', { scope: 'row' }, c.backend), h('td', {}, c.available ? 'yes' : 'no'), h('td', {}, c.tried ? 'yes' : 'no'), h('td', { className: 'why' }, c.why)),
    );
    return h(
      'details',
      { className: 'backend', attrs: { 'data-model': r.entry.id, 'data-owner': r.owner, 'data-tuned': t ? t.source : 'no' } },
      h(
        'summary',
        {},
        h('strong', {}, r.entry.label),
        ` → ${info.backend}, ${info.threads} thread${info.threads > 1 ? 's' : ''}, ${info.schedule.workers} worker${info.schedule.workers > 1 ? 's' : ''}${t ? ' (autotuned)' : ''}`,
      ),
      h('p', {}, h('span', { className: 'muted' }, 'Why: '), t ? t.why : info.reason),
      ...tuning,
      h(
        'div',
        { className: 'table-wrap' },
        h(
          'table',
          {},
          h('caption', {}, 'Backends on this device'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'backend'), h('th', { scope: 'col' }, 'usable'), h('th', { scope: 'col' }, 'tried'), h('th', { scope: 'col' }, 'why'))),
          h('tbody', {}, ...candidateRows),
        ),
      ),
      h('p', {}, h('span', { className: 'muted' }, 'Attempts: '), attempts.join('; ')),
      waterfall(
        info.timings.timeline,
        `Load: ${formatMs(info.timings.timeline.reduce((end, s) => Math.max(end, s.end), 0))}, bytes from ${info.origin.from}${info.timings.prepared ? ', ORT started while they were read' : ''}`,
      ),
      h('p', {}, h('span', { className: 'muted' }, 'Schedule: '), `${info.schedule.mode}; ${info.schedule.reason}`),
      h('p', {}, h('span', { className: 'muted' }, 'Model: '), `${formatBytes(info.sizeBytes)}, ${Object.entries(info.ops).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([op, n]) => `${op}×${n}`).join(' ')}${Object.keys(info.ops).length > 6 ? ' …' : ''}`),
    );
  }

  // Cache ----------------------------------------------------------------------
  let cacheBusy = false;
  async function refreshCache(): Promise<void> {
    const list = $('cache-list');
    let entries: CacheEntryInfo[];
    let usage: CacheUsage;
    try {
      [entries, usage] = await Promise.all([engine.cache.list(), engine.cache.usage()]);
    } catch (e) {
      list.replaceChildren(h('li', { className: 'muted' }, `The cache cannot be read: ${errorText(e)}`));
      return;
    }
    $('cache-usage').textContent = usage.available
      ? `${usage.entries} model${usage.entries === 1 ? '' : 's'}, ${formatBytes(usage.bytes)}` +
        (usage.partials ? `, ${usage.partials} partial download${usage.partials > 1 ? 's' : ''} (${formatBytes(usage.partialBytes)})` : '') +
        (usage.estimate ? `; origin uses ${formatBytes(usage.estimate.usage)} of ${formatBytes(usage.estimate.quota)}` : '') +
        // Seen in Chromium: a private window's in-memory storage counted a 16 MiB Blob as about 5 MiB; values stored as
        // ArrayBuffers are compressed (4 MiB of zeros counted as 0.2 MiB).
        (usage.estimate && usage.estimate.usage < usage.bytes ? ' (less than the models: browsers may count stored data compressed, or in a private window only in part)' : '') +
        (usage.persisted === null ? '' : usage.persisted ? '; persistent' : '; may be evicted by the browser')
      : 'IndexedDB is not available here: models load from the network every time.';
    list.dataset.count = String(entries.length);
    list.replaceChildren(
      ...(entries.length
        ? entries.map((e) => {
            const name = e.urls.length ? labelForUrl(e.urls[0]) : e.sha256.slice(0, 12);
            const del = h('button', { type: 'button', className: 'small secondary', textContent: 'Delete', attrs: { 'aria-label': `Delete ${name} from the cache` } });
            del.addEventListener('click', () => void cacheAction(() => engine.cache.delete(e.sha256)));
            return h(
              'li',
              { attrs: { 'data-sha256': e.sha256 } },
              h('span', { className: 'cache-name', title: e.urls.join('\n') }, name),
              h('span', { className: 'num' }, formatBytes(e.size)),
              del,
            );
          })
        : [h('li', { className: 'muted' }, 'The cache is empty.')]),
    );
  }
  async function cacheAction(fn: () => Promise<unknown>): Promise<void> {
    if (cacheBusy) return;
    cacheBusy = true;
    try {
      await fn();
    } catch (e) {
      $('cache-usage').textContent = `Cache error: ${errorText(e)}`;
    } finally {
      cacheBusy = false;
      await refreshCache();
    }
  }
  $('cache-clear').addEventListener('click', () => void cacheAction(() => engine.cache.clear()));
  $('cache-refresh').addEventListener('click', () => void refreshCache());

  // Warnings ---------------------------------------------------------------------
  let warningsShown = -1;
  function renderWarnings(): void {
    if (warningsShown === state.warnings.length) return;
    warningsShown = state.warnings.length;
    const el = $('warnings');
    el.replaceChildren(...(state.warnings.length ? state.warnings.map((w) => h('li', {}, h('code', {}, w.code), ' ', w.message)) : [h('li', { className: 'muted' }, 'None.')]));
  }

  // Histogram ----------------------------------------------------------------------
  histSelect.addEventListener('change', () => {
    histChoice = histSelect.value;
    renderHistogram();
  });
  // At most twice a second: a busy playground records thousands of requests a second.
  let histTimer: ReturnType<typeof setTimeout> | undefined;
  let histShown = -1;
  function scheduleHistogram(): void {
    if (histTimer !== undefined || histShown === state.latencies.length) return;
    histTimer = setTimeout(() => {
      histTimer = undefined;
      histShown = state.latencies.length;
      renderHistogram();
    }, 500);
  }
  function renderHistogram(): void {
    const labels = [...new Set(state.latencies.map((s) => s.label))];
    const current = [...histSelect.options].map((o) => o.value);
    if (current.length !== labels.length + 1) {
      histSelect.replaceChildren(new Option('all models', ''), ...labels.map((l) => new Option(l, l)));
      histSelect.value = histChoice;
    }
    const values = state.latencies.filter((s) => !histChoice || s.label === histChoice).map((s) => s.ms);
    histogram.show(values);
    const sorted = [...values].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
    const text = values.length
      ? `${values.length} requests: p50 ${formatMs(q(0.5))}, p95 ${formatMs(q(0.95))}, max ${formatMs(sorted[sorted.length - 1])} (round trip from the page).`
      : 'No requests yet.';
    $('hist-summary').textContent = text;
    $('hist-chart').setAttribute('aria-label', `Latency histogram. ${text}`);
  }

  // The cache changes when a load finishes or a model is dropped: refresh then, not on every progress event.
  let loadsSeen = '';
  const refreshSoon = debounce(() => void refreshCache(), 150);
  state.addEventListener('change', () => {
    renderLoads();
    renderWarnings();
    scheduleHistogram();
    const done = state.loads.map((r) => `${r.key}:${r.status}`).join(',');
    if (done !== loadsSeen) {
      loadsSeen = done;
      refreshSoon();
    }
  });
  renderLoads();
  renderWarnings();
  renderHistogram();
  void refreshCache();
  return { refreshCache };
}
