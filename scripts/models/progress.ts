/**
 * What the model build prints. `npm start` runs it before Vite, so by default it says why it is
 * building and about how long it takes, then one line as each model starts and one as it finishes
 * (with its time); the figures measured on the way (sizes, accuracy, map coverage) only with
 * `--verbose` or PAGEINFER_VERBOSE=1: they matter to whoever changes a recipe, not to someone
 * waiting for the demo.
 */

export type Log = (line: string) => void;

/** Why a family of models is built: asked to (--force), a file or its manifest entry is missing, or an input is newer than the files. */
export type BuildReason = 'forced' | 'missing' | { changed: string };

export interface BuildProgress {
  /** Counts the models a family is about to build, for the "3/10" in each line. */
  expect(models: number): void;
  /** Runs one model's build between a start line and a finish line with its time; `done` words the finish. */
  model<T>(file: string, work: () => Promise<T>, done?: (result: T) => string): Promise<T>;
  /** A figure or step only a --verbose run prints. */
  detail: Log;
}

export function buildProgress(log: Log, verbose: boolean): BuildProgress {
  let total = 0;
  let started = 0;
  return {
    expect(models) {
      total += models;
    },
    async model(file, work, done) {
      const n = `${++started}/${Math.max(total, started)}`;
      log(`${n} ${file} …`);
      const t0 = performance.now();
      const result = await work();
      const extra = done ? `, ${done(result)}` : '';
      log(`${n} ${file} done in ${seconds(performance.now() - t0)}${extra}`);
      return result;
    },
    detail: verbose ? log : () => undefined,
  };
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** --verbose on the command line, or PAGEINFER_VERBOSE set to anything but '' or '0'. */
export function verboseRequested(flag: boolean | undefined, env = process.env.PAGEINFER_VERBOSE): boolean {
  return flag === true || (env !== undefined && env !== '' && env !== '0');
}

/**
 * The line printed before a build: why it runs, about how long it takes (the last build's own time
 * when every family has one), and that later runs reuse the models.
 */
export function buildIntro(todo: ReadonlyArray<{ name: string; why: BuildReason; lastMs?: number }>, dir: string, firstRun: boolean): string {
  const names = todo.map((t) => t.name).join(' and ');
  const lastMs = todo.every((t) => t.lastMs !== undefined) ? todo.reduce((sum, t) => sum + t.lastMs!, 0) : undefined;
  const time = lastMs === undefined ? 'This takes a minute or two' : `The last build took ${Math.round(lastMs / 1000)} s`;
  const changed = todo.map((t) => t.why).find((w): w is { changed: string } => typeof w === 'object');
  const why = firstRun
    ? `First run: building the demo's models into ${dir}`
    : todo.some((t) => t.why === 'missing')
      ? `Building the ${names} models missing from ${dir}`
      : changed
        ? `Rebuilding the ${names} models in ${dir}: ${changed.changed} changed since they were built`
        : `Rebuilding the ${names} models in ${dir} as asked (--force)`;
  return `${why}. ${time}; later runs reuse the models until their sources change.`;
}
