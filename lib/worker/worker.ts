/**
 * The module worker that hosts onnxruntime-web. Everything ORT does happens
 * here; the page talks to it through the API in ../protocol.
 */
import * as Comlink from 'comlink';
import { probeCapabilities } from '../probe/capabilities.js';
import { spin } from '../probe/spin.js';
import { epochNow, registerErrorTransfer, transferablesOf, workerReadyMessage, type WorkerApi } from '../protocol/index.js';
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
  run(sessionId, feeds) {
    const receivedAt = epochNow();
    // One run at a time, in arrival order: the page pipelines jobs into a busy worker, and an
    // ORT session must not be entered again while a run of it awaits.
    const job = runs.then(async () => {
      const { outputs, computeMs } = await runSession(sessionId, feeds);
      return Comlink.transfer({ outputs, computeMs, receivedAt }, transferablesOf(outputs));
    });
    runs = job.catch(() => {});
    return job;
  },
  endProfiling,
  release: releaseSession,
  memory: async () => workerMemory(),
};

// Expose before any await: a module worker drops messages that arrive before onmessage is set.
Comlink.expose(api);
self.postMessage(workerReadyMessage);
