/** This library's version and the onnxruntime-web it is built and tested with (checked by a unit test). */
export const version = '0.1.0';
export const ortVersion = '1.30.0';
