import { existsSync } from 'node:fs';

/** Debian's Chromium when installed (no download possible here), else Playwright's own. */
export const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Flags for running as root in a closed network; WebGPU is opt-in on Linux. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-webgpu',
  // performance.measureUserAgentSpecificMemory() at once (it forces a GC) rather than at the next GC, seconds later.
  '--enable-blink-features=ForceEagerMeasureMemory',
];

/** Debian's Firefox ESR, driven through Playwright's moz-firefox channel (WebDriver BiDi). */
export const firefoxPath = ['/usr/bin/firefox-esr'].find((p) => existsSync(p));
