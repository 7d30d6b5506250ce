/**
 * Structural checks after decoding: a truncated file can still parse (it may end
 * on a field boundary), so make sure every tensor a node reads is defined and
 * every graph output is produced.
 */
import { InvalidModelError } from '../errors/index.js';
import type { GraphProto, ModelProto } from '../onnx/index.js';

export function validateModel(model: ModelProto): void {
  check(model.graph!, new Set());
}

function check(graph: GraphProto, outer: ReadonlySet<string>): void {
  const known = new Set(outer);
  for (const v of graph.input ?? []) known.add(v.name!);
  for (const t of graph.initializer ?? []) known.add(t.name!);
  for (const node of graph.node ?? []) {
    for (const i of node.input ?? []) {
      if (i && !known.has(i)) {
        throw new InvalidModelError(`Node '${node.name || node.opType}' reads '${i}', which nothing defines; the model is truncated or corrupt`, { node: node.name, tensor: i });
      }
    }
    for (const attr of node.attribute ?? []) {
      if (attr.g) check(attr.g, known);
      for (const g of attr.graphs ?? []) check(g, known);
    }
    for (const o of node.output ?? []) known.add(o);
  }
  for (const o of graph.output ?? []) {
    if (!known.has(o.name!)) throw new InvalidModelError(`Graph output '${o.name}' is never produced; the model is truncated or corrupt`, { output: o.name });
  }
}
