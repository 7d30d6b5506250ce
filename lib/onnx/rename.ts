import { forEachGraph } from './inspect.js';
import type { ModelProto } from './model.js';

/**
 * Names a JS object cannot hold as a plain key: ORT's InferenceSession.run
 * builds its fetches and results with `obj[name] = …`, so an input or output
 * named "__proto__" is lost inside ORT (it sets a prototype instead).
 */
const unsafeNames = new Set(['__proto__']);

/**
 * Renames the graph inputs and outputs whose names ORT's JS cannot carry,
 * everywhere the name is used (nodes, value infos, initializers, subgraphs).
 * Returns the renames (original → new); empty when none were needed.
 */
export function renameUnsafeValues(model: ModelProto): Map<string, string> {
  const graph = model.graph!;
  const taken = new Set<string>();
  forEachGraph(graph, (g) => {
    for (const n of g.node ?? []) for (const v of [...(n.input ?? []), ...(n.output ?? [])]) taken.add(v);
    for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) taken.add(v.name ?? '');
    for (const t of g.initializer ?? []) taken.add(t.name ?? '');
  });
  const renames = new Map<string, string>();
  for (const v of [...(graph.input ?? []), ...(graph.output ?? [])]) {
    const name = v.name ?? '';
    if (!unsafeNames.has(name) || renames.has(name)) continue;
    let alias = `pageinfer:${name}`;
    for (let k = 2; taken.has(alias); k++) alias = `pageinfer:${name}:${k}`;
    taken.add(alias);
    renames.set(name, alias);
  }
  if (renames.size === 0) return renames;
  const rename = (s: string) => renames.get(s) ?? s;
  forEachGraph(graph, (g) => {
    for (const n of g.node ?? []) {
      n.input = (n.input ?? []).map(rename);
      n.output = (n.output ?? []).map(rename);
    }
    for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) v.name = rename(v.name ?? '');
    for (const t of g.initializer ?? []) t.name = rename(t.name ?? '');
  });
  return renames;
}
