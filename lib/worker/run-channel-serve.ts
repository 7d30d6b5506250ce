/**
 * The worker's side of the shared-memory run channel (../protocol/run-slots.ts): it waits on the
 * channel's doorbell, takes the requests written since in the order the page wrote them, runs each
 * in the worker's run queue and writes the outputs back into its slot.
 */
import { serializeError } from '../errors/index.js';
import { epochNow } from '../probe/clock.js';
import {
  channelViews,
  closedWord,
  decode,
  doorbellWord,
  encode,
  headerOf,
  SlotState,
  slotCount,
  stateWord,
  waitAsync,
  waitChange,
  type RunChannelViews,
} from '../protocol/run-slots.js';
import { transferablesOf, type RunResult, type SlotReply } from '../protocol/index.js';
import { enqueueRun, runsIdle } from './run-queue.js';
import { runSession, sessionNames } from './sessions.js';

interface Channel {
  views: RunChannelViews;
  generation: number;
  spinMs: number;
}

/**
 * Watches one more channel. The page makes a bigger one when a request does not fit; it writes into
 * the old one until this returns, so both are watched until the page closes the old one.
 */
export function attachRunChannel(buffer: SharedArrayBuffer, generation: number, spinMs: number): boolean {
  if (!waitAsync) return false;
  void watch({ views: channelViews(buffer), generation, spinMs });
  return true;
}

async function watch(channel: Channel): Promise<void> {
  const { control } = channel.views;
  const closed = () => Atomics.load(control, closedWord) !== 0;
  while (!closed()) {
    const rung = Atomics.load(control, doorbellWord);
    take(channel);
    if (channel.spinMs > 0) {
      // A worker that polls the doorbell right after a run takes the next request at once; one that waits is
      // woken through its event loop (0.06-0.13 ms a wake here). It costs a core and the control messages
      // that wait meanwhile, for up to spinMs after each run.
      await runsIdle();
      if (closed()) return;
      if (spin(control, rung, channel.spinMs)) continue;
    }
    await waitChange(control, doorbellWord, rung);
  }
}

/** Polls the doorbell for up to `ms`: true when it rang. */
function spin(control: Int32Array, rung: number, ms: number): boolean {
  const until = performance.now() + ms;
  while (performance.now() < until) if (Atomics.load(control, doorbellWord) !== rung) return true;
  return false;
}

/** Queues the requests waiting in the channel, oldest first. */
function take(channel: Channel): void {
  const { views } = channel;
  const waiting: number[] = [];
  for (let slot = 0; slot < slotCount; slot++) {
    if (Atomics.load(views.control, stateWord(slot)) === SlotState.request) waiting.push(slot);
  }
  waiting.sort((a, b) => headerOf(views, a).sequence - headerOf(views, b).sequence);
  for (const slot of waiting) {
    Atomics.store(views.control, stateWord(slot), SlotState.running);
    void enqueueRun(() => serve(channel, slot));
  }
}

async function serve(channel: Channel, slot: number): Promise<void> {
  const { views, generation } = channel;
  const receivedAt = epochNow();
  const { sequence, sessionId } = headerOf(views, slot);
  let reply: SlotReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const names = sessionNames(sessionId);
    const feeds = names ? decode(views, slot, names.inputs) : {}; // no names: released, and runSession says so
    const { outputs, computeMs } = await runSession(sessionId, feeds);
    const result: RunResult = { outputs, computeMs, receivedAt };
    const needBytes = encode(views, slot, { sequence, sessionId, computeMs, receivedAt }, outputs, sessionNames(sessionId)?.outputs ?? []);
    if (needBytes === 0) return finish(views, slot, SlotState.done);
    reply = { pageinferSlot: slot, generation, result, needBytes };
    transfer = transferablesOf(outputs);
  } catch (error) {
    reply = { pageinferSlot: slot, generation, error: serializeError(error) };
  }
  // The state first: once the page has the message it may hand the slot to a new request.
  finish(views, slot, SlotState.byMessage);
  try {
    self.postMessage(reply, { transfer });
  } catch (error) {
    self.postMessage({ pageinferSlot: slot, generation, error: serializeError(error) } satisfies SlotReply);
  }
}

function finish(views: RunChannelViews, slot: number, state: number): void {
  Atomics.store(views.control, stateWord(slot), state);
  Atomics.notify(views.control, stateWord(slot));
}
