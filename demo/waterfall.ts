/**
 * A model's load timeline (model.info.timings.timeline) as a small waterfall of CSS bars: one row
 * per step, on one time axis, so that steps that ran at the same time show side by side.
 */
import type { LoadSpan } from '../lib/index.js';
import { formatMs, h } from './dom.js';

/** Percent offsets of each bar on an axis as long as the last step's end. */
export function barLayout(spans: readonly LoadSpan[]): Array<{ left: number; width: number }> {
  const total = Math.max(1, ...spans.map((s) => s.end));
  return spans.map((s) => ({ left: (s.start / total) * 100, width: Math.max(0.5, ((s.end - s.start) / total) * 100) }));
}

export function waterfall(spans: readonly LoadSpan[], caption: string): HTMLElement {
  const layout = barLayout(spans);
  return h(
    'figure',
    { className: 'waterfall', attrs: { 'aria-label': caption } },
    h('figcaption', {}, caption),
    ...spans.map((s, i) =>
      h(
        'div',
        { className: 'wf-row', title: `${s.step}${s.detail ? ` (${s.detail})` : ''}: ${formatMs(s.start)} → ${formatMs(s.end)}` },
        h('span', { className: 'wf-label' }, s.step),
        h('span', { className: 'wf-track' }, h('span', { className: `wf-bar wf-${s.step}`, attrs: { style: `left:${layout[i].left.toFixed(2)}%;width:${layout[i].width.toFixed(2)}%` } })),
        h('span', { className: 'wf-ms num' }, formatMs(s.end - s.start)),
      ),
    ),
  );
}
