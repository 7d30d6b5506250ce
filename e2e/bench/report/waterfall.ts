/**
 * A load's timeline (model.info.timings.timeline) drawn as a waterfall: one bar per step on a shared
 * time axis, so that steps that overlap show side by side. Text for BENCHMARKS.md, SVG for report.html.
 */

export interface Span {
  step: string;
  start: number;
  end: number;
  detail?: string;
}

const label = (s: Span) => `${s.step}${s.detail ? ` (${s.detail})` : ''}`;

/** Bars of `width` characters, in a code block's lines: `step  |   ████     |  120–1900 ms`. */
export function waterfallText(spans: readonly Span[], width = 48): string {
  if (!spans.length) return '(no timeline)';
  const total = Math.max(...spans.map((s) => s.end), 1);
  const names = spans.map(label);
  const pad = Math.max(...names.map((n) => n.length));
  return spans
    .map((s, i) => {
      const a = Math.min(width - 1, Math.floor((s.start / total) * width));
      const b = Math.max(a + 1, Math.min(width, Math.round((s.end / total) * width)));
      const bar = ' '.repeat(a) + '█'.repeat(b - a) + ' '.repeat(width - b);
      return `${names[i].padEnd(pad)} |${bar}| ${Math.round(s.start)}–${Math.round(s.end)} ms`;
    })
    .join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** An inline SVG waterfall (no script), `width` px wide. */
export function waterfallSvg(spans: readonly Span[], width = 640): string {
  const row = 16;
  const labelW = 170;
  const barW = width - labelW - 90;
  const total = Math.max(...spans.map((s) => s.end), 1);
  const x = (ms: number) => labelW + (ms / total) * barW;
  const colors: Record<string, string> = { request: '#999', bytes: '#4e79a7', verify: '#76b7b2', worker: '#edc948', wasm: '#f28e2b', 'ort-init': '#e15759', session: '#59a14f', pool: '#9c755f', 'first-run': '#b07aa1' };
  const bars = spans
    .map((s, i) => {
      const y = i * row;
      const w = Math.max(1, x(s.end) - x(s.start));
      return (
        `<text x="0" y="${y + 12}" font-size="11">${esc(label(s))}</text>` +
        `<rect x="${x(s.start).toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${row - 6}" fill="${colors[s.step] ?? '#666'}"><title>${esc(label(s))}: ${Math.round(s.start)}–${Math.round(s.end)} ms</title></rect>` +
        `<text x="${(x(s.end) + 4).toFixed(1)}" y="${y + 12}" font-size="10" fill="#555">${Math.round(s.end - s.start)} ms</text>`
      );
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${spans.length * row + 4}" role="img" aria-label="load waterfall">${bars}</svg>`;
}
