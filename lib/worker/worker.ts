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
import { attachRunChannel } from './run-channel-serve.js';
import { enqueueRun } from './run-queue.js';
import { createSession, endProfiling, releaseSession, runSession } from './sessions.js';
import { interceptStdout } from './stdout.js';
import { prepare } from './runtime.js';

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
  prepare,
  endProfiling,
  release: releaseSession,
  memory: async () => workerMemory(),
  attachRunChannel: async (buffer, generation, spinMs) => attachRunChannel(buffer, generation, spinMs),
};

/**
 * Runs by message (see RunRequest), queued with the shared channel's (see run-queue.ts); the page
 * matches their replies to requests in order. Registered before Comlink's listener, which never sees them.
 */
function onRunRequest(event: MessageEvent): void {
  if (!isRunRequest(event.data)) return;
  event.stopImmediatePropagation();
  const receivedAt = epochNow();
  const { pageinferRun: sessionId, feeds } = event.data;
  void enqueueRun(async () => {
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
}

/**
 * This module can be evaluated a second time in the same worker (seen in WebKitGTK with the built
 * bundle): a second copy would answer every Comlink call again from its own, empty state, and watch
 * the same run channels. Only the first copy serves.
 */
const loads = Symbol.for('pageinfer.worker.loads');
const global = self as unknown as Record<symbol, number>;
global[loads] = (global[loads] ?? 0) + 1;
if (global[loads] === 1) {
  registerErrorTransfer();
  interceptStdout(); // before ORT binds console.log: its profiles come out on stdout
  trackWasmMemory();
  shareWasmModules();
  self.addEventListener('message', onRunRequest); // before Comlink's listener
  // Expose before any await: a module worker drops messages that arrive before onmessage is set.
  Comlink.expose(api);
  self.postMessage(workerReadyMessage);
}
