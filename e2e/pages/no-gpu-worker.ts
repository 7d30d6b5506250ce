/**
 * The pageinfer worker, without WebGPU when its name says so: a fresh worker after a GPU device loss
 * where no adapter comes back (the browser blocked the GPU after repeated GPU process crashes, as
 * Chromium does after a few). ORT then fails to build a WebGPU session there, as it would for real.
 */
import '../../lib/worker/worker.ts';

if (self.name === 'pageinfer-no-gpu') Object.defineProperty(navigator, 'gpu', { value: undefined });
