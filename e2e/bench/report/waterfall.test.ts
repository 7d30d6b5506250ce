import { describe, expect, it } from 'vitest';
import { coldFloorMs } from './summary.js';
import { waterfallSvg, waterfallText } from './waterfall.js';

const timeline = [
  { step: 'request', start: 0, end: 100 },
  { step: 'bytes', start: 100, end: 1000, detail: 'network' },
  { step: 'worker', start: 50, end: 150 },
  { step: 'ort-init', start: 150, end: 400 },
  { step: 'session', start: 1000, end: 1500 },
  { step: 'first-run', start: 1500, end: 1520 },
];

describe('load waterfall', () => {
  it('draws overlapping steps side by side on one axis', () => {
    const lines = waterfallText(timeline, 20).split('\n');
    expect(lines).toHaveLength(6);
    const bar = (i: number) => lines[i].slice(lines[i].indexOf('|') + 1, lines[i].lastIndexOf('|'));
    expect(bar(1).indexOf('█')).toBe(1); // bytes from 100 ms of 1520
    expect(bar(3).indexOf('█')).toBeLessThan(bar(1).lastIndexOf('█')); // ORT started while bytes arrived
    expect(lines[1]).toContain('bytes (network)');
    expect(lines[5]).toMatch(/1500–1520 ms$/);
    expect(waterfallSvg(timeline).match(/<rect /g)).toHaveLength(6);
  });

  it('cold floor: max(last byte, ORT ready) + session + first run', () => {
    expect(coldFloorMs(timeline)).toBe(1000 + 500 + 20);
    expect(coldFloorMs([{ step: 'bytes', start: 0, end: 10 }])).toBeNaN();
  });
});
