/**
 * Finds the browsers the benchmark (and, for Chromium, the e2e tests) can drive:
 * the system's (Debian packages) first, Playwright's own downloads second.
 *
 * - Chromium: /usr/bin/chromium (Playwright, executablePath), else Playwright's Chromium.
 * - Firefox:  /usr/bin/firefox-esr through Playwright's `moz-firefox` channel (WebDriver BiDi;
 *             needs @playwright/test 1.64.x), else Playwright's own Firefox.
 * - WebKit:   Playwright's WebKit where it is installed (it cannot launch Debian's WebKitGTK:
 *             `Unknown option --inspector-pipe`), else WebKitGTK's MiniBrowser over plain W3C
 *             WebDriver (`WebKitWebDriver`), under `xvfb-run` when there is no display.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, firefox, webkit } from '@playwright/test';

export type BrowserName = 'chromium' | 'firefox' | 'webkit';
export const browserNames: readonly BrowserName[] = ['chromium', 'firefox', 'webkit'];

export interface FoundBrowser {
  name: BrowserName;
  found: boolean;
  /** system-playwright: a system binary driven by Playwright; webdriver: WebKitGTK over W3C WebDriver. */
  via?: 'system-playwright' | 'playwright' | 'webdriver';
  executablePath?: string;
  /** WebKitGTK only. */
  webdriver?: { driver: string; miniBrowser: string; xvfbRun?: string };
  /** What was looked for, or why it cannot be used. */
  note: string;
  /** How to get it where it is missing. */
  install: { apt?: string[]; playwright?: string };
}

function which(cmd: string): string | undefined {
  try {
    const out = execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

function playwrightPath(type: { executablePath(): string }): string | undefined {
  try {
    const p = type.executablePath();
    return p && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

/** /usr/lib/<triplet>/webkit2gtk-4.1/MiniBrowser (or 4.0, 6.0), whichever exists. */
export function findMiniBrowser(): string | undefined {
  const roots = ['/usr/lib', '/usr/libexec'];
  for (const root of roots) {
    let dirs: string[] = [];
    try {
      dirs = readdirSync(root);
    } catch {
      continue;
    }
    for (const d of ['', ...dirs]) {
      for (const v of ['webkit2gtk-4.1', 'webkit2gtk-4.0', 'webkitgtk-6.0']) {
        const p = join(root, d, v, 'MiniBrowser');
        if (existsSync(p)) return p;
      }
    }
  }
  return undefined;
}

export function findChromium(): FoundBrowser {
  const install = { apt: ['chromium'], playwright: 'npx playwright install chromium' };
  const system = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (system) return { name: 'chromium', found: true, via: 'system-playwright', executablePath: system, note: `system ${system}`, install };
  const own = playwrightPath(chromium);
  if (own) return { name: 'chromium', found: true, via: 'playwright', executablePath: own, note: `Playwright's ${own}`, install };
  return { name: 'chromium', found: false, note: 'no /usr/bin/chromium and no Playwright Chromium', install };
}

export function findFirefox(): FoundBrowser {
  const install = { apt: ['firefox-esr'], playwright: 'npx playwright install firefox' };
  const system = ['/usr/bin/firefox-esr'].find((p) => existsSync(p));
  if (system) return { name: 'firefox', found: true, via: 'system-playwright', executablePath: system, note: `system ${system} via Playwright's moz-firefox channel (WebDriver BiDi)`, install };
  const own = playwrightPath(firefox);
  if (own) return { name: 'firefox', found: true, via: 'playwright', executablePath: own, note: `Playwright's ${own}`, install };
  return { name: 'firefox', found: false, note: 'no /usr/bin/firefox-esr and no Playwright Firefox', install };
}

export function findWebKit(): FoundBrowser {
  const install = { apt: ['webkit2gtk-driver', 'xvfb'], playwright: 'npx playwright install webkit' };
  const own = playwrightPath(webkit);
  if (own) return { name: 'webkit', found: true, via: 'playwright', executablePath: own, note: `Playwright's ${own}`, install };
  const driver = which('WebKitWebDriver');
  const miniBrowser = findMiniBrowser();
  const xvfbRun = which('xvfb-run');
  const display = !!process.env.DISPLAY;
  const missing = [!driver && 'WebKitWebDriver', !miniBrowser && 'MiniBrowser', !xvfbRun && !display && 'xvfb-run (no DISPLAY)'].filter(Boolean);
  if (driver && miniBrowser && (xvfbRun || display)) {
    return {
      name: 'webkit',
      found: true,
      via: 'webdriver',
      executablePath: miniBrowser,
      webdriver: { driver, miniBrowser, xvfbRun: display ? undefined : xvfbRun },
      note: `WebKitGTK ${miniBrowser} over W3C WebDriver (${driver}${display ? '' : ', under xvfb-run'})`,
      install,
    };
  }
  return { name: 'webkit', found: false, note: `no Playwright WebKit; WebKitGTK missing ${missing.join(', ')}`, install };
}

export function findBrowsers(): Record<BrowserName, FoundBrowser> {
  return { chromium: findChromium(), firefox: findFirefox(), webkit: findWebKit() };
}

export function describeBrowsers(found: Record<BrowserName, FoundBrowser>): string {
  return browserNames
    .map((n) => {
      const b = found[n];
      const how = b.found ? b.note : `MISSING: ${b.note}. Install: ${b.install.apt ? `apt-get install -y ${b.install.apt.join(' ')}` : ''}${b.install.apt && b.install.playwright ? ' or ' : ''}${b.install.playwright ?? ''}`;
      return `${n.padEnd(9)} ${b.found ? 'ok     ' : 'missing'} ${how}`;
    })
    .join('\n');
}
