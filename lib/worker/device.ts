/**
 * Watches the WebGPU device ORT's sessions in this worker run on. ORT creates it with the first
 * WebGPU session and keeps it for the worker's life, even once lost: after a loss no session of this
 * worker can run again, so the worker says so to the page (which replaces it) and fails every later
 * run with DeviceLostError rather than let ORT answer with whatever a dead device gives back.
 */
import type { OrtModule } from '../backend/ort.js';
import { DeviceLostError } from '../errors/index.js';
import type { DeviceLostNotice } from '../protocol/index.js';

interface LostInfo {
  reason: string;
  message: string;
}

let watched: unknown = null;
let lost: LostInfo | null = null;
/** Settles when the watched device is lost. */
let lostSignal: Promise<void> = new Promise(() => {});

/** Starts watching the device ORT uses (env.webgpu.device, set by ORT once it built a WebGPU session). */
export async function watchGpuDevice(ort: OrtModule): Promise<void> {
  let device: GPUDeviceLike | undefined;
  try {
    device = (await (ort.env.webgpu as { device?: unknown }).device) as GPUDeviceLike | undefined;
  } catch {
    return; // no device to watch: nothing of ours runs on one
  }
  if (!device || typeof device !== 'object' || !('lost' in device) || watched === device) return;
  watched = device;
  lostSignal = device.lost.then(() => undefined);
  void device.lost.then((info) => {
    lost = { reason: String(info?.reason ?? 'unknown'), message: String(info?.message ?? '') };
    self.postMessage({ pageinferDeviceLost: lost } satisfies DeviceLostNotice);
  });
}

/** Throws DeviceLostError once this worker's device is lost. */
export function assertDeviceAlive(): void {
  if (lost) throw deviceLostError(lost);
}

/**
 * After a WebGPU run failed: waits up to `ms` for the device's loss to be told (a read-back can fail
 * with AbortError before GPUDevice.lost settles), then throws DeviceLostError if it was lost, so that
 * the failure reads as the device's, and is retried, rather than as the model's.
 */
export async function assertDeviceAliveAfterFailure(ms = 250): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([lostSignal, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
  assertDeviceAlive();
}

export function deviceLostError(info: LostInfo, cause?: unknown): DeviceLostError {
  return new DeviceLostError(`The WebGPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`, { ...info }, { cause });
}

/** The one part of GPUDevice used here (the WebGPU types are not part of this build's lib). */
interface GPUDeviceLike {
  lost: Promise<{ reason?: string; message?: string }>;
}
