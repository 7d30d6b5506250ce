/**
 * The load timeline (model.info.timings.timeline): spans in ms from the call to `engine.load`. The
 * page's steps are read off the load's progress events (so a load that joined another's download
 * sees that download's steps as they reached it); the worker's come as epoch ms (probe/clock.ts).
 */
import type { LoadProgress } from '../events/types.js';
import { epochNow } from '../probe/clock.js';
import type { RuntimeMarks } from '../protocol/index.js';
import type { LoadSpan, LoadStep } from './types.js';

export class LoadClock {
  private readonly epoch0 = epochNow();
  private firstByte?: number;
  private lastByte?: number;
  private io?: 'network' | 'cache';
  private verifyStart?: number;
  private verifyEnd?: number;
  private readonly spans: LoadSpan[] = [];

  /** ms since the load started. */
  now(): number {
    return epochNow() - this.epoch0;
  }

  /** ms since the load started, of an epoch time (from any thread). */
  at(epoch: number): number {
    return epoch - this.epoch0;
  }

  /** Notes the load's progress events (call it from onProgress, before the caller's own callback). */
  progress(p: LoadProgress): void {
    const t = this.now();
    if (p.phase === 'download' || p.phase === 'cache-read') {
      this.firstByte ??= t;
      this.lastByte = t;
      this.io = p.phase === 'download' ? 'network' : 'cache';
    } else if (p.phase === 'verify') {
      this.verifyStart ??= t;
      this.verifyEnd = t;
    }
  }

  add(step: LoadStep, start: number | undefined, end: number | undefined, detail?: string): void {
    if (start === undefined || end === undefined || !Number.isFinite(start) || !Number.isFinite(end)) return;
    // A worker prepared by engine.prewarm() may have started before this load: its steps show at 0.
    if (start < 0) detail ??= 'before load()';
    start = Math.max(0, start);
    end = Math.max(0, end);
    this.spans.push({ step, start: round(start), end: round(Math.max(start, end)), ...(detail ? { detail } : {}) });
  }

  /** The bytes' steps, once they are in hand at `inHand` (ms); bytes given in memory have none but `bytes`. */
  addBytes(inHand: number, memory: boolean): void {
    if (memory) return this.add('bytes', 0, inHand, 'memory');
    this.add('request', 0, this.firstByte ?? inHand);
    this.add('bytes', this.firstByte, this.lastByte, this.io);
    this.add('verify', this.verifyStart, this.verifyEnd);
  }

  /** The first session's worker and ORT steps, from its marks (epoch ms). */
  addWorker(worker: { workerStart: number; workerReady?: number }, marks: RuntimeMarks & { sessionStart: number; sessionEnd: number }, prepared: boolean): void {
    this.add('worker', this.at(worker.workerStart), worker.workerReady === undefined ? undefined : this.at(worker.workerReady), prepared ? 'prepared ahead' : undefined);
    if (marks.wasmStart !== undefined) this.add('wasm', this.at(marks.wasmStart), this.at(marks.wasmEnd ?? marks.ortEnd));
    this.add('ort-init', this.at(marks.ortStart), this.at(marks.ortEnd));
    this.add('session', this.at(marks.sessionStart), this.at(marks.sessionEnd));
  }

  /** Marks the worker and session steps so far as thrown away (`why`): a session built again follows. */
  discardSession(why: string): void {
    for (const s of this.spans) if (s.step !== 'request' && s.step !== 'bytes' && s.step !== 'verify') s.detail = `discarded: ${why}`;
  }

  timeline(): LoadSpan[] {
    return this.spans.sort((a, b) => a.start - b.start || order.indexOf(a.step) - order.indexOf(b.step));
  }
}

const order: LoadStep[] = ['request', 'bytes', 'verify', 'worker', 'wasm', 'ort-init', 'session', 'pool', 'first-run'];
const round = (ms: number) => Math.round(ms * 10) / 10;
