/**
 * Turns a results file into a self-contained HTML report (Chart.js inlined, no network
 * needed to open it) and a Markdown summary (BENCHMARKS.md).
 *
 *   npx tsx e2e/bench/report/report.ts bench-results/latest-full.json [--markdown BENCHMARKS.md]
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { repoRoot as root, shownDir } from '../paths.js';
import type { BenchResults } from './results.js';
import {
  backendRows,
  behind,
  cacheRows,
  concurrencyGoals,
  concurrencyRows,
  headlines,
  int8Rows,
  memoryRows,
  overheadRows,
  sustainedRows,
  tfjsRows,
} from './summary.js';
import { tuneRows, tuneScore } from './tune-summary.js';
import { waterfallSvg, waterfallText } from './waterfall.js';

// ---- formatting -------------------------------------------------------------

export const ms = (x: number) => (!Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
export const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');
const num = (x: number | null, d = 1) => (x === null || !Number.isFinite(x) ? '–' : x.toFixed(d));
const tuneCells = (s: { within: number; of: number }) => (s.of ? `${s.within} of ${s.of} cells` : '–');
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

interface Table {
  head: string[];
  rows: string[][];
}

function mdTable(t: Table): string {
  if (!t.rows.length) return '_no data_\n';
  return [`| ${t.head.map(mdCell).join(' | ')} |`, `|${t.head.map(() => '---').join('|')}|`, ...t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n') + '\n';
}

function htmlTable(t: Table): string {
  if (!t.rows.length) return '<p><em>no data</em></p>';
  return `<table><thead><tr>${t.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c) => `<td${/WRONG|FAIL|MISMATCH/.test(c) ? ' class="bad"' : ''}>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

// ---- tables shared by HTML and Markdown --------------------------------------

function tables(r: BenchResults) {
  const label = (m: string, v: string) => `${r.models[m as keyof typeof r.models]?.label ?? m} ${v}`;
  const hl = headlines(r);
  const tr = tuneRows(r);
  const headline: Table = {
    head: ['browser', 'pageinfer / ORT main, b1', 'at largest batch', 'pageinfer / ORT proxy, b1', 'at largest batch', 'pageinfer extra ms over compute, b1', 'by message (runChannel: false): / ORT proxy b1, extra ms', 'shared / message, spin 0.5 ms / shared: b1', 'long tasks pageinfer vs ORT main', 'dropped frames pageinfer / ORT main / idle', 'int8 speed-up over f32 by batch', 'hybrid / sequential', '2 workers / 1: streaming, hybrid', 'warm / cold: first result', 'warm / cold: bytes', 'autotune within 10 % of fastest', 'wrong results'],
    rows: hl.map((h) => [
      h.browser,
      ratio(h.overheadB1VsMain),
      ratio(h.overheadBigVsMain),
      ratio(h.overheadB1VsProxy),
      ratio(h.overheadBigVsProxy),
      ms(h.overheadMsB1),
      Number.isFinite(h.overheadB1VsProxyMessage) ? `${ratio(h.overheadB1VsProxyMessage)}, ${ms(h.overheadMsB1Message)}` : '–',
      Number.isFinite(h.sharedVsMessageB1) ? `${ratio(h.sharedVsMessageB1)}, ${ratio(h.spinVsDefaultB1)}` : '–',
      h.longTasksPageinfer === null ? 'no longtask API' : `${h.longTasksPageinfer} vs ${h.longTasksOrtMain}`,
      `${num(h.droppedPctPageinfer)} % / ${num(h.droppedPctOrtMain)} % / ${num(h.droppedPctIdle)} %`,
      Object.entries(h.int8SpeedupByBatch).map(([b, x]) => `b${b} ${ratio(x)}`).join(', ') || '–',
      ratio(h.hybridVsSequential),
      `${ratio(h.twoWorkersStreaming)}, ${ratio(h.twoWorkersHybrid)}`,
      ratio(h.warmVsCold),
      ratio(h.warmVsColdBytes),
      tuneCells(tuneScore(tr, h.browser)),
      String(h.wrongResults),
    ]),
  };
  const ov = overheadRows(r);
  const overhead: Table = {
    head: ['browser', 'model', 'batch', 'pageinfer p50 ms', 'ORT main p50', 'ORT proxy p50', 'pageinfer / main', 'pageinfer / proxy', 'min / min: main, proxy', 'by message / proxy', 'spin 0.5 ms / proxy', 'pageinfer compute p50', 'wrong'],
    rows: ov.map((x) => [x.browser, label(x.model, x.variant), String(x.batch), ms(x.pageinfer), ms(x.ortMain), ms(x.ortProxy), ratio(x.vsMain), ratio(x.vsProxy), `${ratio(x.vsMainMin)}, ${ratio(x.vsProxyMin)}`, ratio(x.vsProxyMessage), ratio(x.vsProxySpin), ms(x.compute), x.wrong ? `WRONG ${x.wrong}` : '0']),
  };
  const loads: Table = {
    head: ['browser', 'model', 'peer', 'load ms (fetch + session)', 'first inference ms', 'load order', 'note'],
    rows: r.peers.flatMap((p) => p.loads.map((l) => [p.browser, label(p.model, p.variant), l.peer, ms(l.loadMs), ms(l.firstRunMs), String(l.order + 1), l.error ?? (l.info ? `${l.info.backend}, ${l.info.threads} thr, session ${ms(l.info.createMs)} ms` : '')])),
  };
  const tf = tfjsRows(r);
  const tfjs: Table = {
    head: ['browser', 'model', 'batch', 'pageinfer p50 ms', 'TF.js wasm p50', 'TF.js WebGL p50', 'pageinfer / TF.js wasm', 'pageinfer / TF.js WebGL', 'wrong'],
    rows: tf.map((x) => [x.browser, label(x.model, x.variant), String(x.batch), ms(x.pageinfer), ms(x.tfjsWasm), ms(x.tfjsWebgl), ratio(x.vsWasm), ratio(x.vsWebgl), x.wrong ? `WRONG ${x.wrong}` : '0']),
  };
  const tfjsNote = r.browsers.some((b) => b.info?.tfjs)
    ? `TF.js ${r.browsers.find((b) => b.info?.tfjs)?.info?.tfjs}: the MNIST CNN rebuilt from tfjs-core ops with the ONNX file's float weights (pages/tfjs-peer.ts).`
    : 'TF.js did not take part: it is not installed (npm i -D @tensorflow/tfjs-core @tensorflow/tfjs-backend-cpu @tensorflow/tfjs-backend-wasm @tensorflow/tfjs-backend-webgl enables it).';
  const i8 = int8Rows(r);
  const int8: Table = {
    head: ['browser', 'model', 'int8 format', 'batch', 'f32 p50 ms', 'int8 p50 ms', 'int8 speed-up (pageinfer, per-round f32/int8)', 'same, raw ORT main', 'size f32/int8'],
    rows: i8.map((x) => [x.browser, r.models[x.model as 'mlp']?.label ?? x.model, `${x.variant}: ${x.format}`, String(x.batch), ms(x.f32), ms(x.int8), ratio(x.speedup), ratio(x.speedupOrt), ratio(x.sizeRatio)]),
  };
  const cr = concurrencyRows(r);
  const concurrency: Table = {
    head: ['browser', 'model', 'config', 'ran as', 'req/s', 'p50 ms', 'p95 ms', 'mean batch', 'compute p50 ms', 'vs sequential', 'wrong'],
    rows: cr.map((x) => [x.browser, label(x.model, x.variant), x.config, x.schedule, num(x.throughput, 0), ms(x.p50), ms(x.p95), num(x.meanBatchSize, 1), ms(x.computeP50), ratio(x.vsSequential), x.wrong ? `WRONG ${x.wrong}` : '0']),
  };
  const met = (ok: boolean) => (ok ? 'met' : 'not met');
  const goals: Table = {
    head: ['browser', 'model', 'hybrid / sequential, 1 worker (goal ≥ 4)', 'same, 2 workers', 'hybrid p95 vs maxDelay + 2 × batch compute, 1 worker', 'same, 2 workers', 'hand-written raw ORT workers p95, 1 / 2 workers', '2 workers / 1: streaming, hybrid (goal ≥ 1.7)', 'same, hand-written raw ORT workers (this machine\'s ceiling)', 'pageinfer hybrid / hand-written, 2 workers'],
    rows: concurrencyGoals(r).map((g) => [
      g.browser,
      label(g.model, g.variant),
      `${ratio(g.hybridVsSequential)} ${met(g.hybridGoal)}`,
      `${ratio(g.hybrid2wVsSequential)} ${met(g.hybrid2wVsSequential >= 4)}`,
      `${ms(g.hybridP95)} vs ${ms(g.p95Bound)} ms ${met(g.p95Goal)}`,
      `${ms(g.hybrid2wP95)} vs ${ms(g.p95Bound2w)} ms ${met(g.hybrid2wP95 <= g.p95Bound2w)}`,
      `${ms(g.rawP95)} / ${ms(g.raw2wP95)} ms`,
      `${ratio(g.streaming2wVs1w)}, ${ratio(g.hybrid2wVs1w)} ${met(g.workersGoal)}`,
      ratio(g.rawCeiling),
      ratio(g.hybrid2wVsRaw),
    ]),
  };
  const tune: Table = {
    head: ['browser', 'model', 'objective', 'tuned choice', 'its figure', 'fastest correct (measured here)', 'its figure', 'gap (goal ≤ 1.10×)', 'candidates run (+ not listed, measured here)', 'tuning ms', 'note'],
    rows: tr.map((x) => {
      const fig = (v: number) => (x.objective === 'latency' ? `${ms(v)} ms` : `${num(v, 0)} rows/s`);
      return [x.browser, label(x.model, x.variant), x.objective === 'latency' ? 'latency, batch 1 (streaming)' : 'throughput, batch 32 (hybrid)', x.winner, fig(x.winnerValue), x.best, fig(x.bestValue), `${ratio(x.gap)} ${x.within10 ? 'met' : 'NOT MET'}`, x.unlisted ? `${x.candidates} (+${x.unlisted})` : String(x.candidates), ms(x.tuningMs), x.error ?? ''];
    }),
  };
  const score = tuneScore(tr);
  const tuneNote = score.of ? `The tuned choice is within 10 % of the fastest correct configuration in ${score.within} of ${score.of} cells (${r.browsers.filter((b) => !b.skipped).map((b) => { const s = tuneScore(tr, b.name); return `${b.name} ${s.within}/${s.of}`; }).join(', ')}).` : 'The tune suite did not run.';
  const sr = sustainedRows(r);
  const sustained: Table = {
    head: ['browser', 'model', 'batch', 'who', 'inferences/s', 'dropped frames %', 'longest frame gap ms', 'long tasks', 'long-task ms per s', 'stalls > 50 ms per s', 'stall ms per s'],
    rows: sr.map((x) => [x.browser, label(x.model, x.variant), String(x.batch), x.who, num(x.inferencesPerS, 1), num(x.droppedPct, 1), ms(x.maxFrameGapMs), x.longTasks === null ? 'n/a' : String(x.longTasks), x.longTaskMsPerS === null ? 'n/a' : num(x.longTaskMsPerS, 0), num(x.stallsPerS, 1), num(x.stallMsPerS, 0)]),
  };
  const ca = cacheRows(r);
  const cache: Table = {
    head: ['browser', 'model', 'MB', `cold (${r.cache[0]?.mbitPerSecond ?? 50} Mbit/s) ms to first result`, 'warm (IndexedDB) ms', 'warm / cold speed-up', 'warm / (cache read + load from memory + run) (goal ≤ 1.15)', 'cold / (max(last byte, ORT ready) + session + run) (goal ≤ 1.15)', 'bytes: download ms', 'bytes: cache read + verify ms', 'session creation ms (warm)', 'downloads while warm', 'correct'],
    rows: ca.map((x) => [x.browser, label(x.model, x.variant), num(x.mb, 2), ms(x.coldMs), ms(x.warmMs), ratio(x.speedup), ratio(x.warmGoal), ratio(x.coldGoal), ms(x.coldBytesMs), ms(x.warmBytesMs), ms(x.createMs), String(x.warmDownloads), x.error ? `FAIL ${x.error}` : x.correct ? 'yes' : 'WRONG']),
  };
  const br = backendRows(r);
  const backends: Table = {
    head: ['browser', 'backend', 'model', 'batch', 'p50 ms', 'load ms', 'verdict', 'adapter / renderer'],
    rows: br.map((x) => [x.browser, x.backend, label(x.model, x.variant), String(x.batch), ms(x.p50), ms(x.loadMs), x.verdict, x.adapter]),
  };
  const mr = memoryRows(r);
  const memory: Table = {
    head: ['browser', 'model', 'peer', 'MB (page + workers)', 'MB above empty page', 'API'],
    rows: mr.map((x) => [x.browser, label(x.model, x.variant), x.peer, num(x.mb, 1), num(x.aboveBaselineMb, 1), x.api]),
  };
  const be = behind(r);
  const behindCounts = new Map<string, { n: number; of: number }>();
  for (const x of overheadRows(r)) {
    for (const [peer, ratioValue] of [['ORT main', x.vsMain], ['ORT proxy', x.vsProxy]] as const) {
      if (!Number.isFinite(ratioValue)) continue;
      const k = `${x.browser}: behind ${peer}`;
      const c = behindCounts.get(k) ?? { n: 0, of: 0 };
      c.of++;
      if (ratioValue > 1.1) c.n++;
      behindCounts.set(k, c);
    }
  }
  const behindSummary = [...behindCounts].map(([k, c]) => `${k} in ${c.n} of ${c.of} cells`).join('; ');
  const behindT: Table = {
    head: ['browser', 'model', 'batch', 'slower than', 'pageinfer / peer', 'pageinfer p50 ms', 'peer p50 ms'],
    rows: be.map((x) => [x.browser, label(x.model, x.variant), String(x.batch), x.peer, ratio(x.ratio), ms(x.pageinfer), ms(x.theirs)]),
  };
  const browsersT: Table = {
    head: ['browser', 'version', 'driven by', 'cross-origin isolated', 'cores reported', 'cores pageinfer sized by', 'ran for s', 'errors'],
    rows: r.browsers.map((b) => [b.name, b.version || '–', b.skipped ? `SKIPPED: ${b.skipped}` : b.via, b.info ? String(b.info.crossOriginIsolated) : '–', b.info ? String(b.info.hardwareConcurrency) : '–', b.info?.parallelism ? b.info.parallelism.why : '–', num(b.durationS, 0), String(b.errors.length)]),
  };
  const modelsT: Table = {
    head: ['model', 'variant', 'format', 'MB', 'source', 'reference check'],
    rows: Object.values(r.models).flatMap((m) =>
      Object.values(m!.variants).map((v) => [m!.label, v.key, v.format, num(v.bytes / 1e6, 2), v.source, m!.referenceChecks.find((c) => c.startsWith(`${v.key}:`))?.replace(/^[^:]+: /, '') ?? '']),
    ),
  };
  const cb = r.cacheBench;
  const cbOk = cb && !('error' in cb) ? cb : null;
  const cacheBenchFirst: Table = {
    head: ['model (synthetic int8)', 'MB', `cold ms (${cbOk?.link ?? '50 Mbit/s'})`, 'warm ms', 'warm / cold speed-up (goal ≥ 10)'],
    rows: (cbOk?.timeToFirstResult ?? []).map((x) => [x.name, num(x.bytes / 1e6, 1), ms(x.cold.medianMs), ms(x.warm.medianMs), ratio(x.speedup)]),
  };
  const cacheBenchRead: Table = {
    head: ['model', 'MB', 'warm read through the cache ms (lock, lookup, chunks, SHA-256)', 'raw idb-keyval get ms', 'cache / raw (goal ≤ 1.2)'],
    rows: (cbOk?.warmRead ?? []).map((x) => [x.name, num(x.bytes / 1e6, 1), ms(x.cacheMedianMs), ms(x.rawGetMedianMs), ratio(x.ratio)]),
  };
  const waterfalls = ca.flatMap((x) => [
    { title: `${x.browser} · ${label(x.model, x.variant)} · cold`, spans: x.coldTimeline },
    { title: `${x.browser} · ${label(x.model, x.variant)} · warm`, spans: x.warmTimeline },
  ]).filter((w) => w.spans.length);
  const cacheBenchNote = cb ? ('error' in cb ? `e2e/bench/cache.bench.ts failed: ${cb.error}` : `e2e/bench/cache.bench.ts, ${cbOk?.browser ?? 'Chromium'}`) : 'e2e/bench/cache.bench.ts did not run in this preset';
  return { behindSummary, headline, overhead, loads, tfjs, tfjsNote, int8, concurrency, goals, tune, tuneNote, sustained, cache, cacheBenchFirst, cacheBenchRead, cacheBenchNote, waterfalls, backends, memory, behind: behindT, browsers: browsersT, models: modelsT };
}

function problems(r: BenchResults): string[] {
  const out: string[] = [];
  for (const b of r.browsers) {
    if (b.skipped) out.push(`**${b.name}**: skipped — ${b.skipped}`);
    for (const n of b.notes ?? []) out.push(`**${b.name}**: ${n}`);
    for (const e of b.errors) out.push(`**${b.name}**: ${e.split('\n')[0].slice(0, 300)}`);
  }
  const seen = new Set<string>();
  for (const x of backendRows(r)) {
    if (x.backend === 'wasm' || x.verdict === 'ok' || x.refused) continue;
    const unavailable = /BACKEND_UNAVAILABLE/.test(x.verdict);
    const key = unavailable ? `${x.browser} ${x.backend} unavailable` : `${x.browser} ${x.backend} ${x.model}/${x.variant}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(unavailable ? `**${x.browser}** ${x.backend}: not available to pageinfer (${x.adapter || x.verdict})` : `**${x.browser}** ${x.backend} ${x.model}/${x.variant}: ${x.verdict}`);
  }
  for (const c of cacheRows(r)) if (c.error) out.push(`**${c.browser}** cache ${c.model}/${c.variant}: ${c.error}`);
  return [...new Set(out)];
}

// ---- charts --------------------------------------------------------------------

interface ChartSpec {
  id: string;
  title: string;
  note?: string;
  type: 'bar' | 'line';
  labels: string[];
  datasets: Array<{ label: string; data: Array<number | null>; type?: 'line' | 'bar' }>;
  logY?: boolean;
  yTitle: string;
  xTitle?: string;
  /** Draw a dashed line at this y (e.g. 1× for ratios). */
  refY?: number;
}

const val = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toPrecision(4)));

function charts(r: BenchResults): ChartSpec[] {
  const out: ChartSpec[] = [];
  const ov = overheadRows(r);
  const browsers = [...new Set(r.browsers.filter((b) => !b.skipped).map((b) => b.name))];
  const models = [...new Set(ov.map((x) => x.model))];
  const label = (m: string) => r.models[m as 'mlp']?.label ?? m;
  for (const m of models) {
    const rows = ov.filter((x) => x.model === m);
    const cells = [...new Set(rows.map((x) => `${x.variant} b${x.batch}`))];
    const labels = browsers.flatMap((b) => cells.map((c) => `${b} · ${c}`));
    const pick = (b: string, c: string) => rows.find((x) => x.browser === b && `${x.variant} b${x.batch}` === c);
    out.push({
      id: `lat-${m}`,
      title: `${label(m)}: latency p50 by peer, browser, precision and batch (wasm)`,
      type: 'bar',
      labels,
      datasets: [
        { label: 'pageinfer (worker)', data: browsers.flatMap((b) => cells.map((c) => val(pick(b, c)?.pageinfer))) },
        { label: 'raw ORT, main thread', data: browsers.flatMap((b) => cells.map((c) => val(pick(b, c)?.ortMain))) },
        { label: 'raw ORT, proxy worker', data: browsers.flatMap((b) => cells.map((c) => val(pick(b, c)?.ortProxy))) },
        ...(['tfjs-wasm', 'tfjs-webgl'] as const)
          .map((peer) => ({
            label: `TF.js ${peer.slice(5)} (same weights)`,
            data: browsers.flatMap((b) => cells.map((c) => {
              const [variant, bs] = c.split(' b');
              const batch = r.peers.find((p) => p.browser === b && p.model === m && p.variant === variant)?.batches.find((x) => x.batch === Number(bs));
              return val(batch?.summary[peer]?.p50);
            })),
          }))
          .filter((d) => d.data.some((v) => v !== null)),
      ],
      logY: true,
      yTitle: 'ms (log)',
    });
  }
  const cells = [...new Set(ov.map((x) => `${x.model}/${x.variant} b${x.batch}`))];
  for (const [peer, key] of [['raw ORT on the main thread', 'vsMain'], ['raw ORT with proxy worker', 'vsProxy']] as const) {
    out.push({
      id: `ratio-${key}`,
      title: `pageinfer / ${peer}: p50 ratio, per cell (median of per-round ratios; < 1 = pageinfer faster)`,
      type: 'bar',
      labels: cells,
      datasets: browsers.map((b) => ({ label: b, data: cells.map((c) => val(ov.find((x) => x.browser === b && `${x.model}/${x.variant} b${x.batch}` === c)?.[key])) })),
      yTitle: 'ratio',
      refY: 1,
      logY: true,
    });
  }
  const br = backendRows(r).filter((x) => x.batch === 1);
  const bcells = [...new Set(br.map((x) => `${x.model}/${x.variant}`))];
  const bsets = [...new Set(br.map((x) => `${x.browser} ${x.backend}`))];
  out.push({
    id: 'backends',
    title: 'pageinfer latency p50 at batch 1 by backend and browser (missing bar = backend unavailable or refused the model; see the table)',
    type: 'bar',
    labels: bcells,
    datasets: bsets.map((s) => ({ label: s, data: bcells.map((c) => val(br.find((x) => `${x.browser} ${x.backend}` === s && `${x.model}/${x.variant}` === c && x.verdict === 'ok')?.p50)) })),
    logY: true,
    yTitle: 'ms (log)',
  });
  const i8 = int8Rows(r);
  const series = [...new Set(i8.map((x) => `${x.browser} ${x.model}/${x.variant}`))];
  const batches = [...new Set(i8.map((x) => x.batch))].sort((a, b) => a - b);
  out.push({
    id: 'int8',
    title: 'int8 speed-up over f32 by batch (f32 p50 / int8 p50, through pageinfer on wasm; > 1 = int8 faster)',
    type: 'line',
    labels: batches.map((b) => `batch ${b}`),
    datasets: series.map((s) => ({ label: s, data: batches.map((b) => val(i8.find((x) => `${x.browser} ${x.model}/${x.variant}` === s && x.batch === b)?.speedup)) })),
    yTitle: 'f32 / int8',
    refY: 1,
  });
  const cr = concurrencyRows(r);
  const configs = [...new Set(cr.map((x) => x.config))];
  const cseries = [...new Set(cr.map((x) => `${x.browser} ${x.model}/${x.variant}`))];
  out.push({
    id: 'concurrency',
    title: `64 concurrent single-row requests: throughput by schedule (1 wasm thread per worker)`,
    type: 'bar',
    labels: configs,
    datasets: cseries.map((s) => ({ label: s, data: configs.map((c) => val(cr.find((x) => `${x.browser} ${x.model}/${x.variant}` === s && x.config === c)?.throughput)) })),
    yTitle: 'requests / s',
  });
  const sr = sustainedRows(r);
  const scells = [...new Set(sr.map((x) => `${x.browser} · ${x.model}/${x.variant} b${x.batch}`))];
  const whos = [...new Set(sr.map((x) => x.who))];
  const sPick = (c: string, w: string) => sr.find((x) => `${x.browser} · ${x.model}/${x.variant} b${x.batch}` === c && x.who === w);
  out.push({
    id: 'dropped',
    title: 'Dropped animation frames during sustained back-to-back inference (% of frames)',
    type: 'bar',
    labels: scells,
    datasets: whos.map((w) => ({ label: w, data: scells.map((c) => val(sPick(c, w)?.droppedPct)) })),
    yTitle: '% frames dropped',
  });
  out.push({
    id: 'longtasks',
    title: "Main thread blocked during sustained inference, ms per second: long tasks (PerformanceObserver 'longtask') where the browser has them, else stalls of a 10 ms heartbeat over 50 ms",
    type: 'bar',
    labels: scells,
    datasets: whos.map((w) => ({ label: w, data: scells.map((c) => { const x = sPick(c, w); return val(x ? (x.longTaskMsPerS ?? x.stallMsPerS) : null); }) })),
    yTitle: 'ms blocked per s',
  });
  const ca = cacheRows(r);
  out.push({
    id: 'cache',
    title: `Cold (network at ${r.cache[0]?.mbitPerSecond ?? 50} Mbit/s, empty cache) vs warm (IndexedDB, fresh page): time to the first result, and the part spent getting the bytes`,
    type: 'bar',
    labels: ca.map((x) => `${x.browser} · ${x.model}/${x.variant} (${x.mb.toFixed(1)} MB)`),
    datasets: [
      { label: 'cold: first result', data: ca.map((x) => val(x.coldMs)) },
      { label: 'warm: first result', data: ca.map((x) => val(x.warmMs)) },
      { label: 'cold: download', data: ca.map((x) => val(x.coldBytesMs)) },
      { label: 'warm: cache read + verify', data: ca.map((x) => val(x.warmBytesMs)) },
    ],
    yTitle: 'ms',
  });
  const mr = memoryRows(r);
  if (mr.length) {
    const mcells = [...new Set(mr.map((x) => `${x.browser} · ${x.model}/${x.variant}`))];
    const peers = [...new Set(mr.map((x) => x.peer))];
    out.push({
      id: 'memory',
      title: 'Memory above an empty page after load + a few runs (measureUserAgentSpecificMemory: page and its workers)',
      type: 'bar',
      labels: mcells,
      datasets: peers.map((p) => ({ label: p, data: mcells.map((c) => val(mr.find((x) => `${x.browser} · ${x.model}/${x.variant}` === c && x.peer === p)?.aboveBaselineMb)) })),
      yTitle: 'MB',
    });
  }
  return out.filter((c) => c.labels.length && c.datasets.some((d) => d.data.some((v) => v !== null)));
}

// ---- HTML -------------------------------------------------------------------------

export function chartJsSource(): string | null {
  const candidates = [process.env.PAGEINFER_CHARTJS];
  try {
    const req = createRequire(join(root, 'package.json'));
    const pkg = req.resolve('chart.js/package.json');
    candidates.push(join(dirname(pkg), 'dist/chart.umd.min.js'), join(dirname(pkg), 'dist/chart.umd.js'));
  } catch {
    // not installed
  }
  candidates.push(join(root, 'node_modules/chart.js/dist/chart.umd.min.js'), join(root, 'node_modules/chart.js/dist/chart.umd.js'));
  for (const c of candidates) if (c && existsSync(c)) return readFileSync(c, 'utf8');
  return null;
}

const palette = ['#3366cc', '#dc3912', '#ff9900', '#109618', '#990099', '#0099c6', '#dd4477', '#66aa00', '#b82e2e', '#316395', '#994499', '#22aa99', '#aaaa11', '#6633cc', '#e67300', '#8b0707'];

const clientScript = `
const palette = ${JSON.stringify(palette)};
for (const spec of window.CHARTS) {
  const canvas = document.getElementById('chart-' + spec.id);
  const datasets = spec.datasets.map((d, i) => ({ ...d, backgroundColor: palette[i % palette.length], borderColor: palette[i % palette.length], borderWidth: spec.type === 'line' ? 2 : 0, tension: 0.2, spanGaps: true }));
  if (spec.refY !== undefined) datasets.push({ type: 'line', label: spec.refY + '×', data: spec.labels.map(() => spec.refY), borderColor: '#444', borderDash: [6, 4], borderWidth: 1, pointRadius: 0, backgroundColor: 'transparent' });
  // A log axis starts at a power of ten below the smallest value, so no bar is drawn with zero height.
  const values = spec.datasets.flatMap((d) => d.data).filter((v) => v !== null && v > 0);
  const logMin = spec.logY && values.length ? Math.pow(10, Math.floor(Math.log10(Math.min(...values)))) : undefined;
  new Chart(canvas, {
    type: spec.type,
    data: { labels: spec.labels, datasets },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom' }, tooltip: { callbacks: { label: (c) => c.dataset.label + ': ' + (c.parsed.y === null ? '–' : c.parsed.y) } } },
      scales: { y: { type: spec.logY ? 'logarithmic' : 'linear', min: logMin, title: { display: true, text: spec.yTitle }, beginAtZero: !spec.logY }, x: { ticks: { autoSkip: false, maxRotation: 70, minRotation: 30 } } },
    },
  });
}`;

function html(r: BenchResults): string {
  const t = tables(r);
  const specs = charts(r);
  const chartjs = chartJsSource();
  const section = (title: string, body: string) => `<section><h2>${esc(title)}</h2>${body}</section>`;
  const chartBlock = (id: string) => {
    const s = specs.find((c) => c.id === id);
    if (!s) return '';
    const height = Math.max(320, Math.min(560, 200 + s.labels.length * 6));
    return `<figure><figcaption>${esc(s.title)}</figcaption><div class="chart" style="height:${height}px"><canvas id="chart-${s.id}"></canvas></div></figure>`;
  };
  const m = r.machine;
  const probs = problems(r);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pageinfer benchmarks ${esc(r.id)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1400px; color: #222; padding: 0 16px; }
h1 { margin-bottom: 4px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 12.5px; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f3f5f8; } tr:nth-child(even) td { background: #fafafa; } td.bad { background: #fde2e1 !important; }
figure { margin: 16px 0 28px; } figcaption { font-weight: 600; margin-bottom: 6px; } .chart { position: relative; width: 100%; }
.meta { color: #555; } .warn { background: #fff4d6; border: 1px solid #e0c060; padding: 8px 12px; } code { background: #f3f3f3; padding: 0 3px; }
details { margin: 8px 0; }
</style></head><body>
<h1>pageinfer benchmarks</h1>
<p class="meta">${esc(r.preset)} run <code>${esc(r.id)}</code> · ${esc(r.startedAt)} · ${num(r.durationS, 0)} s · <code>${esc(r.command)}</code><br>
${esc(`${m.cpuModel}, ${m.cores} cores, ${m.memGiB} GiB, ${m.platform} ${m.release}, Node ${m.node}`)} · load average at start ${m.loadavgStart.map((x) => x.toFixed(1)).join('/')}, at end ${m.loadavgEnd.map((x) => x.toFixed(1)).join('/')} (other work on the machine shows here)<br>
${esc(Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(' · '))}</p>
${chartjs ? '' : '<p class="warn">Chart.js was not found (node_modules/chart.js): this report has tables only. Install the chart.js dev dependency and rebuild it with <code>npx tsx e2e/bench/report/report.ts FILE</code>.</p>'}
${r.browsers.some((b) => b.skipped) || probs.length ? `<div class="warn"><strong>What did not work</strong><ul>${probs.map((p) => `<li>${esc(p.replace(/\*\*/g, ''))}</li>`).join('')}</ul></div>` : ''}
${section('Headlines', htmlTable(t.headline) + '<p>Ratios: pageinfer / peer of p50 latency, median over interleaved rounds, geometric mean over cells. < 1× means pageinfer is faster. int8 speed-up: f32 p50 / int8 p50 (> 1× = int8 faster).</p>')}
${section('Where pageinfer is behind a peer (> 1.1×)', `<p>${esc(t.behindSummary)}</p>` + htmlTable(t.behind))}
${section('Latency against peers (wasm)', chartBlock('lat-mlp') + chartBlock('lat-mnist') + chartBlock('lat-ppocr') + chartBlock('ratio-vsMain') + chartBlock('ratio-vsProxy') + htmlTable(t.overhead) + '<details><summary>Load time and first inference</summary>' + htmlTable(t.loads) + '</details>')}
${section('TF.js (same MNIST weights)', `<p>${esc(t.tfjsNote)}</p>` + htmlTable(t.tfjs))}
${section('int8 against f32', chartBlock('int8') + htmlTable(t.int8))}
${section('Schedules: 64 concurrent requests', chartBlock('concurrency') + htmlTable(t.concurrency) + htmlTable(t.goals))}
${section('Autotune against the fastest correct configuration', `<p>${esc(t.tuneNote)} Each cell: pageinfer tunes the model (threads auto, default candidates, a fresh measurement); then every candidate it listed, and every wasm configuration the reported cores give that it left out ("+ n"), is loaded as a fixed configuration and measured here, interleaved in rounds, every result checked.</p>` + htmlTable(t.tune))}
${section('Main thread during sustained inference', chartBlock('dropped') + chartBlock('longtasks') + htmlTable(t.sustained))}
${section('Backends', chartBlock('backends') + htmlTable(t.backends))}
${section('Cache: cold against warm', chartBlock('cache') + htmlTable(t.cache) + t.waterfalls.map((w) => `<h4>${esc(w.title)}</h4>${waterfallSvg(w.spans)}`).join('') + `<h3>${esc(t.cacheBenchNote)}</h3>` + htmlTable(t.cacheBenchFirst) + htmlTable(t.cacheBenchRead))}
${section('Memory', chartBlock('memory') + htmlTable(t.memory))}
${section('Browsers', htmlTable(t.browsers) + `<details><summary>Flags and environment</summary><ul>${r.browsers.map((b) => `<li>${esc(b.name)}: flags <code>${esc(b.flags.join(' ') || '(none)')}</code> env <code>${esc(JSON.stringify(b.env))}</code>${b.headless ? ' headless' : ' headed'}</li>`).join('')}</ul></details>`)}
${section('Models', htmlTable(t.models))}
<p class="meta">Raw samples: <code>${esc(r.id)}.json</code> in the run's results folder.</p>
<script>window.CHARTS = ${JSON.stringify(specs).replace(/</g, '\\u003c')};</script>
${chartjs ? `<script>${chartjs.replace(/<\/script/gi, '<\\/script')}</script><script>${clientScript}</script>` : ''}
</body></html>`;
}

// ---- Markdown ------------------------------------------------------------------------

/** `resultsDir`: where the run wrote its results, as the reader should find them (relative to the repo root when inside it). */
function markdown(r: BenchResults, resultsDir: string): string {
  const t = tables(r);
  const m = r.machine;
  const probs = problems(r);
  const b = r.browsers.filter((x) => !x.skipped).map((x) => `${x.name} ${x.version}`).join(', ');
  return `# Benchmarks

Generated by \`npm run bench\` (\`${r.command}\`) on ${r.startedAt.slice(0, 10)} — do not edit by hand.
The full report with charts is \`${resultsDir}/report.html\` (self-contained; regenerate with \`npm run bench\`), the raw samples \`${resultsDir}/${r.id}.json\`.

**Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memGiB} GiB, ${m.platform} ${m.release}, Node ${m.node}; load average ${m.loadavgStart.map((x) => x.toFixed(1)).join('/')} at start, ${m.loadavgEnd.map((x) => x.toFixed(1)).join('/')} at end. **Browsers:** ${b}. **Versions:** ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}. Run time ${num(r.durationS / 60, 1)} min.

How to read: every peer runs the same model bytes on the same inputs in the same page, interleaved in rounds; a ratio is pageinfer / peer of p50 latency per round, then the median over rounds (geometric mean over cells in the headline). < 1× means pageinfer is faster. All wasm peers use the same ORT build and ${(r.plan as { threads?: number }).threads ?? '?'} wasm thread(s). Every result is checked against a reference computed in Node (and that reference against an independent one, see Models).

## Headlines

${mdTable(t.headline)}
## Where pageinfer is behind a peer (> 1.1×)

${t.behindSummary}. The ${Math.min(25, t.behind.rows.length)} largest gaps (all of them: the report):

${mdTable({ head: t.behind.head, rows: t.behind.rows.slice(0, 25) })}
## What did not work

${probs.length ? probs.map((p) => `- ${p}`).join('\n') : '- nothing'}

## Latency against peers (wasm)

${mdTable(t.overhead)}
## TF.js, same MNIST CNN weights

${t.tfjsNote}

${mdTable(t.tfjs)}
## int8 against f32

${mdTable(t.int8)}
## Schedules: 64 concurrent single-row requests, 1 wasm thread per worker

${mdTable(t.concurrency)}
${mdTable(t.goals)}
## Autotune against the fastest correct configuration

${t.tuneNote} Each cell: pageinfer tunes the model (threads auto, default candidates, a fresh measurement); then every candidate it listed, and every wasm configuration the reported cores give that it left out ("+ n"), is loaded as a fixed configuration and measured here, interleaved in rounds, every result checked.

${mdTable(t.tune)}
## Main thread during sustained inference

${mdTable(t.sustained)}
## Cache: cold against warm

Real models, every browser (first result after \`engine.load\`: cold = empty cache, throttled server; warm = a fresh page, IndexedDB):

${mdTable(t.cache)}
Each load's timeline (\`model.info.timings.timeline\`, ms from \`engine.load\`; bars that overlap ran at the same time):

${t.waterfalls.map((w) => `${w.title}\n\n\`\`\`text\n${waterfallText(w.spans)}\n\`\`\`\n`).join('\n')}
The cache's own benchmark (${t.cacheBenchNote}):

${mdTable(t.cacheBenchFirst)}
${mdTable(t.cacheBenchRead)}
## Backends

${mdTable(t.backends)}
## Memory

${mdTable(t.memory)}
## Browsers

${mdTable(t.browsers)}
## Models

${mdTable(t.models)}`;
}

export function writeReports(r: BenchResults, opts: { outDir: string; markdown?: string }): string[] {
  mkdirSync(opts.outDir, { recursive: true });
  const written: string[] = [];
  const page = join(opts.outDir, `${r.id}.html`);
  writeFileSync(page, html(r));
  copyFileSync(page, join(opts.outDir, 'report.html'));
  written.push(page, join(opts.outDir, 'report.html'));
  if (opts.markdown) {
    writeFileSync(opts.markdown, markdown(r, shownDir(opts.outDir)));
    written.push(opts.markdown);
  }
  if (!chartJsSource()) console.warn('[report] chart.js not found in node_modules: the HTML report has tables only');
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const [file, ...rest] = process.argv.slice(2);
  if (!file) {
    console.error('Usage: report.ts RESULTS.json [--markdown BENCHMARKS.md] [--out DIR]');
    process.exit(2);
  }
  const r = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  const md = rest.indexOf('--markdown');
  const out = rest.indexOf('--out');
  for (const w of writeReports(r, { outDir: out >= 0 ? resolve(rest[out + 1]) : dirname(resolve(file)), markdown: md >= 0 ? resolve(rest[md + 1]) : undefined })) console.log(`wrote ${w}`);
}
