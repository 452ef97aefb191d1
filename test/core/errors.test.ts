/**
 * The error cases of issue 3: incompatible shapes, bad axes, wrong dtypes, bad arguments, a non-scalar
 * backward without a seed. Each throws a typed error naming the op, the argument and the shapes, and
 * leaves the tape exactly as it was.
 */
import {
  add, ArgumentError, binaryCrossEntropy, binaryCrossEntropyWithLogits, broadcastTo, clamp, concat, crossEntropy, DTypeError,
  GradError, logSoftmax, logsumexp, matmul, max, mean, min, mseLoss, mul, reshape, ShapeError, slice, softmax, squeeze, stack,
  sum, tapeLength, tensor, transpose, unsqueeze, where, zeros, type Tensor,
} from '@tapegrad/core';
import { describe, expect, test } from 'vitest';

type ErrorClass = typeof ShapeError;

/** Runs `fn`, checks it threw an `expected` and recorded nothing, and returns a thrower for the snapshot. */
function failing(expected: ErrorClass, fn: () => unknown): () => void {
  const before = tapeLength();
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(tapeLength(), 'a failing call must leave the tape unchanged').toBe(before);
  expect(error).toBeInstanceOf(expected);
  return () => {
    if (error !== undefined) throw error;
  };
}

const rg = { requiresGrad: true };
const a = tensor([[1, 2, 3], [4, 5, 6]], rg);
const b = tensor([[1, 0, 1], [0, 1, 0]], rg);
const c = tensor([[1, 2], [3, 4], [5, 6]], rg);
const v = tensor([1, 2, 3, 4], rg);
const a32 = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32', requiresGrad: true });
const p = tensor([[0.2, 0.5, 0.9], [0.1, 0.4, 0.7]], rg);

describe('shapes', () => {
  test('elementwise ops and matmul', () => {
    expect(failing(ShapeError, () => add(a, v))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: add: shapes must broadcast, got a [2, 3] and b [4]]`);
    expect(failing(ShapeError, () => a.mul(tensor([1, 2])))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: mul: shapes must broadcast, got a [2, 3] and b [2]]`);
    expect(failing(ShapeError, () => matmul(a, b))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: matmul: inner dimensions must match, got a [2, 3] and b [2, 3]]`);
    expect(failing(ShapeError, () => matmul(a, c, { transposeB: true }))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: matmul: inner dimensions must match, got a [2, 3] and b [3, 2] (transposeA false, transposeB true)]`);
    expect(failing(ShapeError, () => matmul(tensor(2, rg), c))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: matmul: operands must have at least 1 dimension, got a [] and b [3, 2]]`);
    expect(failing(ShapeError, () => matmul(zeros([2, 2, 3], rg), zeros([3, 3, 1])))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: matmul: batch axes must broadcast, got a [2, 2, 3] and b [3, 3, 1]]`);
  });

  test('shape ops', () => {
    expect(failing(ShapeError, () => reshape(a, [4, 2]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: reshape: the new shape must have the same size, got x [2, 3] (6 elements) and shape [4, 2]]`);
    expect(failing(ShapeError, () => reshape(a, [-1, -1]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: reshape: shape must be non-negative integers with at most one -1, got [-1, -1]]`);
    expect(failing(ShapeError, () => broadcastTo(a, [3, 3]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: broadcastTo: x must broadcast to the shape, got x [2, 3] and shape [3, 3]]`);
    expect(failing(ShapeError, () => transpose(a, [0, 0]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: transpose: axes must be a permutation of the 2 axes, got axes [0, 0] for shape [2, 3]]`);
    expect(failing(ShapeError, () => squeeze(a, 0))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: squeeze: axis 0 must have size 1, got size 2 for shape [2, 3]]`);
    expect(failing(ShapeError, () => concat([a, c], 0))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: concat: tensors must have the same shape except along axis 0, got tensors[0] [2, 3] and tensors[1] [3, 2]]`);
    expect(failing(ShapeError, () => concat([tensor(1, rg)]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: concat: tensors must have at least 1 dimension, got tensors[0] []]`);
    expect(failing(ShapeError, () => stack([a, c]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: stack: tensors must have the same shape, got tensors[0] [2, 3] and tensors[1] [3, 2]]`);
    expect(failing(ShapeError, () => where(tensor([1, 0, 1, 0]), a, b))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: where: cond, a and b must broadcast, got cond [4], a [2, 3] and b [2, 3]]`);
  });

  test('losses', () => {
    expect(failing(ShapeError, () => binaryCrossEntropy(p, tensor([0, 1, 1])))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: binaryCrossEntropy: yhat and t must have the same shape, got yhat [2, 3] and t [3]]`);
    expect(failing(ShapeError, () => mseLoss(a, c))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: mseLoss: yhat and t must have the same shape, got yhat [2, 3] and t [3, 2]]`);
    expect(failing(ShapeError, () => crossEntropy(v, [1]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: crossEntropy: logits must be 2-D [m, classes], got logits [4]]`);
    expect(failing(ShapeError, () => crossEntropy(a, [0, 1, 2]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: crossEntropy: labels must have one entry per row of logits (2), got 3]`);
    expect(failing(ShapeError, () => crossEntropy(a, tensor([[0], [1]])))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: crossEntropy: labels must be 1-D of shape [2], got labels [2, 1]]`);
  });
});

describe('axes', () => {
  test('reductions', () => {
    expect(failing(ShapeError, () => sum(a, 2))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: sum: axis must be an integer in [-2, 1], got axis 2 for shape [2, 3]]`);
    expect(failing(ShapeError, () => sum(a, [0, -2]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: sum: axes must not repeat, got axes [0, -2] for shape [2, 3]]`);
    expect(failing(ShapeError, () => mean(a, 1.5))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: mean: axis must be an integer in [-2, 1], got axis 1.5 for shape [2, 3]]`);
    expect(failing(ShapeError, () => max(a, -3))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: max: axis must be an integer in [-2, 1], got axis -3 for shape [2, 3]]`);
    expect(failing(ShapeError, () => min(zeros([2, 0], rg), 1))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: min: reduced axes must not be empty, got axis 1 of size 0 for shape [2, 0]]`);
    expect(failing(ShapeError, () => logsumexp(a, [1, 1]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: logsumexp: axes must not repeat, got axes [1, 1] for shape [2, 3]]`);
  });

  test('softmax, logSoftmax and shape ops', () => {
    expect(failing(ShapeError, () => softmax(a, 2))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: softmax: axis must be an integer in [-2, 1], got axis 2 for shape [2, 3]]`);
    expect(failing(ShapeError, () => logSoftmax(tensor(3, rg)))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: logSoftmax: x must have at least 1 dimension, got shape []]`);
    expect(failing(ShapeError, () => unsqueeze(a, 3))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: unsqueeze: axis must be an integer in [-3, 2], got axis 3 for shape [2, 3]]`);
    expect(failing(ShapeError, () => slice(a, -3, 0))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: slice: axis must be an integer in [-2, 1], got axis -3 for shape [2, 3]]`);
    expect(failing(ShapeError, () => concat([a, b], 2))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: concat: axis must be an integer in [-2, 1], got axis 2 for shape [2, 3]]`);
    expect(failing(ShapeError, () => stack([a, b], -4))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: stack: axis must be an integer in [-3, 2], got axis -4 for shape [2, 3]]`);
  });
});

describe('dtypes', () => {
  test('mixed float32 and float64', () => {
    expect(failing(DTypeError, () => mul(a, a32))).toThrowErrorMatchingInlineSnapshot(`[DTypeError: mul: operands must have the same dtype, got a float64 and b float32]`);
    expect(failing(DTypeError, () => matmul(c, a32))).toThrowErrorMatchingInlineSnapshot(`[DTypeError: matmul: operands must have the same dtype, got a float64 and b float32]`);
    expect(failing(DTypeError, () => concat([a, a32]))).toThrowErrorMatchingInlineSnapshot(`[DTypeError: concat: tensors must have the same dtype, got tensors[0] float64 and tensors[1] float32]`);
    expect(failing(DTypeError, () => where(b, a, a32))).toThrowErrorMatchingInlineSnapshot(`[DTypeError: where: a and b must have the same dtype, got a float64 and b float32]`);
    expect(failing(DTypeError, () => binaryCrossEntropyWithLogits(a, a32))).toThrowErrorMatchingInlineSnapshot(`[DTypeError: binaryCrossEntropyWithLogits: z and t must have the same dtype, got z float64 and t float32]`);
    expect(failing(DTypeError, () => tensor([1], { dtype: 'int32' as 'float32' }))).toThrowErrorMatchingInlineSnapshot(`[DTypeError: tensor: dtype must be 'float64' or 'float32', got int32]`);
  });
});

describe('arguments', () => {
  test('values out of their domain', () => {
    expect(failing(ArgumentError, () => clamp(a))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: clamp: at least one of min and max must be given, got neither]`);
    expect(failing(ArgumentError, () => clamp(a, 1, 0))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: clamp: min must not exceed max, got min 1 and max 0]`);
    expect(failing(ArgumentError, () => clamp(a, NaN))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: clamp: min must be a number, got NaN]`);
    expect(failing(ArgumentError, () => slice(a, 1, 0.5))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: slice: start must be an integer, got 0.5]`);
    expect(failing(ArgumentError, () => binaryCrossEntropy(a, b))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: binaryCrossEntropy: yhat must be probabilities in [0, 1], got 2 at index 1]`);
    expect(failing(ArgumentError, () => binaryCrossEntropy(p, b, { reduction: 'avg' as 'mean' }))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: binaryCrossEntropy: reduction must be 'mean', 'sum' or 'none', got avg]`);
    expect(failing(ArgumentError, () => crossEntropy(a, [0, 3]))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: crossEntropy: labels must be integers in [0, 3), got 3 at index 1]`);
    expect(failing(ArgumentError, () => crossEntropy(a, tensor([1.5, 0])))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: crossEntropy: labels must be integers in [0, 3), got 1.5 at index 0]`);
  });

  test('wrong argument types', () => {
    expect(failing(ArgumentError, () => sum('x' as unknown as Tensor))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: sum: x must be a Tensor, got string]`);
    expect(failing(ArgumentError, () => add(a, 'x' as unknown as Tensor))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: add: b must be a number, Value or Tensor, got string]`);
    expect(failing(ArgumentError, () => concat([]))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: concat: tensors must be a non-empty array of tensors, got an empty array]`);
    expect(failing(ArgumentError, () => stack([a, [1, 2, 3] as unknown as Tensor]))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: stack: tensors[1] must be a Tensor, got array]`);
    expect(failing(ArgumentError, () => where(a, a, 'b' as unknown as Tensor))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: where: b must be a Tensor or a number, got string]`);
    expect(failing(ArgumentError, () => crossEntropy(a, 'labels' as unknown as number[]))).toThrowErrorMatchingInlineSnapshot(`[ArgumentError: crossEntropy: labels must be a Tensor or an array of integers, got string]`);
  });

  test('factories', () => {
    expect(failing(ShapeError, () => tensor([[1, 2], [3]]))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: tensor: data is ragged, got length 1 at [1] where 2 was expected]`);
    expect(failing(ShapeError, () => tensor([1, 2, 3], { shape: [2, 2] }))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: tensor: shape must match the data, got shape [2, 2] for 3 elements]`);
    expect(failing(ShapeError, () => a.item())).toThrowErrorMatchingInlineSnapshot(`[ShapeError: item: tensor must have exactly one element, got shape [2, 3]]`);
  });
});

describe('backward', () => {
  test('a non-scalar output needs a seed gradient of its shape and dtype', () => {
    const y = a.mul(2);
    expect(failing(GradError, () => y.backward())).toThrowErrorMatchingInlineSnapshot(`[GradError: backward: a seed gradient is needed for a non-scalar output, got shape [2, 3]; pass backward(grad) with a tensor of that shape]`);
    expect(failing(ShapeError, () => y.backward(tensor([1, 2, 3])))).toThrowErrorMatchingInlineSnapshot(`[ShapeError: backward: the seed gradient must have the output's shape [2, 3], got [3]]`);
    expect(failing(DTypeError, () => y.backward(tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float32' })))).toThrowErrorMatchingInlineSnapshot(`[DTypeError: backward: the seed gradient must have the output's dtype float64, got float32]`);
    expect(a.grad).toBeNull();
    y.backward(tensor([[1, 1, 1], [1, 1, 1]]));
    expect(a.grad!.toArray()).toEqual([[2, 2, 2], [2, 2, 2]]);
    a.grad = null;
  });

  test('an output that does not require grad, and a graph already released', () => {
    expect(failing(GradError, () => tensor([1, 2]).sum().backward())).toThrowErrorMatchingInlineSnapshot(`[GradError: backward: the tensor of shape [] does not require grad (no input of its graph has requiresGrad)]`);
    const x = tensor([1, 2], rg);
    const y = x.mul(x).sum();
    y.backward();
    expect(failing(GradError, () => y.backward())).toThrowErrorMatchingInlineSnapshot(`[GradError: backward: the graph through 'sum' was already released by an earlier backward(); pass { retainGraph: true } to the first backward() to run it twice]`);
  });
});
