/**
 * The bad-input table: every public function, given bad arguments, throws a typed error (a subclass of
 * TapegradError) whose message names the op, the argument and what was wrong, and leaves the tape,
 * every tensor (data, grad, version, node) and every parameter exactly as before.
 */
import * as core from '@tapegrad/core';
import {
  ArgumentError, DTypeError, GradError, ShapeError, TapegradError, Tensor, Value, tapeLength, tensor, value,
} from '@tapegrad/core';
import * as nn from '@tapegrad/nn';
import { describe, expect, test } from 'vitest';

type ErrorClass = typeof ArgumentError | typeof ShapeError | typeof DTypeError | typeof GradError;

interface Case {
  /** Tensors whose state must survive the failed call (inputs and parameters). */
  readonly watch: readonly Tensor[];
  /** The failing call. */
  readonly act: () => unknown;
}

interface Row {
  readonly name: string;
  readonly error: ErrorClass;
  /** Fragments the message must contain; the first is the op's name at the start. */
  readonly message: readonly (string | RegExp)[];
  readonly setup: () => Case;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
const g = (data: core.NestedArray, opts: core.TensorOptions = {}): Tensor => tensor(data, { requiresGrad: true, ...opts });
const rows: Row[] = [];
const row = (name: string, error: ErrorClass, message: readonly (string | RegExp)[], setup: () => Case): void => {
  rows.push({ name, error, message, setup });
};

// ── Elementwise binary ops: non-broadcastable shapes, mixed dtypes ─────────────────────────────────────
const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const;
for (const op of BINARY) {
  const fn = core[op] as (a: Tensor, b: Tensor) => Tensor;
  row(`${op}: [2, 3] with [4]`, ShapeError, [`${op}: `, 'must broadcast', '[2, 3]', '[4]'], () => {
    const a = g([[1, 2, 3], [4, 5, 6]]);
    const b = g([1, 2, 3, 4]);
    return { watch: [a, b], act: () => fn(a, b) };
  });
  row(`${op}: [2, 3] with [3, 2]`, ShapeError, [`${op}: `, 'must broadcast', '[2, 3]', '[3, 2]'], () => {
    const a = g([[1, 2, 3], [4, 5, 6]]);
    const b = g([[1, 2], [3, 4], [5, 6]]);
    return { watch: [a, b], act: () => fn(a, b) };
  });
  row(`${op}: float64 with float32`, DTypeError, [`${op}: `, 'float64', 'float32'], () => {
    const a = g([1, 2]);
    const b = g([1, 2], { dtype: 'float32' });
    return { watch: [a, b], act: () => fn(a, b) };
  });
}
row('add: a Value with a Tensor', ArgumentError, ['add: ', 'Value', 'Tensor'], () => {
  const b = g([1, 2]);
  return { watch: [b], act: () => (core.add as (a: Value, b: Tensor) => unknown)(value(1), b) };
});
row('mul: a string operand', ArgumentError, ['mul: ', 'b must be', 'string'], () => {
  const a = g([1, 2]);
  return { watch: [a], act: () => (core.mul as (a: Tensor, b: unknown) => unknown)(a, '2') };
});
row('where: cond, a and b that do not broadcast', ShapeError, ['where: ', 'must broadcast', '[2]', '[3]'], () => {
  const a = g([1, 2]);
  const b = g([1, 2, 3]);
  return { watch: [a, b], act: () => core.where(tensor([1, 0]), a, b) };
});
row('where: mixed dtypes', DTypeError, ['where: ', 'float64', 'float32'], () => {
  const a = g([1, 2]);
  const b = g([1, 2], { dtype: 'float32' });
  return { watch: [a, b], act: () => core.where(tensor([1, 0]), a, b) };
});

// ── matmul ─────────────────────────────────────────────────────────────────────────────────────────────
const MATMUL: [string, null, number[], number[], string][] = [
  ['inner dimensions [2, 3]·[4, 5]', null, [2, 3], [4, 5], 'inner dimensions must match'],
  ['vectors of different lengths [3]·[4]', null, [3], [4], 'inner dimensions must match'],
  ['matrix·vector [2, 3]·[2]', null, [2, 3], [2], 'inner dimensions must match'],
  ['batch axes that do not broadcast [2, 2, 3]·[3, 3, 4]', null, [2, 2, 3], [3, 3, 4], 'batch axes must broadcast'],
  ['a scalar operand', null, [], [3], 'at least 1 dimension'],
];
for (const [name, , sa, sb, fragment] of MATMUL) {
  row(`matmul: ${name}`, ShapeError, ['matmul: ', fragment, fmt(sa), fmt(sb)], () => {
    const a = core.ones(sa, { requiresGrad: true });
    const b = core.ones(sb, { requiresGrad: true });
    return { watch: [a, b], act: () => core.matmul(a, b) };
  });
}
row('matmul: transposeB that breaks the inner dimensions', ShapeError, ['matmul: ', 'inner dimensions', 'transposeB true'], () => {
  const a = core.ones([2, 3], { requiresGrad: true });
  const b = core.ones([3, 4], { requiresGrad: true });
  return { watch: [a, b], act: () => core.matmul(a, b, { transposeB: true }) };
});
row('matmul: mixed dtypes', DTypeError, ['matmul: ', 'float64', 'float32'], () => {
  const a = core.ones([2, 3], { requiresGrad: true });
  const b = core.ones([3, 4], { dtype: 'float32' });
  return { watch: [a, b], act: () => core.matmul(a, b) };
});

// ── Axes: out of range, duplicated ─────────────────────────────────────────────────────────────────────
const REDUCTIONS = ['sum', 'mean', 'max', 'min', 'logsumexp'] as const;
for (const op of REDUCTIONS) {
  const fn = core[op] as (x: Tensor, axis?: number | readonly number[], keepdims?: boolean) => Tensor;
  row(`${op}: axis 2 of a [2, 3] tensor`, ShapeError, [`${op}: `, 'axis', 'got axis 2', '[2, 3]'], () => {
    const x = g([[1, 2, 3], [4, 5, 6]]);
    return { watch: [x], act: () => fn(x, 2) };
  });
  row(`${op}: axis -3 of a [2, 3] tensor`, ShapeError, [`${op}: `, 'got axis -3'], () => {
    const x = g([[1, 2, 3], [4, 5, 6]]);
    return { watch: [x], act: () => fn(x, -3) };
  });
  row(`${op}: axes [1, -1] name the same axis`, ShapeError, [`${op}: `, 'must not repeat', '[1, -1]'], () => {
    const x = g([[1, 2, 3], [4, 5, 6]]);
    return { watch: [x], act: () => fn(x, [1, -1]) };
  });
  row(`${op}: fractional axis 0.5`, ShapeError, [`${op}: `, 'integer', '0.5'], () => {
    const x = g([[1, 2, 3], [4, 5, 6]]);
    return { watch: [x], act: () => fn(x, 0.5) };
  });
}
for (const op of ['softmax', 'logSoftmax'] as const) {
  const fn = core[op] as (x: Tensor, axis?: number) => Tensor;
  row(`${op}: axis 2 of a [2, 3] tensor`, ShapeError, [`${op}: `, 'axis', '2', '[2, 3]'], () => {
    const x = g([[1, 2, 3], [4, 5, 6]]);
    return { watch: [x], act: () => fn(x, 2) };
  });
}
row('transpose: axes [0, 0] are not a permutation', ShapeError, ['transpose: ', 'permutation', '[0, 0]'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.transpose(x, [0, 0]) };
});
row('transpose: axes [0, 2] out of range', ShapeError, ['transpose: ', 'permutation', '[0, 2]'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.transpose(x, [0, 2]) };
});
row('transpose: too few axes', ShapeError, ['transpose: ', 'permutation', '[0]'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.transpose(x, [0]) };
});
row('slice: axis out of range', ShapeError, ['slice: ', 'axis', '2', '[2, 3]'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.slice(x, 2, 0, 1) };
});
row('slice: fractional start', ArgumentError, ['slice: ', 'start', '0.5'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.slice(x, 0, 0.5) };
});
row('concat: shapes that differ off the axis', ShapeError, ['concat: ', 'same shape', '[2, 3]', '[2, 2]'], () => {
  const a = g([[1, 2, 3], [4, 5, 6]]);
  const b = g([[1, 2], [3, 4]]);
  return { watch: [a, b], act: () => core.concat([a, b], 0) };
});
row('concat: axis out of range', ShapeError, ['concat: ', 'axis', '2'], () => {
  const a = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [a], act: () => core.concat([a, a], 2) };
});
row('concat: no tensors', ArgumentError, ['concat: ', 'non-empty'], () => ({ watch: [], act: () => core.concat([], 0) }));
row('stack: shapes that differ', ShapeError, ['stack: ', 'same shape', '[3]', '[2]'], () => {
  const a = g([1, 2, 3]);
  const b = g([1, 2]);
  return { watch: [a, b], act: () => core.stack([a, b]) };
});
row('stack: axis out of range', ShapeError, ['stack: ', 'axis', '3'], () => {
  const a = g([1, 2, 3]);
  return { watch: [a], act: () => core.stack([a, a], 3) };
});
row('squeeze: an axis of size 3', ShapeError, ['squeeze: ', 'size 1', '[2, 3]'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.squeeze(x, 1) };
});
row('unsqueeze: axis out of range', ShapeError, ['unsqueeze: ', 'axis', '4'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.unsqueeze(x, 4) };
});
row('clamp: min above max', ArgumentError, ['clamp: ', 'min', 'max'], () => {
  const x = g([1, 2, 3]);
  return { watch: [x], act: () => core.clamp(x, 2, 1) };
});

// ── Shapes: reshape, broadcastTo ───────────────────────────────────────────────────────────────────────
row('reshape: 6 elements to [4]', ShapeError, ['reshape: ', 'same size', '[2, 3]', '[4]'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.reshape(x, [4]) };
});
row('reshape: two -1 dimensions', ShapeError, ['reshape: ', 'at most one -1', '[-1, -1]'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.reshape(x, [-1, -1]) };
});
row('reshape: -1 that cannot be inferred', ShapeError, ['reshape: ', 'infer -1', '[4, -1]'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.reshape(x, [4, -1]) };
});
row('reshape: a negative dimension', ShapeError, ['reshape: ', 'non-negative', '[-2, -3]'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.reshape(x, [-2, -3]) };
});
row('reshape: a fractional dimension', ShapeError, ['reshape: ', 'integers', '[1.5, 4]'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.reshape(x, [1.5, 4]) };
});
row('broadcastTo: [2, 3] to [3, 3]', ShapeError, ['broadcastTo: ', 'must broadcast', '[2, 3]', '[3, 3]'], () => {
  const x = g([[1, 2, 3], [4, 5, 6]]);
  return { watch: [x], act: () => core.broadcastTo(x, [3, 3]) };
});

// ── Losses ─────────────────────────────────────────────────────────────────────────────────────────────
const logits = (): Tensor => g([[1, 2, 3], [0, -1, 2]]);
row('crossEntropy: a non-integer label', ArgumentError, ['crossEntropy: ', 'labels', 'integers', '1.5', 'index 1'], () => {
  const z = logits();
  return { watch: [z], act: () => core.crossEntropy(z, [0, 1.5]) };
});
row('crossEntropy: a label equal to the class count', ArgumentError, ['crossEntropy: ', 'labels', '[0, 3)', 'got 3'], () => {
  const z = logits();
  return { watch: [z], act: () => core.crossEntropy(z, [0, 3]) };
});
row('crossEntropy: a negative label (tensor labels)', ArgumentError, ['crossEntropy: ', 'labels', 'got -1'], () => {
  const z = logits();
  const y = tensor([-1, 0]);
  return { watch: [z, y], act: () => core.crossEntropy(z, y) };
});
row('crossEntropy: one label too few', ShapeError, ['crossEntropy: ', 'labels', 'one entry per row'], () => {
  const z = logits();
  return { watch: [z], act: () => core.crossEntropy(z, [0]) };
});
row('crossEntropy: 1-D logits', ShapeError, ['crossEntropy: ', 'logits', '2-D', '[3]'], () => {
  const z = g([1, 2, 3]);
  return { watch: [z], act: () => core.crossEntropy(z, [0]) };
});
for (const op of ['binaryCrossEntropy', 'binaryCrossEntropyWithLogits'] as const) {
  const fn = core[op] as (p: Tensor, t: Tensor) => Tensor;
  row(`${op}: a target above 1`, ArgumentError, [`${op}: `, 't must be', '[0, 1]', '1.5', 'index 1'], () => {
    const p = g([0.2, 0.7]);
    const t = tensor([0, 1.5]);
    return { watch: [p, t], act: () => fn(p, t) };
  });
  row(`${op}: a negative target`, ArgumentError, [`${op}: `, 't must be', '[0, 1]', '-0.5', 'index 0'], () => {
    const p = g([0.2, 0.7]);
    const t = tensor([-0.5, 1]);
    return { watch: [p, t], act: () => fn(p, t) };
  });
  row(`${op}: a NaN target`, ArgumentError, [`${op}: `, 't must be', 'NaN'], () => {
    const p = g([0.2, 0.7]);
    const t = tensor([NaN, 1]);
    return { watch: [p, t], act: () => fn(p, t) };
  });
  row(`${op}: shapes that differ`, ShapeError, [`${op}: `, 'same shape', '[2]', '[3]'], () => {
    const p = g([0.2, 0.7]);
    const t = tensor([0, 1, 1]);
    return { watch: [p, t], act: () => fn(p, t) };
  });
}
row('binaryCrossEntropy: a prediction above 1', ArgumentError, ['binaryCrossEntropy: ', 'yhat', '[0, 1]', '1.2'], () => {
  const p = g([0.2, 1.2]);
  const t = tensor([0, 1]);
  return { watch: [p, t], act: () => core.binaryCrossEntropy(p, t) };
});
row('mseLoss: shapes that differ', ShapeError, ['mseLoss: ', 'same shape', '[2]', '[2, 1]'], () => {
  const p = g([0.2, 0.7]);
  const t = tensor([[0], [1]]);
  return { watch: [p, t], act: () => core.mseLoss(p, t) };
});
row('mseLoss: an unknown reduction', ArgumentError, ['mseLoss: ', 'reduction', 'avg'], () => {
  const p = g([0.2, 0.7]);
  const t = tensor([0, 1]);
  return { watch: [p, t], act: () => core.mseLoss(p, t, { reduction: 'avg' as 'mean' }) };
});

// ── Factories: ragged arrays, shape/data mismatch, negative or fractional dimensions ────────────────────
row('tensor: a ragged row', ShapeError, ['tensor: ', 'ragged', 'length 1', '[1]'], () => ({ watch: [], act: () => tensor([[1, 2], [3]]) }));
row('tensor: a number where a row was expected', ShapeError, ['tensor: ', 'ragged', '[1]'], () => ({
  watch: [],
  act: () => tensor([[1, 2], 3] as unknown as core.NestedArray),
}));
row('tensor: a row where a number was expected', ShapeError, ['tensor: ', 'ragged', '[0][1]'], () => ({
  watch: [],
  act: () => tensor([[1, [2]], [3, 4]] as unknown as core.NestedArray),
}));
row('tensor: shape [2, 2] for 3 elements', ShapeError, ['tensor: ', 'shape must match', '[2, 2]', '3 elements'], () => ({
  watch: [],
  act: () => tensor([1, 2, 3], { shape: [2, 2] }),
}));
row('tensor: shape [3, 2] for nested [2, 3] data', ShapeError, ['tensor: ', 'shape must match', '[3, 2]', '[2, 3]'], () => ({
  watch: [],
  act: () => tensor([[1, 2, 3], [4, 5, 6]], { shape: [3, 2] }),
}));
row('tensor: a negative dimension', ShapeError, ['tensor: ', 'non-negative integers', '[-2, -3]'], () => ({
  watch: [],
  act: () => tensor([1, 2, 3, 4, 5, 6], { shape: [-2, -3] }),
}));
row('tensor: a string element', ArgumentError, ['tensor: ', 'numbers', 'string at [1]'], () => ({
  watch: [],
  act: () => tensor([1, '2'] as unknown as number[]),
}));
row('tensor: an unknown dtype', DTypeError, ['tensor: ', 'dtype', 'int32'], () => ({
  watch: [],
  act: () => tensor([1], { dtype: 'int32' as core.DType }),
}));
for (const op of ['zeros', 'ones', 'rand', 'randn'] as const) {
  const fn = core[op] as (shape: readonly number[]) => Tensor;
  row(`${op}: a negative dimension`, ShapeError, [`${op}: `, 'non-negative integers', '[2, -1]'], () => ({ watch: [], act: () => fn([2, -1]) }));
  row(`${op}: a fractional dimension`, ShapeError, [`${op}: `, 'non-negative integers', '[1.5]'], () => ({ watch: [], act: () => fn([1.5]) }));
}
row('full: a negative dimension', ShapeError, ['full: ', 'non-negative integers', '[-1]'], () => ({ watch: [], act: () => core.full([-1], 2) }));
row('eye: a fractional size', ShapeError, ['eye: ', 'non-negative integers', '2.5'], () => ({ watch: [], act: () => core.eye(2.5) }));
row('arange: step 0', ArgumentError, ['arange: ', 'step', 'got 0'], () => ({ watch: [], act: () => core.arange(0, 3, 0) }));
row('linspace: num 0', ArgumentError, ['linspace: ', 'num', 'got 0'], () => ({ watch: [], act: () => core.linspace(0, 1, 0) }));

// ── backward ───────────────────────────────────────────────────────────────────────────────────────────
row('backward: a non-scalar output without a gradient', GradError, ['backward: ', 'seed gradient', 'non-scalar', '[2, 2]'], () => {
  const x = g([[1, 2], [3, 4]]);
  x.grad = tensor([[1, 1], [1, 1]]);
  const y = x.mul(x);
  return { watch: [x, y], act: () => y.backward() };
});
row('backward: a gradient of the wrong shape', ShapeError, ['backward: ', "output's shape [2, 2]", 'got [4]'], () => {
  const x = g([[1, 2], [3, 4]]);
  const y = x.mul(x);
  const seed = tensor([1, 1, 1, 1]);
  return { watch: [x, y, seed], act: () => y.backward(seed) };
});
row('backward: a gradient of the wrong dtype', DTypeError, ['backward: ', 'dtype', 'float64', 'float32'], () => {
  const x = g([1, 2]);
  const y = x.mul(x);
  const seed = tensor([1, 1], { dtype: 'float32' });
  return { watch: [x, y, seed], act: () => y.backward(seed) };
});
row('backward: a tensor that does not require grad', GradError, ['backward: ', 'does not require grad', '[2]'], () => {
  const x = tensor([1, 2]);
  const y = x.mul(x).sum();
  return { watch: [x, y], act: () => x.mul(2).backward(tensor([1, 1])) };
});
row('backward: a graph already released', GradError, ['backward: ', 'already released', 'retainGraph'], () => {
  const x = g([1, 2]);
  const y = x.exp().sum();
  y.backward();
  return { watch: [x, y], act: () => y.backward() };
});
row('Value.backward: a constant', GradError, ['backward: ', 'does not require grad'], () => ({
  watch: [],
  act: () => new Value(2, false).backward(),
}));

// ── In-place ops ───────────────────────────────────────────────────────────────────────────────────────
row('addInPlace: a leaf that requires grad while recording', GradError, ['addInPlace: ', 'a must not require grad', 'leaf', 'noGrad'], () => {
  const w = g([1, 2]);
  return { watch: [w], act: () => core.addInPlace(w, 1) };
});
row('subInPlace: an operand that does not broadcast to a', ShapeError, ['subInPlace: ', "b must broadcast to a's shape [2]", '[2, 2]'], () => {
  const a = tensor([1, 2]);
  const b = tensor([[1, 2], [3, 4]]);
  return { watch: [a, b], act: () => core.subInPlace(a, b) };
});
row('copyInPlace: a source of another dtype', DTypeError, ['copyInPlace: ', 'dtype', 'float32'], () => {
  const a = tensor([1, 2]);
  const b = tensor([1, 2], { dtype: 'float32' });
  return { watch: [a, b], act: () => core.copyInPlace(a, b) };
});

// ── nn: optimizers, loadStateDict, CSV ─────────────────────────────────────────────────────────────────
const OPTIMIZERS = [
  ['SGD', (p: Tensor[], lr?: number) => new nn.SGD(p, lr === undefined ? {} : { lr })],
  ['Adam', (p: Tensor[], lr?: number) => new nn.Adam(p, lr === undefined ? {} : { lr })],
  ['AdamW', (p: Tensor[], lr?: number) => new nn.AdamW(p, lr === undefined ? {} : { lr })],
] as const;
for (const [name, make] of OPTIMIZERS) {
  row(`${name}: no parameters`, ArgumentError, [`${name}: `, 'params', 'at least one', 'got 0'], () => ({ watch: [], act: () => make([]) }));
  row(`${name}: a negative learning rate`, ArgumentError, [`${name}: `, 'lr', '-0.1'], () => {
    const w = g([1, 2]);
    return { watch: [w], act: () => make([w], -0.1) };
  });
  row(`${name}: a NaN learning rate`, ArgumentError, [`${name}: `, 'lr', 'NaN'], () => {
    const w = g([1, 2]);
    return { watch: [w], act: () => make([w], NaN) };
  });
}
row('Adam: beta1 of 1', ArgumentError, ['Adam: ', 'beta', '[0, 1)'], () => {
  const w = g([1, 2]);
  return { watch: [w], act: () => new nn.Adam([w], { betas: [1, 0.999] } as nn.AdamOptions) };
});

const model = (): nn.MLP => new nn.MLP({ sizes: [3, 4, 1], seed: 1 });
const stateDictCase = (edit: (s: nn.StateDict, m: nn.MLP) => nn.StateDict) => (): Case => {
  const m = model();
  const params = m.parameters();
  // Train one step first, so parameters carry gradients and versions that must survive.
  m.forward(tensor([[1, 2, 3]])).sum().backward();
  const s = edit(JSON.parse(JSON.stringify(m.stateDict())) as nn.StateDict, m);
  return { watch: params, act: () => m.loadStateDict(s) };
};
const firstKey = (s: nn.StateDict): string => Object.keys(s)[0]!;
row('loadStateDict: a missing entry', ArgumentError, ['loadStateDict: ', 'missing', "'"], stateDictCase((s) => {
  delete s[firstKey(s)];
  return s;
}));
row('loadStateDict: an extra entry', ArgumentError, ['loadStateDict: ', 'unexpected', "'extra.weight'"], stateDictCase((s) => {
  s['extra.weight'] = { shape: [1], data: [0] };
  return s;
}));
row('loadStateDict: a mis-shaped entry', ShapeError, ['loadStateDict: ', 'must have shape', '[4, 3]', '[3, 4]'], stateDictCase((s) => {
  const k = Object.keys(s).find((key) => s[key]!.shape.length === 2)!;
  s[k] = { shape: [3, 4], data: s[k]!.data };
  return s;
}));
row('loadStateDict: an entry with too few elements', ShapeError, ['loadStateDict: ', 'elements', 'got 11'], stateDictCase((s) => {
  const k = Object.keys(s).find((key) => s[key]!.shape.length === 2)!;
  s[k] = { shape: s[k]!.shape, data: s[k]!.data.slice(1) };
  return s;
}));
row('loadStateDict: a later entry is bad, so the earlier ones are not written either', ShapeError, ['loadStateDict: '], stateDictCase((s) => {
  const keys = Object.keys(s);
  const last = keys[keys.length - 1]!;
  s[last] = { shape: [...s[last]!.shape, 1], data: s[last]!.data };
  for (const k of keys.slice(0, -1)) s[k] = { shape: s[k]!.shape, data: s[k]!.data.map(() => 42) };
  return s;
}));
row('parseCsv: a row with a missing column names its line', ArgumentError, ['parseCsv: ', 'line 3', '3 columns', 'got 2'], () => ({
  watch: [],
  act: () => nn.parseCsv('1,2,3\n4,5,6\n7,8\n'),
}));
row('parseCsv: a non-number names its line and column', ArgumentError, ['parseCsv: ', 'line 2', 'column 2', "'abc'"], () => ({
  watch: [],
  act: () => nn.parseCsv('1,2,3\n4,abc,6\n'),
}));
row('parseCsv: the line counts the header', ArgumentError, ['parseCsv: ', 'line 3', 'column 1', "'x'"], () => ({
  watch: [],
  act: () => nn.parseCsv('a,b\n1,2\nx,3\n', { hasHeader: true }),
}));

// ── The harness ────────────────────────────────────────────────────────────────────────────────────────
interface Snapshot {
  readonly data: number[];
  readonly grad: number[] | null;
  readonly version: number;
  readonly requiresGrad: boolean;
  readonly node: unknown;
  readonly shape: readonly number[];
}

const snap = (t: Tensor): Snapshot => ({
  data: Array.from(t.data),
  grad: t.grad === null ? null : Array.from(t.grad.data),
  version: t.version,
  requiresGrad: t.requiresGrad,
  node: t.node,
  shape: [...t.shape],
});

describe('bad input: a typed error naming the op, and nothing changes', () => {
  test.each(rows.map((r) => [r.name, r] as const))('%s', (_name, r) => {
    const { watch, act } = r.setup();
    const before = watch.map(snap);
    const tape = tapeLength();
    let thrown: unknown;
    try {
      act();
    } catch (e) {
      thrown = e;
    }
    expect(thrown, 'expected a throw').toBeInstanceOf(TapegradError);
    expect(thrown).toBeInstanceOf(r.error);
    const message = (thrown as Error).message;
    expect(message.startsWith(r.message[0] as string), `message should start with '${String(r.message[0])}': ${message}`).toBe(true);
    for (const fragment of r.message.slice(1)) {
      if (typeof fragment === 'string') expect(message).toContain(fragment);
      else expect(message).toMatch(fragment);
    }
    expect(tapeLength()).toBe(tape);
    expect(watch.map(snap)).toEqual(before);
    // Node identity, not just equal contents.
    watch.forEach((t, i) => expect(t.node).toBe(before[i]!.node));
  });

  test('the table covers every elementwise binary op the library registers', () => {
    const registered = Object.entries(core)
      .filter(([, v]) => typeof v === 'function' && (v as { op?: { arity?: number } }).op?.arity === 2)
      .map(([k]) => k);
    expect(registered.sort()).toEqual([...BINARY].sort());
  });
});
