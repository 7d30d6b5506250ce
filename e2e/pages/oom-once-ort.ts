/**
 * A test ORT entry: the real wasm entry, except that its first load in this origin fails the
 * way WebKitGTK does when too many wasm instances are alive (RangeError: Out of memory).
 */
export * from 'onnxruntime-web/wasm';

const marks = await caches.open('pageinfer-test-oom-once');
if (!(await marks.match('/loaded'))) {
  await marks.put('/loaded', new Response('1'));
  throw new RangeError('Out of memory');
}
