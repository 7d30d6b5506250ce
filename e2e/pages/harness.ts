// Exposes the library (from source) to Playwright tests as window.pageinfer.
import * as pageinfer from '../../lib/index.js';

declare global {
  interface Window {
    pageinfer: typeof pageinfer;
    harnessReady: boolean;
  }
}

window.pageinfer = pageinfer;
window.harnessReady = true;
document.getElementById('status')!.textContent = 'ready';
