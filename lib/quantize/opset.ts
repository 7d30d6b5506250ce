/**
 * Raises a model's default-domain opset to what the quantization ops need,
 * rewriting the ops whose signature changed on the way (attributes that became
 * inputs, Softmax's axis semantics). Ops with breaking changes this does not
 * know how to convert raise UnsupportedOpError instead of silently changing meaning.
 */
import { makeTensor, toNumber, type ModelProto, type NodeProto } from '../onnx/index.js';
import { getAttribute, makeNode, setAttribute } from '../onnx/build.js';
import { UnsupportedOpError } from '../errors/index.js';
import { NameAllocator, walkGraphs } from './graph.js';

/** Minimum IR version for each opset (from the ONNX versioning table). */
function irFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 9) return 4;
  if (opset <= 10) return 5;
  if (opset <= 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  return 9;
}

/** Ops whose meaning changed at the given version and that we do not convert. */
const breaking: Record<string, number[]> = {
  Upsample: [10],
  Resize: [11, 13, 18, 19],
  Scatter: [11],
  ReduceMax: [18], ReduceMin: [18], ReduceMean: [18], ReduceProd: [18], ReduceL1: [18], ReduceL2: [18],
  ReduceLogSum: [18], ReduceLogSumExp: [18], ReduceSumSquare: [18],
  Split: [18],
  Pad: [18],
};

export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? toNumber(entry.version) : 1;
}

/** Why the opset cannot be raised to `target` (an op that changed meaning on the way), or undefined when it can. */
export function opsetBlocker(model: ModelProto, target: number): string | undefined {
  const from = defaultOpset(model);
  if (from >= target) return undefined;
  if (from < 7) return `Opset ${from} is too old to upgrade (need 7 or later)`;
  let why: string | undefined;
  walkGraphs(model.graph!, (graph) => {
    for (const node of graph.node ?? []) {
      if (why || (node.domain && node.domain !== 'ai.onnx')) continue;
      const hit = (breaking[node.opType!] ?? []).find((v) => from < v && target >= v);
      if (hit) why = `Cannot raise opset ${from}→${target}: ${node.opType} changed meaning at opset ${hit} and is not converted`;
    }
  });
  return why;
}

/** Raises the default-domain opset to at least `target`; returns the version now in effect. Checks everything before changing anything. */
export function ensureOpset(model: ModelProto, target: number): { from: number; to: number } {
  const from = defaultOpset(model);
  if (from >= target) return { from, to: from };
  if (from < 7) throw new UnsupportedOpError(`Opset ${from} is too old to upgrade (need 7 or later)`, { opset: from });
  const blocked = opsetBlocker(model, target);
  if (blocked) {
    const op = /: (\w+) changed/.exec(blocked)?.[1];
    throw new UnsupportedOpError(blocked, { op, from, to: target });
  }
  const names = new NameAllocator(model);
  const crosses = (v: number) => from < v && target >= v;
  walkGraphs(model.graph!, (graph) => {
    const out: NodeProto[] = [];
    for (const node of graph.node ?? []) {
      if (node.domain && node.domain !== 'ai.onnx') {
        out.push(node);
        continue;
      }
      const op = node.opType!;
      const hit = (breaking[op] ?? []).find(crosses);
      if (hit) throw new UnsupportedOpError(`Cannot raise opset ${from}→${target}: ${op} changed meaning at opset ${hit} and is not converted`, { op, node: node.name, from, to: target });
      out.push(...upgradeNode(node, crosses, names));
    }
    graph.node = out;
  });
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  if (entry) entry.version = target;
  else model.opsetImport.push({ domain: '', version: target });
  model.irVersion = Math.max(toNumber(model.irVersion), irFor(target));
  return { from, to: target };
}

/** Moves attribute `attr` into a new Constant input; returns the nodes to insert first. */
function attrToInput(node: NodeProto, attr: string, index: number, names: NameAllocator, kind: 'int64' | 'float32', scalar = false): NodeProto[] {
  const value = getAttribute(node, attr);
  setAttribute(node, attr, undefined);
  const inputs = [...(node.input ?? [])];
  while (inputs.length < index) inputs.push('');
  if (value === undefined) {
    node.input = inputs;
    return [];
  }
  const values = Array.isArray(value) ? value : [value as number];
  const name = names.unique(`${node.name || node.output![0]}_${attr}`);
  const data = kind === 'int64' ? values.map((v) => BigInt(v)) : values;
  const t = makeTensor(name, kind, scalar ? [] : [values.length], data as number[]);
  inputs[index] = name;
  node.input = inputs;
  return [makeNode('Constant', [], [name], { value: t }, names.unique(`${name}_node`))];
}

function upgradeNode(node: NodeProto, crosses: (v: number) => boolean, names: NameAllocator): NodeProto[] {
  const pre: NodeProto[] = [];
  switch (node.opType) {
    case 'Clip':
      if (crosses(11)) {
        // Clip-6 defaults are ±FLT_MAX, the same as leaving the inputs out.
        pre.push(...attrToInput(node, 'min', 1, names, 'float32', true));
        pre.push(...attrToInput(node, 'max', 2, names, 'float32', true));
      }
      break;
    case 'Slice':
      if (crosses(10)) {
        pre.push(...attrToInput(node, 'starts', 1, names, 'int64'));
        pre.push(...attrToInput(node, 'ends', 2, names, 'int64'));
        pre.push(...attrToInput(node, 'axes', 3, names, 'int64'));
      }
      break;
    case 'Pad':
      if (crosses(11)) {
        pre.push(...attrToInput(node, 'pads', 1, names, 'int64'));
        pre.push(...attrToInput(node, 'value', 2, names, 'float32', true));
      }
      break;
    case 'TopK':
      if (crosses(10)) pre.push(...attrToInput(node, 'k', 1, names, 'int64'));
      break;
    case 'Dropout':
      if (crosses(12)) pre.push(...attrToInput(node, 'ratio', 1, names, 'float32', true));
      break;
    case 'Squeeze':
    case 'Unsqueeze':
    case 'ReduceSum':
      if (crosses(13)) pre.push(...attrToInput(node, 'axes', 1, names, 'int64'));
      break;
    case 'Split':
      if (crosses(13)) pre.push(...attrToInput(node, 'split', 1, names, 'int64'));
      break;
    case 'Softmax':
    case 'LogSoftmax':
    case 'Hardmax':
      if (crosses(13)) return upgradeSoftmax(node, names);
      break;
  }
  return [...pre, node];
}

/**
 * Before opset 13 Softmax flattened the input to 2-D at `axis` (default 1);
 * from 13 it works along one axis (default -1). Flatten → Softmax(-1) → Reshape
 * reproduces the old meaning exactly; axis -1 needs no change.
 */
function upgradeSoftmax(node: NodeProto, names: NameAllocator): NodeProto[] {
  const axis = (getAttribute(node, 'axis') as number | undefined) ?? 1;
  if (axis === -1) {
    setAttribute(node, 'axis', -1);
    return [node];
  }
  const x = node.input![0];
  const y = node.output![0];
  const base = node.name || y;
  const flat = names.unique(`${base}_flat`);
  const shape = names.unique(`${base}_shape`);
  const soft = names.unique(`${base}_2d`);
  setAttribute(node, 'axis', -1);
  node.input = [flat];
  node.output = [soft];
  return [
    makeNode('Shape', [x], [shape], {}, names.unique(`${base}_shape_node`)),
    makeNode('Flatten', [x], [flat], { axis }, names.unique(`${base}_flatten_node`)),
    node,
    makeNode('Reshape', [soft, shape], [y], {}, names.unique(`${base}_reshape_node`)),
  ];
}
