/**
 * Errors of the quantizer and pruner. They extend PageInferError like the
 * classes in lib/errors (which does not export its helper), so they carry a
 * stable `code` and `details`; the lead may move them into lib/errors.
 */
import { PageInferError } from '../errors/index.js';

/** Quantization or pruning cannot proceed (bad options, no calibration data, target unreachable...). */
export class QuantizeError extends PageInferError {
  static override readonly code: string = 'QUANTIZE_FAILED';
}
Object.defineProperty(QuantizeError, 'name', { value: 'QuantizeError' });

/** The model uses an op (or op version) this tool cannot handle; `details.op` names it. */
export class UnsupportedOpError extends PageInferError {
  static override readonly code: string = 'UNSUPPORTED_OP';
}
Object.defineProperty(UnsupportedOpError, 'name', { value: 'UnsupportedOpError' });
