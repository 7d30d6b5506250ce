/**
 * The page's side of a worker's shared-memory run channel (../protocol/run-slots.ts): it writes a
 * request into a free slot, rings the worker's doorbell and awaits the slot's state with
 * `Atomics.waitAsync`. Inputs are copied, so the caller keeps its arrays.
 */
import { reviveError } from '../errors/index.js';
import type { RunResult, SlotReply } from '../protocol/index.js';
import {
  channelBytes,
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
import type { Feeds } from '../tensor/types.js';
import { pendingRun, settle, type PendingRun } from './pending-run.js';

/** The names of a session's inputs and outputs, in the order its SessionHandle lists them. */
export interface RunNames {
  inputs: readonly string[];
  outputs: readonly string[];
}

type Ticket = PendingRun & { names: RunNames };

/** The page can use a channel: SharedArrayBuffer (a cross-origin isolated page) and Atomics.waitAsync. */
export function runChannelSupported(): boolean {
  return typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true && waitAsync !== undefined;
}

export class RunChannel {
  readonly views: RunChannelViews;
  private readonly slots: (Ticket | null)[] = new Array(slotCount).fill(null);
  private sequence = 0;
  /** The next slot to try: requests go round the ring, so the worker's oldest-first order is the page's. */
  private next = 0;
  private closing = false;

  constructor(
    readonly generation: number,
    slotBytes: number,
  ) {
    this.views = channelViews(new SharedArrayBuffer(channelBytes(slotBytes)));
  }

  get buffer(): SharedArrayBuffer {
    return this.views.buffer;
  }

  get idle(): boolean {
    return this.slots.every((t) => t === null);
  }

  get slotBytes(): number {
    return this.views.slotBytes;
  }

  /** Takes no more requests; once the runs in flight are back, the worker stops watching it. */
  close(): void {
    this.closing = true;
    if (this.idle) this.shut();
  }

  private shut(): void {
    Atomics.store(this.views.control, closedWord, 1);
    Atomics.notify(this.views.control, doorbellWord);
  }

  /**
   * Sends a run through a free slot. Returns the result's promise, or, when it cannot take the
   * request, the slot size it would need (Infinity: never; 0: no slot is free).
   */
  send(sessionId: number, feeds: Feeds, names: RunNames, signal?: AbortSignal): Promise<RunResult> | number {
    const slot = this.closing ? -1 : this.freeSlot();
    if (slot < 0) return 0;
    const need = encode(this.views, slot, { sequence: ++this.sequence, sessionId, computeMs: 0, receivedAt: 0 }, feeds, names.inputs);
    if (need !== 0) return need;
    return new Promise<RunResult>((resolve, reject) => {
      const ticket = pendingRun(resolve, reject, signal, { names });
      this.slots[slot] = ticket;
      const { control } = this.views;
      Atomics.store(control, stateWord(slot), SlotState.request);
      Atomics.add(control, doorbellWord, 1);
      Atomics.notify(control, doorbellWord);
      void this.awaitReply(slot, ticket);
    });
  }

  /** A reply the worker sent as a message (an error, or outputs too big for the slot). */
  answer(reply: SlotReply): void {
    const ticket = this.slots[reply.pageinferSlot];
    if (!ticket) return;
    this.release(reply.pageinferSlot);
    if ('error' in reply) settle(ticket, reviveError(reply.error));
    else settle(ticket, null, reply.result);
  }

  /** The worker is gone: every run in flight fails with `error`. */
  fail(error: unknown): void {
    for (const ticket of this.slots) if (ticket) settle(ticket, error);
  }

  private async awaitReply(slot: number, ticket: Ticket): Promise<void> {
    const { control } = this.views;
    let state: number;
    while ((state = Atomics.load(control, stateWord(slot))) === SlotState.request || state === SlotState.running) {
      await waitChange(control, stateWord(slot), state);
      if (this.slots[slot] !== ticket) return; // answered by message meanwhile, and the slot reused
    }
    if (state !== SlotState.done || this.slots[slot] !== ticket) return; // by message: answer() settles it
    const { computeMs, receivedAt } = headerOf(this.views, slot);
    let outputs;
    try {
      outputs = decode(this.views, slot, ticket.names.outputs);
    } catch (error) {
      this.release(slot);
      return settle(ticket, error);
    }
    this.release(slot);
    settle(ticket, null, { outputs, computeMs, receivedAt });
  }

  private freeSlot(): number {
    for (let k = 0; k < slotCount; k++) {
      const slot = (this.next + k) % slotCount;
      if (this.slots[slot] === null) {
        this.next = (slot + 1) % slotCount;
        return slot;
      }
    }
    return -1;
  }

  private release(slot: number): void {
    this.slots[slot] = null;
    Atomics.store(this.views.control, stateWord(slot), SlotState.free);
    if (this.closing && this.idle) this.shut();
  }
}
