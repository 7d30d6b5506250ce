/**
 * Finds the benchmark browsers and, with --install, installs the missing ones:
 * with apt on Debian/Ubuntu (as root, or through sudo), else with `npx playwright install`.
 *
 *   npx tsx scripts/browsers/setup.ts [--install] [--browsers chromium,firefox,webkit]
 *
 * Exits 1 when a requested browser is still missing, and says which and how to get it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { browserNames, describeBrowsers, findBrowsers, type BrowserName } from './find.js';

function parse(argv: string[]): { install: boolean; browsers: BrowserName[] } {
  let install = false;
  let browsers = [...browserNames];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--install') install = true;
    else if (a === '--browsers') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean) as BrowserName[];
      const bad = list.filter((b) => !browserNames.includes(b));
      if (bad.length) throw new Error(`Unknown browser(s) ${bad.join(', ')}; known: ${browserNames.join(', ')}`);
      browsers = list;
    } else if (a === '--help' || a === '-h') {
      console.log('Usage: setup.ts [--install] [--browsers chromium,firefox,webkit]');
      process.exit(0);
    } else throw new Error(`Unknown argument '${a}'`);
  }
  return { install, browsers };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): boolean {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
const hasSudo = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v sudo'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const { install, browsers } = parse(process.argv.slice(2));
let found = findBrowsers();
console.log(describeBrowsers(found));

const missing = () => browsers.filter((b) => !found[b].found);
if (install && missing().length) {
  const apt = [...new Set(missing().flatMap((b) => found[b].install.apt ?? []))];
  if (hasApt && apt.length && (isRoot || hasSudo)) {
    const sudo = isRoot ? [] : ['sudo'];
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    const [cmd, ...pre] = [...sudo, 'apt-get'];
    run(cmd, [...pre, 'update'], env);
    run(cmd, [...pre, 'install', '-y', '--no-install-recommends', ...apt], env);
    found = findBrowsers();
  }
  const still = missing();
  if (still.length) {
    // Elsewhere (macOS, other distros, no root): Playwright's own builds, downloaded from its CDN.
    run('npx', ['playwright', 'install', ...still]);
    found = findBrowsers();
  }
  console.log('\nafter install:');
  console.log(describeBrowsers(found));
}

const left = missing();
if (left.length) {
  console.error(`\nmissing: ${left.join(', ')}${install ? '' : ' (run with --install to install them)'}`);
  process.exit(1);
}
