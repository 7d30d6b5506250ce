// TEMP experiment worker: raw ORT.
import * as ort from 'onnxruntime-web/wasm';
let session: ort.InferenceSession;
onmessage = async (e) => {
  const m = e.data;
  if (m.load) {
    ort.env.wasm.numThreads = 1;
    session = await ort.InferenceSession.create(new Uint8Array(await (await fetch(m.load)).arrayBuffer()));
    postMessage({ ok: true });
  } else {
    const outs = [];
    for (let k = 0; k < m.times; k++) {
      const r = await session.run({ [m.name]: new ort.Tensor('float32', new Float32Array(m.size * m.rows).fill(0.1), [m.rows, ...m.dims]) });
      outs.push(Object.values(r)[0].data);
    }
    postMessage({ done: true });
  }
};
