/**
 * Text-line sets for the PP-OCR tests and the agreement measure. Pure (no Node
 * APIs), so the e2e page imports it too.
 */

/** Lines the 5×7 font can draw (capitals, digits, space); varied lengths and letter mixes. */
export const evalLines: readonly string[] = [
  'HELLO WORLD',
  'INVOICE 2024 73',
  'QUANTIZE ME',
  'ABCDEFG 123456',
  'PAGE INFER',
  'THE QUICK BROWN FOX',
  'JUMPS OVER 42',
  'LAZY DOGS 9081',
  'TOTAL DUE 1578',
  'ORDER NUMBER 66203',
  'SHIP TO BERLIN',
  'PAID IN FULL',
  'HIJKLMN 7890',
  'OPQRSTU VWXYZ',
  'ROOM 12 FLOOR 3',
  'MARCH 31 2025',
  'KEEP IT SIMPLE',
  'WEB WORKER',
  'ZERO COPY 404',
  'INT8 MODEL',
  'NEXT EXIT 15 MILES',
  'VERSION 4 2 0',
  'DELIVERY BY FRIDAY',
  'GRAND TOTAL 990',
];

/** Different lines for calibration, so static ranges never see the evaluation set. */
export const calibrationLines: readonly string[] = [
  'CALIBRATION LINE 1',
  'SAMPLE TEXT 8642',
  'MOVE FAST 37',
  'PRICE LIST 2019',
  'XYLOPHONE QUIZ',
  'JACKDAWS LOVE MY BIG SPHINX',
  'BOX 55 WHARF ROAD',
  'VIEW 0123456789',
];

export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** Share of `reference` characters that `actual` gets right: 1 − Σ edit distance / Σ reference length. */
export function charAgreement(reference: readonly string[], actual: readonly string[]): number {
  const chars = reference.reduce((n, s) => n + s.length, 0);
  const errors = reference.reduce((n, s, i) => n + editDistance(s, actual[i] ?? ''), 0);
  return chars === 0 ? 1 : 1 - errors / chars;
}
