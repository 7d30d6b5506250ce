/**
 * Why a worker script did not load. A module worker's `error` event carries no
 * message in Chromium, so the page looks for itself: the script's HTTP status
 * and MIME type, then the module graph, imported in a throwaway worker whose
 * dynamic `import()` rejects with the browser's own message.
 */

export type WorkerLoadCause = 'not-found' | 'unreachable' | 'not-javascript' | 'module-error' | 'transient' | 'unknown';

export interface WorkerLoadDiagnosis {
  cause: WorkerLoadCause;
  /** What went wrong, in the browser's words where it gave some. */
  detail: string;
  /** What to do about it. */
  hint: string;
  status?: number;
  contentType?: string;
}

const probeMs = 4000;

const hints: Record<WorkerLoadCause, string> = {
  'not-found':
    "Bundlers emit it from pageinfer's dist/worker.js (the `new Worker(new URL('./worker.js', import.meta.url))` in dist/index.js); when you serve files yourself, serve node_modules/pageinfer/dist/ as it is, or give createEngine a createWorker that points at your copy.",
  unreachable: 'The request itself failed: a Content-Security-Policy (worker-src, script-src), an offline server, or a cross-origin URL.',
  'not-javascript': 'The server answered with something other than JavaScript (often an app fallback page); serve dist/worker.js with a JavaScript MIME type.',
  'module-error':
    "pageinfer's worker is one ES module that imports nothing but onnxruntime-web's ES entries; an error naming another file means the worker was rebuilt or served wrongly (README, \"Install\" has configs that are tested).",
  transient: 'The script loads now: it failed while a dev server was still preparing dependencies (first start). Loading again works.',
  unknown: 'The browser gave no reason and the script could not be examined (a custom createWorker, or a CSP that blocks the check).',
};

export async function diagnoseWorkerLoad(url: string | undefined, browserMessage: string): Promise<WorkerLoadDiagnosis> {
  const said = browserMessage ? `the browser said "${browserMessage}"` : 'the browser gave no message';
  const result = (cause: WorkerLoadCause, detail: string, extra: Partial<WorkerLoadDiagnosis> = {}): WorkerLoadDiagnosis => ({ cause, detail, hint: hints[cause], ...extra });
  if (!url) return result('unknown', said);
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(probeMs) });
  } catch (e) {
    return result('unreachable', `fetching it failed (${messageOf(e)}); ${said}`);
  }
  void response.body?.cancel();
  const contentType = response.headers.get('content-type') ?? '';
  if (!response.ok) return result('not-found', `HTTP ${response.status}`, { status: response.status, contentType });
  if (!/javascript|ecmascript/i.test(contentType)) return result('not-javascript', `served as "${contentType || 'no content type'}"`, { status: response.status, contentType });
  const imported = await importInProbe(url);
  if (imported === 'loaded') return result('transient', said, { status: response.status, contentType });
  if (imported === 'no-probe') return browserMessage ? result('module-error', said, { status: response.status, contentType }) : result('unknown', said, { status: response.status, contentType });
  return result('module-error', imported, { status: response.status, contentType });
}

/** Imports `url` in a throwaway module worker: 'loaded', the import's error message, or 'no-probe' when none could run. */
function importInProbe(url: string): Promise<string> {
  const source = `import(${JSON.stringify(url)}).then(() => postMessage({ ok: true }), (e) => postMessage({ ok: false, message: (e && e.name ? e.name + ': ' : '') + (e && e.message ? e.message : String(e)) }));`;
  let blobUrl = '';
  let worker: Worker | undefined;
  return new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('no-probe'), probeMs);
    const done = (v: string) => {
      clearTimeout(timer);
      resolve(v);
    };
    try {
      blobUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
      worker = new Worker(blobUrl, { type: 'module', name: 'pageinfer-load-check' });
      worker.addEventListener('message', (e: MessageEvent<{ ok?: boolean; message?: string } | unknown>) => {
        const data = e.data as { ok?: boolean; message?: string } | null;
        if (data && typeof data === 'object' && 'ok' in data) done(data.ok ? 'loaded' : String(data.message));
      });
      worker.addEventListener('error', (e) => {
        e.preventDefault();
        done('no-probe');
      });
    } catch {
      done('no-probe');
    }
  }).finally(() => {
    worker?.terminate();
    if (blobUrl) URL.revokeObjectURL(blobUrl);
  });
}

function messageOf(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
