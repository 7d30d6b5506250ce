/**
 * Runs, from messages and from the shared-memory channel alike, go one at a time in arrival order:
 * an ORT session must not be entered again while a run of it awaits, and the page pipelines jobs
 * into a busy worker.
 */
let tail: Promise<unknown> = Promise.resolve();

/** Queues `job` behind the runs queued before it; resolves when it has run (it never rejects). */
export function enqueueRun(job: () => Promise<void>): Promise<void> {
  const done = tail.then(job).catch(() => {});
  tail = done;
  return done;
}

/** Resolves once every run queued so far has run. */
export function runsIdle(): Promise<unknown> {
  return tail;
}
