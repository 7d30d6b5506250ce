/**
 * The module worker that hosts onnxruntime-web. Everything ORT does happens
 * here; the page talks to it through the API in ../protocol.
 */
import * as Comlink from 'comlink';
import { probeCapabilities } from '../probe/capabilities.js';
import { spin } from '../probe/spin.js';
import { serializeError } from '../errors/index.js';
import { epochNow } from '../probe/clock.js';
import { isRunRequest, registerErrorTransfer, transferablesOf, workerReadyMessage, type RunReply, type WorkerApi } from '../protocol/index.js';
import { trackWasmMemory, workerMemory } from './memory.js';
import { shareWasmModules } from './wasm-share.js';
import { createSession, endProfiling, releaseSession, runSession } from './sessions.js';
import { interceptStdout } from './stdout.js';

registerErrorTransfer();
interceptStdout(); // before ORT binds console.log: its profiles come out on stdout
trackWasmMemory();
shareWasmModules();

let runs: Promise<unknown> = Promise.resolve();

const api: WorkerApi = {
  holdLifeLock(name) {
    if (!navigator.locks) return Promise.resolve(false);
    return new Promise<boolean>((held) => {
      void navigator.locks.request(name, () => {
        held(true);
        return new Promise<never>(() => {}); // released only when this worker ends
      });
    });
  },
  probe: probeCapabilities,
  spin,
  createSession,
  endProfiling,
  release: releaseSession,
  memory: async () => workerMemory(),
};

/**
 * Runs (see RunRequest): one at a time, in arrival order — the page pipelines jobs into a busy
 * worker, an ORT session must not be entered again while a run of it awaits, and the page
 * matches replies to requests in order. Registered before Comlink's listener, which never sees them.
 */
self.addEventListener('message', (event: MessageEvent) => {
  if (!isRunRequest(event.data)) return;
  event.stopImmediatePropagation();
  const receivedAt = epochNow();
  const { pageinferRun: sessionId, feeds } = event.data;
  runs = runs.then(async () => {
    let reply: RunReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const { outputs, computeMs } = await runSession(sessionId, feeds);
      reply = { pageinferRun: 'ok', result: { outputs, computeMs, receivedAt } };
      transfer = transferablesOf(outputs);
    } catch (error) {
      reply = { pageinferRun: 'error', error: serializeError(error) };
    }
    try {
      self.postMessage(reply, { transfer });
    } catch (error) {
      self.postMessage({ pageinferRun: 'error', error: serializeError(error) } satisfies RunReply); // e.g. an output that cannot be cloned
    }
  });
});

// Expose before any await: a module worker drops messages that arrive before onmessage is set.
Comlink.expose(api);
self.postMessage(workerReadyMessage);
