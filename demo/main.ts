/**
 * The demo page: three demos (digits, OCR, batching) around one engine, and
 * the engine panel. The MNIST model loads first (it is small); the OCR models
 * follow; the playground loads its own copy when you press Run.
 */
import { setupDigits } from './digits.js';
import { $ } from './dom.js';
import { missingInt8 } from './models.js';
import { setupOcr } from './ocr.js';
import { setupOps } from './ops.js';
import { setupPanel } from './panel.js';
import { setupPlayground } from './playground.js';

const missing = missingInt8();
$('models-note').textContent = missing.length
  ? `Not built yet: the int8 ${missing.join(', ')} model${missing.length > 1 ? 's' : ''} (npx tsx scripts/models/build.ts writes them to models/). Until then the float originals run in their place, and are labelled so.`
  : 'All three models run int8 builds from models/ by default; the OCR section compares them with the float originals.';

const digits = setupDigits();
const ocr = setupOcr();
const playground = setupPlayground();
setupPanel(async () => {
  await Promise.all([digits.reload(), ocr.reset(), playground.reset()]);
});
setupOps();

// The engine panel collapses to one line on narrow screens.
const toggle = $<HTMLButtonElement>('panel-toggle');
toggle.addEventListener('click', () => {
  const open = toggle.getAttribute('aria-expanded') !== 'true';
  toggle.setAttribute('aria-expanded', String(open));
  toggle.textContent = open ? 'Hide details' : 'Show details';
  $('panel').classList.toggle('open', open);
});

// The OCR models (megabytes, and seconds of compiling on both cores) load when their section comes into view or is
// used, not at start: compiling them while you draw would make the drawing stutter on a small machine.
let ocrStarted = false;
const startOcr = () => {
  if (ocrStarted) return;
  ocrStarted = true;
  observer.disconnect();
  void ocr.loadDefault();
};
const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && startOcr(), { rootMargin: '0px 0px -25% 0px' });
void digits.ready.then(() => {
  if (!ocrStarted) observer.observe($('ocr-section'));
});
for (const type of ['focusin', 'dragenter', 'pointerdown']) $('ocr-section').addEventListener(type, startOcr);
document.addEventListener('paste', startOcr);
